"""Drift corrected by the tap monitor, end to end: `mpobench sim` with its
source drift turned up (--source-drift-db), a reference, then tests on the
same bench with the monitor and without it (a station file without
[instruments.monitor]). IL is compared with the DUT file's true value."""

import json
import math
import os
import re
import subprocess
import sys
import tempfile
import time
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "clients"))
from simbench import SimProcess, unittest_main  # noqa: E402

from duts import dut  # noqa: E402

MPOBENCH = None
TRUE_IL_DB = 0.10
PARTS = '[[part]]\nnumber = "D12"\nfibers = 12\nmode = "SM"\npolarity = "B"\ngrade = "elite"\nlength_m = 3.0\n'


class Drift(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory(prefix="mpobench-drift-")
        self.addCleanup(self.tmp.cleanup)
        path = os.path.join(self.tmp.name, "dut.json")
        with open(path, "w") as f:
            json.dump(dut(il=TRUE_IL_DB), f)
        self.parts = os.path.join(self.tmp.name, "parts.toml")
        with open(self.parts, "w") as f:
            f.write(PARTS)
        self.db = os.path.join(self.tmp.name, "runs.db")
        # 0.3 dB peak: at time scale 0.01 a wall second is 100 s of drift.
        self.sim = SimProcess(MPOBENCH, "--dut", path, "--source-drift-db", "0.3").__enter__()
        self.addCleanup(self.sim.__exit__, None, None, None)
        self.addCleanup(self.sim.stop)
        with open(self.sim.station_path) as f:
            self.station_text = f.read()

    def run_mpobench(self, *args):
        return subprocess.run([MPOBENCH, "--log-level", "warn", "--log-file",
                               os.path.join(self.tmp.name, "mpobench.log"), *args],
                              capture_output=True, text=True, timeout=120)

    def station(self, name, text):
        path = os.path.join(self.tmp.name, name)
        with open(path, "w") as f:
            f.write(text)
        return path

    def allowing(self, drift_db, text=None):
        text = self.station_text if text is None else text
        self.assertIn("max_monitor_drift_db = 0.1\n", text)
        return text.replace("max_monitor_drift_db = 0.1\n", f"max_monitor_drift_db = {drift_db}\n")

    def reference(self):
        result = self.run_mpobench("reference", "--station", self.sim.station_path, "--db", self.db,
                                   "--mode", "SM", "--operator", "e2e")
        self.assertEqual(result.returncode, 0, result.stdout + result.stderr)

    def run_test(self, station, serial):
        result = self.run_mpobench("test", "--station", station, "--part", "D12", "--serial", serial, "--db",
                                   self.db, "--parts", self.parts, "--operator", "e2e", "--json")
        return result, (json.loads(result.stdout) if result.stdout.strip() else None)

    def test_the_monitor_takes_the_source_drift_out_of_il(self):
        self.reference()
        time.sleep(2.0)  # the source drifts on (200 s of instrument time)
        tolerant = self.allowing(3.0)
        with_monitor = self.station("with-monitor.toml", tolerant)
        without = self.station("without-monitor.toml", re.sub(r"\[instruments\.monitor\][^\[]*", "", tolerant))
        result, corrected = self.run_test(with_monitor, "SN-DRIFT-1")
        self.assertEqual(result.returncode, 0, result.stdout + result.stderr)
        errors = [m["il_db"] - TRUE_IL_DB for m in corrected["measurements"]]
        self.assertTrue(all("monitor_dbm" in m for m in corrected["measurements"]))
        rms_with = math.sqrt(sum(e * e for e in errors) / len(errors))
        _, plain = self.run_test(without, "SN-DRIFT-2")
        # Without the monitor the drift stays in IL (or makes it negative, which
        # aborts the run as a suspect reference): every IL it gave is further off.
        plain_errors = [m["il_db"] - TRUE_IL_DB for m in plain["measurements"] if m["il_db"] is not None]
        self.assertTrue(plain_errors, plain)
        self.assertTrue(all("monitor_dbm" not in m for m in plain["measurements"]))
        rms_without = math.sqrt(sum(e * e for e in plain_errors) / len(plain_errors))
        self.assertLess(rms_with, 0.01, errors)
        self.assertGreater(rms_without, 3 * rms_with, (rms_with, rms_without))
        # The readings are stored with the run and with the reference.
        with __import__("sqlite3").connect(self.db) as connection:
            stored = connection.execute("SELECT COUNT(monitor_dbm) FROM measurements WHERE run_id = ?",
                                        (corrected["run_id"],)).fetchone()[0]
            points = connection.execute("SELECT COUNT(*), COUNT(monitor_dbm) FROM reference_points").fetchone()
        self.assertEqual(stored, len(corrected["measurements"]))
        self.assertEqual(points[0], points[1])

    def test_a_source_drifted_beyond_the_setting_refuses_the_test(self):
        self.reference()
        time.sleep(2.0)
        # The strictest setting: any drift of the 0.3 dB source over 200 s of
        # instrument time is beyond it, whatever the wall clock made of the sleep.
        strict = self.station("strict.toml", self.allowing(0.001))
        result, document = self.run_test(strict, "SN-DRIFT-3")
        self.assertEqual(result.returncode, 4, result.stdout + result.stderr)
        self.assertIn("since the reference (tap monitor", result.stderr)
        self.assertIn("take a new reference", result.stderr)
        with __import__("sqlite3").connect(self.db) as connection:
            self.assertEqual(connection.execute("SELECT COUNT(*) FROM measurements").fetchone()[0], 0)
        # A bad setting is a bad station file.
        bad = self.station("bad.toml", self.allowing(-1))
        result, _ = self.run_test(bad, "SN-DRIFT-4")
        self.assertEqual(result.returncode, 2, result.stdout + result.stderr)
        self.assertIn("max_monitor_drift_db", result.stderr)


if __name__ == "__main__":
    unittest_main(sys.modules[__name__])
