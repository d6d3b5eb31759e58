#!/usr/bin/env python3
"""Convergence of driftless on the schema test suites of another project,
decided without driftless's own comparison.

    git -C SQLDEF_REPO archive HEAD cmd testutil | tar -x -C /tmp/sqldef
    cargo build --release -p driftless
    python3 bench/suites.py /tmp/sqldef --driftless target/release/driftless \
        --out suites.json                       # all three backends
    python3 bench/suites.py /tmp/sqldef --backends sqlite --filter 'Trigger'

The suites are sqldef's YAML cases (`cmd/psqldef/tests*.yml`,
`cmd/mysqldef/tests*.yml`, `cmd/sqlite3def/tests*.yml`): each names a
`current` and a `desired` schema as SQL. Nothing of that project is kept
here; the checkout is read at run time.

For each case of each backend:

1. `current` is loaded into a fresh database A and `desired` into a fresh
   database E, statement by statement as the server's own client would run
   them. A case whose SQL the server refuses is *not loadable* and counted
   apart, as are cases skipped by their own markers (`offline`, `user`, a
   `flavor` this server is not, `min_version` / `max_version` outside the
   server's version).
2. `driftless fix --db A --expect E --apply --allow data-loss --orphans drop`
   repairs A (every case asks for A to become E, drops and narrowing type
   changes included, so every case gets the flags that allow them). On
   PostgreSQL `fix` and `check` also get `--privileges`: the cases that
   GRANT / REVOKE ask for A's privileges to become E's, and privileges are
   compared only when opted in.
3. Convergence is decided independently of driftless:
   - PostgreSQL: `pg_dump --schema-only` of A and E (the pg_dump of the
     server's major), split into its entries (one per object, named by the
     dump's own `Name:` / `Type:` headers), comments, SET lines and the
     random-keyed `\\restrict` / `\\unrestrict` lines removed,
     the column lines of each CREATE TABLE sorted (column order is not
     drift), the GRANT / REVOKE lines of each ACL entry sorted (an
     object's ACL lists its grants in the order they were made, which
     grants nothing), compared as sets of entries;
   - MariaDB/MySQL: `SHOW CREATE TABLE/VIEW/TRIGGER/PROCEDURE/FUNCTION/EVENT`
     of every object (database name replaced, AUTO_INCREMENT counters and
     the implicit STARTS time of events removed, column lines sorted);
   - SQLite: `PRAGMA table_xinfo`, `index_list`, `index_xinfo`,
     `foreign_key_list` and `table_list` of every table, the CHECK clauses
     and partial-index predicates, and the whitespace-normalized SQL of
     views and triggers.
   Objects named `_driftless_*` (driftless's own catalog) are left out.
4. `driftless check --db A --expect E --format json` is run too, and the
   case records whether driftless's own re-check is empty (no finding above
   info).

Every failure is classified: the normalized error line of `fix`, or the
kind of object that still differs (e.g. `pg differs: TRIGGER`). The report
prints, per backend, loadable cases, converged, the percentage and the
failure categories with counts and an example case; `--out` writes all of it
as JSON.

Databases: PostgreSQL `--pg-url` (default postgres://root@127.0.0.1:5432)
and MariaDB `--mysql-url` (default mysql://root@127.0.0.1:3306); each case
creates `dl_suite_*` databases and drops them. Roles that the PostgreSQL
cases grant to (their `managed_roles`) are created NOLOGIN when missing.
"""

from __future__ import annotations

import argparse
import collections
import concurrent.futures
import glob
import json
import os
import re
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time
import urllib.parse

import yaml

SUITES = {"postgres": "psqldef", "mariadb": "mysqldef", "sqlite": "sqlite3def"}
FIX_FLAGS = ["--apply", "--allow", "data-loss", "--orphans", "drop"]
BACKEND_FLAGS = {"postgres": ["--privileges"]}
TIMEOUT = 180


# ---------------------------------------------------------------- cases


