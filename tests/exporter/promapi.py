#!/usr/bin/python3
"""Asks a Prometheus server's HTTP API what the exporter tests need.

  promapi.py URL value EXPR            the single value of EXPR, or "none"
  promapi.py URL series EXPR           one line per series: labels value
  promapi.py URL wait SECS EXPR        exit 0 once EXPR returns a series
                                       (polls every 0.5 s), 1 at SECS
  promapi.py URL same JOB INSTANCE FILE
        the daneprobe_* series Prometheus scraped for JOB/INSTANCE against
        FILE (the output of `daneprobe check --format prometheus` for the
        same domain), families that change between probes left out; prints
        the differences, exit 1 if any
  promapi.py URL alerts                one line per alert: name state labels
  promapi.py URL rules                 one line per rule: group name health
  promapi.py URL errors JOB SECS       watches the targets of JOB for SECS
                                       (every 2 s) and counts the failed
                                       scrapes it saw by error

Standard library only.  URL is http://127.0.0.1:PORT.
"""
import json
import re
import sys
import time
import urllib.parse
import urllib.request

# Families whose values differ from one probe to the next (durations,
# clock readings, a TTL counting down in the resolver's cache) or that
# describe the run rather than the domain.
UNSTABLE = re.compile(r"_duration_seconds$|_timestamp_seconds$|"
                      r"^daneprobe_tlsa_ttl_seconds$|^daneprobe_run_|"
                      r"^daneprobe_build_info$|^daneprobe_last_run")
STABLE_TIMESTAMPS = {"daneprobe_cert_not_after_timestamp_seconds"}


def get(base, path, **params):
    url = base + path + ("?" + urllib.parse.urlencode(params) if params else "")
    with urllib.request.urlopen(url, timeout=10) as r:
        doc = json.load(r)
    if doc.get("status") != "success":
        raise RuntimeError("%s: %s" % (url, doc))
    return doc["data"]


def query(base, expr):
    return get(base, "/api/v1/query", query=expr)["result"]


def key(name, labels):
    inner = ",".join('%s="%s"' % (k, labels[k]) for k in sorted(labels))
    return "%s{%s}" % (name, inner)


def stable(name):
    return name in STABLE_TIMESTAMPS or not UNSTABLE.search(name)


LINE = re.compile(r'^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$')
LABEL = re.compile(r'([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)",?')


def parse_exposition(path):
    """The series of a text exposition with a domain label, as key -> value."""
    out = {}
    with open(path) as f:
        for line in f:
            if line.startswith("#") or not line.strip():
                continue
            m = LINE.match(line.rstrip("\n"))
            if not m:
                raise ValueError("unparsed line: " + line)
            name, inner, value = m.groups()
            labels = {k: bytes(v, "utf-8").decode("unicode_escape")
                      for k, v in LABEL.findall(inner or "")}
            if "domain" in labels and stable(name):
                out[key(name, labels)] = float(value)
    return out


def scraped(base, job, instance):
    expr = '{__name__=~"daneprobe_.+",job="%s",instance="%s"}' % (job, instance)
    out = {}
    for s in query(base, expr):
        labels = dict(s["metric"])
        name = labels.pop("__name__")
        labels.pop("job", None)
        labels.pop("instance", None)
        if "domain" in labels and stable(name):
            out[key(name, labels)] = float(s["value"][1])
    return out


def cmd_same(base, job, instance, path):
    want = parse_exposition(path)
    got = scraped(base, job, instance)
    bad = 0
    for k in sorted(set(want) | set(got)):
        if k not in got:
            print("missing in Prometheus: %s %g" % (k, want[k]))
        elif k not in want:
            print("only in Prometheus: %s %g" % (k, got[k]))
        elif want[k] != got[k]:
            print("differs: %s check %g, Prometheus %g" % (k, want[k], got[k]))
        else:
            continue
        bad += 1
    print("%d series compared, %d differ" % (len(want), bad))
    return 1 if bad or not want else 0


def cmd_errors(base, job, seconds):
    seen = {}
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        try:
            targets = get(base, "/api/v1/targets", state="active")
        except OSError:
            targets = {"activeTargets": []}
        for t in targets["activeTargets"]:
            if t["labels"].get("job") != job or not t.get("lastError"):
                continue
            # The URL names the target: keep only the kind of error.
            err = re.sub(r'"http://[^"]*"', "URL", t["lastError"])
            seen[(t["labels"].get("instance"), t["lastScrape"])] = err
        time.sleep(2)
    counts = {}
    for err in seen.values():
        counts[err] = counts.get(err, 0) + 1
    for err, n in sorted(counts.items(), key=lambda x: -x[1]):
        print("%d %s" % (n, err))
    print("%d failed scrapes seen" % len(seen))
    return 0


def main(argv):
    base, cmd, args = argv[1], argv[2], argv[3:]
    if cmd == "value":
        r = query(base, args[0])
        print(r[0]["value"][1] if len(r) == 1 else "none")
    elif cmd == "series":
        for s in query(base, args[0]):
            labels = dict(s["metric"])
            print(key(labels.pop("__name__", ""), labels), s["value"][1])
    elif cmd == "wait":
        end = time.monotonic() + float(args[0])
        while time.monotonic() < end:
            try:
                if query(base, args[1]):
                    return 0
            except OSError:
                pass
            time.sleep(0.5)
        return 1
    elif cmd == "same":
        return cmd_same(base, *args)
    elif cmd == "alerts":
        for a in get(base, "/api/v1/alerts")["alerts"]:
            labels = dict(a["labels"])
            print(labels.pop("alertname"), a["state"], key("", labels))
    elif cmd == "errors":
        return cmd_errors(base, args[0], float(args[1]))
    elif cmd == "rules":
        for g in get(base, "/api/v1/rules")["groups"]:
            for r in g["rules"]:
                print(g["name"], r["name"], r.get("health", "?"))
    else:
        print("unknown command " + cmd, file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
