#!/usr/bin/env python3
"""hostile-dns.py -- a lying DNS resolver for the lab (tests/lab/hostile.test).

Listens on ADDR:53 (TCP, length-framed and pipelined as RFC 7766 allows,
and UDP), forwards every query to the lab's resolver and, where a rule in
the rules file matches the question, rewrites the answer with records that
are really signed -- by another zone.  A signature covers its owner name,
so forged RRsets keep their own owner names: a validator that checks the
signatures but not that they answer the question believes them.

    hostile-dns.py --listen 127.53.0.66 --rules FILE --log FILE
        [--upstream 127.53.0.1] [--foreign 127.53.0.2] [--pidfile FILE]

The rules file is read again whenever it changes, so one proxy serves every
case.  One rule a line, '#' starts a comment, the first match wins:

    QNAME QTYPE ACTION [ARG...]

QNAME is a name ("mx-ee.dane.lab") or "*.ZONE" (ZONE and every name below
it); QTYPE a type name or "*".  Without a matching rule: pass.  Actions
(NAME TYPE is the foreign question, asked of --foreign with the DO bit;
the client's ID, question and EDNS record are kept unless said otherwise):

    pass [SERVER]         forward to SERVER (default --upstream) unchanged
    replace NAME TYPE     rcode, answer and authority of the foreign reply
                          (a foreign RRset, or an NXDOMAIN/NODATA with the
                          foreign zone's SOA and NSEC/NSEC3 proof)
    append NAME TYPE      the real answer plus the foreign answer section
    add-authority NAME TYPE   the real reply plus the foreign answer section
    add-additional NAME TYPE  in the authority or additional section (what
                          other resolvers send along, e.g. the zone's signed
                          NS RRset: an honest reply must stay honest)
    cname-target NAME TYPE  the real answer's CNAMEs (and their RRSIGs),
                          then the foreign answer instead of the target's data
    question NAME TYPE    the foreign reply as it is: the answer to another
                          question (only the ID is the client's)
    hold-until EPOCH [SERVER]  the real answer, sent once the clock has
                          passed EPOCH (seconds since the epoch)
    forge KEY HEX...      an RRset made here: owner QNAME, type QTYPE, one
                          record per HEX rdata, signed with KEY (an ldns key
                          base name, ECDSA P-256: KEY.key and KEY.private)
                          under KEY's owner as signer name -- the right
                          owner, signed by a zone that does not hold it
    forge-nodata KEY      NOERROR, no answer; authority: the real SOA of
                          KEY's zone and an NSEC at QNAME listing only RRSIG
                          and NSEC, signed with KEY: a denial for QNAME from
                          a zone that does not hold it

Every query is logged, one line: time, client transport, QNAME QTYPE, the
action taken and the rcode sent ("rewrote" marks the ones a rule changed).
Python standard library only.
"""

import argparse
import base64
import os
import random
import socket
import socketserver
import struct
import subprocess
import sys
import tempfile
import threading
import time

TYPES = {
    "A": 1, "NS": 2, "CNAME": 5, "SOA": 6, "PTR": 12, "MX": 15, "TXT": 16,
    "AAAA": 28, "DS": 43, "RRSIG": 46, "NSEC": 47, "DNSKEY": 48,
    "NSEC3": 50, "NSEC3PARAM": 51, "TLSA": 52, "ANY": 255,
}
TYPE_NAMES = {v: k for k, v in TYPES.items()}
T_CNAME, T_RRSIG, T_OPT = 5, 46, 41
UPSTREAM_TIMEOUT = 5.0


class WireError(Exception):
    pass


# ------------------------------------------------------------- the codec

def read_name(msg, off):
    """The name at off, uncompressed (wire form), and the offset after it."""
    out = bytearray()
    end = None
    hops = 0
    while True:
        if off >= len(msg):
            raise WireError("name runs off the message")
        n = msg[off]
        if n & 0xC0 == 0xC0:
            if off + 1 >= len(msg) or hops > 64:
                raise WireError("bad compression pointer")
            if end is None:
                end = off + 2
            off = ((n & 0x3F) << 8) | msg[off + 1]
            hops += 1
            continue
        if n & 0xC0:
            raise WireError("bad label type")
        out += msg[off:off + 1 + n]
        off += 1 + n
        if n == 0:
            return bytes(out), (end if end is not None else off)


