#!/usr/bin/env python3
"""Generate a synthetic catalog for MariaDB/MySQL or SQLite, shaped like
bench/gen_catalog.py's PostgreSQL catalogs (15-25 columns a table,
a primary key, 0-3 foreign keys to earlier tables, 0-2 checks, 1-3 secondary
indexes incl. unique, multi-column and (SQLite) partial ones, some views).

Deterministic for a given --seed; --mutate K drifts K% of the tables (drop,
add or retype a column, drop or add an index, change a default, toggle NOT
NULL) so the pair serves diff benchmarks.

    python3 bench/gen_portable.py --dialect mysql --tables 1000 --seed 42 > my.sql
    python3 bench/gen_portable.py --dialect sqlite --tables 1000 --seed 42 --mutate 5 > lite_drift.sql
"""
import argparse
import random

TYPES = {
    "mysql": ["int", "bigint", "smallint", "varchar(64)", "varchar(255)", "text",
              "decimal(12,2)", "datetime", "date", "tinyint(1)", "json", "char(36)"],
    "sqlite": ["INTEGER", "BIGINT", "SMALLINT", "VARCHAR(64)", "VARCHAR(255)", "TEXT",
               "NUMERIC(12,2)", "TIMESTAMP", "DATE", "BOOLEAN", "TEXT", "CHAR(36)"],
}
WORDS = ["name", "code", "status", "amount", "qty", "price", "label", "title", "kind",
         "email", "phone", "notes", "score", "rank", "ratio", "total", "balance",
         "currency", "region", "country", "city", "zip", "source", "channel", "version",
         "priority", "weight", "height", "width", "color", "sku", "ref", "hash", "token"]
NOUNS = ["account", "order", "invoice", "payment", "customer", "product", "shipment",
         "ledger", "event", "session", "device", "address", "contract", "refund"]


def q(d, name):
    return "`%s`" % name if d == "mysql" else '"%s"' % name


def default_for(d, typ, rnd):
    t = typ.lower()
    if t.startswith(("int", "bigint", "smallint", "integer")):
        return str(rnd.randint(0, 9))
    if t.startswith(("varchar", "char", "text")) and t != "text":
        return "'x%d'" % rnd.randint(0, 99)
    if t.startswith(("decimal", "numeric")):
        return "0.00"
    if t.startswith(("tinyint", "boolean")):
        return "0"
    return None