def read_cases(root: str, backend: str) -> list[dict]:
    """The cases of one backend's suite, in file order."""
    cases = []
    folder = os.path.join(root, "cmd", SUITES[backend])
    for path in sorted(glob.glob(os.path.join(folder, "tests*.yml"))):
        with open(path, encoding="utf-8") as f:
            data = yaml.safe_load(f) or {}
        for name, spec in data.items():
            if isinstance(spec, dict):
                cases.append({"file": os.path.basename(path), "name": name, "spec": spec})
    return cases


def version_tuple(text: str) -> tuple:
    """Leading numbers of each dotted segment: "10.11.9-MariaDB" -> (10, 11, 9)."""
    out = []
    for seg in text.split("."):
        m = re.match(r"\d+", seg)
        if not m:
            break
        out.append(int(m.group()))
    return tuple(out)


def compare_versions(left: str, right: str) -> int:
    """Compare on the shorter length, as the suite's own runner does."""
    a, b = version_tuple(left), version_tuple(right)
    n = min(len(a), len(b))
    return (a[:n] > b[:n]) - (a[:n] < b[:n])


def skip_reason(spec: dict, server: "Server") -> str | None:
    """Why the case's own markers leave it out on this server, if they do."""
    if spec.get("offline"):
        return "offline"
    if spec.get("user"):
        return "runs as its own user"
    flavor = spec.get("flavor")
    if flavor:
        negated = flavor.startswith("!")
        name = flavor.lstrip("!")
        if (name in server.flavors) == negated:
            return f"flavor {flavor}"
    low, high = spec.get("min_version"), spec.get("max_version")
    if low and compare_versions(server.version, str(low)) < 0:
        return f"min_version {low}"
    if high and compare_versions(server.version, str(high)) > 0:
        return f"max_version {high}"
    return None


# ---------------------------------------------------------------- helpers


def run(cmd: list[str], stdin: str | None = None, env: dict | None = None) -> subprocess.CompletedProcess:
    try:
        return subprocess.run(
            cmd, input=stdin, capture_output=True, text=True, timeout=TIMEOUT, env=env
        )
    except subprocess.TimeoutExpired:
        return subprocess.CompletedProcess(cmd, 124, "", f"timed out after {TIMEOUT}s")


def first_error(stderr: str) -> str:
    """The line of a client's or driftless's stderr that says what failed."""
    lines = [line.strip() for line in stderr.splitlines() if line.strip()]
    for line in lines:
        if re.search(r"\berror\b|ERROR", line):
            return line
    return lines[-1] if lines else "(no message)"


def normalize_message(msg: str) -> str:
    """An error message with names and numbers blanked, to group failures."""
    msg = re.sub(r"^.*?(error|ERROR)(\[\w+\])?:\s*", "", msg)
    msg = re.sub(r"\s*statement: .*$", "", msg)
    msg = re.sub(r"step \d+ \((.*?) [^ ()]+\)", r"step (\1)", msg)
    msg = re.sub(r'"[^"]*"', '"…"', msg)
    msg = re.sub(r"`[^`]*`", "`…`", msg)
    msg = re.sub(r"'[^']*'", "'…'", msg)
    msg = re.sub(r"\b\d+\b", "N", msg)
    return msg[:160]


