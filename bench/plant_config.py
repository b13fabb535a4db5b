#!/usr/bin/env python3
"""What taking the plant's parts, limits and users costs a test
(docs/PERFORMANCE.md, "Parts, limits and users from the plant"): a plant
with a published catalogue, an active limit set and USERS users; a station
database whose station file names the plant, reached directly (the unix
socket) and through a loopback TCP proxy adding LATENCY of round trip. Each
`mpobench sync --station` (nothing waiting to forward) takes them once; the
time is the one the station logs ("parts, limits and users taken in N ms"),
the same code a test runs before it starts.

  python3 bench/plant_config.py --mpobench build/app/mpobench [--users 50] [--latency-ms 50] [--repetitions 20]
"""

import argparse
import os
import re
import shutil
import statistics
import sys
import tempfile

sys.path.insert(0, os.path.dirname(__file__))
from plant_drain import DelayProxy, TcpCluster, run  # noqa: E402

SOURCE = os.path.join(os.path.dirname(__file__), "..")


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--mpobench", required=True)
    parser.add_argument("--users", type=int, default=50)
    parser.add_argument("--latency-ms", type=float, default=50)
    parser.add_argument("--repetitions", type=int, default=20)
    args = parser.parse_args()
    mpobench = [args.mpobench, "--log-level", "warn"]

    work = tempfile.mkdtemp(prefix="mpobench-bench-config-")
    cluster = None
    try:
        cluster = TcpCluster()
        run([*mpobench, "plant", "init", "--to", cluster.url()])
        cluster.psql("CREATE ROLE station LOGIN IN ROLE mpobench_station; "
                     "CREATE ROLE keeper LOGIN IN ROLE mpobench_admin; "
                     "CREATE ROLE keeper2 LOGIN IN ROLE mpobench_admin")
        admin = cluster.url("keeper")
        password = os.path.join(work, "password")
        with open(password, "w") as f:
            f.write("bench-password-1\n")
        for i in range(args.users):
            run([*mpobench, "user", "add", f"user{i:03d}", "--role", "qa" if i < 2 else "operator",
                "--password-file", password, "--db", admin])
        run([*mpobench, "parts", "publish", os.path.join(SOURCE, "fixtures", "parts.toml"), "--by", "user000",
            "--db", admin])
        limits = os.path.join(work, "limits.toml")
        with open(limits, "w") as f:
            f.write(run([*mpobench, "limits", "show", "--default"]).stdout.replace(
                'name = "mpobench-default"', 'name = "bench"'))
        run([*mpobench, "limits", "upload", limits, "--by", "user000", "--db", admin])
        run([*mpobench, "limits", "activate", "1", "--by", "user001", "--db", cluster.url("keeper2")])
        proxy = DelayProxy(cluster.port, args.latency_ms / 2000.0)
        print(f"plant: catalogue, limit set, {args.users} users; proxy {args.latency_ms:g} ms round trip")

        with open(os.path.join(SOURCE, "fixtures", "stations", "real-bench-example.toml")) as f:
            station_text = f.read()
        for name, url in (("unix socket", cluster.url("station")),
                          (f"{args.latency_ms:g} ms round trip",
                           f"postgresql://station@127.0.0.1:{proxy.port}/postgres")):
            station = os.path.join(work, "station.toml")
            with open(station, "w") as f:
                f.write(station_text + f'\n[plant]\nurl = "{url}"\n')
            db = os.path.join(work, "station.db")
            log = os.path.join(work, "station.log")
            for path in (db, log):
                if os.path.exists(path):
                    os.remove(path)
            # A station database of its own (sync needs one; a user add makes it).
            run([*mpobench, "user", "add", "local", "--role", "operator", "--password-file", password,
                "--db", db])
            for _ in range(args.repetitions + 1):
                run([args.mpobench, "--log-file", log, "sync", "--station", station, "--db", db])
            with open(log) as f:
                taken = [int(ms) for ms in re.findall(r"taken in (\d+) ms", f.read())]
            first, rest = taken[0], taken[1:]
            print(f"{name}: first (all new) {first} ms; then median {statistics.median(rest):g} ms, "
                  f"max {max(rest)} ms over {len(rest)}")
    finally:
        if cluster:
            cluster.remove()
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
