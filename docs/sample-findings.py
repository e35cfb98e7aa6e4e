#!/usr/bin/env python3
"""Stratified random sample of n-plus-one and write-in-loop findings, by rule and language.

usage: docs/sample-findings.py FINDINGS.json SEED [N_PLUS_ONE_N] [WRITE_N] [--counts]

Each rule's sample is split across js/python/ruby in proportion to the findings, with at
least 5 per language; each stratum is sorted by (path, line) before drawing, so a seed
gives the same sample for the same findings. Used for docs/corpus-check-round4-db.md."""
import json, random, sys
from collections import defaultdict
args=[a for a in sys.argv if not a.startswith("--")]
path, seed = args[1], int(args[2])
n_np = int(args[3]) if len(args) > 3 else 45
n_wl = int(args[4]) if len(args) > 4 else 34
d = json.load(open(path))
def lang(p):
    for l in ("js", "python", "ruby"):
        if f"/corpus/{l}/" in p or p.startswith(f"corpus/{l}/") or f"/{l}/" in p:
            return l
    return "?"
groups = defaultdict(list)
for f in d["findings"]:
    if f["rule"] in ("n-plus-one", "write-in-loop"):
        groups[(f["rule"], lang(f["path"]))].append(f)
for rule in ("n-plus-one", "write-in-loop"):
    print(rule, {l: len(groups[(rule, l)]) for l in ("js", "python", "ruby")})
if "--counts" in sys.argv:
    sys.exit()
rng = random.Random(seed)
for rule, n in (("n-plus-one", n_np), ("write-in-loop", n_wl)):
    tot = sum(len(groups[(rule, l)]) for l in ("js", "python", "ruby"))
    for l in ("js", "python", "ruby"):
        pop = sorted(groups[(rule, l)], key=lambda f: (f["path"], f["start"]["line"]))
        k = min(len(pop), max(min(len(pop), 5), round(n * len(pop) / max(tot, 1))))
        for f in rng.sample(pop, k):
            rel = "; ".join(f"{r.get('path') or ''}:{(r.get('start') or {}).get('line')} {r.get('message')}" for r in f.get("related", []))
            p = f["path"].split("n1lint-corpus/")[-1]
            print(f"{rule}\t{l}\t{p}:{f['start']['line']}\t{f['message']}\t[{rel}]")
