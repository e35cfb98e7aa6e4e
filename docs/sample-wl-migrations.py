#!/usr/bin/env python3
"""Seeded sample of write-in-loop findings split by data migrations and the rest.

usage: docs/sample-wl-migrations.py FINDINGS.json EVIDENCE.txt SEED [N_MIGRATION] [N_OTHER] [N_MORE]

A finding is a migration when a folder of its path is `migrations`, `migrate`, `migration`
or `alembic` (as `handlers::is_migration_path`). Each stratum is sorted by (path, line); a
`random.Random(SEED)` draws N_MIGRATION migrations, then N_OTHER others; with N_MORE, a
second draw of N_MORE migrations from the ones left uses `random.Random(SEED + 1)`.
EVIDENCE.txt is the stderr of the run with N1LINT_DEBUG_EVIDENCE=1. Used for
docs/corpus-check-round8-wl.md, where the split by language (js 1, python 159) says nothing."""
import json, random, sys

path, evpath, seed = sys.argv[1], sys.argv[2], int(sys.argv[3])
n_mig = int(sys.argv[4]) if len(sys.argv) > 4 else 20
n_other = int(sys.argv[5]) if len(sys.argv) > 5 else 20
n_more = int(sys.argv[6]) if len(sys.argv) > 6 else 0
ev = {}
for line in open(evpath):
    p = line.rstrip("\n").split("\t")
    if len(p) >= 5 and p[2] == "write-in-loop":
        ev[p[1]] = p[3] + " / " + p[4]
def mig(p):
    return any(s in ("migrations", "migrate", "migration", "alembic") for s in p.split("/"))
f = [x for x in json.load(open(path))["findings"] if x["rule"] == "write-in-loop"]
key = lambda x: (x["path"], x["start"]["line"])
m = sorted([x for x in f if mig(x["path"])], key=key)
o = sorted([x for x in f if not mig(x["path"])], key=key)
print(f"# population: migration {len(m)}, other {len(o)}")
rng = random.Random(seed)
first = rng.sample(m, min(n_mig, len(m)))
other = rng.sample(o, min(n_other, len(o)))
more = []
if n_more:
    rest = [x for x in m if x not in first]
    more = random.Random(seed + 1).sample(rest, min(n_more, len(rest)))
for name, xs in (("migration", first), ("other", other), ("migration-2", more)):
    for x in xs:
        k = f"{x['path']}:{x['start']['line']}"
        print(name, k, ev.get(k, "?"), x["message"], sep="\t")
