"""Runs the ``driftless`` command for ``manage.py driftless``: the flags the
project supplies, the database URLs handed over in the environment, the
dev database around the run, and the outcome recorded for the deploy check."""
import os
import shlex
import shutil
import subprocess
import sys
import sysconfig
from contextlib import contextmanager

from django.conf import settings as django_settings
from django.db import connections

from driftless_django import conf, state
from driftless_django.database_url import SQLITE, UnsupportedDatabase, database_url, family

#: Commands that read the database (`--db`, from DATABASE_URL).
READS_DATABASE = ("check", "plan", "fix", "migrations", "snapshot", "quarantine")
#: Commands that take the project's migrations.
TAKES_MIGRATIONS = ("check", "plan", "fix", "migrations")
#: Commands that build the migrations into a dev database.
TAKES_DEV_DATABASE = ("check", "plan", "fix")
#: The settings module the processes driftless starts run with.
DEV_SETTINGS = "driftless_django.dev_settings"


class NotFound(Exception):
    """No ``driftless`` command, or no such database alias."""


class Invocation:
    """One ``manage.py driftless`` run: driftless's arguments and ours."""

    def __init__(self, argv, alias, interactive, verbosity):
        self.argv = argv
        self.alias = alias
        self.interactive = interactive
        self.verbosity = verbosity

    @classmethod
    def parse(cls, argv, alias, interactive, verbosity):
        """Takes ``--database ALIAS`` and ``--noinput`` out of driftless's
        arguments, wherever they stand (driftless has neither)."""
        rest, argv = list(argv), []
        while rest:
            arg = rest.pop(0)
            if arg == "--database" and rest:
                alias = rest.pop(0)
            elif arg.startswith("--database="):
                alias = arg.split("=", 1)[1]
            elif arg in ("--noinput", "--no-input"):
                interactive = False
            else:
                argv.append(arg)
        return cls(argv, alias, interactive, verbosity)

    @property
    def command(self):
        return self.argv[0] if self.argv else None

    def given(self, *flags):
        """Whether any of ``flags`` is among driftless's arguments."""
        return any(a == f or a.startswith(f + "=") for a in self.argv for f in flags)

    def wants_help(self):
        return not self.argv or self.given("-h", "--help", "-V", "--version")


def run(invocation):
    """Runs driftless; its exit code."""
    binary = driftless_binary()
    if invocation.wants_help() or invocation.command not in READS_DATABASE:
        return call([binary] + invocation.argv, dict(os.environ))
    entry = database_entry(invocation.alias)
    argv, env = [binary] + invocation.argv, dict(os.environ)
    if not invocation.given("--db"):
        env["DATABASE_URL"] = database_url(entry, invocation.alias)
    stepped = invocation.command in TAKES_MIGRATIONS and not invocation.given("--expect")
    if stepped:
        argv += project_flags(invocation)
        env.update(stepper_environment(invocation.alias))
    dev = stepped and invocation.command in TAKES_DEV_DATABASE and not invocation.given("--dev-url")
    with dev_database(invocation, entry) if dev else nothing() as dev_url:
        if dev_url:
            env["DRIFTLESS_DEV_URL"] = dev_url
        code = call(argv, env)
    record(invocation, code)
    return code


def project_flags(invocation):
    """``--migrations``, ``--python`` and, for ``fix --apply-pending``,
    ``--migrate-cmd``, unless given."""
    flags = []
    project = conf.project_dir()
    if not invocation.given("--migrations"):
        flags += ["--migrations", project]
    if not invocation.given("--python", "--step-cmd", "--expect-cmd"):
        flags += ["--python", sys.executable]
    if invocation.given("--apply-pending") and not invocation.given("--migrate-cmd"):
        migrate = "DJANGO_SETTINGS_MODULE=%s %s manage.py migrate --noinput --database %s" % (
            shlex.quote(django_settings.SETTINGS_MODULE),
            shlex.quote(sys.executable),
            shlex.quote(invocation.alias),
        )
        flags += ["--migrate-cmd", migrate]
    return flags


def stepper_environment(alias):
    """What the Django processes driftless starts need: the dev settings
    (the project's own, with ``alias`` pointed at DATABASE_URL) and, for
    the stepper, the alias to migrate and the settings it must run with."""
    return {
        "DJANGO_SETTINGS_MODULE": DEV_SETTINGS,
        "DRIFTLESS_DJANGO_SETTINGS": django_settings.SETTINGS_MODULE,
        "DRIFTLESS_DJANGO_DATABASE": alias,
        "DRIFTLESS_DJANGO_REQUIRE_SETTINGS": DEV_SETTINGS,
    }


def database_entry(alias):
    """``DATABASES[alias]`` with Django's defaults, once its engine is one
    driftless reads (checked before Django loads the engine)."""
    if alias not in django_settings.DATABASES:
        raise NotFound(
            "no database %r in settings.DATABASES (it has %s)"
            % (alias, ", ".join(map(repr, sorted(django_settings.DATABASES))) or "none")
        )
    family(django_settings.DATABASES[alias], alias)
    return connections.settings[alias]


@contextmanager
def nothing():
    yield None


@contextmanager
def dev_database(invocation, entry):
    """The dev database's URL for the run: ``DEV_DATABASE``, else, on a
    server, a test database Django makes now and drops afterwards; for
    SQLite none (driftless uses its own)."""
    given = conf.config().dev_database
    if given:
        yield given if isinstance(given, str) else database_url(given, "DRIFTLESS['DEV_DATABASE']")
        return
    if family(entry, invocation.alias) == SQLITE:
        yield None
        return
    connection = connections[invocation.alias]
    creation = connection.creation
    autoclobber = not (invocation.interactive and sys.stdin.isatty())
    if invocation.verbosity >= 2:
        sys.stderr.write("Creating the dev database for alias %r...\n" % invocation.alias)
    name = creation._create_test_db(invocation.verbosity, autoclobber, keepdb=False)
    try:
        yield database_url(dict(entry, NAME=name), invocation.alias)
    finally:
        connection.close()
        if invocation.verbosity >= 2:
            sys.stderr.write("Dropping the dev database %r...\n" % name)
        creation._destroy_test_db(name, invocation.verbosity)


def call(argv, env):
    """Runs ``argv`` on this process's standard streams; its exit code
    (128 + N for a process ended by signal N, as a shell reports it)."""
    sys.stdout.flush()
    sys.stderr.flush()
    process = subprocess.Popen(argv, env=env)
    try:
        code = process.wait()
    except KeyboardInterrupt:
        # The terminal interrupted driftless too: let it stop and clean up.
        code = process.wait()
    return 128 - code if code < 0 else code


def record(invocation, code):
    """Records a drift check's outcome for the deploy check, when on."""
    settings = conf.config()
    checked = invocation.command == "check" or (invocation.command == "fix" and invocation.given("--apply"))
    if settings.deploy_check and checked and code in (0, 1):
        state.record(settings.state_file, invocation.alias, invocation.command, code)


def driftless_binary():
    """``DRIFTLESS["BINARY"]``, else the ``driftless`` installed beside this
    Python, else the first on ``PATH``."""
    given = conf.config().binary
    if given:
        return os.fspath(given)
    beside = os.path.join(sysconfig.get_path("scripts"), "driftless")
    if os.path.isfile(beside) and os.access(beside, os.X_OK):
        return beside
    found = shutil.which("driftless")
    if found:
        return found
    raise NotFound(
        "the driftless command is not installed: `pip install driftless-db`, "
        "or name it in DRIFTLESS = {'BINARY': PATH}"
    )


__all__ = ["Invocation", "NotFound", "UnsupportedDatabase", "run"]
