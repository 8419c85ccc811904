#!/usr/bin/env python3
"""Merge the shards' jsonl files into one (contrib/survey/README.md).

    merge.py OUT SHARD.jsonl...

Copies every complete record (a line with its newline that parses as a
JSON object with a "domain") of the shard files to OUT, each domain once
(the first record wins), and skips the rest: a torn last line of a shard
killed mid-write, a shard's duplicate.  OUT is written to a temporary
file in its directory, flushed, then renamed: a reader never sees half of
it.  Prints what it took and skipped on stderr.  Standard library only.
"""
import json
import os
import sys
import tempfile


def records(path):
    with open(path, "rb") as f:
        for line in f:
            if not line.endswith(b"\n"):
                yield None, line  # torn: no newline
                continue
            try:
                rec = json.loads(line)
            except ValueError:
                yield None, line
                continue
            dom = rec.get("domain") if isinstance(rec, dict) else None
            yield (dom if isinstance(dom, str) and dom else None), line


def main(argv):
    if len(argv) < 2:
        sys.exit(__doc__.split("\n\n")[1])
    out, shards = argv[1], argv[2:]
    seen, bad, dup = set(), 0, 0
    fd, tmp = tempfile.mkstemp(prefix=".merge.", dir=os.path.dirname(
        os.path.abspath(out)))
    try:
        with os.fdopen(fd, "wb") as o:
            for path in shards:
                for dom, line in records(path):
                    if dom is None:
                        bad += 1
                    elif dom in seen:
                        dup += 1
                    else:
                        seen.add(dom)
                        o.write(line)
            o.flush()
            os.fsync(o.fileno())
        os.chmod(tmp, 0o644)
        os.rename(tmp, out)
    except BaseException:
        os.unlink(tmp)
        raise
    print("merge: %d records from %d shard file(s) into %s; skipped %d "
          "torn or bad line(s), %d duplicate(s)" % (len(seen), len(shards),
                                                   out, bad, dup),
          file=sys.stderr)


if __name__ == "__main__":
    main(sys.argv)
