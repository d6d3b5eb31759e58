"""The ``DRIFTLESS`` setting: a dict in the project's settings, every key
optional.

``DEV_DATABASE``
    The dev database driftless builds the migrations into, emptied before
    each use: a URL (``postgres://…``, ``mysql://…``, ``sqlite:PATH``) or an
    entry shaped like those of ``DATABASES``. Default: one made and dropped
    around each run the way Django makes its test database (``test_NAME``,
    or the entry's ``TEST["NAME"]``); for SQLite, driftless's own (in memory).
``BINARY``
    The ``driftless`` command. Default: the one installed beside this
    Python (the ``driftless-db`` distribution), else the first on ``PATH``.
``DEPLOY_CHECK``
    ``True`` to record the outcome of each ``check`` (and ``fix --apply``)
    and have ``manage.py check --deploy`` warn (``driftless.W001``) while
    the last one found drift. Default ``False``.
``STATE_FILE``
    Where that outcome is kept. Default: ``.driftless-state.json`` in the
    folder holding ``manage.py``.
"""
import os
import sys
from collections import namedtuple

from django.conf import settings as django_settings
from django.core.exceptions import ImproperlyConfigured

KEYS = ("DEV_DATABASE", "BINARY", "DEPLOY_CHECK", "STATE_FILE")

Config = namedtuple("Config", "dev_database binary deploy_check state_file")


def config():
    """The project's ``DRIFTLESS`` setting, with its defaults."""
    given = getattr(django_settings, "DRIFTLESS", None) or {}
    if not isinstance(given, dict):
        raise ImproperlyConfigured("DRIFTLESS must be a dict, not %s" % type(given).__name__)
    unknown = sorted(set(given) - set(KEYS))
    if unknown:
        raise ImproperlyConfigured(
            "DRIFTLESS has unknown keys %s; it takes %s" % (", ".join(unknown), ", ".join(KEYS))
        )
    state = given.get("STATE_FILE") or os.path.join(project_dir(), ".driftless-state.json")
    return Config(
        dev_database=given.get("DEV_DATABASE"),
        binary=given.get("BINARY"),
        deploy_check=bool(given.get("DEPLOY_CHECK", False)),
        state_file=os.fspath(state),
    )


def project_dir():
    """The folder holding the project's ``manage.py``: the one being run,
    else ``BASE_DIR`` when it holds one, else the current folder."""
    script = os.path.abspath(sys.argv[0]) if sys.argv and sys.argv[0] else ""
    if os.path.basename(script) == "manage.py":
        return os.path.dirname(script)
    base = getattr(django_settings, "BASE_DIR", None)
    if base is not None and os.path.isfile(os.path.join(os.fspath(base), "manage.py")):
        return os.path.abspath(os.fspath(base))
    return os.getcwd()