def name_text(wire):
    labels, i = [], 0
    while wire[i]:
        labels.append(wire[i + 1:i + 1 + wire[i]].decode("ascii", "replace"))
        i += 1 + wire[i]
    return ".".join(labels).lower() or "."


def name_wire(text):
    out = bytearray()
    for label in text.strip(".").split("."):
        if label:
            out += bytes([len(label)]) + label.encode("ascii")
    return bytes(out + b"\0")


def read_rdata(msg, off, rtype, rdlen):
    """rdata with the names of the types that may be compressed (RFC 3597
    section 4) expanded, so that it can move to another message."""
    end = off + rdlen
    if rtype in (2, 5, 12):  # NS CNAME PTR
        name, _ = read_name(msg, off)
        return name
    if rtype == 15:  # MX
        name, _ = read_name(msg, off + 2)
        return msg[off:off + 2] + name
    if rtype == 6:  # SOA
        mname, o = read_name(msg, off)
        rname, o = read_name(msg, o)
        return mname + rname + msg[o:end]
    return msg[off:end]


class RR:
    def __init__(self, name, rtype, rclass, ttl, rdata):
        self.name, self.rtype, self.rclass = name, rtype, rclass
        self.ttl, self.rdata = ttl, rdata

    def covered(self):
        """Type covered by an RRSIG."""
        return struct.unpack("!H", self.rdata[:2])[0]

    def wire(self):
        return self.name + struct.pack("!HHIH", self.rtype, self.rclass,
                                       self.ttl, len(self.rdata)) + self.rdata


class Message:
    def __init__(self):
        self.id = 0
        self.flags = 0
        self.question = []  # (name wire, qtype, qclass)
        self.sections = [[], [], []]  # answer, authority, additional

    @classmethod
    def parse(cls, msg):
        if len(msg) < 12:
            raise WireError("short message")
        m = cls()
        m.id, m.flags, qd, an, ns, ar = struct.unpack("!HHHHHH", msg[:12])
        off = 12
        for _ in range(qd):
            name, off = read_name(msg, off)
            qtype, qclass = struct.unpack("!HH", msg[off:off + 4])
            off += 4
            m.question.append((name, qtype, qclass))
        for sec, count in zip(m.sections, (an, ns, ar)):
            for _ in range(count):
                name, off = read_name(msg, off)
                if off + 10 > len(msg):
                    raise WireError("record runs off the message")
                rtype, rclass, ttl, rdlen = struct.unpack("!HHIH",
                                                          msg[off:off + 10])
                off += 10
                if off + rdlen > len(msg):
                    raise WireError("rdata runs off the message")
                sec.append(RR(name, rtype, rclass, ttl,
                              read_rdata(msg, off, rtype, rdlen)))
                off += rdlen
        return m

    def wire(self):
        out = bytearray(struct.pack("!HHHHHH", self.id, self.flags,
                                    len(self.question), *map(len, self.sections)))
        for name, qtype, qclass in self.question:
            out += name + struct.pack("!HH", qtype, qclass)
        for sec in self.sections:
            for rr in sec:
                out += rr.wire()
        return bytes(out)

    @property
    def rcode(self):
        return self.flags & 0xF

    def set_rcode(self, rcode):
        self.flags = (self.flags & ~0xF) | (rcode & 0xF)

    def opt(self):
        return [rr for rr in self.sections[2] if rr.rtype == T_OPT]


def make_query(name, qtype):
    """A query without RD, with EDNS (1232 bytes) and the DO bit."""
    m = Message()
    m.id = random.randrange(65536)
    m.question = [(name_wire(name), qtype, 1)]
    m.sections[2] = [RR(b"\0", T_OPT, 1232, 0x8000, b"")]
    return m.wire()


# ------------------------------------------------------------- upstreams

