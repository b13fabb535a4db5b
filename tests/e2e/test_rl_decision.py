"""Sequential RL decisions end to end on the simulated bench: the reference
models the RL module's noise, a test takes as many 200 ms windows per
reading as its decision needs, a reading that runs out of time is marginal,
and the JSON, certificate and database say how each RL was decided."""

import json
import os
import re
import sqlite3
import subprocess
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "clients"))
from simbench import SimProcess, unittest_main  # noqa: E402

from duts import dut, one_fibre  # noqa: E402

MPOBENCH = None
PARTS = '[[part]]\nnumber = "R12"\nfibers = 12\nmode = "SM"\npolarity = "B"\ngrade = "elite"\nlength_m = 3.0\n'


def default_limits():
    """The default limit set's TOML as `limits show` prints it."""
    result = subprocess.run([MPOBENCH, "limits", "show", "--default"], capture_output=True, text=True,
                            timeout=30)
    if result.returncode != 0:
        raise RuntimeError(result.stderr)
    return result.stdout


class SequentialRl(unittest.TestCase):
    def start(self, assembly):
        self.tmp = tempfile.TemporaryDirectory(prefix="mpobench-rl-")
        self.addCleanup(self.tmp.cleanup)
        path = os.path.join(self.tmp.name, "dut.json")
        with open(path, "w") as f:
            json.dump(assembly, f)
        self.parts = os.path.join(self.tmp.name, "parts.toml")
        with open(self.parts, "w") as f:
            f.write(PARTS)
        self.db = os.path.join(self.tmp.name, "runs.db")
        self.sim = SimProcess(MPOBENCH, "--dut", path, time_scale="0.005").__enter__()
        self.addCleanup(self.sim.__exit__, None, None, None)

    def run_mpobench(self, *args):
        return subprocess.run([MPOBENCH, "--log-level", "warn", "--log-file",
                               os.path.join(self.tmp.name, "mpobench.log"), *args],
                              capture_output=True, text=True, timeout=180)

    def write(self, name, text):
        path = os.path.join(self.tmp.name, name)
        with open(path, "w") as f:
            f.write(text)
        return path

    def reference(self, station=None):
        result = self.run_mpobench("reference", "--station", station or self.sim.station_path, "--db",
                                   self.db, "--mode", "SM", "--fibers", "12", "--operator", "e2e")
        self.assertEqual(result.returncode, 0, result.stdout + result.stderr)
        return result

    def run_test(self, serial, *extra, station=None):
        result = self.run_mpobench("test", "--station", station or self.sim.station_path, "--part", "R12",
                                   "--serial", serial, "--db", self.db, "--parts", self.parts, "--operator",
                                   "e2e", "--json", *extra)
        return result, (json.loads(result.stdout) if result.stdout.strip() else None)

    def test_each_reading_takes_the_windows_its_decision_needs(self):
        # Fibre 5 sits 0.5 dB above the 65 dB minimum, the others far above it.
        self.start(dut(rl=one_fibre(65.5, 5, 72.0)))
        summary = self.reference().stdout
        self.assertRegex(summary, r"RL noise model of \d{4}-\d\d-\d\d \d\d:\d\d UTC: [0-9.]+ dB at 65 dB "
                                  r"per 200 ms window")
        cert = os.path.join(self.tmp.name, "SN-RL-1.pdf")
        result, document = self.run_test("SN-RL-1", "--cert", cert)
        self.assertIn(result.returncode, (0, 1), result.stdout + result.stderr)
        decision = document["rl_decision"]
        self.assertEqual((decision["method"], decision["window_ms"], decision["confidence"],
                          decision["max_time_ms"]), ("sequential", 200, 0.99, 2000))
        self.assertEqual(decision["noise_model"]["window_ms"], 200)
        self.assertGreater(decision["noise_model"]["windows"], 40)
        self.assertEqual(decision["readings"], 48)
        readings = {(m["end"], m["fiber"], m["wavelength_nm"]): m for m in document["measurements"]}
        far = [m["rl_windows"] for (_, fiber, _), m in readings.items() if fiber != 5]
        near = [m for (_, fiber, _), m in readings.items() if fiber == 5]
        # Far from every minimum, one window decides (at most an unlucky second).
        self.assertLessEqual(sum(far) / len(far), 1.3, far)
        # Near the minimum, each reading ends with its interval inside one band,
        # or marginal when the 2 s ran out; together they take more windows.
        for m in near:
            low, high = m["rl_interval_db"]
            inside = low >= 65.0 or (high is not None and high < 65.0)
            self.assertTrue(inside or m["rl_marginal"], m)
            self.assertLessEqual(m["rl_windows"], 10)
        self.assertGreater(sum(m["rl_windows"] for m in near) / len(near), sum(far) / len(far), near)
        self.assertEqual(decision["windows"], sum(m["rl_windows"] for m in document["measurements"]))
        # The database keeps the same.
        with sqlite3.connect(self.db) as connection:
            stored = connection.execute(
                "SELECT SUM(rl_windows), SUM(rl_marginal) FROM measurements WHERE run_id = ?",
                (document["run_id"],)).fetchone()
            method = connection.execute(
                "SELECT rl_sequential, rl_window_ms, rl_confidence, rl_max_time_ms FROM runs WHERE id = ?",
                (document["run_id"],)).fetchone()
        self.assertEqual(stored, (decision["windows"], decision["marginal"]))
        self.assertEqual(method, (1, 200, 0.99, 2000))
        # The certificate states the method.
        text = subprocess.run(["pdftotext", "-layout", cert, "-"], check=True, capture_output=True,
                              text=True).stdout
        flat = re.sub(r"\s+", " ", text)
        self.assertIn("200 ms windows averaged until the 99 % confidence interval", flat)
        self.assertRegex(flat, r"\d+ (to \d+ windows|windows?) per reading")
        # The record verifies with the method in its hash.
        verify = self.run_mpobench("verify", cert, "--db", self.db)
        self.assertEqual(verify.returncode, 0, verify.stdout + verify.stderr)

    def test_a_reading_that_runs_out_of_time_is_marginal(self):
        # Fibre 3 at the minimum itself: no interval clears it in 400 ms.
        self.start(dut(rl=one_fibre(65.0, 3, 72.0)))
        short = default_limits().replace("max_time_ms = 2000", "max_time_ms = 400")
        self.assertIn("max_time_ms = 400", short)
        limits = self.write("short.toml", short)
        self.reference()
        cert = os.path.join(self.tmp.name, "SN-RL-2.pdf")
        result, document = self.run_test("SN-RL-2", "--limits", limits, "--cert", cert)
        self.assertIn(result.returncode, (0, 1), result.stdout + result.stderr)
        self.assertEqual(document["rl_decision"]["max_time_ms"], 400)
        marginal = [m for m in document["measurements"] if m.get("rl_marginal")]
        self.assertTrue(marginal, document["measurements"])
        for m in marginal:
            self.assertEqual(m["fiber"], 3, m)
            self.assertEqual(m["rl_windows"], 2)
            low, high = m["rl_interval_db"]
            self.assertLess(low, 65.0)
        self.assertEqual(document["rl_decision"]["marginal"], len(marginal))
        text = subprocess.run(["pdftotext", "-layout", cert, "-"], check=True, capture_output=True,
                              text=True).stdout
        self.assertIn("‡ marginal", text)
        # The readings themselves are marked too.
        self.assertGreater(text.count("‡"), text.count("‡ marginal"))

    def test_a_limit_set_without_return_loss_keeps_one_fixed_window(self):
        self.start(dut(rl=72.0))
        fixed = re.sub(r"\[return_loss\][^\[]*", "", default_limits())
        limits = self.write("fixed.toml", fixed)
        self.reference()
        result, document = self.run_test("SN-RL-3", "--limits", limits)
        self.assertEqual(result.returncode, 0, result.stdout + result.stderr)
        self.assertEqual(document["rl_decision"], {"method": "fixed", "window_ms": 1000})
        self.assertTrue(all("rl_windows" not in m for m in document["measurements"]))

    def test_a_reference_without_a_noise_model_refuses_sequential_tests(self):
        self.start(dut(rl=72.0))
        with open(self.sim.station_path) as f:
            text = f.read()
        without_rl = self.write("no-rl.toml", re.sub(r"\[instruments\.rl\][^\[]*", "", text))
        self.reference(without_rl)
        result, _ = self.run_test("SN-RL-4")
        self.assertEqual(result.returncode, 4, result.stdout + result.stderr)
        self.assertIn("holds no RL noise model", result.stderr)
        self.assertIn("take a new reference", result.stderr)


if __name__ == "__main__":
    unittest_main(sys.modules[__name__])
