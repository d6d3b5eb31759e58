"""The settings Django runs with when driftless starts it (the migration
stepper, ``--expect-cmd``): the project's own settings, named by
``DRIFTLESS_DJANGO_SETTINGS``, with the database alias
``DRIFTLESS_DJANGO_DATABASE`` pointed at ``DATABASE_URL`` (the dev database
driftless builds the migrations into) and every other alias left without a
database, so that nothing run under these settings reaches another one.

``manage.py driftless`` sets ``DJANGO_SETTINGS_MODULE`` to this module for
the processes it starts; ``manage.py`` keeps it (``os.environ.setdefault``),
and driftless's stepper refuses to run when it was not kept.
"""
import importlib
import os

from driftless_django.database_url import entry_for_url

_project = importlib.import_module(os.environ["DRIFTLESS_DJANGO_SETTINGS"])
globals().update({name: getattr(_project, name) for name in dir(_project) if name.isupper()})

_alias = os.environ.get("DRIFTLESS_DJANGO_DATABASE") or "default"
_own = getattr(_project, "DATABASES", {}).get(_alias)
# An empty entry is Django's "no database": any query through it fails.
DATABASES = {alias: {} for alias in getattr(_project, "DATABASES", {})}
DATABASES.setdefault("default", {})
DATABASES[_alias] = entry_for_url(os.environ["DATABASE_URL"], _own)
