#!/usr/bin/env python3
"""Introspection cost of the objects compared by their definition, against
the release that only listed them, in one run.

    python3 bench/code_objects.py                       # 5,000 tables, code on every table
    python3 bench/code_objects.py --tables 1000 --code 500 --runs 3
    python3 bench/code_objects.py --baseline 6636df0    # the default baseline

It builds (once, cached by a marker) the PostgreSQL benchmark catalog of
bench/gen_catalog.py with --code K: a PL/pgSQL trigger function and a
BEFORE UPDATE trigger on each of K tables, row-level security with a policy
on every fourth, and K/10 domains. Then ANALYZE, as a live database has.

Baseline: `driftless snapshot` of the release at --baseline (default
6636df0, the last release before functions, triggers, policies, domains,
partitions and table options were read: it counted them as unmodeled), built
in target/bench-baseline. Measured: `driftless snapshot` of this checkout's
release. The two are run alternately, minimum of --runs runs each, with
their round trips (the pipeline's debug log) and what each snapshot holds.
The ratio is driftless / baseline (the target is at most 1.10). Each run
also records the CPU the client spent (user + system) and the CPU the
server's backends spent (the postmaster's reaped children, read through
pg_read_file: a local server and a superuser), with their ratio: on a
machine as small as the server's own (2 cores) the wall time follows the
CPU both sides spend, and the CPU stays the same when other work makes the
wall time vary.

Needs: cargo, git, psql, python3.
"""
import argparse
import json
import os
import re
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import bench  # noqa: E402  (the shared helpers: sh, timed, PG, paths)

BASELINE_DIR = os.path.join(bench.TARGET, "bench-baseline")


def build_current():
    print("building this checkout (release) ...", flush=True)
    subprocess.run(["cargo", "build", "--release", "-q", "-p", "driftless"], cwd=bench.ROOT, check=True)
    return bench.BIN


def build_baseline(rev):
    """The release binary of `rev`, built once in its own worktree and target."""
    src = os.path.join(BASELINE_DIR, "src")
    binary = os.path.join(BASELINE_DIR, "target", "release", "driftless")
    stamp = os.path.join(BASELINE_DIR, "rev")
    full = bench.sh(["git", "-C", bench.ROOT, "rev-parse", rev]).stdout.strip()
    if os.path.exists(binary) and os.path.exists(stamp):
        with open(stamp) as f:
            if f.read().strip() == full:
                return binary, full
    print("building baseline %s (release) ..." % full[:10], flush=True)
    if os.path.exists(src):
        subprocess.run(["git", "-C", bench.ROOT, "worktree", "remove", "--force", src], check=False)
    subprocess.run(["git", "-C", bench.ROOT, "worktree", "add", "--detach", src, full], check=True,
                   capture_output=True)
    env = dict(os.environ, CARGO_TARGET_DIR=os.path.join(BASELINE_DIR, "target"))
    subprocess.run(["cargo", "build", "--release", "-q", "-p", "driftless"], cwd=src, env=env, check=True)
    with open(stamp, "w") as f:
        f.write(full)
    return binary, full


def catalog(n, code):
    name = "dlbench_code_%d_%d" % (n, code)
    marker = "driftless bench catalog %d seed 42 code %d v1" % (n, code)
    have = bench.sh(["psql", bench.PG, "-qAtc",
                     "SELECT shobj_description(oid, 'pg_database') FROM pg_database WHERE datname = '%s'" % name])
    url = bench.pg_db(name)
    if have.stdout.strip() == marker:
        return url
    print("building PostgreSQL catalog %s ..." % name, flush=True)
    bench.sh(["psql", bench.PG, "-qc", 'DROP DATABASE IF EXISTS "%s" WITH (FORCE)' % name])
    bench.sh(["psql", bench.PG, "-qc", 'CREATE DATABASE "%s"' % name])
    sql = bench.sh([sys.executable, bench.GEN_CATALOG, "--tables", str(n), "--seed", "42", "--code", str(code)]).stdout
    subprocess.run(["psql", url, "-q", "-v", "ON_ERROR_STOP=1"], input=sql, text=True, check=True, capture_output=True)
    bench.sh(["psql", url, "-qc", "ANALYZE"])
    bench.sh(["psql", bench.PG, "-qc", "COMMENT ON DATABASE \"%s\" IS '%s'" % (name, marker)])
    return url


def round_trips(binary, url, out):
    env = dict(os.environ, DRIFTLESS_LOG="driftless_pipeline=debug")
    p = subprocess.run([binary, "snapshot", "--db", url, "-o", out], capture_output=True, text=True, env=env)
    if p.returncode != 0:
        raise RuntimeError("%s snapshot exited %d: %s" % (binary, p.returncode, p.stderr[-2000:]))
    found = re.findall(r"round_trips=(\d+)", p.stderr)
    return int(found[-1]) if found else None


