from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("authentication", "0005_user_login_count")]
    operations = [
        migrations.AddIndex(
            model_name="user",
            index=models.Index(fields=["login_count"], name="auth_user_login_count_idx"),
        ),
    ]
