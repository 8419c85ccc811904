#!/usr/bin/env python3
"""A forging DNS proxy over TCP for the lab: the manual end-to-end check of
the forgeries test_dns_reply and test_dns_keycache replay from recorded
zones.  Run in the lab's network namespace, then point a stub-mode lookup
at it, e.g. (tests/unit/dns_smoke.c linked against libdaneprobe.a):

  forgeproxy.py 127.53.0.77 127.53.0.1 \
      replace:_25._tcp.ns.lab:TLSA:_25._tcp.mx-ee.dane.lab \
      append:_25._tcp.mx-ee.dane.lab:TLSA:_25._tcp.mx-ta.dane.lab \
      replace:lab:A:mx-ee.dane.lab replace:ns.lab:A:nx.dane.lab \
      replace:insecure.lab:MX:good-ee.dane.lab &
  dns_smoke -r 127.53.0.77 -a $LAB_ANCHOR _25._tcp.ns.lab TLSA ...

forgeproxy.py LISTEN_ADDR UPSTREAM_ADDR RULE...
RULE: replace:QNAME:QTYPE:SRCNAME   answer (QNAME,QTYPE) with the upstream's
                                    answer to (SRCNAME,QTYPE), question kept
      append:QNAME:QTYPE:SRCNAME    the real answer plus the answer section
                                    of (SRCNAME,QTYPE)
Every other query is passed through unchanged.  Names are written
uncompressed.
"""
import socket
import socketserver
import struct
import sys

TYPES = {"A": 1, "NS": 2, "CNAME": 5, "SOA": 6, "MX": 15, "AAAA": 28,
         "TLSA": 52, "DNSKEY": 48, "DS": 43}
UPSTREAM = None
RULES = {}


def read_name(msg, off):
    labels, jumped, end = [], False, None
    while True:
        n = msg[off]
        if n & 0xC0 == 0xC0:
            if not jumped:
                end = off + 2
            off = ((n & 0x3F) << 8) | msg[off + 1]
            jumped = True
            continue
        off += 1
        if n == 0:
            break
        labels.append(msg[off:off + n])
        off += n
    return labels, (end if jumped else off)


def enc_name(labels):
    return b"".join(bytes([len(l)]) + l for l in labels) + b"\0"


def rdata_plain(msg, rtype, off, rdlen):
    """rdata with any compressed names expanded."""
    if rtype in (2, 5, 12):
        return enc_name(read_name(msg, off)[0])
    if rtype == 15:
        return msg[off:off + 2] + enc_name(read_name(msg, off + 2)[0])
    if rtype == 6:
        m, o = read_name(msg, off)
        r, o = read_name(msg, o)
        return enc_name(m) + enc_name(r) + msg[o:o + 20]
    return msg[off:off + rdlen]


def parse(msg):
    hdr = struct.unpack("!6H", msg[:12])
    off = 12
    qs = []
    for _ in range(hdr[2]):
        name, off = read_name(msg, off)
        qs.append((name, msg[off:off + 4]))
        off += 4
    secs = []
    for count in hdr[3:6]:
        rrs = []
        for _ in range(count):
            name, off = read_name(msg, off)
            rtype, rclass, ttl, rdlen = struct.unpack("!HHIH", msg[off:off + 10])
            off += 10
            rd = rdata_plain(msg, rtype, off, rdlen)
            off += rdlen
            rrs.append((name, rtype, rclass, ttl, rd))
        secs.append(rrs)
    return hdr, qs, secs


def build(hdr, qs, secs):
    out = struct.pack("!6H", hdr[0], hdr[1], len(qs), *[len(s) for s in secs])
    for name, rest in qs:
        out += enc_name(name) + rest
    for s in secs:
        for name, rtype, rclass, ttl, rd in s:
            out += enc_name(name) + struct.pack("!HHIH", rtype, rclass, ttl,
                                                len(rd)) + rd
    return out


def ask(query):
    s = socket.create_connection((UPSTREAM, 53), timeout=5)
    s.sendall(struct.pack("!H", len(query)) + query)
    ln = struct.unpack("!H", recv_all(s, 2))[0]
    data = recv_all(s, ln)
    s.close()
    return data


def recv_all(s, n):
    buf = b""
    while len(buf) < n:
        chunk = s.recv(n - len(buf))
        if not chunk:
            raise EOFError
        buf += chunk
    return buf


def ask_as(query, qname_labels):
    hdr, qs, secs = parse(query)
    return ask(build(hdr, [(qname_labels, qs[0][1])], secs))


def forge(query):
    _, qs, _ = parse(query)
    if len(qs) != 1:
        return ask(query)
    qname = b".".join(qs[0][0]).decode().lower()
    qtype = struct.unpack("!H", qs[0][1][:2])[0]
    rule = RULES.get((qname, qtype))
    if rule is None:
        return ask(query)
    kind, src = rule
    src_labels = [l.encode() for l in src.split(".")]
    fhdr, _, fsecs = parse(ask_as(query, src_labels))
    sys.stderr.write("forging %s %d: %s of %s\n" % (qname, qtype, kind, src))
    if kind == "replace":
        return build(fhdr, qs, [fsecs[0], fsecs[1], []])
    rhdr, rqs, rsecs = parse(ask(query))
    return build(rhdr, rqs, [rsecs[0] + fsecs[0], rsecs[1], []])


class Handler(socketserver.BaseRequestHandler):
    def handle(self):
        try:
            while True:
                ln = struct.unpack("!H", recv_all(self.request, 2))[0]
                query = recv_all(self.request, ln)
                reply = forge(query)
                self.request.sendall(struct.pack("!H", len(reply)) + reply)
        except (EOFError, ConnectionError, socket.timeout):
            pass


class Server(socketserver.ThreadingTCPServer):
    allow_reuse_address = True
    daemon_threads = True


def main():
    global UPSTREAM
    listen, UPSTREAM = sys.argv[1], sys.argv[2]
    for r in sys.argv[3:]:
        kind, qname, qtype, src = r.split(":")
        RULES[(qname.lower(), TYPES[qtype])] = (kind, src)
    with Server((listen, 53), Handler) as srv:
        srv.serve_forever()


if __name__ == "__main__":
    main()