def build(args):
    rnd = random.Random(args.seed)
    d = args.dialect
    tables = []
    for i in range(args.tables):
        name = "%s_%d" % (rnd.choice(NOUNS), i)
        cols = [("id", "bigint" if d == "mysql" else "INTEGER", False, None)]
        used = {"id"}
        for _ in range(rnd.randint(14, 24)):
            w = rnd.choice(WORDS)
            n = w if w not in used else "%s_%d" % (w, len(used))
            used.add(n)
            typ = rnd.choice(TYPES[d])
            nullable = rnd.random() < 0.6
            dflt = default_for(d, typ, rnd) if rnd.random() < 0.3 else None
            if d == "mysql" and typ in ("text", "json"):
                dflt = None
            cols.append((n, typ, nullable, dflt))
        fks = []
        for k in range(rnd.randint(0, 3) if i > 0 else 0):
            target = rnd.randrange(0, i)
            col = "fkref_%d" % k
            cols.append((col, "bigint" if d == "mysql" else "INTEGER", True, None))
            fks.append((col, tables[target]["name"], rnd.choice(["CASCADE", "SET NULL", "RESTRICT", "NO ACTION"])))
        numeric = [c for c in cols[1:] if c[1].lower().startswith(("int", "bigint", "smallint", "integer", "decimal", "numeric"))
                   and not c[0].startswith("fkref_")]
        checks = []
        for k, c in enumerate(numeric[: rnd.randint(0, 2)]):
            checks.append(("ck_%s_%d" % (name, k), "%s >= 0" % q(d, c[0])))
        idx = []
        candidates = [c for c in cols[1:] if c[1].lower() not in ("text", "json")]
        for k in range(rnd.randint(1, 3)):
            if not candidates:
                break
            picked = rnd.sample(candidates, min(len(candidates), rnd.randint(1, 2)))
            unique = rnd.random() < 0.2
            partial = d == "sqlite" and rnd.random() < 0.2
            idx.append(("ix_%s_%d" % (name, k), [c[0] for c in picked], unique, partial))
        tables.append({"name": name, "cols": cols, "fks": fks, "checks": checks, "idx": idx})
    views = []
    for v in range(max(1, args.tables // 50)):
        t = tables[rnd.randrange(len(tables))]
        views.append(("v_%s_%d" % (t["name"], v), t["name"], [c[0] for c in t["cols"][:4]]))
    return tables, views


def mutate(args, tables, views):
    rnd = random.Random(args.seed * 7 + 1)
    d = args.dialect
    n = max(1, len(tables) * args.mutate // 100)
    for t in rnd.sample(tables, n):
        for _ in range(rnd.randint(1, 2)):
            op = rnd.choice(["drop_col", "add_col", "retype", "drop_idx", "add_idx", "default", "null"])
            plain = [c for c in t["cols"][1:] if not c[0].startswith("fkref_")
                     and all(c[0] not in ix[1] for ix in t["idx"])
                     and all(c[0] not in ck[1] for ck in t["checks"])]
            if op == "drop_col" and plain:
                c = rnd.choice(plain)
                t["cols"].remove(c)
            elif op == "add_col":
                t["cols"].append(("drift_%d" % rnd.randint(0, 9999), TYPES[d][5], True, None))
            elif op == "retype" and plain:
                c = rnd.choice(plain)
                t["cols"][t["cols"].index(c)] = (c[0], TYPES[d][4], c[2], None)
            elif op == "drop_idx" and t["idx"]:
                t["idx"].pop()
            elif op == "add_idx":
                cands = [c for c in t["cols"][1:] if c[1].lower() not in ("text", "json")]
                if cands:
                    t["idx"].append(("ix_drift_%s_%d" % (t["name"], len(t["idx"])), [cands[0][0]], False, False))
            elif op == "default" and plain:
                c = rnd.choice(plain)
                t["cols"][t["cols"].index(c)] = (c[0], c[1], c[2], default_for(d, c[1], rnd) if c[3] is None else None)
            elif op == "null" and plain:
                c = rnd.choice(plain)
                t["cols"][t["cols"].index(c)] = (c[0], c[1], not c[2], c[3])


def render(args, tables, views):
    d = args.dialect
    out = []
    if d == "sqlite":
        out.append("PRAGMA foreign_keys=OFF;\nBEGIN;")
    else:
        out.append("SET foreign_key_checks=0;")
    for t in tables:
        lines = []
        for (n, typ, nullable, dflt) in t["cols"]:
            if n == "id":
                lines.append("  %s %s NOT NULL PRIMARY KEY%s" % (q(d, n), typ, " AUTO_INCREMENT" if d == "mysql" else ""))
                continue
            s = "  %s %s" % (q(d, n), typ)
            if not nullable:
                s += " NOT NULL"
            if dflt is not None:
                s += " DEFAULT %s" % dflt
            lines.append(s)
        for (col, ref, action) in t["fks"]:
            lines.append("  CONSTRAINT %s FOREIGN KEY (%s) REFERENCES %s (id) ON DELETE %s" % (
                q(d, "fk_%s_%s" % (t["name"], col)), q(d, col), q(d, ref), action))
        for (cname, expr) in t["checks"]:
            lines.append("  CONSTRAINT %s CHECK (%s)" % (q(d, cname), expr))
        out.append("CREATE TABLE %s (\n%s\n);" % (q(d, t["name"]), ",\n".join(lines)))
        for (iname, cols, unique, partial) in t["idx"]:
            where = " WHERE %s IS NOT NULL" % q(d, cols[0]) if partial else ""
            out.append("CREATE %sINDEX %s ON %s (%s)%s;" % (
                "UNIQUE " if unique else "", q(d, iname), q(d, t["name"]), ", ".join(q(d, c) for c in cols), where))
    for (vname, tname, cols) in views:
        out.append("CREATE VIEW %s AS SELECT %s FROM %s;" % (q(d, vname), ", ".join(q(d, c) for c in cols), q(d, tname)))
    out.append("COMMIT;" if d == "sqlite" else "SET foreign_key_checks=1;")
    return "\n".join(out) + "\n"


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--dialect", choices=["mysql", "sqlite"], required=True)
    p.add_argument("--tables", type=int, default=1000)
    p.add_argument("--seed", type=int, default=42)
    p.add_argument("--mutate", type=int, default=0)
    p.add_argument("-o", "--output")
    args = p.parse_args()
    tables, views = build(args)
    if args.mutate:
        mutate(args, tables, views)
        # views may reference dropped columns: keep only columns that still exist
        names = {t["name"]: {c[0] for c in t["cols"]} for t in tables}
        views = [(v, t, [c for c in cols if c in names[t]] or ["id"]) for (v, t, cols) in views]
    sql = render(args, tables, views)
    if args.output:
        with open(args.output, "w") as f:
            f.write(sql)
    else:
        print(sql, end="")


if __name__ == "__main__":
    main()