def recv_exact(sock, n):
    buf = bytearray()
    while len(buf) < n:
        chunk = sock.recv(n - len(buf))
        if not chunk:
            raise WireError("connection closed")
        buf += chunk
    return bytes(buf)


def ask(server, query):
    """The reply of server (ADDR, port 53) to query, over TCP."""
    with socket.create_connection((server, 53), timeout=UPSTREAM_TIMEOUT) as s:
        s.sendall(struct.pack("!H", len(query)) + query)
        n = struct.unpack("!H", recv_exact(s, 2))[0]
        reply = recv_exact(s, n)
    if reply[:2] != query[:2]:
        raise WireError("upstream reply with the wrong ID")
    return reply


def ask_foreign(args, name, qtype):
    return Message.parse(ask(args.foreign, make_query(name, type_code(qtype))))


def type_code(text):
    text = text.upper()
    if text in TYPES:
        return TYPES[text]
    if text.startswith("TYPE") and text[4:].isdigit():
        return int(text[4:])
    raise ValueError("unknown type " + text)


# --------------------------------------------------------------- signing

class Key:
    """An ldns ECDSA P-256 key pair (KEY.key: the DNSKEY RR, KEY.private:
    the private scalar), for signing RRsets with openssl."""

    def __init__(self, base):
        with open(base + ".key") as f:
            words = f.read().split(";")[0].split()
        i = words.index("DNSKEY")
        self.owner = words[0].lower().rstrip(".") or "."
        flags, proto, alg = int(words[i + 1]), int(words[i + 2]), int(words[i + 3])
        if alg != 13:
            raise ValueError("only ECDSAP256SHA256 keys are supported")
        pub = base64.b64decode("".join(words[i + 4:]))
        self.rdata = struct.pack("!HBB", flags, proto, alg) + pub
        self.tag = key_tag(self.rdata)
        with open(base + ".private") as f:
            fields = dict(line.split(":", 1) for line in f if ":" in line)
        d = base64.b64decode(fields["PrivateKey"].strip())
        # SEC1 ECPrivateKey, prime256v1, for openssl
        der = bytes.fromhex("30310201010420") + d + bytes.fromhex("a00a06082a8648ce3d030107")
        self.pem = ("-----BEGIN EC PRIVATE KEY-----\n%s\n-----END EC PRIVATE KEY-----\n"
                    % base64.b64encode(der).decode())

    def sign(self, data):
        """Raw r|s ECDSA signature over data (SHA-256), by openssl."""
        with tempfile.NamedTemporaryFile("w", suffix=".pem") as kf:
            kf.write(self.pem)
            kf.flush()
            der = subprocess.run(["openssl", "dgst", "-sha256", "-sign", kf.name],
                                 input=data, capture_output=True, check=True).stdout
        # SEQUENCE { INTEGER r, INTEGER s }
        off = 2 if der[1] < 0x80 else 3
        out = b""
        for _ in range(2):
            n = der[off + 1]
            out += der[off + 2:off + 2 + n].lstrip(b"\0").rjust(32, b"\0")
            off += 2 + n
        return out


def key_tag(rdata):
    """RFC 4034 appendix B."""
    acc = 0
    for i, b in enumerate(rdata):
        acc += b if i & 1 else b << 8
    acc += (acc >> 16) & 0xFFFF
    return acc & 0xFFFF


def signed_rrset(key, owner, rtype, ttl, rdatas):
    """The RRs of an RRset and its RRSIG by key (RFC 4034 3.1.8.1)."""
    now = int(time.time())
    labels = len([l for l in name_text(owner).split(".") if l and l != "*"])
    head = struct.pack("!HBBIIIH", rtype, 13, labels, ttl, now + 86400, now - 3600,
                       key.tag) + name_wire(key.owner)
    data = head + b"".join(owner.lower() + struct.pack("!HHIH", rtype, 1, ttl, len(r)) + r
                           for r in sorted(rdatas))
    rrs = [RR(owner, rtype, 1, ttl, r) for r in rdatas]
    return rrs + [RR(owner, T_RRSIG, 1, ttl, head + key.sign(data))]


