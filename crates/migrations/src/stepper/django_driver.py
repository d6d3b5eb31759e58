# driftless's Django stepper: drives Django's MigrationExecutor one migration
# at a time so that driftless can read the schema between steps. Run inside
# the project (`python manage.py shell -c "<this file>"`), with DATABASE_URL
# (or the project's own settings) pointing at a scratch database.
#
# Protocol: lines on stdout that start with "@@driftless " carry one JSON
# object each; everything else the project prints is passed through.
#   -> {"event": "graph", "framework": "Django 5.2", "nodes": [...], "plan": [[app, name], ...]}
#   <- {"cmd": "apply", "migration": [app, name]}
#   -> {"event": "applied", "migration": [app, name], "statements": [SQL, ...]}
#    | {"event": "failed", "migration": [app, name], "error": TEXT, "type": NAME}
#   <- {"cmd": "quit"}
import json
import sys
import traceback

import django
from django.db import DEFAULT_DB_ALIAS, connections
from django.db.backends.base.schema import BaseDatabaseSchemaEditor
from django.db.migrations.executor import MigrationExecutor

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
    module = sys.modules.get(type(migration).__module__)
    return {
        "app": key[0],
        "name": key[1],
        "file": getattr(module, "__file__", None),
        "dependencies": sorted(list(p.key) for p in loader.graph.node_map[key].parents),
        "replaces": [list(r) for r in migration.replaces],
        "atomic": migration.atomic,
    }


def main():
    connection = connections[DEFAULT_DB_ALIAS]
    executor = MigrationExecutor(connection)
    loader = executor.loader
    plan = executor.migration_plan(loader.graph.leaf_nodes(), clean_start=True)
    say(
        event="graph",
        framework="Django " + django.get_version(),
        nodes=[node_info(loader, key) for key in sorted(loader.graph.nodes)],
        plan=[[m.app_label, m.name] for m, _ in plan],
    )
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
                type=type(error).__name__, trace=traceback.format_exc(limit=3))
            continue
        say(event="applied", migration=list(key), statements=list(STATEMENTS))


main()
