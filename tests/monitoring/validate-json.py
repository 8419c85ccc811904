#!/usr/bin/python3
"""Validates daneprobe JSON output against contrib/json/daneprobe.schema.json.

usage: validate-json.py SCHEMA json FILE...    (each FILE one document)
       validate-json.py SCHEMA jsonl FILE...   (each line a #/$defs/domain)
       validate-json.py SCHEMA rollover FILE...
                          (each FILE a #/$defs/rollover_document)

Prints one line per error and exits 1 when any file is invalid, 2 on bad
usage or an invalid schema.  Needs Debian's python3-jsonschema (>= 4, for
draft 2020-12).
"""
import json
import sys

import jsonschema


def main(argv):
    if len(argv) < 4 or argv[2] not in ("json", "jsonl", "rollover"):
        print(__doc__, file=sys.stderr)
        return 2
    with open(argv[1], encoding="utf-8") as f:
        schema = json.load(f)
    jsonschema.Draft202012Validator.check_schema(schema)
    doc_validator = jsonschema.Draft202012Validator(schema)
    # A line of jsonl is the domain definition, resolved inside the schema.
    line_schema = {"$ref": "#/$defs/domain", "$defs": schema["$defs"]}
    line_validator = jsonschema.Draft202012Validator(line_schema)
    roll_schema = {"$ref": "#/$defs/rollover_document",
                   "$defs": schema["$defs"]}
    roll_validator = jsonschema.Draft202012Validator(roll_schema)
    bad = 0
    for path in argv[3:]:
        with open(path, encoding="utf-8") as f:
            if argv[2] in ("json", "rollover"):
                items = [("", json.load(f))]
            else:
                items = [(":%d" % (i + 1), json.loads(line))
                         for i, line in enumerate(f) if line.strip()]
                if not items:
                    print("%s: no JSON lines" % path)
                    bad += 1
        validator = {"json": doc_validator, "jsonl": line_validator,
                     "rollover": roll_validator}[argv[2]]
        for where, item in items:
            for err in validator.iter_errors(item):
                bad += 1
                print("%s%s: %s: %s" % (path, where, err.json_path,
                                        err.message[:300]))
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
