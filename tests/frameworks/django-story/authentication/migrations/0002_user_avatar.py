from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("authentication", "0001_initial")]
    operations = [
        migrations.AddField(model_name="user", name="avatar", field=models.CharField(max_length=100, null=True)),
    ]
