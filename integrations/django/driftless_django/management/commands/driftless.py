"""``python manage.py driftless COMMAND [FLAGS]``: the driftless command on
the project's database and migrations."""
import argparse

from django.core.management.base import BaseCommand, CommandError, DjangoHelpFormatter
from django.db import DEFAULT_DB_ALIAS

from driftless_django.database_url import UnsupportedDatabase
from driftless_django.runner import Invocation, NotFound, run

HELP = """Run driftless (https://pypi.org/project/driftless-db/) on this project's
database: find and repair schema drift between it and the project's migrations.

  python manage.py driftless check [--format human|json|sarif|github] [--fail-on SEVERITY]
  python manage.py driftless plan [--format sql|script|json|migration]
  python manage.py driftless fix --apply [--apply-pending] [--orphans quarantine|drop|keep]
  python manage.py driftless migrations [--format human|json]
  python manage.py driftless COMMAND --help     (driftless's own help for COMMAND)

Every flag after COMMAND goes to driftless as it is, and the exit code is
driftless's: 0 no drift, 1 drift found (fix: not converged), 2 bad input or a
database error. What the project supplies, unless the flags give it:

  --db          settings.DATABASES[--database], as a URL handed over in the
                environment (never on a command line, never printed):
                PostgreSQL/PostGIS, MySQL/MariaDB and SQLite engines; any other
                engine (Oracle, SQL Server ...) is an error naming it, exit 2.
  --migrations  the folder holding manage.py: every installed app's migrations,
                stepped through one at a time by Django itself (--python: this
                Python) against the dev database, never against --db.
  --dev-url     the dev database: DRIFTLESS["DEV_DATABASE"] (a URL or a
                DATABASES-style entry), else one made and dropped around the
                run the way Django makes its test database (test_NAME, or the
                entry's TEST NAME; --noinput drops a leftover one without
                asking); SQLite: driftless's own, in memory.
  --migrate-cmd with fix --apply-pending: this Python's
                `manage.py migrate --noinput --database ALIAS`.

--database ALIAS and --noinput may stand anywhere on the line.

Settings (DRIFTLESS = {...} in settings.py): DEV_DATABASE, BINARY (the
driftless command; default: the one installed beside this Python, else on
PATH), DEPLOY_CHECK (True: record each check's outcome; `manage.py check
--deploy` then warns, driftless.W001, while the last check found drift),
STATE_FILE (where that outcome is kept; default .driftless-state.json beside
manage.py)."""


class HelpFormatter(DjangoHelpFormatter, argparse.RawDescriptionHelpFormatter):
    """Django's help layout, with the description kept as written."""


class Command(BaseCommand):
    help = HELP
    # driftless reads the database itself; the project's own checks are
    # `manage.py check`'s business.
    requires_system_checks = []

    def create_parser(self, prog_name, subcommand, **kwargs):
        parser = super().create_parser(prog_name, subcommand, **kwargs)
        parser.formatter_class = HelpFormatter
        return parser

    def add_arguments(self, parser):
        parser.add_argument(
            "--database",
            default=DEFAULT_DB_ALIAS,
            help='The database alias of settings.DATABASES to check (default "default").',
        )
        parser.add_argument(
            "--noinput",
            "--no-input",
            action="store_false",
            dest="interactive",
            help="Drop a leftover dev database without asking.",
        )
        parser.add_argument(
            "driftless",
            nargs=argparse.REMAINDER,
            metavar="COMMAND [FLAGS]",
            help="check, plan, fix, migrations (or any driftless command) and its flags.",
        )

    def handle(self, *args, **options):
        try:
            invocation = Invocation.parse(
                options["driftless"],
                alias=options["database"],
                interactive=options["interactive"],
                verbosity=options["verbosity"],
            )
            code = run(invocation)
        except (UnsupportedDatabase, NotFound) as error:
            raise CommandError(str(error), returncode=2)
        if code:
            raise SystemExit(code)
