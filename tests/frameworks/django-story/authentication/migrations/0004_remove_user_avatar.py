from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("authentication", "0003_user_date_joined")]
    operations = [migrations.RemoveField(model_name="user", name="avatar")]
