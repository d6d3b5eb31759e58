#!/usr/bin/env python3
"""driftless benchmark: what a busy table's writers feel while `fix --apply`
repairs it, with one transaction (--atomic) and online, in one run.

    python3 bench/online.py                    # 2,000,000 rows
    python3 bench/online.py --rows 200000 --bin target/debug/driftless

On PostgreSQL (DRIFTLESS_BENCH_POSTGRES_URL, default
postgres://root@127.0.0.1:5432/test) it builds, for each mode, a database
whose `events` table (--rows rows, generated server-side) lacks an index
and a foreign key to `users`, and an expected database that has both. A
writer (one psql session, `\\timing on`) inserts one row every 10 ms into
`events` from a second before the fix until a second after it; the worst
insert wait is read from psql's timings. Then it runs

    driftless fix --apply --atomic            (everything in one transaction)
    driftless fix --apply --online-threshold 1MiB

and prints, per mode, the fix's wall time, the writer's inserts and its
worst and median waits, and the ratio atomic / online of the worst wait
(higher is better for the online path).

Needs: psql, and a driftless binary (--bin; default target/release, else
target/debug).
"""
import argparse
import os
import statistics
import subprocess
import sys
import threading
import time
import urllib.parse

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
TARGET = os.environ.get("CARGO_TARGET_DIR") or os.path.join(ROOT, "target")
PG = os.environ.get("DRIFTLESS_BENCH_POSTGRES_URL", "postgres://root@127.0.0.1:5432/test")

ACTUAL = """
CREATE TABLE users (id bigint PRIMARY KEY);
INSERT INTO users SELECT g FROM generate_series(1, 1000) g;
CREATE TABLE events (id bigserial PRIMARY KEY, user_id bigint NOT NULL, kind text NOT NULL,
                     payload text, created_at timestamptz NOT NULL DEFAULT now());
INSERT INTO events (user_id, kind, payload)
  SELECT 1 + g % 1000, 'kind' || (g % 7), md5(g::text) FROM generate_series(1, {rows}) g;
VACUUM ANALYZE users; VACUUM ANALYZE events;
"""

EXPECTED = """
CREATE TABLE users (id bigint PRIMARY KEY);
CREATE TABLE events (id bigserial PRIMARY KEY, user_id bigint NOT NULL REFERENCES users (id),
                     kind text NOT NULL, payload text, created_at timestamptz NOT NULL DEFAULT now());
CREATE INDEX events_user_idx ON events (user_id);
"""


def url_with_db(url, name):
    u = urllib.parse.urlsplit(url)
    return urllib.parse.urlunsplit((u.scheme, u.netloc, "/" + name, u.query, u.fragment))


def psql(url, sql):
    subprocess.run(["psql", "-X", "-q", "-v", "ON_ERROR_STOP=1", url, "-c", sql],
                   check=True, capture_output=True, text=True)


def fresh_db(name, sql):
    psql(PG, f"DROP DATABASE IF EXISTS {name}")
    psql(PG, f"CREATE DATABASE {name}")
    url = url_with_db(PG, name)
    subprocess.run(["psql", "-X", "-q", "-v", "ON_ERROR_STOP=1", url],
                   input=sql, check=True, capture_output=True, text=True)
    return url


class Writer:
    """One psql session inserting a row every 10 ms, timing each insert."""

    def __init__(self, url):
        self.proc = subprocess.Popen(["psql", "-X", "-q", url], stdin=subprocess.PIPE,
                                     stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        self.proc.stdin.write("\\timing on\n")
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self.run)
        self.thread.start()

    def run(self):
        n = 0
        while not self.stop.is_set():
            n += 1
            self.proc.stdin.write(
                f"INSERT INTO events (user_id, kind, payload) VALUES (1, 'writer', 'w{n}');\n")
            self.proc.stdin.flush()
            time.sleep(0.01)

    def finish(self):
        self.stop.set()
        self.thread.join()
        out, _ = self.proc.communicate("\\q\n", timeout=600)
        return [float(line.split()[1]) for line in out.splitlines() if line.startswith("Time:")]


def measure(binary, rows, mode, flags):
    name = f"driftless_bench_online_{mode}"
    actual = fresh_db(name, ACTUAL.format(rows=rows))
    expected = fresh_db(name + "_expected", EXPECTED)
    writer = Writer(actual)
    time.sleep(1.0)
    t0 = time.monotonic()
    run = subprocess.run([binary, "fix", "--db", actual, "--expect", expected, "--apply",
                          "--statement-timeout", "0", *flags], capture_output=True, text=True)
    took = time.monotonic() - t0
    time.sleep(1.0)
    waits = writer.finish()
    if run.returncode != 0:
        sys.exit(f"fix --apply ({mode}) exited {run.returncode}:\n{run.stdout}\n{run.stderr}")
    for db in (name, name + "_expected"):
        psql(PG, f"DROP DATABASE IF EXISTS {db}")
    return took, waits


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rows", type=int, default=2_000_000)
    ap.add_argument("--bin", default=None)
    args = ap.parse_args()
    binary = args.bin or next(
        (p for p in (os.path.join(TARGET, "release", "driftless"),
                     os.path.join(TARGET, "debug", "driftless")) if os.path.exists(p)), None)
    if binary is None:
        sys.exit("no driftless binary: cargo build --release -p driftless, or pass --bin")
    print(f"events: {args.rows:,} rows, missing an index and a foreign key; "
          f"a writer inserts one row every 10 ms during the fix ({binary})")
    worst = {}
    for mode, flags in (("atomic", ["--atomic"]), ("online", ["--online-threshold", "1MiB"])):
        took, waits = measure(binary, args.rows, mode, flags)
        worst[mode] = max(waits)
        print(f"  {mode:>6}: fix {took:6.2f} s; {len(waits)} inserts, worst wait "
              f"{max(waits):8.1f} ms, median {statistics.median(waits):5.1f} ms")
    print(f"worst insert wait, atomic / online: {worst['atomic'] / worst['online']:.1f}x")


if __name__ == "__main__":
    main()
