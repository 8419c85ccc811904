#!/usr/bin/env python3
"""A UDP DNS proxy on 127.0.0.1 that loses queries.

    lossy-dns.py UPSTREAM DROP SEED

Forwards each query to UPSTREAM port 53 and relays the answer, except a
fraction DROP of queries (chosen by a generator seeded with SEED), which
it ignores, as a lossy path would.  Binds a free port, prints it on the
first line of stdout, then serves until killed.  tests/valgrind/run puts
it between daneprobe and the lab resolver: lookups that time out in the
middle of DNSSEC validation once made getdns free memory it still used.
"""
import random
import socket
import sys
import threading


def relay(sock, query, client, upstream):
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as up:
        up.settimeout(10)
        try:
            up.sendto(query, (upstream, 53))
            sock.sendto(up.recv(65535), client)
        except OSError:
            pass


def main():
    upstream, drop, seed = sys.argv[1], float(sys.argv[2]), int(sys.argv[3])
    rng = random.Random(seed)
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.bind(("127.0.0.1", 0))
    print(sock.getsockname()[1], flush=True)
    while True:
        query, client = sock.recvfrom(65535)
        if rng.random() >= drop:
            threading.Thread(target=relay, args=(sock, query, client, upstream),
                             daemon=True).start()


if __name__ == "__main__":
    main()
