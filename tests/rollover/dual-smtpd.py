#!/usr/bin/python3
"""A minimal SMTP server with STARTTLS and two certificates at once (an
ECDSA and an RSA key, as Postfix serves with two smtpd_tls_chain_files),
for tests/rollover/tlsa-server.test: no root, no lab.  OpenSSL picks the
certificate from the client's signature algorithms.

usage: dual-smtpd.py ADDR PORT READY-FILE CHAIN.pem KEY.pem [CHAIN.pem KEY.pem]
Serves connections one at a time until killed; writes READY-FILE once
listening.
"""
import socket
import ssl
import sys


def serve(conn, ctx):
    f = conn.makefile("rwb", buffering=0)
    f.write(b"220 dual.test ESMTP\r\n")
    tls = False
    while True:
        line = f.readline()
        if not line:
            return
        cmd = line.strip().upper()
        if cmd.startswith(b"EHLO"):
            f.write(b"250-dual.test\r\n" +
                    (b"250 8BITMIME\r\n" if tls else b"250 STARTTLS\r\n"))
        elif cmd == b"STARTTLS" and not tls:
            f.write(b"220 go ahead\r\n")
            try:
                conn = ctx.wrap_socket(conn, server_side=True)
            except (ssl.SSLError, OSError):
                return  # a client offering no algorithm we can serve
            f = conn.makefile("rwb", buffering=0)
            tls = True
        elif cmd == b"QUIT":
            f.write(b"221 bye\r\n")
            return
        else:
            f.write(b"502 no\r\n")


def main():
    addr, port, ready = sys.argv[1], int(sys.argv[2]), sys.argv[3]
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    pairs = sys.argv[4:]
    for i in range(0, len(pairs), 2):
        ctx.load_cert_chain(pairs[i], pairs[i + 1])
    srv = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    srv.bind((addr, port))
    srv.listen(8)
    with open(ready, "w") as r:
        r.write("ready\n")
    while True:
        conn, _ = srv.accept()
        conn.settimeout(10)
        try:
            serve(conn, ctx)
        except OSError:
            pass
        finally:
            conn.close()


if __name__ == "__main__":
    main()
