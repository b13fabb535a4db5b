#!/usr/bin/env python3
"""Drift over a simulated session: IL rms error against the DUT file's true
value with and without the tap monitor (docs/PERFORMANCE.md, "Drift").

One `mpobench sim` (12F SM, true IL 0.10 dB everywhere, no mating spread)
per drift setting; one reference; then production tests alternately with the
monitor and without it (a station file without [instruments.monitor]) until
`--minutes` of instrument time have passed. The station files allow any
monitor drift (max_monitor_drift_db = 3) so no test is refused. The rms added
by the drift is sqrt(rms(drift on)^2 - rms(drift off)^2), per variant.

  python3 bench/drift_bench.py --mpobench build/app/mpobench [--minutes 30] [--time-scale 0.01]
"""

import argparse
import json
import math
import os
import re
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "tests", "clients"))
sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "tests", "e2e"))
from simbench import SimProcess  # noqa: E402
from duts import dut  # noqa: E402

TRUE_IL_DB = 0.10
PARTS = '[[part]]\nnumber = "D12"\nfibers = 12\nmode = "SM"\npolarity = "B"\ngrade = "elite"\nlength_m = 3.0\n'


def session(mpobench, drift_db, minutes, time_scale, tmp):
    run = lambda *a: subprocess.run([mpobench, "--log-level", "error", "--log-file",  # noqa: E731
                                     os.path.join(tmp, "bench.log"), *a], capture_output=True, text=True)
    dut_path = os.path.join(tmp, "dut.json")
    parts = os.path.join(tmp, "parts.toml")
    db = os.path.join(tmp, f"drift-{drift_db}.db")
    with open(dut_path, "w") as f:
        json.dump(dut(il=TRUE_IL_DB), f)
    with open(parts, "w") as f:
        f.write(PARTS)
    sim = SimProcess(mpobench, "--dut", dut_path, "--source-drift-db", str(drift_db),
                     time_scale=str(time_scale)).__enter__()
    try:
        with open(sim.station_path) as f:
            text = re.sub(r"max_monitor_drift_db = .*\n", "max_monitor_drift_db = 3\n", f.read())
        stations = {"monitor": os.path.join(tmp, "with.toml"), "none": os.path.join(tmp, "without.toml")}
        with open(stations["monitor"], "w") as f:
            f.write(text)
        with open(stations["none"], "w") as f:
            f.write(re.sub(r"\[instruments\.monitor\][^\[]*", "", text))
        result = run("reference", "--station", sim.station_path, "--db", db, "--mode", "SM", "--operator", "b")
        if result.returncode != 0:
            sys.exit(f"reference failed: {result.stderr}")
        start = time.monotonic()
        errors = {"monitor": [], "none": []}
        aborted = {"monitor": 0, "none": 0}
        n = 0
        while time.monotonic() - start < minutes * 60 * time_scale:
            for variant, station in stations.items():
                n += 1
                result = run("test", "--station", station, "--part", "D12", "--serial", f"SN-{n}", "--db", db,
                             "--parts", parts, "--operator", "b", "--json")
                document = json.loads(result.stdout) if result.stdout.strip() else None
                if not document or document["status"] != "completed":
                    aborted[variant] += 1
                if document:
                    errors[variant] += [m["il_db"] - TRUE_IL_DB for m in document["measurements"]
                                        if m["il_db"] is not None]
        return {v: (math.sqrt(sum(e * e for e in es) / len(es)) if es else float("nan"), len(es), aborted[v])
                for v, es in errors.items()}
    finally:
        sim.stop()
        sim.__exit__(None, None, None)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--mpobench", required=True)
    parser.add_argument("--minutes", type=float, default=30.0, help="session length, instrument time")
    parser.add_argument("--time-scale", type=float, default=0.01)
    parser.add_argument("--drift-db", type=float, default=0.03, help="the simulator's default")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="mpobench-drift-bench-") as tmp:
        off = session(args.mpobench, 0.0, args.minutes, args.time_scale, tmp)
        on = session(args.mpobench, args.drift_db, args.minutes, args.time_scale, tmp)
    print(f"session {args.minutes:g} min of instrument time at time scale {args.time_scale:g}; "
          f"source drift {args.drift_db:g} dB peak")
    for variant, name in (("monitor", "with the monitor"), ("none", "without the monitor")):
        rms_off, n_off, _ = off[variant]
        rms_on, n_on, aborted = on[variant]
        added = math.sqrt(max(0.0, rms_on ** 2 - rms_off ** 2))
        print(f"{name:22s} IL rms error: drift off {rms_off:.4f} dB ({n_off} readings), drift on {rms_on:.4f} dB "
              f"({n_on} readings, {aborted} runs aborted); added by the drift {added:.4f} dB rms")


if __name__ == "__main__":
    main()
