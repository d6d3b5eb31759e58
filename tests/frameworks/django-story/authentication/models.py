from django.db import models


class User(models.Model):
    username = models.CharField(max_length=150, unique=True)
    email = models.EmailField(blank=True)
    date_joined = models.DateTimeField(null=True)
    login_count = models.IntegerField(default=0)

    class Meta:
        indexes = [models.Index(fields=["login_count"], name="auth_user_login_count_idx")]
