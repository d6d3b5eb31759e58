# driftless's Alembic stepper: upgrades one revision at a time with
# Alembic's command API, so that driftless can read the schema between
# steps. Run in the folder of alembic.ini (`python -c "<this file>"`), with
# DATABASE_URL (read by the project's env.py) pointing at a scratch database.
#
# Protocol (see the Django driver): lines on stdout that start with
# "@@driftless " carry one JSON object each.
#   -> {"event": "graph", "framework": "Alembic 1.14", "nodes": [...], "plan": [["", rev], ...]}
#   <- {"cmd": "apply", "migration": ["", rev]}
#   -> {"event": "applied", "migration": ["", rev], "statements": [SQL, ...]}
#    | {"event": "failed", "migration": ["", rev], "error": TEXT, "type": NAME}
#   <- {"cmd": "quit"}
import json
import os
import sys
import traceback

import alembic
from alembic import command
from alembic.config import Config
from alembic.script import ScriptDirectory
from alembic.ddl.impl import DefaultImpl

# What the migrations send through Alembic's operations (DDL, op.execute,
# the version table), not the inspection queries around them: driftless
# reads back only what these name.
STATEMENTS = []
_exec = DefaultImpl._exec


def _capturing_exec(self, construct, *args, **kwargs):
    if isinstance(construct, str):
        STATEMENTS.append(construct)
    else:
        try:
            STATEMENTS.append(str(construct.compile(dialect=self.dialect)))
        except Exception:
            STATEMENTS.append(str(construct))
    return _exec(self, construct, *args, **kwargs)


DefaultImpl._exec = _capturing_exec


def say(**fields):
    sys.stdout.write("@@driftless " + json.dumps(fields) + "\n")
    sys.stdout.flush()


def as_list(value):
    if value is None:
        return []
    if isinstance(value, str):
        return [value]
    return list(value)


def node_info(script):
    return {
        "app": "",
        "name": script.revision,
        "file": script.path,
        "dependencies": [["", r] for r in as_list(script.down_revision) + as_list(script.dependencies)],
        "replaces": [],
    }


def main():
    config = Config(os.environ.get("DRIFTLESS_ALEMBIC_CONFIG", "alembic.ini"))
    scripts = ScriptDirectory.from_config(config)
    revisions = list(scripts.walk_revisions())
    # walk_revisions goes from the heads down: upgrade order is the reverse.
    plan = [["", r.revision] for r in reversed(list(scripts.iterate_revisions("heads", "base")))]
    say(
        event="graph",
        framework="Alembic " + alembic.__version__,
        nodes=[node_info(r) for r in sorted(revisions, key=lambda r: r.revision)],
        plan=plan,
    )
    for line in sys.stdin:
        line = line.strip()
        if not line:
            continue
        request = json.loads(line)
        if request.get("cmd") == "quit":
            break
        key = request["migration"]
        del STATEMENTS[:]
        try:
            command.upgrade(config, key[1])
        except Exception as error:  # reported to driftless, which stops
            say(event="failed", migration=key, error=str(error).strip(),
                type=type(error).__name__, trace=traceback.format_exc(limit=3))
            continue
        say(event="applied", migration=key, statements=list(STATEMENTS))


main()
