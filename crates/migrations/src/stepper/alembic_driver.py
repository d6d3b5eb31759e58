# driftless's Alembic stepper: upgrades one revision at a time with
# Alembic's command API, so that driftless can read the schema between
# steps. Run in the folder of alembic.ini (`python -c "<this file>"`), with
# DATABASE_URL (read by the project's env.py) pointing at a scratch database.
#
# Protocol (see the Django driver): lines on stdout that start with
# "@@driftless " carry one JSON object each.
#   -> {"event": "graph", "framework": "Alembic 1.14", "nodes": [...], "plan": [["", rev], ...]}
#    | {"event": "invalid", ...}  (as the Django driver's: a graph Alembic refuses; then it exits)
#   <- {"cmd": "apply", "migration": ["", rev]}
#   -> {"event": "applied", "migration": ["", rev], "statements": [SQL, ...]}
#    | {"event": "failed", "migration": ["", rev], "error": TEXT, "type": NAME}
#   <- {"cmd": "quit"}
import json
import os
import sys
import traceback

import alembic
import alembic.util
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


def refuse(error, script=None, needle=None, message=None):
    """Reports a revision graph Alembic refuses, naming the revision."""
    file, line = (script.path if script else None), 0
    if isinstance(error, SyntaxError):
        file, line, message = error.filename, error.lineno or 0, error.msg
    say(event="invalid", framework="Alembic " + alembic.__version__,
        migration=["", script.revision] if script else None,
        file=file, needle=needle, line=line,
        error=(message or str(error)).strip(), type=type(error).__name__)


def check(scripts):
    """The revisions, or None when Alembic would refuse to upgrade to
    "head" (reported): a revision that does not load, a missing
    down_revision, a cycle, or more than one head."""
    from alembic.script.revision import CycleDetected
    # The revision files as loaded, before Alembic links them (which turns
    # a missing down_revision into a bare KeyError); older versions lack it.
    load = getattr(scripts, "_load_revisions", None)
    try:
        loaded = list(load()) if load else []
    except Exception as error:
        refuse(error)
        return None
    by_id = {s.revision: s for s in loaded}
    for s in sorted(loaded, key=lambda s: s.path):
        for parent in as_list(s.down_revision) + as_list(s.dependencies):
            if parent not in by_id:
                refuse(KeyError(parent), s, needle=parent,
                       message="revision %s depends on %s, which is not present" % (s.revision, parent))
                return None
    try:
        heads = scripts.get_heads()
        revisions = list(scripts.walk_revisions())
    except CycleDetected as error:
        refuse(error, by_id.get(error.revisions[0]), needle="down_revision")
        return None
    except Exception as error:
        refuse(error)
        return None
    if len(heads) > 1:
        # The newest head file is most likely the one just added.
        newest = max(heads, key=lambda h: (os.path.getmtime(by_id[h].path), by_id[h].path))
        refuse(alembic.util.CommandError(), by_id.get(newest), message=(
            "Multiple head revisions are present (%s): `alembic upgrade head` refuses them; "
            "merge them with `alembic merge heads`" % ", ".join(sorted(heads))))
        return None
    return revisions


def main():
    config = Config(os.environ.get("DRIFTLESS_ALEMBIC_CONFIG", "alembic.ini"))
    scripts = ScriptDirectory.from_config(config)
    revisions = check(scripts)
    if revisions is None:
        return
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
            script = scripts.get_revision(key[1])
            frames = [f for f in traceback.extract_tb(error.__traceback__) if f.filename == script.path]
            say(event="failed", migration=key, error=str(error).strip(),
                type=type(error).__name__, trace=traceback.format_exc(limit=3),
                line=frames[-1].lineno if frames else 0)
            continue
        say(event="applied", migration=key, statements=list(STATEMENTS))


main()
