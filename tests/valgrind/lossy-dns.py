#!/usr/bin/env python3
"""A DNS proxy on 127.0.0.1 that loses queries, over UDP and over TCP.

    lossy-dns.py UPSTREAM DROP SEED

Forwards each query to UPSTREAM port 53 and relays the answer, except a
fraction DROP of queries (chosen by generators seeded with SEED), which it
ignores, as a lossy path would.  Listens on one free port for both UDP and
TCP, prints it on the first line of stdout, then serves until killed.

Over TCP each client connection gets its own connection to UPSTREAM; the
proxy reads the client's 2-byte length framing and silently leaves out the
dropped queries while keeping the connection open, so a client pipelining
queries over one connection (daneprobe in stub mode) sees single lookups
go unanswered, not a broken connection.

tests/valgrind/run puts it between daneprobe and the lab resolver: lookups
that time out in the middle of DNSSEC validation once made getdns free
memory it still used.
"""
import random
import socket
import sys
import threading


def udp_relay(sock, query, client, upstream):
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as up:
        up.settimeout(10)
        try:
            up.sendto(query, (upstream, 53))
            sock.sendto(up.recv(65535), client)
        except OSError:
            pass


def serve_udp(sock, upstream, drop, rng):
    while True:
        query, client = sock.recvfrom(65535)
        if rng.random() >= drop:
            threading.Thread(target=udp_relay,
                             args=(sock, query, client, upstream),
                             daemon=True).start()


def read_exactly(conn, n):
    """n bytes from conn, or None at end of stream."""
    buf = b""
    while len(buf) < n:
        chunk = conn.recv(n - len(buf))
        if not chunk:
            return None
        buf += chunk
    return buf


def copy_stream(src, dst):
    """Upstream to client: answers pass unchanged, framing and all."""
    try:
        while True:
            chunk = src.recv(65536)
            if not chunk:
                break
            dst.sendall(chunk)
    except OSError:
        pass
    for s in (src, dst):
        try:
            s.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass


def tcp_client(conn, upstream, drop, rng):
    """Client to upstream, one framed query at a time; some are left out."""
    with conn:
        try:
            up = socket.create_connection((upstream, 53), timeout=10)
        except OSError:
            return
        up.settimeout(None)
        with up:
            threading.Thread(target=copy_stream, args=(up, conn),
                             daemon=True).start()
            try:
                while True:
                    head = read_exactly(conn, 2)
                    if head is None:
                        break
                    query = read_exactly(conn, int.from_bytes(head, "big"))
                    if query is None:
                        break
                    if rng.random() >= drop:
                        up.sendall(head + query)
            except OSError:
                pass
            try:
                up.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass


def serve_tcp(listener, upstream, drop, seed):
    n = 0
    while True:
        conn, _ = listener.accept()
        n += 1
        # One generator per connection: reproducible per connection order
        # and no generator shared between threads.
        rng = random.Random(seed * 1000003 + n)
        threading.Thread(target=tcp_client, args=(conn, upstream, drop, rng),
                         daemon=True).start()


def bind_both():
    """A TCP listener and a UDP socket on the same free port."""
    for _ in range(100):
        tcp = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        tcp.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        tcp.bind(("127.0.0.1", 0))
        port = tcp.getsockname()[1]
        udp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        try:
            udp.bind(("127.0.0.1", port))
        except OSError:
            tcp.close()
            udp.close()
            continue
        tcp.listen(64)
        return tcp, udp, port
    sys.exit("lossy-dns.py: no free port for both UDP and TCP")


def main():
    upstream, drop, seed = sys.argv[1], float(sys.argv[2]), int(sys.argv[3])
    tcp, udp, port = bind_both()
    threading.Thread(target=serve_udp,
                     args=(udp, upstream, drop, random.Random(seed)),
                     daemon=True).start()
    print(port, flush=True)
    serve_tcp(tcp, upstream, drop, seed)


if __name__ == "__main__":
    main()
