# driftless's Django stepper: drives Django's MigrationExecutor one migration
# at a time so that driftless can read the schema between steps. Run inside
# the project (`python manage.py shell -c "<this file>"`), with DATABASE_URL
# (or the project's own settings) pointing at a scratch database.
#
# Under `manage.py driftless` (the driftless_django app), the project runs
# with settings that point DRIFTLESS_DJANGO_DATABASE at DATABASE_URL, named
# by DRIFTLESS_DJANGO_REQUIRE_SETTINGS: a manage.py that sets its own
# DJANGO_SETTINGS_MODULE would reach the project's real database, so the
# driver refuses to run then.
#
# Protocol: lines on stdout that start with "@@driftless " carry one JSON
# object each; everything else the project prints is passed through.
#   -> {"event": "graph", "framework": "Django 5.2", "nodes": [...], "plan": [[app, name], ...]}
#    | {"event": "invalid", "framework": ..., "migration": [app, name], "file": PATH,
#       "needle": TEXT, "error": TEXT, "type": NAME}  (a graph Django refuses; then it exits)
#   <- {"cmd": "apply", "migration": [app, name]}
#   -> {"event": "applied", "migration": [app, name], "statements": [SQL, ...]}
#    | {"event": "failed", "migration": [app, name], "error": TEXT, "type": NAME}
#   <- {"cmd": "quit"}
import json
import os
import sys
import traceback

import django
from django.db import DEFAULT_DB_ALIAS, connections
from django.db.backends.base.schema import BaseDatabaseSchemaEditor
from django.core.management.base import CommandError
from django.db.migrations.executor import MigrationExecutor
from django.db.migrations.loader import MigrationLoader

# What the schema editor sends (DDL and RunSQL), not Django's own
# introspection queries: driftless reads back only what these name.
STATEMENTS = []
_execute = BaseDatabaseSchemaEditor.execute


def _capturing_execute(self, sql, params=()):
    STATEMENTS.append(str(sql))
    return _execute(self, sql, params)


BaseDatabaseSchemaEditor.execute = _capturing_execute


def say(**fields):
    sys.stdout.write("@@driftless " + json.dumps(fields) + "\n")
    sys.stdout.flush()


def node_info(loader, key):
    migration = loader.graph.nodes[key]
    return {
        "app": key[0],
        "name": key[1],
        "file": file_of(migration),
        "dependencies": sorted(list(p.key) for p in loader.graph.node_map[key].parents),
        "replaces": [list(r) for r in migration.replaces],
        "atomic": migration.atomic,
    }


def file_of(migration):
    module = sys.modules.get(type(migration).__module__)
    return getattr(module, "__file__", None)


def line_in(error, path):
    """The line of `path` the failing call came from (RunPython code), or 0."""
    frames = [f for f in traceback.extract_tb(error.__traceback__) if f.filename == path]
    return frames[-1].lineno if frames else 0


def refuse(error, key=None, file=None, needle=None, message=None, line=0):
    """Reports a migration graph Django refuses, naming the migration."""
    say(event="invalid", framework="Django " + django.get_version(),
        migration=list(key) if key else None, file=file, needle=needle, line=line,
        error=(message or str(error)).strip(), type=type(error).__name__)


def load(connection):
    """The executor, or None when Django refuses the graph (reported):
    a missing dependency, a cycle, a migration that does not import, or
    two leaf migrations in one app (what `migrate` calls conflicting)."""
    from django.db.migrations.exceptions import CircularDependencyError, NodeNotFoundError
    try:
        executor = MigrationExecutor(connection)
    except NodeNotFoundError as error:
        origin = error.origin
        key = (origin.app_label, origin.name) if hasattr(origin, "app_label") else origin
        refuse(error, key, file_of(origin), needle=error.node[1] if error.node else None)
        return None
    except CircularDependencyError as error:
        first = str(error).split(",")[0].strip().split(".", 1)
        loader = MigrationLoader(None, ignore_no_migrations=True, load=False)
        loader.load_disk()
        migration = loader.disk_migrations.get(tuple(first))
        refuse(error, first, file_of(migration) if migration else None, needle="dependencies",
               message="circular dependency between migrations: " + str(error))
        return None
    except SyntaxError as error:
        refuse(error, None, error.filename, message=error.msg, line=error.lineno or 0)
        return None
    conflicts = executor.loader.detect_conflicts()
    if conflicts:
        app, names = sorted(conflicts.items())[0]
        names = sorted(names)
        last = executor.loader.graph.nodes[(app, names[-1])]
        refuse(CommandError(), (app, names[-1]), file_of(last), message=(
            "Conflicting migrations detected; multiple leaf nodes in the migration graph: "
            "(%s in %s); run 'python manage.py makemigrations --merge'" % (", ".join(names), app)))
        return None
    return executor


def settings_kept():
    """False (after saying why on stderr) when the project does not run
    with the settings DRIFTLESS_DJANGO_REQUIRE_SETTINGS names."""
    from django.conf import settings
    wanted = os.environ.get("DRIFTLESS_DJANGO_REQUIRE_SETTINGS")
    if not wanted or settings.SETTINGS_MODULE == wanted:
        return True
    sys.stderr.write(
        "manage.py runs with the settings %s, not %s: it sets DJANGO_SETTINGS_MODULE itself, "
        "so the migrations would reach the project's own database; use "
        "os.environ.setdefault(\"DJANGO_SETTINGS_MODULE\", ...) in manage.py\n"
        % (settings.SETTINGS_MODULE, wanted))
    return False


def main():
    if not settings_kept():
        sys.exit(2)
    # DRIFTLESS_GRAPH_ONLY: the graph without a database (nothing applied).
    graph_only = bool(os.environ.get("DRIFTLESS_GRAPH_ONLY"))
    alias = os.environ.get("DRIFTLESS_DJANGO_DATABASE") or DEFAULT_DB_ALIAS
    connection = None if graph_only else connections[alias]
    executor = load(connection)
    if executor is None:
        return
    loader = executor.loader
    plan = executor.migration_plan(loader.graph.leaf_nodes(), clean_start=True)
    say(
        event="graph",
        framework="Django " + django.get_version(),
        nodes=[node_info(loader, key) for key in sorted(loader.graph.nodes)],
        plan=[[m.app_label, m.name] for m, _ in plan],
    )
    if graph_only:
        return
    state = executor._create_project_state(with_applied_migrations=True)
    for line in sys.stdin:
        line = line.strip()
        if not line:
            continue
        command = json.loads(line)
        if command.get("cmd") == "quit":
            break
        key = tuple(command["migration"])
        del STATEMENTS[:]
        try:
            migration = loader.graph.nodes[key]
            state = executor.apply_migration(state, migration)
        except Exception as error:  # reported to driftless, which stops
            say(event="failed", migration=list(key), error=str(error).strip(),
                type=type(error).__name__, trace=traceback.format_exc(limit=3),
                line=line_in(error, file_of(loader.graph.nodes[key])))
            continue
        say(event="applied", migration=list(key), statements=list(STATEMENTS))


main()
