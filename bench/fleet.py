#!/usr/bin/env python3
"""driftless fleet benchmark: one expected schema, many targets, in one run.

    python3 bench/fleet.py                          # every section, the issue's sizes
    python3 bench/fleet.py --tenants 200 --databases 50 --files 100 --runs 1
    python3 bench/fleet.py --only tenants           # one section: tenants|pg-databases|my-databases|sqlite-files

Sections, each built once (cached by a marker) and measured, minimum of --runs:

  tenants       PostgreSQL, --tenants schemas x --tables tables (3 drifted):
                `driftless check --each-schema 'tenant_*'` against the template
                schema, next to one `driftless snapshot` of the same database
                (the target: at most 2x), with the peak RSS of both (target:
                under 500 MB).
  pg-databases  PostgreSQL, --databases databases x 20 tables (3 drifted):
                `driftless check --targets FILE --jobs 8` next to the same
                databases checked by --databases sequential `driftless check`
                runs (the baseline a shell loop gives).
  my-databases  MariaDB, the same shape (one database per tenant).
  sqlite-files  SQLite, --files files x 20 tables, `--targets` against a
                sequential loop.

Ratios are baseline / driftless (higher is better) except tenants, whose
ratio is driftless / snapshot (lower is better). Exit codes of the fleet
checks are checked: 1 (drift found), with exactly the planted targets
drifted. Needs: cargo, psql, mariadb, sqlite3, /usr/bin/time.
"""
import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PG = os.environ.get("DRIFTLESS_TEST_POSTGRES_URL", "postgres://root@127.0.0.1:5432/test")
MY = os.environ.get("DRIFTLESS_TEST_MYSQL_URL", "mysql://root@127.0.0.1:3306/test")
TARGET = os.environ.get("CARGO_TARGET_DIR", os.path.join(ROOT, "target"))
WORK = os.path.join(ROOT, "target", "bench-fleet")
DRIFTLESS = os.path.join(TARGET, "release", "driftless")


def sh(cmd, **kw):
    return subprocess.run(cmd, shell=isinstance(cmd, str), check=True, **kw)


def server(url):
    return url.rsplit("/", 1)[0]


def table_ddl(j, dialect, schema=None):
    """Table j of a tenant: a key, text, numbers, a default, a check, an
    index and a foreign key to table j-1."""
    q = f"{schema}." if schema else ""
    key = {"postgres": "bigserial PRIMARY KEY", "mysql": "bigint AUTO_INCREMENT PRIMARY KEY",
           "sqlite": "INTEGER PRIMARY KEY"}[dialect]
    ref = "bigint" if dialect != "sqlite" else "INTEGER"
    text = "varchar(200)" if dialect == "mysql" else "text"
    fk = f", parent_id {ref} REFERENCES {q}t{j - 1} (id)" if j > 0 else ""
    return (
        f"CREATE TABLE {q}t{j} (id {key}, name {text} NOT NULL, amount numeric(12, 2) NOT NULL DEFAULT 0, "
        f"status varchar(20) NOT NULL DEFAULT 'new' CHECK (status <> ''){fk});\n"
        f"CREATE INDEX t{j}_name ON {q}t{j} (name);\n"
    )


def tenant_ddl(tables, dialect, schema=None):
    return "".join(table_ddl(j, dialect, schema) for j in range(tables))


DRIFT = {
    # Two tenants lose the same column, one grows an index: three drifted
    # targets in two groups.
    "postgres": ["ALTER TABLE {q}t1 DROP COLUMN amount", "ALTER TABLE {q}t1 DROP COLUMN amount",
                 "CREATE INDEX extra_idx ON {q}t2 (status)"],
    "mysql": ["ALTER TABLE t1 DROP COLUMN amount", "ALTER TABLE t1 DROP COLUMN amount",
              "CREATE INDEX extra_idx ON t2 (status)"],
    "sqlite": ["ALTER TABLE t1 DROP COLUMN amount", "ALTER TABLE t1 DROP COLUMN amount",
               "CREATE INDEX extra_idx ON t2 (status)"],
}


def psql(db, sql):
    env = dict(os.environ, PGOPTIONS="-c client_min_messages=warning")
    sh(["psql", "-q", "-v", "ON_ERROR_STOP=1", f"{server(PG)}/{db}"], input=sql.encode(),
       stdout=subprocess.DEVNULL, env=env)


