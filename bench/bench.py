#!/usr/bin/env python3
"""driftless benchmark: introspection and drift check at scale, side by side
with the tools a user would otherwise reach for, in one run.

    python3 bench/bench.py                      # 1,000 and 5,000 tables, all backends
    python3 bench/bench.py --sizes 1000 --runs 1 --backends postgres
    python3 bench/bench.py --only migrations    # migration replay section alone
    python3 bench/bench.py --only stepper       # Django stepper section alone

For each size N it builds (once, cached by a marker) a catalog and a drifted
copy (--mutate 5) on PostgreSQL (bench/gen_catalog.py), MariaDB and
SQLite (bench/gen_portable.py), then measures, minimum of --runs runs:

  PostgreSQL: driftless snapshot, pg_dump --schema-only, the seven-query
              sequential floor (psycopg2), schemainspect, driftless check of
              the two databases, migra's full diff of the same two databases
  MariaDB:    driftless snapshot, mysqldump --no-data, driftless check
  SQLite:     driftless snapshot, sqlite3 .schema, driftless check
  in memory:  diff + rules and fix planning on the two PostgreSQL snapshots

and peak RSS of driftless (/usr/bin/time). Ratios are baseline / driftless
(higher is better for driftless). It also checks that the snapshot holds
every object the catalog counts.

The migrations section (also alone with --only migrations) generates
--migration-counts sqlx migrations (bench/gen_migrations.py: tables,
columns, indexes, foreign keys, some data) for each selected backend and
measures, minimum of --runs runs (the replays: best of three): the
baseline, a plain replay of them by driftless with provenance off (same
statements, driver and process: examples/bench_replay.rs); the same replay
with provenance; `driftless check --migrations` of a database built from
them (with its sqlx ledger, so no drift); and for reference the client
(sqlite3, psql, mariadb) applying the files in one session. Its ratios are
driftless / baseline (lower is better; the target is at most 2x at 2,000
migrations).

The stepper section (also alone with --only stepper) generates a Django
project with --django-counts migrations (bench/gen_django.py: tables,
added columns, indexes, altered fields, RunSQL, RunPython) and measures
`driftless check --migrations PROJECT --python PY` of a database built by
Django (no drift; the stepper applies every migration one at a time into
its own scratch database: a temporary SQLite file, or --dev-url on
PostgreSQL) against one plain `python manage.py migrate` of the same
project into an empty database. Its ratio is driftless / migrate (target
under 2x). Django comes from $DRIFTLESS_TEST_PYTHON or the framework
tests' venv (target/test-python, made by scripts/test-python).

Fleets (tenant schemas, many databases) have their own script:
bench/fleet.py.

Needs: cargo, psql, pg_dump, mariadb, mysqldump, sqlite3, python3 (a venv
with migra and psycopg2-binary is made
under target/bench-venv when PyPI is reachable).
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
GEN_CATALOG = os.path.join(ROOT, "bench", "gen_catalog.py")
TARGET = os.environ.get("CARGO_TARGET_DIR") or os.path.join(ROOT, "target")
WORK = os.path.join(TARGET, "bench")
VENV = os.path.join(TARGET, "bench-venv")
PG = os.environ.get("DRIFTLESS_BENCH_POSTGRES_URL", "postgres://root@127.0.0.1:5432/test")
MY = os.environ.get("DRIFTLESS_BENCH_MYSQL_URL", "mysql://root@127.0.0.1:3306/test")
BIN = os.path.join(TARGET, "release", "driftless")
DIFF_BIN = os.path.join(TARGET, "release", "examples", "bench_diff")
REPLAY_BIN = os.path.join(TARGET, "release", "examples", "bench_replay")
STEPPER_BIN = os.path.join(TARGET, "release", "examples", "bench_stepper")


def sh(cmd, **kw):
    return subprocess.run(cmd, shell=isinstance(cmd, str), check=True, capture_output=True, text=True, **kw)


def base(url):
    return url.rsplit("/", 1)[0]


def timed(cmd, runs, ok_codes=(0,), env=None):
    """Minimum wall time (s) and peak RSS (MB) over runs."""
    best_t, best_rss = None, None
    for _ in range(runs):
        t0 = time.perf_counter()
        p = subprocess.run(["/usr/bin/time", "-f", "%M"] + cmd, capture_output=True, text=True, env=env)
        dt = time.perf_counter() - t0
        if p.returncode not in ok_codes:
            raise RuntimeError("%s exited %d: %s" % (" ".join(cmd), p.returncode, p.stderr[-2000:]))
        rss = int(p.stderr.strip().splitlines()[-1]) / 1024.0
        best_t = dt if best_t is None else min(best_t, dt)
        best_rss = rss if best_rss is None else min(best_rss, rss)
    return best_t, best_rss


def ensure_venv():
    py = os.path.join(VENV, "bin", "python")
    if os.path.exists(os.path.join(VENV, "bin", "migra")):
        return py
    try:
        sh([sys.executable, "-m", "venv", VENV])
        sh([py, "-m", "pip", "install", "-q", "migra", "schemainspect", "psycopg2-binary"])
        return py
    except Exception as e:  # no PyPI: the baselines are skipped, and the report says so
        print("note: cannot install migra/schemainspect (%s); those columns are skipped" % e)
        return None


# ---------------------------------------------------------------- catalogs

def pg_db(name):
    return base(PG) + "/" + name


def pg_build(n, drift):
    name = "dlbench_%d%s" % (n, "_drift" if drift else "")
    marker = "driftless bench catalog %d seed 42 mutate %d v1" % (n, 5 if drift else 0)
    have = sh(["psql", PG, "-qAtc", "SELECT shobj_description(oid, 'pg_database') FROM pg_database WHERE datname = '%s'" % name]).stdout.strip()
    if have == marker:
        return pg_db(name)
    print("  building PostgreSQL catalog %s ..." % name, flush=True)
    sh(["psql", PG, "-qc", 'DROP DATABASE IF EXISTS "%s" WITH (FORCE)' % name])
    sh(["psql", PG, "-qc", 'CREATE DATABASE "%s"' % name])
    args = [sys.executable, GEN_CATALOG, "--tables", str(n), "--seed", "42"] + (["--mutate", "5"] if drift else [])
    sql = sh(args).stdout
    subprocess.run(["psql", pg_db(name), "-q", "-v", "ON_ERROR_STOP=1"], input=sql, text=True, check=True, capture_output=True)
    sh(["psql", PG, "-qc", "COMMENT ON DATABASE \"%s\" IS '%s'" % (name, marker)])
    return pg_db(name)


def my_build(n, drift):
    name = "dlbench_%d%s" % (n, "_drift" if drift else "")
    marker = "v1-%d-%d" % (n, 5 if drift else 0)
    host = ["mariadb", "--protocol=tcp", "-h", "127.0.0.1", "-u", "root"]
    have = sh(host + ["-N", "-e", "SELECT table_comment FROM information_schema.tables WHERE table_schema='%s' AND table_name='zz_marker'" % name]).stdout.strip()
    if have == marker:
        return base(MY) + "/" + name
    print("  building MariaDB catalog %s ..." % name, flush=True)
    sh(host + ["-e", "DROP DATABASE IF EXISTS `%s`; CREATE DATABASE `%s`" % (name, name)])
    sql = sh([sys.executable, os.path.join(ROOT, "bench", "gen_portable.py"), "--dialect", "mysql", "--tables", str(n)]
             + (["--mutate", "5"] if drift else [])).stdout
    subprocess.run(host + [name], input=sql, text=True, check=True, capture_output=True)
    sh(host + [name, "-e", "CREATE TABLE zz_marker (x int) COMMENT '%s'" % marker])
    return base(MY) + "/" + name


def lite_build(n, drift):
    os.makedirs(WORK, exist_ok=True)
    path = os.path.join(WORK, "lite_%d%s.db" % (n, "_drift" if drift else ""))
    if not os.path.exists(path):
        print("  building SQLite catalog %s ..." % path, flush=True)
        sql = sh([sys.executable, os.path.join(ROOT, "bench", "gen_portable.py"), "--dialect", "sqlite", "--tables", str(n)]
                 + (["--mutate", "5"] if drift else [])).stdout
        subprocess.run(["sqlite3", path + ".tmp"], input=sql, text=True, check=True, capture_output=True)
        os.rename(path + ".tmp", path)
    return "sqlite:" + path


# ---------------------------------------------------------------- migrations

def sqlx_ledger(folder, dialect):
    """The _sqlx_migrations table sqlx would have written for `folder`."""
    import hashlib
    blob = "BYTEA" if dialect == "postgres" else "BLOB"
    out = ["CREATE TABLE _sqlx_migrations (version BIGINT PRIMARY KEY, description TEXT NOT NULL, "
           "installed_on TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP, success BOOLEAN NOT NULL, "
           "checksum %s NOT NULL, execution_time BIGINT NOT NULL);" % blob]
    for f in sorted(os.listdir(folder)):
        version, name = f[:-len(".sql")].split("_", 1)
        with open(os.path.join(folder, f), "rb") as fh:
            digest = hashlib.sha384(fh.read()).hexdigest()
        lit = "'\\x%s'::bytea" % digest if dialect == "postgres" else "X'%s'" % digest
        out.append("INSERT INTO _sqlx_migrations (version, description, success, checksum, execution_time) "
                   "VALUES (%s, '%s', TRUE, %s, 1);" % (version, name.replace("_", " "), lit))
    return "\n".join(out) + "\n"


def migrations_folder(dialect, n):
    sys.path.insert(0, os.path.join(ROOT, "bench"))
    import gen_migrations
    folder = os.path.join(WORK, "migrations_%s_%d" % (dialect, n))
    if not os.path.isdir(folder) or len(os.listdir(folder)) != n:
        gen_migrations.write(dialect, n, folder)
    return folder, sorted(os.path.join(folder, f) for f in os.listdir(folder))


def recreate_pg(name):
    sh(["psql", PG, "-qc", 'DROP DATABASE IF EXISTS "%s" WITH (FORCE)' % name])
    sh(["psql", PG, "-qc", 'CREATE DATABASE "%s"' % name])
    return pg_db(name)


def bench_migrations(dialect, n, runs):
    """Figures of the migrations section for one dialect and count."""
    folder, files = migrations_folder(dialect, n)
    r = {}
    if dialect == "sqlite":
        script = "".join(open(f).read() for f in files)
        best = None
        for _ in range(runs):
            t0 = time.perf_counter()
            subprocess.run(["sqlite3", ":memory:"], input=script, text=True, check=True, capture_output=True)
            best = min(best or 1e9, time.perf_counter() - t0)
        r["client"] = best
        target = os.path.join(WORK, "migrations_target_%d.db" % n)
        if os.path.exists(target):
            os.remove(target)
        subprocess.run(["sqlite3", target], input=script + sqlx_ledger(folder, dialect), text=True, check=True, capture_output=True)
        target_url, dev = "sqlite:" + target, []
    elif dialect == "mysql":
        host = ["mariadb", "--protocol=tcp", "-h", "127.0.0.1", "-u", "root"]
        script = "".join(open(f).read() for f in files)
        best = None
        for _ in range(runs):
            sh(host + ["-e", "DROP DATABASE IF EXISTS dlbench_mig_client; CREATE DATABASE dlbench_mig_client"])
            t0 = time.perf_counter()
            subprocess.run(host + ["dlbench_mig_client"], input=script, text=True, check=True, capture_output=True)
            best = min(best or 1e9, time.perf_counter() - t0)
        r["client"] = best
        sh(host + ["-e", "DROP DATABASE IF EXISTS dlbench_mig_target; CREATE DATABASE dlbench_mig_target; "
                   "DROP DATABASE IF EXISTS dlbench_mig_dev; CREATE DATABASE dlbench_mig_dev"])
        subprocess.run(host + ["dlbench_mig_target"], input=script + sqlx_ledger(folder, dialect), text=True, check=True,
                       capture_output=True)
        target_url = base(MY) + "/dlbench_mig_target"
        dev = ["--dev-url", base(MY) + "/dlbench_mig_dev"]
    else:
        best = None
        for _ in range(runs):
            url = recreate_pg("dlbench_mig_psql")
            args = ["psql", url, "-q", "-v", "ON_ERROR_STOP=1"] + [a for f in files for a in ("-f", f)]
            t0 = time.perf_counter()
            sh(args)
            best = min(best or 1e9, time.perf_counter() - t0)
        r["client"] = best
        target_url = recreate_pg("dlbench_mig_target")
        sh(["psql", target_url, "-q", "-v", "ON_ERROR_STOP=1"] + [a for f in files for a in ("-f", f)])
        subprocess.run(["psql", target_url, "-q", "-v", "ON_ERROR_STOP=1"], input=sqlx_ledger(folder, dialect),
                       text=True, check=True, capture_output=True)
        dev_url = recreate_pg("dlbench_mig_dev")
        dev = ["--dev-url", dev_url]
    out = json.loads(sh([REPLAY_BIN, folder] + dev[1:]).stdout)
    r["plain"], r["provenance"], r["tables"] = out["plain_s"], out["provenance_s"], out["tables"]
    r["reads"] = "%d+%d" % (out["scoped_reads"], out["full_reads"])
    r["check"], r["check_rss"] = timed([BIN, "check", "--db", target_url, "--migrations", folder] + dev, runs)
    return r


def report_migrations(results):
    print("\n== migration replay (ratio = driftless / plain replay; target <= 2x at 2,000) ==")
    print("  baseline: plain replay = driftless replay with provenance off (same statements, driver, process)")
    titles = {"sqlite": "SQLite (in memory)", "postgres": "PostgreSQL (dev database)", "mysql": "MariaDB (dev database)"}
    for dialect in ("sqlite", "postgres", "mysql"):
        rows = results.get(dialect)
        if not rows:
            continue
        print("%s:" % titles[dialect])
        print("  %10s %7s %12s %12s %8s %12s %8s %14s %12s" % ("migrations", "tables", "plain replay", "+provenance",
                                                               "ratio", "check", "ratio", "client", "reads"))
        for n in sorted(rows):
            r = rows[n]
            print("  %10d %7d %12s %12s %7.2fx %12s %7.2fx %14s %12s" % (
                n, r["tables"], fmt(r["plain"]), fmt(r["provenance"]), r["provenance"] / r["plain"],
                fmt(r["check"]), r["check"] / r["plain"], fmt(r["client"]), r["reads"]))
    print("  reads: scoped + full reads of the provenance replay (one per migration before reads were shared)")


def run_migrations_section(args):
    counts = [int(c) for c in args.migration_counts.split(",")]
    results = {}
    for dialect in ("sqlite", "postgres", "mysql"):
        if dialect not in args.backends.split(","):
            continue
        for n in counts:
            print("  migrations: %s %d ..." % (dialect, n), flush=True)
            results.setdefault(dialect, {})[n] = bench_migrations(dialect, n, args.runs)
    report_migrations(results)
    return results


# ---------------------------------------------------------------- stepper

def bench_python():
    """The Python with Django (the framework tests' venv, or $DRIFTLESS_TEST_PYTHON)."""
    py = os.environ.get("DRIFTLESS_TEST_PYTHON") or os.path.join(TARGET, "test-python", "bin", "python")
    if not os.path.exists(py):
        py = os.path.join(ROOT, "target", "test-python", "bin", "python")
    probe = subprocess.run([py, "-c", "import django"], capture_output=True)
    if probe.returncode != 0:
        raise RuntimeError("no Django in %s: run scripts/test-python or set DRIFTLESS_TEST_PYTHON" % py)
    return py


def best_of(runs, prepare, cmd, env=None, ok_codes=(0,)):
    """Minimum wall time (s) of cmd over runs, prepare() before each."""
    best = None
    for _ in range(runs):
        prepare()
        t0 = time.perf_counter()
        p = subprocess.run(cmd, capture_output=True, text=True, env=env)
        dt = time.perf_counter() - t0
        if p.returncode not in ok_codes:
            raise RuntimeError("%s exited %d: %s" % (" ".join(cmd), p.returncode, (p.stdout + p.stderr)[-2000:]))
        best = dt if best is None else min(best, dt)
    return best


def bench_stepper(dialect, n, runs, py):
    """`driftless check` stepping through n generated Django migrations
    (its own scratch database) against one plain `manage.py migrate` of
    the same project into an empty database."""
    sys.path.insert(0, os.path.join(ROOT, "bench"))
    import gen_django
    project = os.path.join(WORK, "django_%d" % n)
    marker = os.path.join(project, "ledger", "migrations", "%04d_step.py" % n)
    if not os.path.exists(marker):
        gen_django.write(n, project)
    if dialect == "sqlite":
        # Where the stepper's scratch file goes too (the temporary folder),
        # so that both pay the same file system.
        target = os.path.join(tempfile.gettempdir(), "dlbench_django_%d_target.sqlite3" % n)
        url = "sqlite:" + target

        def empty():
            if os.path.exists(target):
                os.remove(target)
        dev = []
    else:
        url = pg_db("dlbench_django_target")

        def empty():
            recreate_pg("dlbench_django_target")
        dev = ["--dev-url", recreate_pg("dlbench_django_dev")]
    env = dict(os.environ, DATABASE_URL=url)
    migrate = [py, "manage.py", "migrate", "-v0"]
    r = {"migrations": n}
    # manage.py runs in the project folder; best_of has no cwd, so wrap.
    r["migrate"] = best_of(runs, empty, ["sh", "-c", 'cd "$0" && exec "$@"', project] + migrate, env=env)
    check = [BIN, "check", "--db", url, "--migrations", project, "--python", py] + dev
    r["check"] = best_of(runs, lambda: None, check)
    # Where the stepping time goes: the framework's steps against the reads.
    split = json.loads(sh([STEPPER_BIN, project, py] + dev[1:]).stdout)
    r["steps"], r["reads"], r["statements"] = split["steps_s"], split["reads_s"], split["statements"]
    return r


def run_stepper_section(args):
    py = bench_python()
    counts = [int(c) for c in args.django_counts.split(",")]
    rows = []
    for dialect in ("sqlite", "postgres"):
        if dialect not in args.backends.split(","):
            continue
        for n in counts:
            print("  stepper: %s %d Django migrations ..." % (dialect, n), flush=True)
            rows.append((dialect, bench_stepper(dialect, n, args.runs, py)))
    print("\n== Django stepper (ratio = driftless check / plain manage.py migrate; target < 2x) ==")
    print("  split of one stepping: Django applying the migrations (round trips included) / driftless's reads")
    print("  %-11s %10s %17s %16s %8s %20s" % ("database", "migrations", "manage.py migrate", "driftless check", "ratio",
                                               "steps / reads"))
    for dialect, r in rows:
        print("  %-11s %10d %17s %16s %7.2fx %20s" % (
            {"sqlite": "SQLite", "postgres": "PostgreSQL"}[dialect], r["migrations"], fmt(r["migrate"]),
            fmt(r["check"]), r["check"] / r["migrate"], "%s / %s" % (fmt(r["steps"]), fmt(r["reads"]))))
    return rows


# ---------------------------------------------------------------- baselines

# The floor: seven bulk catalog queries that read what the model needs
# (relations with comments; columns with types, defaults, identity,
# generation and comments; constraints; indexes with every key's definition;
# enums; views; sequences), run one after another from Python.
SYS = "n.nspname NOT IN ('pg_catalog','information_schema') AND n.nspname NOT LIKE 'pg_toast%'"
FLOOR_QUERIES = [
    "SELECT n.nspname, c.relname, c.relkind, obj_description(c.oid, 'pg_class') FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE c.relkind IN ('r','p','v','m','S') AND " + SYS,
    "SELECT a.attrelid, a.attname, a.attnum, format_type(a.atttypid, a.atttypmod), a.attnotnull, pg_get_expr(d.adbin, d.adrelid), a.attidentity, a.attgenerated, a.attcollation, col_description(a.attrelid, a.attnum) FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid JOIN pg_namespace n ON n.oid = c.relnamespace LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum WHERE a.attnum > 0 AND NOT a.attisdropped AND c.relkind IN ('r','p','v','m') AND " + SYS,
    "SELECT c.conrelid, c.conname, c.contype, c.conkey, c.confrelid, c.confkey, c.confdeltype, c.confupdtype, c.condeferrable, pg_get_constraintdef(c.oid) FROM pg_constraint c JOIN pg_namespace n ON n.oid = c.connamespace WHERE " + SYS,
    "SELECT i.indrelid, ic.relname, am.amname, i.indisunique, i.indoption, pg_get_expr(i.indpred, i.indrelid), array(SELECT pg_get_indexdef(i.indexrelid, k, true) FROM generate_series(1, i.indnatts) k) FROM pg_index i JOIN pg_class ic ON ic.oid = i.indexrelid JOIN pg_am am ON am.oid = ic.relam JOIN pg_namespace n ON n.oid = ic.relnamespace WHERE " + SYS,
    "SELECT t.typnamespace, t.typname, e.enumlabel FROM pg_enum e JOIN pg_type t ON t.oid = e.enumtypid ORDER BY e.enumtypid, e.enumsortorder",
    "SELECT c.relname, pg_get_viewdef(c.oid) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE c.relkind IN ('v','m') AND " + SYS,
    "SELECT s.seqrelid, format_type(s.seqtypid, NULL), s.seqstart, s.seqincrement, s.seqmin, s.seqmax, s.seqcache, s.seqcycle FROM pg_sequence s",
]


def floor_seconds(py, url, runs):
    if not py:
        return None
    code = "import psycopg2,sys,time\nqs=%r\nbest=1e9\nfor _ in range(%d):\n t=time.perf_counter(); c=psycopg2.connect(sys.argv[1]); cur=c.cursor()\n for q in qs: cur.execute(q); cur.fetchall()\n c.close(); best=min(best,time.perf_counter()-t)\nprint(best)" % (FLOOR_QUERIES, runs)
    return float(sh([py, "-c", code, url]).stdout.strip())


def schemainspect_seconds(py, url, runs):
    if not py:
        return None
    code = "import sys,time\nfrom sqlbag import S\nfrom schemainspect import get_inspector\nbest=1e9\nfor _ in range(%d):\n t=time.perf_counter()\n with S(sys.argv[1]) as s: get_inspector(s)\n best=min(best,time.perf_counter()-t)\nprint(best)" % runs
    return float(sh([py, "-c", code, sqlalchemy_url(url)]).stdout.strip())


def sqlalchemy_url(url):
    """migra and schemainspect go through SQLAlchemy: name the psycopg2 driver."""
    return "postgresql+psycopg2://" + url.split("://", 1)[1]


# ---------------------------------------------------------------- driver

def fmt(v, unit="s"):
    if v is None:
        return "n/a"
    if unit == "s":
        return "%.3f s" % v if v < 10 else "%.1f s" % v
    return "%.0f %s" % (v, unit)


def ratio(baseline, ours):
    if baseline is None or not ours:
        return "n/a"
    return "%.1fx" % (baseline / ours)


def pg_counts(url):
    tables = "c.relkind IN ('r','p') AND NOT c.relispartition AND " + SYS
    counts = [
        "SELECT count(*) FROM pg_class c JOIN pg_namespace n ON n.oid=c.relnamespace WHERE " + tables,
        "SELECT count(*) FROM pg_attribute a JOIN pg_class c ON c.oid=a.attrelid JOIN pg_namespace n ON n.oid=c.relnamespace "
        "WHERE a.attnum>0 AND NOT a.attisdropped AND " + tables,
        "SELECT count(*) FROM pg_constraint c JOIN pg_namespace n ON n.oid=c.connamespace WHERE c.contype='f' AND " + SYS,
        "SELECT count(*) FROM pg_constraint c JOIN pg_namespace n ON n.oid=c.connamespace WHERE c.contype='c' AND " + SYS,
        "SELECT count(*) FROM pg_class c JOIN pg_namespace n ON n.oid=c.relnamespace WHERE c.relkind IN ('v','m') AND " + SYS,
        "SELECT count(*) FROM pg_type t JOIN pg_namespace n ON n.oid=t.typnamespace WHERE t.typtype='e' AND " + SYS,
    ]
    q = "SELECT " + ", ".join("(%s)" % c for c in counts)
    vals = [int(x) for x in sh(["psql", url, "-qAtc", q]).stdout.strip().split("|")]
    return dict(zip(["tables", "columns", "foreign_keys", "checks", "views", "enums"], vals))


def check_counts(snapshot_path, catalog):
    with open(snapshot_path) as f:
        snap = json.load(f)
    got = {k: 0 for k in catalog}
    for schema in snap.get("schemas", {}).values():
        tables = schema.get("tables", {})
        got["tables"] += len(tables)
        got["views"] = got.get("views", 0) + len(schema.get("views", {}))
        got["enums"] = got.get("enums", 0) + len(schema.get("enums", {}))
        for t in tables.values():
            got["columns"] += len(t.get("columns", {}))
            got["foreign_keys"] += len(t.get("foreign_keys", {}))
            got["checks"] += len(t.get("checks", {}))
    bad = {k: (catalog[k], got.get(k)) for k in catalog if catalog[k] != got.get(k)}
    return got, bad


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sizes", default="1000,5000")
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--backends", default="postgres,mysql,sqlite")
    ap.add_argument("--no-build", action="store_true", help="use the binaries already in target/release")
    ap.add_argument("--only", choices=["migrations", "stepper"], help="run only this section")
    ap.add_argument("--migration-counts", default="250,1000,2000")
    ap.add_argument("--django-counts", default="200", help="generated Django migrations (stepper section)")
    args = ap.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]
    backends = args.backends.split(",")

    if not args.no_build:
        print("building release binaries ...", flush=True)
        subprocess.run(["cargo", "build", "-q", "--release", "-p", "driftless"], cwd=ROOT, check=True)
        subprocess.run(["cargo", "build", "-q", "--release", "-p", "driftless-examples", "--example", "bench_diff",
                        "--example", "bench_replay", "--example", "bench_stepper"], cwd=ROOT, check=True)
    os.makedirs(WORK, exist_ok=True)
    if args.only == "migrations":
        run_migrations_section(args)
        return
    if args.only == "stepper":
        run_stepper_section(args)
        return
    py = ensure_venv() if "postgres" in backends else None
    os.makedirs(WORK, exist_ok=True)
    results = {}
    for n in sizes:
        r = results.setdefault(n, {})
        if "postgres" in backends:
            a, b = pg_build(n, False), pg_build(n, True)
            snap_a = os.path.join(WORK, "pg_%d.json" % n)
            snap_b = os.path.join(WORK, "pg_%d_drift.json" % n)
            r["pg_snapshot"], r["pg_rss"] = timed([BIN, "snapshot", "--db", a, "-o", snap_a], args.runs)
            timed([BIN, "snapshot", "--db", b, "-o", snap_b], 1)
            r["pg_dump"], _ = timed(["pg_dump", "--schema-only", "-f", "/dev/null", a], args.runs)
            r["pg_floor"] = floor_seconds(py, a, args.runs)
            r["schemainspect"] = schemainspect_seconds(py, a, max(1, args.runs - 1)) if py else None
            r["pg_check"], r["pg_check_rss"] = timed([BIN, "check", "--db", b, "--expect", a, "--format", "json"], args.runs, ok_codes=(0, 1))
            r["migra"] = None
            if py:
                migra = os.path.join(VENV, "bin", "migra")
                r["migra"], _ = timed([migra, "--unsafe", sqlalchemy_url(a), sqlalchemy_url(b)], 1, ok_codes=(0, 2))
            catalog = pg_counts(a)
            got, bad = check_counts(snap_a, catalog)
            r["pg_counts"] = catalog
            r["pg_counts_bad"] = bad
            out = sh([DIFF_BIN, snap_a, snap_b]).stdout
            r["inmem"] = json.loads(out)
        if "mysql" in backends:
            a, b = my_build(n, False), my_build(n, True)
            r["my_snapshot"], r["my_rss"] = timed([BIN, "snapshot", "--db", a, "-o", os.path.join(WORK, "my_%d.json" % n)], args.runs)
            r["mysqldump"], _ = timed(["mysqldump", "--protocol=tcp", "-h", "127.0.0.1", "-u", "root", "--no-data", "--result-file=/dev/null", a.rsplit("/", 1)[1]], args.runs)
            r["my_check"], _ = timed([BIN, "check", "--db", b, "--expect", a, "--format", "json"], args.runs, ok_codes=(0, 1))
        if "sqlite" in backends:
            a, b = lite_build(n, False), lite_build(n, True)
            r["lite_snapshot"], r["lite_rss"] = timed([BIN, "snapshot", "--db", a, "-o", os.path.join(WORK, "lite_%d.json" % n)], args.runs)
            r["sqlite_schema"], _ = timed(["sqlite3", a[len("sqlite:"):], ".schema"], args.runs)
            r["lite_check"], _ = timed([BIN, "check", "--db", b, "--expect", a, "--format", "json"], args.runs, ok_codes=(0, 1))

    print()
    print("driftless benchmark (minimum of %d runs; ratio = baseline / driftless)" % args.runs)
    for n in sizes:
        r = results[n]
        print("\n== %d tables ==" % n)
        if "pg_snapshot" in r:
            c = r["pg_counts"]
            print("PostgreSQL catalog: %d tables, %d columns, %d FKs, %d checks, %d views, %d enums" % (
                c["tables"], c["columns"], c["foreign_keys"], c["checks"], c["views"], c["enums"]))
            print("  %-40s %10s" % ("driftless snapshot", fmt(r["pg_snapshot"])))
            print("  %-40s %10s  ratio %s" % ("pg_dump --schema-only", fmt(r["pg_dump"]), ratio(r["pg_dump"], r["pg_snapshot"])))
            print("  %-40s %10s  ratio %s" % ("seven-query floor (psycopg2, sequential)", fmt(r["pg_floor"]), ratio(r["pg_floor"], r["pg_snapshot"])))
            print("  %-40s %10s  ratio %s" % ("schemainspect", fmt(r["schemainspect"]), ratio(r["schemainspect"], r["pg_snapshot"])))
            print("  %-40s %10s" % ("driftless check (2 databases)", fmt(r["pg_check"])))
            print("  %-40s %10s  ratio %s" % ("migra full diff (2 databases)", fmt(r["migra"]), ratio(r["migra"], r["pg_check"])))
            print("  %-40s %10s" % ("driftless peak RSS, snapshot", fmt(r["pg_rss"], "MB")))
            print("  %-40s %10s" % ("driftless peak RSS, check", fmt(r["pg_check_rss"], "MB")))
            im = r["inmem"]
            print("  %-40s %10s  (%d findings)" % ("in memory: diff + rules", "%.1f ms" % im["rules_ms"], im["findings"]))
            print("  %-40s %10s  (%d steps)" % ("in memory: fix plan", "%.1f ms" % im["plan_ms"], im["steps"]))
            print("  snapshot holds every counted object: %s" % ("yes" if not r["pg_counts_bad"] else "NO %s" % r["pg_counts_bad"]))
        if "my_snapshot" in r:
            print("MariaDB:")
            print("  %-40s %10s" % ("driftless snapshot", fmt(r["my_snapshot"])))
            print("  %-40s %10s  ratio %s" % ("mysqldump --no-data", fmt(r["mysqldump"]), ratio(r["mysqldump"], r["my_snapshot"])))
            print("  %-40s %10s" % ("driftless check (2 databases)", fmt(r["my_check"])))
            print("  %-40s %10s" % ("driftless peak RSS, snapshot", fmt(r["my_rss"], "MB")))
        if "lite_snapshot" in r:
            print("SQLite:")
            print("  %-40s %10s" % ("driftless snapshot", fmt(r["lite_snapshot"])))
            print("  %-40s %10s  ratio %s" % ("sqlite3 .schema", fmt(r["sqlite_schema"]), ratio(r["sqlite_schema"], r["lite_snapshot"])))
            print("  %-40s %10s" % ("driftless check (2 databases)", fmt(r["lite_check"])))
            print("  %-40s %10s" % ("driftless peak RSS, snapshot", fmt(r["lite_rss"], "MB")))
    if len(sizes) >= 2:
        lo, hi = sizes[0], sizes[-1]
        print("\n== growth %d -> %d tables (x%.1f catalog) ==" % (lo, hi, hi / lo))
        for key, label in [("pg_snapshot", "pg snapshot"), ("pg_check", "pg check"), ("pg_dump", "pg_dump"), ("migra", "migra"),
                           ("my_snapshot", "mariadb snapshot"), ("lite_snapshot", "sqlite snapshot")]:
            a, b = results[lo].get(key), results[hi].get(key)
            if a and b:
                print("  %-20s x%.1f" % (label, b / a))
        a, b = results[lo].get("inmem"), results[hi].get("inmem")
        if a and b:
            print("  %-20s x%.1f" % ("diff + rules", b["rules_ms"] / max(a["rules_ms"], 0.001)))
    results["migrations"] = run_migrations_section(args)
    results["stepper"] = run_stepper_section(args)
    with open(os.path.join(WORK, "results.json"), "w") as f:
        json.dump(results, f, indent=2, default=str)


if __name__ == "__main__":
    main()