# ----------------------------------------------------------------- rules

class Rules:
    """The rules file, read again when its mtime or size changes."""

    def __init__(self, path):
        self.path = path
        self.stamp = None
        self.rules = []
        self.lock = threading.Lock()

    def load(self):
        try:
            st = os.stat(self.path)
        except FileNotFoundError:
            return []
        stamp = (st.st_mtime_ns, st.st_size, st.st_ino)
        with self.lock:
            if stamp != self.stamp:
                rules = []
                with open(self.path) as f:
                    for line in f:
                        words = line.split("#", 1)[0].split()
                        if len(words) >= 3:
                            rules.append(words)
                self.rules, self.stamp = rules, stamp
            return self.rules

    def match(self, qname, qtype):
        for words in self.load():
            pat, ptype = words[0].lower().rstrip("."), words[1].upper()
            if ptype not in ("*", TYPE_NAMES.get(qtype, "TYPE%d" % qtype)):
                continue
            if pat.startswith("*."):
                zone = pat[2:]
                if qname != zone and not qname.endswith("." + zone):
                    continue
            elif pat != qname:
                continue
            return words[2].lower(), words[3:]
        return "pass", []


# --------------------------------------------------------------- actions

def forward(args, query, server=None):
    return Message.parse(ask(server or args.upstream, query))


def act(args, action, params, query, client):
    """The reply to send for client's query (parsed), and what was done."""
    if action == "pass":
        return forward(args, query, params[0] if params else None), "pass"
    if action == "hold-until":
        real = forward(args, query, params[1] if len(params) > 1 else None)
        delay = float(params[0]) - time.time()
        if delay > 0:
            time.sleep(delay)
        return real, "rewrote: held until %s" % params[0]
    if action in ("forge", "forge-nodata"):
        return forge(args, action, params, query, client)
    name, qtype = params[0], params[1]
    foreign = ask_foreign(args, name, qtype)
    what = "rewrote: %s %s %s" % (action, name, qtype)
    if action == "question":
        foreign.id = client.id
        foreign.flags = (foreign.flags & ~0x0400) | 0x8080  # not AA; QR RA
        return foreign, what
    real = forward(args, query)
    if action == "replace":
        real.set_rcode(foreign.rcode)
        real.sections[0] = foreign.sections[0]
        real.sections[1] = foreign.sections[1]
    elif action == "append":
        real.sections[0] = real.sections[0] + foreign.sections[0]
    elif action == "add-authority":
        real.sections[1] = real.sections[1] + foreign.sections[0]
    elif action == "add-additional":
        real.sections[2] = real.opt() + foreign.sections[0]
        return real, what
    elif action == "cname-target":
        real.sections[0] = [rr for rr in real.sections[0]
                            if rr.rtype == T_CNAME or
                            (rr.rtype == T_RRSIG and rr.covered() == T_CNAME)]
        real.sections[0] += foreign.sections[0]
        real.set_rcode(0)
    else:
        raise ValueError("unknown action " + action)
    real.sections[2] = real.opt()
    return real, what


def forge(args, action, params, query, client):
    key = Key(params[0])
    owner, qtype = client.question[0][0], client.question[0][1]
    real = forward(args, query)
    real.sections[2] = real.opt()
    real.sections[1] = []
    real.set_rcode(0)
    if action == "forge":
        real.sections[0] = signed_rrset(key, owner, qtype, 60,
                                        [bytes.fromhex(h) for h in params[1:]])
        return real, "rewrote: forged %s signed by %s" % (TYPE_NAMES.get(qtype), key.owner)
    soa = ask_foreign(args, key.owner, "SOA").sections[0]
    # NSEC: next name QNAME's first child, types RRSIG and NSEC only
    nsec = b"\x01\x00" + owner + bytes.fromhex("000600000000000003")
    real.sections[0] = []
    real.sections[1] = soa + signed_rrset(key, owner, 47, 60, [nsec])
    return real, "rewrote: forged NODATA signed by %s" % key.owner