def ws(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()


def split_mysql(sql: str) -> list[str]:
    """Statements of a MySQL script: `;` ends one outside quotes, comments
    and compound bodies (BEGIN/CASE … END)."""
    out, buf, depth, i, n = [], [], 0, 0, len(sql)
    while i < n:
        c = sql[i]
        if c in "'\"`":
            j = i + 1
            while j < n and sql[j] != c:
                j += 2 if sql[j] == "\\" and c != "`" else 1
            buf.append(sql[i : j + 1])
            i = j + 1
            continue
        if sql.startswith("--", i) or c == "#":
            j = sql.find("\n", i)
            i = n if j < 0 else j
            continue
        if sql.startswith("/*", i):
            j = sql.find("*/", i)
            i = n if j < 0 else j + 2
            continue
        m = re.match(r"[A-Za-z_][A-Za-z0-9_$]*", sql[i:])
        if m:
            word = m.group().upper()
            if word in ("BEGIN", "CASE"):
                depth += 1
            elif word == "END":
                nxt = re.match(r"\s+(\w+)", sql[i + 3 :])
                if not (nxt and nxt.group(1).upper() in ("IF", "LOOP", "WHILE", "REPEAT")):
                    depth = max(0, depth - 1)
            buf.append(m.group())
            i += len(m.group())
            continue
        if c == ";" and depth == 0:
            stmt = "".join(buf).strip()
            if stmt:
                out.append(stmt)
            buf = []
        else:
            buf.append(c)
        i += 1
    stmt = "".join(buf).strip()
    if stmt:
        out.append(stmt)
    return out


def diff_maps(a: dict, e: dict) -> list[tuple[str, str, str]]:
    """(state, kind, name) for every object that is not the same in A and E:
    state is "missing" (in E only), "extra" (in A only) or "differs"."""
    out = []
    for key in sorted(set(a) | set(e)):
        if a.get(key) == e.get(key):
            continue
        state = "missing" if key not in a else "extra" if key not in e else "differs"
        out.append((state, key[0], key[1]))
    return out


# ---------------------------------------------------------------- servers


class Server:
    """One backend: fresh databases, loading SQL, the independent dump."""

    name = ""
    version = ""
    flavors: set[str] = set()

    def create(self, db: str) -> None: ...
    def drop(self, db: str) -> None: ...
    def url(self, db: str) -> str: ...
    def load(self, db: str, sql: str) -> str | None: ...
    def dump(self, db: str) -> dict: ...


class Postgres(Server):
    name = "postgres"

    def __init__(self, url: str, pg_dump: str | None):
        u = urllib.parse.urlparse(url)
        self.host, self.port = u.hostname or "127.0.0.1", str(u.port or 5432)
        self.user = u.username or "root"
        self.env = dict(os.environ, PGOPTIONS="--client-min-messages=warning")
        self.env.pop("PGDATABASE", None)
        self.version = self.admin("SHOW server_version").split()[0]
        major = self.version.split(".")[0]
        self.pg_dump = pg_dump or f"/usr/lib/postgresql/{major}/bin/pg_dump"
        if not os.path.exists(self.pg_dump):
            sys.exit(f"no pg_dump for PostgreSQL {major} at {self.pg_dump} (use --pg-dump)")
        avail = self.admin("SELECT count(*) FROM pg_available_extensions WHERE name = 'vector'")
        self.flavors = {"pgvector"} if avail.strip() == "1" else set()

    def psql(self, db: str, *args: str, stdin: str | None = None) -> subprocess.CompletedProcess:
        base = ["psql", "-X", "-q", "-v", "ON_ERROR_STOP=1", "-h", self.host, "-p", self.port]
        return run(base + ["-U", self.user, "-d", db, *args], stdin=stdin, env=self.env)

    def admin(self, sql: str) -> str:
        res = self.psql("postgres", "-tA", "-c", sql)
        if res.returncode:
            raise RuntimeError(first_error(res.stderr))
        return res.stdout

    def ensure_roles(self, cases: list[dict]) -> None:
        roles = {r for c in cases for r in c["spec"].get("managed_roles") or []}
        for role in sorted(roles):
            lit = role.replace("'", "''")
            ident = '"' + role.replace('"', '""') + '"'
            self.admin(
                f"DO $$ BEGIN IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '{lit}') "
                f"THEN CREATE ROLE {ident} NOLOGIN; END IF; END $$"
            )

    def create(self, db: str) -> None:
        self.drop(db)
        self.admin(f'CREATE DATABASE "{db}"')

    def drop(self, db: str) -> None:
        self.admin(f'DROP DATABASE IF EXISTS "{db}" WITH (FORCE)')

    def url(self, db: str) -> str:
        return f"postgres://{self.user}@{self.host}:{self.port}/{db}"

    def load(self, db: str, sql: str) -> str | None:
        res = self.psql(db, "-f", "-", stdin=sql)
        return first_error(res.stderr) if res.returncode else None

    def dump(self, db: str) -> dict:
        cmd = [self.pg_dump, "--schema-only", "-h", self.host, "-p", self.port, "-U", self.user, db]
        res = run(cmd, env=self.env)
        if res.returncode:
            raise RuntimeError(first_error(res.stderr))
        return pg_entries(res.stdout, db)


HEADER = re.compile(r"^-- (?:Data for )?Name: (.*); Type: ([^;]+); Schema: ([^;]+);")


def pg_entries(text: str, db: str) -> dict:
    """pg_dump's entries keyed by (type, schema.name), bodies normalized."""
    entries: dict = {}
    key, body = None, []

    def close():
        if key and not key[1].startswith(("_driftless", "public._driftless")):
            entries[key] = normalize_pg_body(body, db, key[0])

    for line in text.splitlines():
        m = HEADER.match(line)
        if m:
            close()
            name, kind, schema = m.group(1), m.group(2), m.group(3)
            key, body = (kind, f"{schema}.{name}" if schema != "-" else name), []
        elif key and not line.startswith("--"):
            body.append(line)
    close()
    return entries


def normalize_pg_body(lines: list[str], db: str, kind: str) -> str:
    if kind == "ACL":
        lines = sorted(lines)
    out, table = [], []
    in_table = False
    for line in lines:
        if not line.strip() or re.match(r"SET [\w.]+ = |SELECT pg_catalog.set_config|\\(un)?restrict ", line):
            continue
        line = line.replace(db, "DB")
        if in_table:
            if re.match(r"\)[^,]*;?$", line) or line.startswith(")"):
                out.extend(sorted(table))
                out.append(line)
                in_table, table = False, []
            else:
                table.append(line.rstrip(","))
            continue
        out.append(line)
        if re.match(r"CREATE (UNLOGGED |FOREIGN )?TABLE .*\($", line):
            in_table = True
    return "\n".join(out + sorted(table))


class Mysql(Server):
    name = "mariadb"

    def __init__(self, url: str):
        u = urllib.parse.urlparse(url)
        self.host, self.port = u.hostname or "127.0.0.1", str(u.port or 3306)
        self.user = u.username or "root"
        self.version = self.query("", "SELECT VERSION()")[0][0]
        self.flavors = {"mariadb"} if "mariadb" in self.version.lower() else {"mysql"}

    def client(self, db: str, *args: str, stdin: str | None = None) -> subprocess.CompletedProcess:
        base = ["mysql", "-h", self.host, "-P", self.port, "-u", self.user, "--default-character-set=utf8mb4"]
        return run(base + list(args) + ([db] if db else []), stdin=stdin)

    def query(self, db: str, sql: str) -> list[list[str]]:
        res = self.client(db, "-B", "-N", "-e", sql)
        if res.returncode:
            raise RuntimeError(first_error(res.stderr))
        return [[unescape(f) for f in line.split("\t")] for line in res.stdout.splitlines()]

    def create(self, db: str) -> None:
        self.query("", f"DROP DATABASE IF EXISTS `{db}`; CREATE DATABASE `{db}`")

    def drop(self, db: str) -> None:
        self.query("", f"DROP DATABASE IF EXISTS `{db}`")

    def url(self, db: str) -> str:
        return f"mysql://{self.user}@{self.host}:{self.port}/{db}"

    def load(self, db: str, sql: str) -> str | None:
        sql = re.sub(r"\bmysqldef_test\b", db, sql)  # the suite's own database name
        script = "DELIMITER $$__\n" + "".join(f"{s}\n$$__\n" for s in split_mysql(sql))
        res = self.client(db, stdin=script)
        return first_error(res.stderr) if res.returncode else None

    def dump(self, db: str) -> dict:
        objects: dict = {}
        lit = db.replace("'", "''")
        lists = {
            "TABLE": f"SELECT table_name FROM information_schema.tables WHERE table_schema='{lit}' AND table_type='BASE TABLE'",
            "VIEW": f"SELECT table_name FROM information_schema.views WHERE table_schema='{lit}'",
            "TRIGGER": f"SELECT trigger_name FROM information_schema.triggers WHERE trigger_schema='{lit}'",
            "PROCEDURE": f"SELECT routine_name FROM information_schema.routines WHERE routine_schema='{lit}' AND routine_type='PROCEDURE'",
            "FUNCTION": f"SELECT routine_name FROM information_schema.routines WHERE routine_schema='{lit}' AND routine_type='FUNCTION'",
            "EVENT": f"SELECT event_name FROM information_schema.events WHERE event_schema='{lit}'",
        }
        for kind, sql in lists.items():
            for (name,) in self.query("", sql):
                if name.startswith("_driftless"):
                    continue
                row = self.query(db, f"SHOW CREATE {kind} `{name}`")[0]
                objects[(kind, name)] = normalize_mysql(kind, row, db)
        return objects


def unescape(field: str) -> str:
    """A field of the mysql client's batch output, unescaped."""
    table = {"n": "\n", "t": "\t", "\\": "\\", "0": "\0"}
    return re.sub(r"\\(.)", lambda m: table.get(m.group(1), m.group(0)), field)


def normalize_mysql(kind: str, row: list[str], db: str) -> str:
    """The definition column of SHOW CREATE (with sql_mode for code
    objects): database name, AUTO_INCREMENT counters and the implicit
    STARTS time of events out; code keywords in one case; a column-level
    CHECK written as the table-level check the server stores (named after
    its column); `USING BTREE`, InnoDB's only index type, out; table lines
    sorted."""
    if kind in ("TABLE", "VIEW"):
        text = row[1]
    else:
        mode, stmt = (row[1], row[3]) if kind == "EVENT" else (row[1], row[2])
        text = "sql_mode=" + mode + "\n" + upper_outside_quotes(ws(stmt))
    text = text.replace(f"`{db}`.", "").replace(db, "DB")
    text = re.sub(r" AUTO_INCREMENT=\d+", "", text)
    if kind == "EVENT":
        text = re.sub(r" STARTS '[^']*'", "", text)
    if kind == "TABLE":
        text = normalize_mysql_table(text)
    return text


def upper_outside_quotes(text: str) -> str:
    parts = re.split(r"('(?:[^'\\]|\\.)*'|`[^`]*`|\"(?:[^\"\\]|\\.)*\")", text)
    return "".join(p if i % 2 else p.upper() for i, p in enumerate(parts))


def normalize_mysql_table(text: str) -> str:
    lines = text.split("\n")
    if len(lines) <= 2:
        return text
    body = []
    for line in lines[1:-1]:
        line = line.rstrip(",").replace(" USING BTREE", "")
        m = re.match(r"(\s*)(`[^`]+`)(.*?) (CHECK \(.*\))$", line)
        if m:
            body.append(f"{m.group(1)}{m.group(2)}{m.group(3)}")
            body.append(f"{m.group(1)}CONSTRAINT {m.group(2)} {m.group(4)}")
        else:
            body.append(line)
    return "\n".join([lines[0], *sorted(body), lines[-1]])


class Sqlite(Server):
    name = "sqlite"

    def __init__(self, folder: str):
        self.folder = folder
        self.version = sqlite3.sqlite_version

    def path(self, db: str) -> str:
        return os.path.join(self.folder, db + ".db")

    def create(self, db: str) -> None:
        self.drop(db)

    def drop(self, db: str) -> None:
        for suffix in ("", "-wal", "-shm", "-journal"):
            if os.path.exists(self.path(db) + suffix):
                os.remove(self.path(db) + suffix)

    def url(self, db: str) -> str:
        return "sqlite:" + self.path(db)

    def load(self, db: str, sql: str) -> str | None:
        con = sqlite3.connect(self.path(db))
        try:
            con.executescript(sql)
            return None
        except sqlite3.Error as err:
            return f"error: {err}"
        finally:
            con.close()

    def dump(self, db: str) -> dict:
        con = sqlite3.connect(self.path(db))
        try:
            return sqlite_objects(con)
        finally:
            con.close()


def sqlite_objects(con: sqlite3.Connection) -> dict:
    objects: dict = {}
    rows = con.execute(
        "SELECT type, name, tbl_name, sql FROM sqlite_schema WHERE name NOT LIKE 'sqlite_%' "
        "AND name NOT LIKE '_driftless%'"
    ).fetchall()
    for kind, name, _table, sql in rows:
        if kind == "table":
            objects[("TABLE", name)] = sqlite_table(con, name, sql or "")
        elif kind in ("view", "trigger"):
            objects[(kind.upper(), name)] = sqlite_code(sql or "")
    return objects


def sqlite_code(sql: str) -> str:
    """A view's or trigger's SQL with whitespace collapsed and quotes taken
    off plain identifiers (SQLite identifiers are case-insensitive)."""
    sql = re.sub(r'["`\[]([A-Za-z_][A-Za-z0-9_]*)["`\]]', r"\1", sql)
    return ws(sql).lower().rstrip(";").strip()


def q(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def sqlite_table(con: sqlite3.Connection, name: str, sql: str) -> str:
    cols = sorted(tuple(r[1:]) for r in con.execute(f"PRAGMA table_xinfo({q(name)})"))
    shape = con.execute(f"PRAGMA table_list({q(name)})").fetchall()
    fks: dict = collections.defaultdict(list)
    for r in con.execute(f"PRAGMA foreign_key_list({q(name)})"):
        fks[r[0]].append((r[2].lower(), *r[3:]))
    indexes = []
    for idx in con.execute(f"PRAGMA index_list({q(name)})").fetchall():
        keys = [r[2:] for r in con.execute(f"PRAGMA index_xinfo({q(idx[1])})")]
        isql = con.execute("SELECT sql FROM sqlite_schema WHERE name = ?", (idx[1],)).fetchone()
        where = partial_predicate(isql[0] if isql and isql[0] else "")
        label = idx[1] if idx[3] == "c" else f"<{idx[3]}>"
        indexes.append((label, idx[2], idx[3], idx[4], tuple(keys), where))
    return json.dumps(
        {
            "columns": cols,
            "shape": [r[3:] for r in shape],
            "fks": sorted(sorted(v) for v in fks.values()),
            "indexes": sorted(indexes, key=repr),
            "checks": sorted(check_clauses(sql)),
        },
        default=str,
    )


def paren_end(text: str, start: int) -> int:
    """Index after the parenthesis that closes the one at start."""
    depth = 0
    for i in range(start, len(text)):
        if text[i] == "(":
            depth += 1
        elif text[i] == ")":
            depth -= 1
            if depth == 0:
                return i + 1
    return len(text)


def check_clauses(sql: str) -> list[str]:
    out = []
    for m in re.finditer(r"\bCHECK\s*\(", sql, re.I):
        start = sql.index("(", m.start())
        out.append(ws(sql[start : paren_end(sql, start)]).lower())
    return out


def partial_predicate(sql: str) -> str:
    m = re.search(r"\)\s*WHERE\s+(.*)$", sql, re.I | re.S)
    return ws(m.group(1)).lower().rstrip(";") if m else ""


# ---------------------------------------------------------------- one case


def part_of(line: str) -> str:
    """What a line of a table definition declares."""
    line = line.strip()
    for pattern, part in (
        (r"PRIMARY KEY", "primary key"),
        (r"(UNIQUE |FULLTEXT |SPATIAL |VECTOR )?(KEY|INDEX) ", "index"),
        (r"CONSTRAINT .* FOREIGN KEY", "foreign key"),
        (r"(CONSTRAINT .*)?CHECK", "check"),
        (r"\)", "table options"),
        (r"PARTITION|\(PARTITION|SUBPARTITION", "partitioning"),
    ):
        if re.match(pattern, line, re.I):
            return part
    return "column"


def table_parts(actual: str | None, expected: str | None) -> list[str]:
    """Which parts of a table differ: JSON keys (SQLite) or definition lines."""
    if not actual or not expected:
        return []
    try:
        a, e = json.loads(actual), json.loads(expected)
        return sorted(k for k in e if a.get(k) != e.get(k))
    except json.JSONDecodeError:
        lines_a, lines_e = actual.split("\n"), expected.split("\n")
        changed = set(lines_a) ^ set(lines_e)
        return sorted({part_of(line) for line in changed})


def classify_diff(diffs: list, actual: dict, expected: dict, prefix: str) -> str:
    labels = set()
    for state, kind, name in diffs:
        parts = table_parts(actual.get((kind, name)), expected.get((kind, name)))
        if state == "differs" and kind == "TABLE" and parts:
            labels.update(f"differs TABLE {p}" for p in parts)
        else:
            labels.add(f"{state} {kind}")
    return f"{prefix} " + ", ".join(sorted(labels)[:3])


def run_case(server: Server, driftless: str, case: dict, index: int, keep: bool) -> dict:
    spec = case["spec"]
    out = {"file": case["file"], "name": case["name"]}
    reason = skip_reason(spec, server)
    if reason:
        return {**out, "status": "skipped", "reason": reason}
    a, e = f"dl_suite_{index}_a", f"dl_suite_{index}_e"
    try:
        return {**out, **converge(server, driftless, spec, a, e)}
    except RuntimeError as err:
        return {**out, "status": "harness-error", "category": f"harness: {err}"}
    finally:
        if not keep:
            server.drop(a)
            server.drop(e)


def converge(server: Server, driftless: str, spec: dict, a: str, e: str) -> dict:
    server.create(a)
    server.create(e)
    for db, key in ((a, "current"), (e, "desired")):
        err = server.load(db, spec.get(key) or "")
        if err:
            return {"status": "not-loadable", "side": key, "error": err}
    started = time.monotonic()
    extra = BACKEND_FLAGS.get(server.name, [])
    fix = run([driftless, "fix", "--db", server.url(a), "--expect", server.url(e), *FIX_FLAGS, *extra])
    elapsed = round(time.monotonic() - started, 3)
    recheck = own_recheck(driftless, server.url(a), server.url(e), extra)
    actual, expected = server.dump(a), server.dump(e)
    diffs = diff_maps(actual, expected)
    res = {"fix_exit": fix.returncode, "seconds": elapsed, "own_recheck_empty": recheck}
    if not diffs:
        return {**res, "status": "converged"}
    res["differs"] = [" ".join(d) for d in diffs[:20]]
    first = (diffs[0][1], diffs[0][2])
    res["first_difference"] = {"actual": actual.get(first), "expected": expected.get(first)}
    if fix.returncode:
        msg = first_error(fix.stderr)
        return {**res, "status": "fix-failed", "error": msg, "category": "fix: " + normalize_message(msg)}
    return {**res, "status": "differs", "category": classify_diff(diffs, actual, expected, server.name)}


def own_recheck(driftless: str, actual: str, expected: str, extra: list[str]) -> bool | None:
    res = run([driftless, "check", "--db", actual, "--expect", expected, "--format", "json", *extra])
    try:
        report = json.loads(res.stdout)
    except json.JSONDecodeError:
        return None
    findings = report.get("findings", []) if isinstance(report, dict) else []
    return not [f for f in findings if f.get("severity") not in ("info", "Info")]


# ---------------------------------------------------------------- report


def summarize(backend: str, server: Server, results: list[dict]) -> dict:
    counts = collections.Counter(r["status"] for r in results)
    loadable = sum(counts[s] for s in ("converged", "fix-failed", "differs", "harness-error"))
    categories: dict = {}
    for r in results:
        if r.get("category"):
            entry = categories.setdefault(r["category"], {"count": 0, "example": r["name"]})
            entry["count"] += 1
    cats = sorted(categories.items(), key=lambda kv: (-kv[1]["count"], kv[0]))
    return {
        "backend": backend,
        "server_version": server.version,
        "cases": len(results),
        "skipped": counts["skipped"],
        "not_loadable": counts["not-loadable"],
        "loadable": loadable,
        "converged": counts["converged"],
        "percent": round(100.0 * counts["converged"] / loadable, 1) if loadable else None,
        "own_recheck_empty": sum(1 for r in results if r.get("own_recheck_empty")),
        "own_recheck_empty_but_differs": sum(
            1 for r in results if r.get("own_recheck_empty") and r["status"] in ("differs", "fix-failed")
        ),
        "categories": [{"category": k, **v} for k, v in cats],
    }


def print_summary(s: dict) -> None:
    print(f"\n== {s['backend']} ({s['server_version']}) ==")
    print(
        f"cases {s['cases']}, skipped by their markers {s['skipped']}, not loadable {s['not_loadable']}, "
        f"loadable {s['loadable']}, converged {s['converged']} ({s['percent']}%)"
    )
    print(
        f"driftless's own re-check empty: {s['own_recheck_empty']} "
        f"(of which still differing independently: {s['own_recheck_empty_but_differs']})"
    )
    for c in s["categories"]:
        print(f"  {c['count']:4d}  {c['category']}   e.g. {c['example']}")


def make_server(backend: str, args, tmp: str) -> Server:
    if backend == "postgres":
        return Postgres(args.pg_url, args.pg_dump)
    if backend == "mariadb":
        return Mysql(args.mysql_url)
    return Sqlite(tmp)


def run_backend(backend: str, args, tmp: str) -> tuple[dict, list[dict]]:
    server = make_server(backend, args, tmp)
    cases = read_cases(args.sqldef, backend)
    if args.filter:
        cases = [c for c in cases if re.search(args.filter, c["name"])]
    if isinstance(server, Postgres):
        server.ensure_roles(cases)
    with concurrent.futures.ThreadPoolExecutor(args.jobs) as pool:
        futures = [
            pool.submit(run_case, server, args.driftless, c, i, args.keep) for i, c in enumerate(cases)
        ]
        results = [f.result() for f in futures]
    return summarize(backend, server, results), results


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("sqldef", help="a checkout of sqldef (only cmd/*/tests*.yml are read)")
    p.add_argument("--driftless", default="target/release/driftless")
    p.add_argument("--backends", default="postgres,mariadb,sqlite")
    p.add_argument("--pg-url", default="postgres://root@127.0.0.1:5432")
    p.add_argument("--pg-dump", help="pg_dump of the server's major (default: /usr/lib/postgresql/MAJOR)")
    p.add_argument("--mysql-url", default="mysql://root@127.0.0.1:3306")
    p.add_argument("--filter", help="only cases whose name matches this regular expression")
    p.add_argument("--jobs", type=int, default=2)
    p.add_argument("--keep", action="store_true", help="keep each case's databases")
    p.add_argument("--out", help="write the results as JSON to this file")
    args = p.parse_args()
    args.driftless = os.path.abspath(args.driftless)
    if not os.access(args.driftless, os.X_OK):
        sys.exit(f"no driftless binary at {args.driftless}")
    tmp = tempfile.mkdtemp(prefix="dl_suites_")
    report = {"driftless": args.driftless, "fix_flags": FIX_FLAGS, "backend_flags": BACKEND_FLAGS, "backends": {}}
    try:
        for backend in args.backends.split(","):
            summary, results = run_backend(backend.strip(), args, tmp)
            print_summary(summary)
            report["backends"][backend] = {"summary": summary, "cases": results}
    finally:
        if args.keep:
            print(f"SQLite databases kept in {tmp}", file=sys.stderr)
        else:
            shutil.rmtree(tmp, ignore_errors=True)
    if args.out:
        with open(args.out, "w", encoding="utf-8") as f:
            json.dump(report, f, indent=1)


if __name__ == "__main__":
    main()
