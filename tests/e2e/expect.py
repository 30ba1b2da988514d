#!/usr/bin/env python3
"""expect.py JSONL EXPECT - compares `bulletin classify --json` output of the
sample inbox with its ground truth (tests/fixtures/inbox.expect): per message
the item count, titles and label sets.  Prints TAP, one line per message."""
import json, os, sys

got = {}
for line in open(sys.argv[1], encoding="utf-8"):
    o = json.loads(line)
    got[os.path.basename(o["source"])] = o["items"]
n = fails = 0
for line in open(sys.argv[2], encoding="utf-8"):
    f = line.rstrip("\n").split("\t")
    if len(f) < 2:
        continue
    name, count, want = f[0], int(f[1]), [x.split("|") for x in f[2:]]
    items = got.get(name)
    n += 1
    problems = []
    if items is None:
        problems.append("missing")
    else:
        if len(items) != count:
            problems.append("%d items, want %d" % (len(items), count))
        for i, (title, labels) in enumerate(want):
            if i >= len(items):
                break
            if items[i]["title"] != title:
                problems.append("item %d title %r, want %r" % (i + 1, items[i]["title"], title))
            w = set(filter(None, labels.split(",")))
            if set(items[i]["labels"]) != w:
                problems.append("item %d labels %s, want %s" % (i + 1, sorted(items[i]["labels"]), sorted(w)))
    if problems:
        fails += 1
        print("not ok %d - %s: %s" % (n, name, "; ".join(problems)))
    else:
        print("ok %d - %s" % (n, name))
print("1..%d" % n)
sys.exit(1 if fails else 0)
