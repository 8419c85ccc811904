#!/usr/bin/env python3
"""Split a domain list into N shards so that domains sharing an MX host
land in the same shard (contrib/survey/README.md).

    shard.py N LIST MX_JSONL OUTDIR

LIST: one domain a line ('#' comments, blank lines ignored), as for
`daneprobe check -f`.  MX_JSONL: getdns_query -j output, one response a
line (the MX answers of the pre-pass).  Writes OUTDIR/shard-K.txt for
K = 0 .. N-1 (every file exists, maybe empty) and OUTDIR/groups.tsv
("group size shard first-mx-host"), and prints one line per shard.

Domains that share any MX host are joined (union-find), so every MX host
is probed by one shard only, once per run, as daneprobe probes it once per
run; the groups are then packed largest first into the least loaded shard.
A domain without an MX answer (no MX: implicit MX, NXDOMAIN, timeout) is
its own mail host and its own group.  Standard library only.
"""
import json
import os
import re
import sys

# getdns_query -j (1.6.0) sometimes prints the raw replies as a string with
# escapes JSON does not have ("\\129"); the parsed tree after it is fine.
RAW_REPLIES = re.compile(r'"replies_full":\[.*?\],"replies_tree"')


def parse_response(line):
    try:
        return json.loads(line)
    except ValueError:
        pass
    try:
        return json.loads(RAW_REPLIES.sub('"replies_tree"', line, count=1))
    except ValueError:
        return None  # a diagnostic line, not a response


def read_list(path):
    seen, out = set(), []
    with open(path, encoding="utf-8", errors="replace") as f:
        for line in f:
            name = line.split("#", 1)[0].strip().rstrip(".").lower()
            if name and name not in seen:
                seen.add(name)
                out.append(name)
    return out


def read_mx(path):
    """domain -> set of MX host names, from getdns_query -j lines."""
    mx = {}
    with open(path, encoding="utf-8", errors="replace") as f:
        for line in f:
            resp = parse_response(line)
            if not isinstance(resp, dict):
                continue
            for reply in resp.get("replies_tree") or []:
                q = (reply.get("question") or {}).get("qname", "")
                dom = q.rstrip(".").lower()
                for rr in reply.get("answer") or []:
                    ex = (rr.get("rdata") or {}).get("exchange")
                    # Null MX (RFC 7505, ".") names no host: no sharing.
                    if rr.get("type") == 15 and ex and ex != ".":
                        mx.setdefault(dom, set()).add(ex.rstrip(".").lower())
    return mx


class Groups:
    """Union-find over keys (domains and MX host names)."""

    def __init__(self):
        self.parent = {}

    def find(self, k):
        self.parent.setdefault(k, k)
        root = k
        while self.parent[root] != root:
            root = self.parent[root]
        while self.parent[k] != root:  # path compression
            self.parent[k], k = root, self.parent[k]
        return root

    def union(self, a, b):
        ra, rb = self.find(a), self.find(b)
        if ra != rb:
            self.parent[rb] = ra


def main(argv):
    if len(argv) != 5 or not argv[1].isdigit() or int(argv[1]) < 1:
        sys.exit(__doc__.split("\n\n")[1])
    n, list_path, mx_path, outdir = int(argv[1]), argv[2], argv[3], argv[4]
    domains = read_list(list_path)
    mx = read_mx(mx_path)
    g = Groups()
    for d in domains:
        # Domains and host names live in one key space: "d:" and "h:".
        g.find("d:" + d)
        for host in mx.get(d, ()):
            g.union("d:" + d, "h:" + host)
    members = {}
    for d in domains:
        members.setdefault(g.find("d:" + d), []).append(d)
    # Largest group first into the least loaded shard: no shard exceeds
    # the ideal by more than the largest group.
    order = sorted(members.values(), key=lambda m: (-len(m), m[0]))
    load = [0] * n
    shards = [[] for _ in range(n)]
    os.makedirs(outdir, exist_ok=True)
    with open(os.path.join(outdir, "groups.tsv"), "w") as gt:
        for i, m in enumerate(order):
            k = min(range(n), key=lambda s: (load[s], s))
            load[k] += len(m)
            shards[k].extend(m)
            hosts = sorted(mx.get(m[0], ())) or [m[0]]
            gt.write("%d\t%d\t%d\t%s\n" % (i, len(m), k, hosts[0]))
    for k in range(n):
        with open(os.path.join(outdir, "shard-%d.txt" % k), "w") as f:
            f.writelines(d + "\n" for d in shards[k])
        print("shard-%d.txt\t%d domains" % (k, len(shards[k])))
    with_mx = sum(1 for d in domains if d in mx)
    print("%d domains (%d with MX answers), %d groups, largest %d" % (
        len(domains), with_mx, len(order), len(order[0]) if order else 0))


if __name__ == "__main__":
    main(sys.argv)