def holds(path):
    """Tables, objects compared by definition, and unmodeled objects of a snapshot."""
    with open(path) as f:
        snap = json.load(f)
    tables = sum(len(s.get("tables", {})) for s in snap.get("schemas", {}).values())
    return tables, len(snap.get("objects", [])), len(snap.get("unmodeled", []))


def server_cpu():
    """CPU seconds the local server's exited processes used in all (the
    postmaster's reaped children, /proc/PID/stat cutime + cstime, read
    through pg_read_file): its change over one run is what that run's
    backends cost, on a server nothing else uses meanwhile. None where it
    cannot be read (not a superuser, not Linux)."""
    try:
        pid = bench.sh(["psql", bench.PG, "-qAtc",
                        "SELECT split_part(pg_read_file('postmaster.pid'), E'\\n', 1)"]).stdout.strip()
        stat = bench.sh(["psql", bench.PG, "-qAtc", "SELECT pg_read_file('/proc/%d/stat')" % int(pid)]).stdout
        fields = stat.rsplit(") ", 1)[1].split()
        return (int(fields[13]) + int(fields[14])) / os.sysconf("SC_CLK_TCK")
    except (RuntimeError, ValueError, IndexError, subprocess.CalledProcessError):
        return None


def run_once(binary, url, out):
    """Wall time (s), peak RSS (MB), the client's CPU (s) and the server's
    CPU (s, None when unknown) of one `driftless snapshot`."""
    before = server_cpu()
    t0 = time.perf_counter()
    p = subprocess.run(["/usr/bin/time", "-f", "%M %U %S", binary, "snapshot", "--db", url, "-o", out],
                       capture_output=True, text=True)
    t = time.perf_counter() - t0
    if p.returncode != 0:
        raise RuntimeError("%s snapshot exited %d: %s" % (binary, p.returncode, p.stderr[-2000:]))
    rss, user, system = p.stderr.strip().splitlines()[-1].split()
    time.sleep(0.2)  # the backends exit after the client disconnects
    after = server_cpu()
    server = None if before is None or after is None else after - before
    return t, int(rss) / 1024.0, float(user) + float(system), server


def measure(binaries, url, runs):
    """Per binary, the minimum over `runs` runs (alternating) of each of
    run_once's figures."""
    best = {label: None for label, _ in binaries}
    with tempfile.TemporaryDirectory() as tmp:
        out = os.path.join(tmp, "snap.json")
        for _ in range(runs):
            for label, binary in binaries:
                got = run_once(binary, url, out)
                prev = best[label]
                best[label] = got if prev is None else tuple(
                    b if a is None else a if b is None else min(a, b) for a, b in zip(got, prev))
        facts = {}
        for label, binary in binaries:
            trips = round_trips(binary, url, out)
            facts[label] = (trips,) + holds(out)
    return best, facts


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--tables", type=int, default=5000)
    ap.add_argument("--code", type=int, default=None, help="tables with code objects (default: every table)")
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--baseline", default="6636df0")
    ap.add_argument("--no-build", action="store_true", help="use the binaries already built")
    args = ap.parse_args()
    code = args.tables if args.code is None else args.code

    current = bench.BIN if args.no_build else build_current()
    baseline, rev = build_baseline(args.baseline)
    url = catalog(args.tables, code)
    best, facts = measure([("baseline", baseline), ("driftless", current)], url, args.runs)

    print()
    print("Introspection with code objects: %d tables, %d trigger functions and triggers, %d policies, %d domains"
          % (args.tables, code, (code + 3) // 4, code // 10))
    print("minimum of %d runs each, run alternately; ratio = driftless / baseline (target <= 1.10)" % args.runs)
    print("CPU: the client's (user + system) and the server's backends' (on a machine this busy with other")
    print("work the wall time varies from run to run; the CPU both sides spent does not)")
    print("  %-34s %8s %9s %8s %8s %8s %6s %7s %8s %9s" % (
        "", "time", "peak RSS", "client", "server", "CPU", "trips", "tables", "objects", "unmodeled"))
    for label, name in (("baseline", "baseline %s (lists them)" % rev[:7]), ("driftless", "driftless (compares them)")):
        t, rss, client, server = best[label]
        trips, tables, objects, unmodeled = facts[label]
        print("  %-34s %7.2fs %7.0fMB %7.2fs %8s %8s %6s %7d %8d %9d" % (
            name, t, rss, client, "-" if server is None else "%.2fs" % server,
            "-" if server is None else "%.2fs" % (client + server), trips, tables, objects, unmodeled))
    ratio = best["driftless"][0] / best["baseline"][0]
    print("  ratio driftless / baseline, time: %.2fx (%s)" % (ratio, "within target" if ratio <= 1.10 else "over target"))
    if best["driftless"][3] is not None and best["baseline"][3] is not None:
        cpu = [best[k][2] + best[k][3] for k in ("driftless", "baseline")]
        print("  ratio driftless / baseline, CPU:  %.2fx" % (cpu[0] / cpu[1]))


if __name__ == "__main__":
    main()
