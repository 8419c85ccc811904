# TRACE_DOMAIN=D TRACE_ARGS='check [options] D' gdb -batch -x trace-domain.py DANEPROBE
# Logs, in call order, every entry of a function of the project (a source
# file under src/ or plugins/) that receives the domain: an argument that is
# the domain string, an argv holding it, or a pointer to a struct that holds
# it within two levels of pointers/struct fields.  Output: one line per hop
# "N file:function arg" in $TRACE_OUT (default /dev/stdout).
import gdb, os, re

DOMAIN = os.environ["TRACE_DOMAIN"]
OUTF = open(os.environ.get("TRACE_OUT", "/dev/stdout"), "w")
SRC_RE = re.compile(r"(^|/)(src|plugins)/")

def is_charp(t):
    t = t.strip_typedefs()
    return t.code == gdb.TYPE_CODE_PTR and t.target().strip_typedefs().code == gdb.TYPE_CODE_INT \
        and t.target().strip_typedefs().sizeof == 1

def addr(v):
    return int(v.cast(gdb.lookup_type("unsigned long")))

def str_of(v):
    try:
        if addr(v) == 0:
            return None
        return v.string()
    except Exception:
        return None

def holds(v, depth, seen):
    """The path (".field->field") by which v holds the domain, or None."""
    try:
        t = v.type.strip_typedefs()
        if is_charp(t):
            return "" if str_of(v) == DOMAIN else None
        if t.code == gdb.TYPE_CODE_ARRAY:
            et = t.target().strip_typedefs()
            if et.code == gdb.TYPE_CODE_INT and et.sizeof == 1:
                s = v.address.cast(gdb.lookup_type("char").pointer()).string()
                return "" if s == DOMAIN else None
            return None
        if t.code == gdb.TYPE_CODE_PTR:
            tt = t.target().strip_typedefs()
            if addr(v) == 0 or depth < 0:
                return None
            if is_charp(tt):  # char **: argv or a name list
                for i in range(32):
                    s = str_of(v[i])
                    if s is None:
                        break
                    if s == DOMAIN:
                        return "[%d]" % i
                return None
            if tt.code == gdb.TYPE_CODE_STRUCT:
                a = addr(v)
                if a in seen:
                    return None
                seen.add(a)
                p = holds(v.dereference(), depth - 1, seen)
                return None if p is None else "->" + p.lstrip(".")
            return None
        if t.code == gdb.TYPE_CODE_STRUCT:
            for f in t.fields():
                if f.bitpos is None or f.name is None:
                    continue
                p = holds(v[f.name], depth, seen)
                if p is not None:
                    return "." + f.name + p
        return None
    except Exception:
        return None

def relpath(f):
    # the path inside the repository: src/..., plugins/...
    m = re.search(r"(?:^|/)((?:src|plugins)/.*)$", f)
    return m.group(1) if m else f

n = 0
# A function entered often without the domain (event loop, hex, logging)
# only slows the run down (a lookup may then time out): after HOT entries
# without the domain its breakpoint is disabled.
HOT = int(os.environ.get("TRACE_HOT", "30"))

class Hop(gdb.Breakpoint):
    hits = 0
    carried = False

    def stop(self):
        self.hits += 1
        if not self.carried and self.hits > HOT:
            self.enabled = False
            return False
        if self.carried_now():
            self.carried = True
        return False

    def carried_now(self):
        global n
        fr = gdb.selected_frame()
        fn = fr.function()
        if fn is None:
            return False
        try:
            blk = fr.block()
        except RuntimeError:
            return False
        for sym in blk:
            if not sym.is_argument:
                continue
            try:
                path = holds(sym.value(fr), 2, set())
                if path is not None:
                    n += 1
                    OUTF.write("%d %s:%s %s%s (%s)\n" % (n, relpath(fn.symtab.filename), fn.name, sym.name, path, sym.type))
                    OUTF.flush()
                    return True
            except Exception:
                pass
        return False

gdb.execute("set pagination off")
gdb.execute("set confirm off")
gdb.execute("set breakpoint pending on")
# Every function defined in the project's own source files.
out = gdb.execute("info functions", to_string=True)
cur = None
funcs = []
for line in out.splitlines():
    m = re.match(r"^File (.*):$", line)
    if m:
        cur = m.group(1)
        continue
    if cur and SRC_RE.search(cur):
        m = re.match(r"^\d+:\s.*?\b(\w+)\(", line)
        if m:
            funcs.append((cur, m.group(1)))
bps = [Hop("%s:%s" % (os.path.basename(f), fn), internal=True) for f, fn in funcs]

def on_exit(ev):
    if os.environ.get("TRACE_STATS"):
        for b in sorted(bps, key=lambda b: -b.hits)[:15]:
            print("hits %d %s %s" % (b.hits, b.location, b.enabled))
gdb.events.exited.connect(on_exit)
gdb.execute("run %s > %s" % (os.environ["TRACE_ARGS"], os.environ.get("TRACE_PROG_OUT", "/dev/null")))
