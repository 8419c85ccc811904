#!/usr/bin/python3
"""Checks that every sample of a Prometheus text exposition appears, with
the same value, in another one (e.g. node_exporter's /metrics page), label
order and number formatting aside.

usage: prom-subset.py OURS SCRAPE      exit 0 when all found, 1 otherwise
"""
import math
import re
import sys

LABEL = re.compile(r'\s*([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"\s*,?')


def unescape(v):
    return re.sub(r'\\(.)', lambda m: '\n' if m.group(1) == 'n' else m.group(1), v)


def parse(path):
    samples = {}
    with open(path, encoding="utf-8") as f:
        for line in f:
            line = line.rstrip("\n")
            if not line or line.startswith("#"):
                continue
            if "{" in line:
                name, rest = line.split("{", 1)
                body, value = rest.rsplit("}", 1)
                labels, pos = [], 0
                while pos < len(body):
                    m = LABEL.match(body, pos)
                    if not m:
                        raise ValueError("%s: bad labels: %s" % (path, line))
                    labels.append((m.group(1), unescape(m.group(2))))
                    pos = m.end()
            else:
                name, value = line.split(" ", 1)
                labels = []
            key = (name, frozenset(labels))
            if key in samples:
                raise ValueError("%s: repeated series: %s" % (path, line))
            samples[key] = float(value.split()[0])
    return samples


def same(a, b):
    return (math.isnan(a) and math.isnan(b)) or a == b or \
        abs(a - b) <= 1e-9 * max(abs(a), abs(b))


def main(argv):
    ours, scraped = parse(argv[1]), parse(argv[2])
    bad = 0
    for key, value in ours.items():
        got = scraped.get(key)
        if got is None or not same(got, value):
            bad += 1
            print("%s%s: want %r, got %r" % (key[0], dict(key[1]), value, got))
    print("%d of %d samples found" % (len(ours) - bad, len(ours)))
    return 1 if bad or not ours else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
