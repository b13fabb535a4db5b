#!/usr/bin/env python3
"""Draining a shift's backlog to the plant (docs/PERFORMANCE.md, "Plant
forwarding"): a station database with RUNS ended 24F SM runs forwarded by
`mpobench sync` to a throw-away PostgreSQL reached through a loopback TCP
proxy that delays every chunk LATENCY/2 each way (LATENCY of round trip).
Beside it, what a plain script does: one `SELECT mpobench_forward(…)` per
record, each waiting for its answer (psql -f with the same payloads, one
connection), on a fresh plant through the same proxy.

  python3 bench/plant_drain.py --mpobench build/app/mpobench [--runs 200] [--latency-ms 50]
"""

import argparse
import asyncio
import os
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "tests", "e2e"))
sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "tests", "clients"))
from test_plant import Cluster, free_port  # noqa: E402

SOURCE = os.path.join(os.path.dirname(__file__), "..")


class TcpCluster(Cluster):
    """The test cluster, also listening on loopback TCP (the proxy's upstream)."""

    def start(self):
        self.pg(["pg_ctl", "-D", self.data, "-l", os.path.join(self.dir, "postgres.log"), "-w", "-o",
                 f"-p {self.port} -k {self.dir} -c listen_addresses=127.0.0.1 -c fsync=off", "start"])


class DelayProxy:
    """Forwards 127.0.0.1:port to upstream, each chunk delivered delay_s after it
    was read (in order), in both directions."""

    def __init__(self, upstream_port, delay_s):
        self.upstream_port = upstream_port
        self.delay_s = delay_s
        self.port = free_port()
        self.loop = asyncio.new_event_loop()
        ready = threading.Event()
        threading.Thread(target=self.run, args=(ready,), daemon=True).start()
        ready.wait()

    def run(self, ready):
        asyncio.set_event_loop(self.loop)
        server = self.loop.run_until_complete(asyncio.start_server(self.client, "127.0.0.1", self.port))
        ready.set()
        self.loop.run_until_complete(server.serve_forever())

    async def pipe(self, reader, writer):
        queue = asyncio.Queue()

        async def deliver():
            while True:
                due, data = await queue.get()
                if data is None:
                    writer.close()
                    return
                wait = due - self.loop.time()
                if wait > 0:
                    await asyncio.sleep(wait)
                writer.write(data)
                await writer.drain()

        sender = asyncio.ensure_future(deliver())
        try:
            while True:
                data = await reader.read(65536)
                if not data:
                    break
                queue.put_nowait((self.loop.time() + self.delay_s, data))
        finally:
            queue.put_nowait((self.loop.time() + self.delay_s, None))
            await sender

    async def client(self, reader, writer):
        up_reader, up_writer = await asyncio.open_connection("127.0.0.1", self.upstream_port)
        await asyncio.gather(self.pipe(reader, up_writer), self.pipe(up_reader, writer),
                             return_exceptions=True)


def run(args, **kwargs):
    result = subprocess.run(args, capture_output=True, text=True, **kwargs)
    if result.returncode != 0:
        raise RuntimeError(f"{' '.join(args)}: exit {result.returncode}\n{result.stdout}\n{result.stderr}")
    return result


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--mpobench", required=True)
    parser.add_argument("--runs", type=int, default=200)
    parser.add_argument("--latency-ms", type=float, default=50)
    parser.add_argument("--repetitions", type=int, default=3)
    parser.add_argument("--station-db", help="a station database made before (kept between invocations)")
    args = parser.parse_args()

    work = tempfile.mkdtemp(prefix="mpobench-bench-drain-")
    cluster = None
    try:
        station = args.station_db or os.path.join(work, "station.db")
        if not os.path.exists(station):
            started = time.monotonic()
            result = subprocess.run([args.mpobench, "--log-level", "warn", "--log-file",
                                     os.path.join(work, "demo.log"), "demo", "--dut",
                                     os.path.join(SOURCE, "fixtures", "data", "standard_sm_24f_c.json"),
                                     "--count", str(args.runs), "--serial", "DRAIN-", "--db", station,
                                     "--time-scale", "0.002"], capture_output=True, text=True)
            if result.returncode not in (0, 1):
                raise RuntimeError(result.stderr)
            print(f"station database: {args.runs} runs of 24F SM in {time.monotonic() - started:.0f} s", flush=True)
        with sqlite3.connect(station) as c:
            ended = c.execute("SELECT count(*) FROM outbox").fetchone()[0]
            measurements = c.execute("SELECT count(*) FROM measurements").fetchone()[0]
        print(f"outbox: {ended} ended runs, {measurements} measurements")

        cluster = TcpCluster()
        run([args.mpobench, "plant", "init", "--to", cluster.url()])
        cluster.psql("CREATE ROLE station LOGIN IN ROLE mpobench_station")
        proxy = DelayProxy(cluster.port, args.latency_ms / 2000.0)
        through_proxy = f"postgresql://station@127.0.0.1:{proxy.port}/postgres"
        print(f"proxy: {args.latency_ms:g} ms round trip added (127.0.0.1:{proxy.port} -> {cluster.port})")

        def empty_plant():
            cluster.psql("TRUNCATE mpobench.measurements, mpobench.runs, mpobench.stations CASCADE")

        ours = []
        payload_file = os.path.join(work, "payloads.sql")
        for repetition in range(args.repetitions):
            empty_plant()
            copy = os.path.join(work, f"copy-{repetition}.db")
            shutil.copyfile(station, copy)
            started = time.monotonic()
            result = run([args.mpobench, "--log-level", "warn", "--log-file", os.path.join(work, "sync.log"),
                          "sync", "--db", copy, "--to", through_proxy])
            ours.append(time.monotonic() - started)
            print(f"mpobench sync: {ours[-1]:.2f} s  ({result.stdout.strip()})", flush=True)
            if repetition == 0:
                with sqlite3.connect(copy) as c, open(payload_file, "w") as f:
                    for payload, digest in c.execute("SELECT payload, payload_sha256 FROM outbox ORDER BY seq"):
                        f.write("SELECT mpobench.mpobench_forward($mpb${}$mpb$::jsonb, '{}');\n".format(payload, digest))
        held = cluster.psql("SELECT count(*) FROM mpobench.runs").stdout.strip()
        assert held == str(ended), f"the plant holds {held} runs, the station {ended}"

        plain = []
        for repetition in range(args.repetitions):
            empty_plant()
            started = time.monotonic()
            run([os.path.join(cluster.bin, "psql"), "-X", "-q", "-v", "ON_ERROR_STOP=1", "-o", "/dev/null",
                 "-h", "127.0.0.1", "-p", str(proxy.port), "-U", "station", "-d", "postgres", "-f", payload_file])
            plain.append(time.monotonic() - started)
            print(f"one round trip per record (psql -f): {plain[-1]:.2f} s", flush=True)

        best = min(ours)
        print(f"\nresult: {ended} runs through {args.latency_ms:g} ms of round trip: mpobench sync "
              f"{best:.2f} s (best of {args.repetitions}; goal < 10 s), one round trip per record "
              f"{min(plain):.2f} s; floor of the latter {ended} x {args.latency_ms:g} ms = "
              f"{ended * args.latency_ms / 1000:.1f} s")
    finally:
        if cluster:
            cluster.remove()
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