def servfail(client):
    m = Message()
    m.id = client.id
    m.flags = 0x8000 | (client.flags & 0x0100) | 0x0080 | 2
    m.question = client.question
    return m


class Proxy:
    def __init__(self, args):
        self.args = args
        self.rules = Rules(args.rules)
        self.log_lock = threading.Lock()
        self.logf = open(args.log, "a", buffering=1) if args.log else sys.stderr

    def log(self, text):
        with self.log_lock:
            self.logf.write("%.3f %s\n" % (time.time(), text))

    def answer(self, query, transport):
        """The reply (wire) to one query."""
        try:
            client = Message.parse(query)
        except WireError as e:
            self.log("%s unparsable query: %s" % (transport, e))
            return None
        if len(client.question) != 1:
            return servfail(client).wire()
        qname = name_text(client.question[0][0])
        qtype = client.question[0][1]
        action, params = self.rules.match(qname, qtype)
        try:
            reply, what = act(self.args, action, params, query, client)
        except (OSError, WireError, ValueError, IndexError) as e:
            reply, what = servfail(client), "SERVFAIL (%s: %s)" % (action, e)
        self.log("%s %s %s %s rcode=%d an=%d ns=%d" % (
            transport, qname, TYPE_NAMES.get(qtype, qtype), what,
            reply.rcode, len(reply.sections[0]), len(reply.sections[1])))
        return reply.wire()


class TCPHandler(socketserver.BaseRequestHandler):
    """One client connection: every query in its own thread (answers go
    back as they are ready, in any order), writes serialised."""

    def handle(self):
        proxy = self.server.proxy
        wlock = threading.Lock()
        workers = []

        def work(query):
            reply = proxy.answer(query, "tcp")
            if reply is None:
                return
            with wlock:
                try:
                    self.request.sendall(struct.pack("!H", len(reply)) + reply)
                except OSError:
                    pass

        try:
            while True:
                n = struct.unpack("!H", recv_exact(self.request, 2))[0]
                t = threading.Thread(target=work, args=(recv_exact(self.request, n),),
                                     daemon=True)
                t.start()
                workers.append(t)
        except (WireError, OSError, struct.error):
            pass
        for t in workers:
            t.join()


class UDPHandler(socketserver.BaseRequestHandler):
    def handle(self):
        query, sock = self.request
        reply = self.server.proxy.answer(query, "udp")
        if reply is None:
            return
        if len(reply) > 1232:  # truncated: header and question only
            m = Message.parse(reply)
            m.flags |= 0x0200
            m.sections = [[], [], m.opt()]
            reply = m.wire()
        sock.sendto(reply, self.client_address)


class TCPServer(socketserver.ThreadingTCPServer):
    allow_reuse_address = True
    daemon_threads = True


class UDPServer(socketserver.ThreadingUDPServer):
    allow_reuse_address = True
    daemon_threads = True


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--listen", required=True, help="address (port 53)")
    p.add_argument("--rules", required=True, help="rules file (may not exist yet)")
    p.add_argument("--upstream", default="127.53.0.1", help="resolver to forward to")
    p.add_argument("--foreign", default="127.53.0.2",
                   help="authoritative server the forged records come from")
    p.add_argument("--log", help="log file (default stderr)")
    p.add_argument("--pidfile", help="written once both sockets listen")
    args = p.parse_args()
    proxy = Proxy(args)
    servers = []
    for cls, handler in ((TCPServer, TCPHandler), (UDPServer, UDPHandler)):
        srv = cls((args.listen, 53), handler)
        srv.proxy = proxy
        servers.append(srv)
        threading.Thread(target=srv.serve_forever, daemon=True).start()
    if args.pidfile:
        with open(args.pidfile + ".new", "w") as f:
            f.write("%d\n" % os.getpid())
        os.rename(args.pidfile + ".new", args.pidfile)
    proxy.log("listening on %s:53 (tcp, udp), upstream %s, foreign %s" % (
        args.listen, args.upstream, args.foreign))
    try:
        threading.Event().wait()
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    main()
