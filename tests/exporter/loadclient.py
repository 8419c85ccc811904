#!/usr/bin/python3
"""HTTP load for `daneprobe exporter` (tests/exporter/load.sh).

  loadclient.py flood HOST PORT CONNS SECONDS PAUSE TARGETS_FILE
      keeps CONNS connections open at once for SECONDS (opening a new one
      whenever the server closes one); each waits about PAUSE seconds,
      then sends a request -- /probe?target= one of the targets
      (50 %), /metrics (30 %), / (10 %), a bad request (10 %: no target, a
      bad name, a 10 KB query, an unknown module) -- and reads the answer.
      /probe requests carry X-Prometheus-Scrape-Timeout-Seconds: 5.
  loadclient.py slowloris HOST PORT CONNS SECONDS
      opens CONNS connections and sends a request's header one byte per
      second on each, never finishing it; notes when the server hangs up.

The flood comes from 127.0.0.77, slowloris from 127.0.0.66 (any 127/8
address works on Linux loopback).  Prints one JSON object with the counts
and latencies.  Standard library
only.
"""
import asyncio
import json
import random
import resource
import sys
import time

SCRAPE_TIMEOUT = 5.0
# Each client from an address of its own, as on a network: the exporter
# may tell them apart from Prometheus (127.0.0.1).
FLOOD_SOURCE = "127.0.0.77"
SLOW_SOURCE = "127.0.0.66"


def raise_fd_limit():
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))


def request(targets):
    r = random.random()
    if r < 0.5:
        path = "/probe?target=" + random.choice(targets)
    elif r < 0.8:
        path = "/metrics"
    elif r < 0.9:
        path = "/"
    else:
        path = random.choice(["/probe", "/probe?target=bad..name",
                              "/probe?target=" + "a" * 10000,
                              "/probe?target=x.lab&module=nonexistent"])
    kind = "/probe-huge" if path.startswith("/probe?target=aaaa") else path.split("?")[0]
    return kind, ("GET %s HTTP/1.1\r\nHost: exporter\r\n"
                  "X-Prometheus-Scrape-Timeout-Seconds: %g\r\n"
                  "\r\n" % (path, SCRAPE_TIMEOUT)).encode()


class Stats:
    def __init__(self):
        self.status = {}
        self.errors = {}
        self.latency = {}      # "kind status" -> [seconds]
        self.open_now = 0
        self.open_max = 0
        self.connects = 0

    def count(self, table, k):
        table[k] = table.get(k, 0) + 1