def mariadb(sql, db=None):
    cmd = ["mariadb", "-h", "127.0.0.1", "-u", "root"] + ([db] if db else [])
    sh(cmd, input=sql.encode())


def marker(name):
    return os.path.join(WORK, f"{name}.built")


def measure(cmd, runs, ok=(0,)):
    """Minimum wall time of `cmd` over `runs`, and its peak RSS (MB)."""
    best, rss, out = None, 0, ""
    for _ in range(runs):
        start = time.perf_counter()
        p = subprocess.run(["/usr/bin/time", "-f", "%M"] + cmd, capture_output=True, text=True)
        took = time.perf_counter() - start
        if p.returncode not in ok:
            sys.exit(f"{' '.join(cmd)} exited {p.returncode}:\n{p.stderr[-3000:]}")
        rss = max(rss, int(p.stderr.strip().splitlines()[-1]) // 1024)
        best = took if best is None else min(best, took)
        out = p.stdout
    return best, rss, out


def drifted_targets(out):
    doc = json.loads(out)
    return sorted(t["target"] for t in doc["targets"] if t.get("drifted"))


def build_tenants(args):
    db = f"bench_fleet_{args.tenants}x{args.tables}"
    if os.path.exists(marker(db)):
        return db
    psql("postgres", f"DROP DATABASE IF EXISTS {db} WITH (FORCE); CREATE DATABASE {db};")
    psql(db, "CREATE SCHEMA tpl;\n" + tenant_ddl(args.tables, "postgres", "tpl"))
    batch = []
    for i in range(1, args.tenants + 1):
        batch.append(f"CREATE SCHEMA tenant_{i};\n" + tenant_ddl(args.tables, "postgres", f"tenant_{i}"))
        if len(batch) == 50:
            psql(db, "".join(batch))
            batch = []
    if batch:
        psql(db, "".join(batch))
    for i, stmt in zip((7, 9, 12), DRIFT["postgres"]):
        psql(db, stmt.format(q=f"tenant_{i}.") + ";")
    open(marker(db), "w").close()
    return db


def bench_tenants(args):
    db = build_tenants(args)
    url = f"{server(PG)}/{db}"
    snap, snap_rss, _ = measure([DRIFTLESS, "-q", "snapshot", "--db", url, "-o", "/dev/null"], args.runs)
    fleet, fleet_rss, out = measure(
        [DRIFTLESS, "-q", "check", "--db", url, "--each-schema", "tenant_*", "--expect", url,
         "--expect-schema", "tpl", "--format", "json"], args.runs, ok=(1,))
    want = ["tenant_12", "tenant_7", "tenant_9"]
    got = drifted_targets(out)
    if got != want:
        sys.exit(f"tenants: drifted {got}, planted {want}")
    return [
        ("tenants", f"{args.tenants} schemas x {args.tables} tables", "snapshot of the database", snap,
         fleet, fleet / snap, f"RSS {fleet_rss} MB (snapshot {snap_rss} MB)"),
    ]


def targets_file(urls):
    path = os.path.join(WORK, f"targets-{len(urls)}-{abs(hash(urls[0]))}.txt")
    with open(path, "w") as f:
        f.write("# benchmark targets\n" + "\n".join(urls) + "\n")
    return path


def fleet_vs_loop(name, urls, expect, args, planted):
    path = targets_file(urls)
    fleet, rss, out = measure(
        [DRIFTLESS, "-q", "check", "--targets", path, "--jobs", "8", "--expect", expect,
         "--format", "json"], args.runs, ok=(1,))
    got = drifted_targets(out)
    if len(got) != planted:
        sys.exit(f"{name}: {len(got)} drifted, {planted} planted: {got}")
    start = time.perf_counter()
    for u in urls:
        p = subprocess.run([DRIFTLESS, "-q", "check", "--db", u, "--expect", expect, "--format", "json"],
                           stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        if p.returncode not in (0, 1):
            sys.exit(f"{name}: check of {u} exited {p.returncode}: {p.stderr[-2000:]}")
    loop = time.perf_counter() - start
    return (name, f"{len(urls)} targets x 20 tables, --jobs 8", f"{len(urls)} sequential checks", loop,
            fleet, loop / fleet, f"RSS {rss} MB")


def bench_pg_databases(args):
    prefix = f"bench_fleetdb_{args.databases}"
    names = [f"{prefix}_{i}" for i in range(args.databases)]
    if not os.path.exists(marker(prefix)):
        tpl = f"{prefix}_tpl"
        psql("postgres", f"DROP DATABASE IF EXISTS {tpl} WITH (FORCE); CREATE DATABASE {tpl};")
        psql(tpl, tenant_ddl(20, "postgres"))
        for n in names:
            psql("postgres", f"DROP DATABASE IF EXISTS {n} WITH (FORCE); CREATE DATABASE {n} TEMPLATE {tpl};")
        for n, stmt in zip(names[1:4], DRIFT["postgres"]):
            psql(n, stmt.format(q="") + ";")
        open(marker(prefix), "w").close()
    expect = os.path.join(WORK, f"{prefix}.json")
    sh([DRIFTLESS, "-q", "snapshot", "--db", f"{server(PG)}/{prefix}_tpl", "-o", expect])
    return [fleet_vs_loop("pg-databases", [f"{server(PG)}/{n}" for n in names], expect, args, 3)]


def bench_my_databases(args):
    prefix = f"bench_fleetmy_{args.databases}"
    names = [f"{prefix}_{i}" for i in range(args.databases)]
    if not os.path.exists(marker(prefix)):
        ddl = tenant_ddl(20, "mysql")
        for n in [f"{prefix}_tpl"] + names:
            mariadb(f"DROP DATABASE IF EXISTS {n}; CREATE DATABASE {n};")
            mariadb(ddl, n)
        for n, stmt in zip(names[1:4], DRIFT["mysql"]):
            mariadb(stmt + ";", n)
        open(marker(prefix), "w").close()
    expect = os.path.join(WORK, f"{prefix}.json")
    sh([DRIFTLESS, "-q", "snapshot", "--db", f"{server(MY)}/{prefix}_tpl", "-o", expect])
    return [fleet_vs_loop("my-databases", [f"{server(MY)}/{n}" for n in names], expect, args, 3)]


def bench_sqlite_files(args):
    folder = os.path.join(WORK, f"sqlite-{args.files}")
    names = [os.path.join(folder, f"tenant_{i}.db") for i in range(args.files)]
    if not os.path.exists(marker(f"sqlite-{args.files}")):
        shutil.rmtree(folder, ignore_errors=True)
        os.makedirs(folder)
        tpl = os.path.join(folder, "template.db")
        sh(["sqlite3", tpl], input=tenant_ddl(20, "sqlite").encode())
        for n in names:
            shutil.copy(tpl, n)
        for n, stmt in zip(names[1:4], DRIFT["sqlite"]):
            sh(["sqlite3", n], input=(stmt + ";").encode())
        open(marker(f"sqlite-{args.files}"), "w").close()
    expect = os.path.join(WORK, f"sqlite-{args.files}.json")
    sh([DRIFTLESS, "-q", "snapshot", "--db", f"sqlite:{folder}/template.db", "-o", expect])
    return [fleet_vs_loop("sqlite-files", [f"sqlite:{n}" for n in names], expect, args, 3)]


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--tenants", type=int, default=1000)
    ap.add_argument("--tables", type=int, default=50)
    ap.add_argument("--databases", type=int, default=200)
    ap.add_argument("--files", type=int, default=500)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--only", choices=["tenants", "pg-databases", "my-databases", "sqlite-files"])
    args = ap.parse_args()
    os.makedirs(WORK, exist_ok=True)
    sh(["cargo", "build", "-q", "--release", "-p", "driftless"], cwd=ROOT)
    sections = {"tenants": bench_tenants, "pg-databases": bench_pg_databases,
                "my-databases": bench_my_databases, "sqlite-files": bench_sqlite_files}
    rows = []
    for name, run in sections.items():
        if args.only in (None, name):
            rows.extend(run(args))
    print(f"\n{'section':<14} {'shape':<34} {'baseline':<26} {'baseline s':>10} {'driftless s':>11} {'ratio':>7}  notes")
    for name, shape, base_name, base, ours, ratio, notes in rows:
        print(f"{name:<14} {shape:<34} {base_name:<26} {base:>10.2f} {ours:>11.2f} {ratio:>6.2f}x  {notes}")
    print("\nratio: tenants = driftless / snapshot (target <= 2x); others = sequential / driftless")


if __name__ == "__main__":
    main()
