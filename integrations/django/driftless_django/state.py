"""The outcome of the last drift check of each database, kept in the state
file (``DRIFTLESS["STATE_FILE"]``) when ``DRIFTLESS["DEPLOY_CHECK"]`` is on,
for the deploy system check to read."""
import datetime
import json
import os
import tempfile


def record(path, alias, command, exit_code):
    """Records that ``command`` on database ``alias`` exited with
    ``exit_code`` (0: no drift, 1: drift)."""
    runs = read(path)
    runs[alias] = {
        "command": command,
        "exit_code": exit_code,
        "drift": exit_code == 1,
        "at": datetime.datetime.now(datetime.timezone.utc).replace(microsecond=0).isoformat(),
    }
    folder = os.path.dirname(os.path.abspath(path))
    os.makedirs(folder, exist_ok=True)
    # Written whole, then renamed: a reader never sees half a file.
    fd, temporary = tempfile.mkstemp(dir=folder, prefix=".driftless-state.")
    with os.fdopen(fd, "w") as f:
        json.dump({"version": 1, "databases": runs}, f, indent=2, sort_keys=True)
        f.write("\n")
    os.replace(temporary, path)


def read(path):
    """The last run of each database alias; empty when nothing was
    recorded. Raises ``ValueError`` for a file that is not a state file."""
    try:
        with open(path) as f:
            doc = json.load(f)
    except FileNotFoundError:
        return {}
    runs = doc.get("databases") if isinstance(doc, dict) else None
    if not isinstance(runs, dict):
        raise ValueError("%s is not a driftless state file" % path)
    return runs
