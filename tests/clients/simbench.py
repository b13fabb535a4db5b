"""Runs `mpobench sim` as its own process for a test and reads its station file."""

import argparse
import os
import signal
import subprocess
import sys
import tempfile
import time
import tomllib
import unittest


class SimProcess:
    def __init__(self, mpobench, *args, time_scale="0.01"):
        self.workdir = tempfile.TemporaryDirectory(prefix="mpobench-client-test-")
        self.station_path = os.path.join(self.workdir.name, "station.toml")
        self.run_dir = os.path.join(self.workdir.name, "run")
        self.command = [mpobench, "--log-file", os.path.join(self.workdir.name, "sim.log"), "sim",
                        "--station-out", self.station_path, "--run-dir", self.run_dir,
                        "--time-scale", time_scale, *args]
        self.process = None

    def __enter__(self):
        self.process = subprocess.Popen(self.command, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                        text=True)
        deadline = time.monotonic() + 20
        while not os.path.exists(self.station_path):
            if self.process.poll() is not None:
                out, err = self.process.communicate()
                raise RuntimeError(f"mpobench sim exited {self.process.returncode}: {out}\n{err}")
            if time.monotonic() > deadline:
                raise RuntimeError("mpobench sim wrote no station file within 20 s")
            time.sleep(0.05)
        with open(self.station_path, "rb") as f:
            self.station = tomllib.load(f)
        return self

    def stop(self):
        """SIGTERM, then the exit code and output."""
        self.process.send_signal(signal.SIGTERM)
        out, err = self.process.communicate(timeout=20)
        return self.process.returncode, out, err

    def __exit__(self, *exc):
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait()
        self.workdir.cleanup()
        return False


def unittest_main(module):
    """Runs a test module's tests with `--mpobench PATH` set as module.MPOBENCH;
    other arguments select tests as unittest's own do."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--mpobench", required=True)
    args, rest = parser.parse_known_args()
    module.MPOBENCH = args.mpobench
    result = unittest.main(module=module, argv=[sys.argv[0], "-v", *rest], exit=False).result
    sys.exit(0 if result.wasSuccessful() else 1)
