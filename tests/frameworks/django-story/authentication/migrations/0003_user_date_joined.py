from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("authentication", "0002_user_avatar")]
    operations = [
        migrations.AddField(model_name="user", name="date_joined", field=models.DateTimeField(null=True)),
    ]