async def read_response(reader):
    """Status code and whether the server keeps the connection."""
    head = await reader.readuntil(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    code = lines[0].split(" ")[1]
    length, close = None, False
    for line in lines[1:]:
        k, _, v = line.partition(":")
        if k.lower() == "content-length":
            length = int(v)
        elif k.lower() == "connection" and "close" in v.lower():
            close = True
    if length is None:
        await reader.read()
        close = True
    else:
        await reader.readexactly(length)
    return code, close


async def session(host, port, targets, end, pause, st):
    """One keep-alive connection: a request every `pause` seconds."""
    try:
        reader, writer = await asyncio.wait_for(
            asyncio.open_connection(host, port, local_addr=(FLOOD_SOURCE, 0)), 10)
    except (OSError, asyncio.TimeoutError) as e:
        st.count(st.errors, "connect:" + type(e).__name__)
        await asyncio.sleep(0.5)
        return
    st.connects += 1
    st.open_now += 1
    st.open_max = max(st.open_max, st.open_now)
    try:
        while time.monotonic() < end:
            # Idle first: the exporter closes after each answer, so the
            # connection is open (and counted) mostly while it waits.
            await asyncio.sleep(random.uniform(0.5, 1.5) * pause)
            if time.monotonic() >= end:
                return
            kind, req = request(targets)
            t0 = time.monotonic()
            writer.write(req)
            await writer.drain()
            # Long enough to see a slow answer, short enough to end the run.
            wait = max(1.0, min(30.0, end - time.monotonic() + 10))
            code, close = await asyncio.wait_for(read_response(reader), wait)
            st.count(st.status, "%s %s" % (kind, code))
            st.latency.setdefault("%s %s" % (kind, code), []).append(
                time.monotonic() - t0)
            # After an error the server may hang up: start afresh.
            if close or code[0] in "45":
                return
    except (OSError, asyncio.TimeoutError, asyncio.IncompleteReadError,
            IndexError, ValueError) as e:
        st.count(st.errors, type(e).__name__)
    finally:
        st.open_now -= 1
        writer.close()


async def worker(host, port, targets, end, pause, st):
    while time.monotonic() < end:
        await session(host, port, targets, end, pause, st)


def summary_latency(lat):
    out = {}
    for k, v in sorted(lat.items()):
        v.sort()
        out[k] = {"n": len(v), "p50": round(v[len(v) // 2], 3),
                  "p99": round(v[int(len(v) * 0.99)], 3),
                  "max": round(v[-1], 3)}
    return out


async def flood(host, port, conns, seconds, pause, targets):
    st = Stats()
    end = time.monotonic() + seconds
    await asyncio.gather(*(worker(host, port, targets, end, pause, st)
                           for _ in range(conns)))
    return {"mode": "flood", "connections": conns, "seconds": seconds,
            "pause": pause, "open_max": st.open_max,
            "connects": st.connects, "status": st.status,
            "errors": st.errors, "latency": summary_latency(st.latency)}


async def slow_one(host, port, end, st, lives):
    header = (b"GET /metrics HTTP/1.1\r\nHost: exporter\r\n"
              b"X-Slow: " + b"a" * 100000)
    t0 = time.monotonic()
    try:
        reader, writer = await asyncio.open_connection(
            host, port, local_addr=(SLOW_SOURCE, 0))
    except OSError as e:
        st.count(st.errors, "connect:" + type(e).__name__)
        return
    try:
        for i in range(len(header)):
            if time.monotonic() >= end:
                st.count(st.status, "still open at the end")
                return
            writer.write(header[i:i + 1])
            await writer.drain()
            try:
                data = await asyncio.wait_for(reader.read(4096), 1.0)
            except asyncio.TimeoutError:
                continue
            # The server answered (408, 400, 431) or hung up: either way
            # it stopped waiting for us.
            line = data.split(b"\r\n", 1)[0].decode("latin-1")
            st.count(st.status, "closed by server: " + (line or "EOF"))
            lives.append(time.monotonic() - t0)
            return
    except OSError as e:
        st.count(st.status, "closed by server: " + type(e).__name__)
        lives.append(time.monotonic() - t0)
    finally:
        writer.close()


async def slowloris(host, port, conns, seconds):
    st = Stats()
    lives = []
    end = time.monotonic() + seconds
    # Whenever the server drops one, open another: the pressure stays.
    async def keep():
        while time.monotonic() < end:
            await slow_one(host, port, end, st, lives)
            await asyncio.sleep(0.1)
    await asyncio.gather(*(keep() for _ in range(conns)))
    lives.sort()
    return {"mode": "slowloris", "connections": conns, "seconds": seconds,
            "status": st.status, "errors": st.errors,
            "held_seconds": {"n": len(lives),
                             "p50": round(lives[len(lives) // 2], 1) if lives else None,
                             "max": round(lives[-1], 1) if lives else None}}


def main(argv):
    raise_fd_limit()
    mode, host, port, conns, seconds = argv[1], argv[2], int(argv[3]), int(argv[4]), float(argv[5])
    if mode == "flood":
        with open(argv[7]) as f:
            targets = [t.strip() for t in f if t.strip()]
        res = asyncio.run(flood(host, port, conns, seconds, float(argv[6]),
                                targets))
    elif mode == "slowloris":
        res = asyncio.run(slowloris(host, port, conns, seconds))
    else:
        print("unknown mode " + mode, file=sys.stderr)
        return 2
    print(json.dumps(res, sort_keys=True))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
