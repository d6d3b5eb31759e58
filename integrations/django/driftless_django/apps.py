"""The Django app: registers the deploy system check."""
from django.apps import AppConfig


class DriftlessConfig(AppConfig):
    """driftless: ``manage.py driftless`` and the ``driftless.W001`` deploy check."""

    name = "driftless_django"
    verbose_name = "driftless"

    def ready(self):
        from driftless_django import checks  # noqa: F401  (registers the check)
