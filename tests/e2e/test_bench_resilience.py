"""The bench as a real line has it (issue 11, items 9 and 11).

SharedMainframe: the source modules and the 81610A return-loss module sit in
one lightwave mainframe behind one resource (`mpobench sim --layout
mainframe`, and on a pty with `mainframe-serial`); the station file names
that resource for both `source` and `rl`, and the whole job — identify,
reference, production test — runs on it.

TransientFaults: 2 % of replies garbled and 1 % lost on every instrument
(`:SIM:FAUL "*:garble%0.02;*:timeout%0.01"`) while eight 32-fibre MM Elite
assemblies are tested: idempotent queries are asked again, so at least six
runs complete, each graded as without faults; the others end with exit 3
and a reason; the retries are in the run records and the QA views."""

import json
import os
import re
import socket
import sqlite3
import subprocess
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "clients"))
from simbench import SimProcess, unittest_main  # noqa: E402

from duts import dut  # noqa: E402

MPOBENCH = None
TIME_SCALE = "0.02"
# A lost reply at this time scale is known after half a second, not two.
TIMEOUT_MS = 500


def scpi_quote(text):
    return '"' + text.replace('"', '""') + '"'


class Bench:
    """`mpobench sim` in its own process, and the commands run against it."""

    def __init__(self, case, assembly, *sim_args):
        self.case = case
        self.tmp = tempfile.TemporaryDirectory(prefix="mpobench-resilience-")
        dut_path = os.path.join(self.tmp.name, "dut.json")
        with open(dut_path, "w") as f:
            json.dump(assembly, f)
        self.db = os.path.join(self.tmp.name, "runs.db")
        self.log = os.path.join(self.tmp.name, "mpobench.log")
        self.sim = SimProcess(MPOBENCH, "--dut", dut_path, *sim_args, time_scale=TIME_SCALE).__enter__()
        self.station = os.path.join(self.tmp.name, "station.toml")
        with open(self.sim.station_path) as f:
            text = f.read()
        with open(self.station, "w") as f:
            f.write(re.sub(r"timeout_ms = 2000", f"timeout_ms = {TIMEOUT_MS}", text))
        self.control = None

    def close(self):
        if self.control:
            self.control_reader.close()
            self.control.close()
        code, _, err = self.sim.stop()
        self.case.assertEqual(code, 0, err)
        self.sim.__exit__(None, None, None)
        self.tmp.cleanup()

    def run(self, *args, timeout=300):
        return subprocess.run([MPOBENCH, "--log-level", "warn", "--log-file", self.log, *args],
                              capture_output=True, text=True, timeout=timeout)

    def reference(self, mode):
        result = self.run("reference", "--station", self.station, "--db", self.db, "--mode", mode,
                          "--operator", "e2e")
        self.case.assertEqual(result.returncode, 0, result.stdout + result.stderr)

    def test(self, part, serial):
        result = self.run("test", "--station", self.station, "--part", part, "--serial", serial, "--db", self.db,
                          "--operator", "e2e", "--json")
        document = json.loads(result.stdout) if result.stdout.strip() else None
        return result, document

    def arm(self, spec):
        """Gives the simulated instruments `spec` now (the operator channel keeps its own)."""
        if not self.control:
            host, port = self.sim.station["operator"]["resource"].split("::")[1:3]
            self.control = socket.create_connection((host, int(port)), timeout=10)
            self.control_reader = self.control.makefile("r")
        self.control.sendall(f":SIMulation:FAULts {scpi_quote(spec)};:SIMulation:FAULts?\n".encode())
        self.case.assertEqual(self.control_reader.readline().strip(), scpi_quote(spec))

    def rows(self, sql, *params):
        with sqlite3.connect(self.db) as connection:
            return connection.execute(sql, params).fetchall()


class SharedMainframe(unittest.TestCase):
    def whole_job(self, layout):
        bench = Bench(self, dut(fibers=12, mode="SM", polarity="B", il=0.10), "--layout", layout)
        self.addCleanup(bench.close)
        instruments = bench.sim.station["instruments"]
        # One resource for both modules, another for everything else.
        self.assertEqual(instruments["source"]["resource"], instruments["rl"]["resource"])
        self.assertNotEqual(instruments["source"]["resource"], instruments["meter"]["resource"])
        if layout == "mainframe-serial":
            self.assertTrue(instruments["source"]["resource"].startswith("ASRL"))

        identify = bench.run("identify", "--station", bench.station, "--json")
        self.assertEqual(identify.returncode, 0, identify.stdout + identify.stderr)
        rows = {row["name"]: row for row in json.loads(identify.stdout)}
        self.assertEqual(rows["source"]["model"], "8164B")
        self.assertEqual(rows["source"]["serial"], rows["rl"]["serial"])

        bench.reference("SM")
        result, document = bench.test("MPO12-SM-B-E", f"SN-{layout}")
        self.assertEqual(result.returncode, 0, result.stdout + result.stderr)
        self.assertEqual(document["status"], "completed")
        self.assertEqual(document["grade"], "elite", json.dumps(document["failures"]))
        self.assertEqual(len(document["measurements"]), 2 * 2 * 12)
        # Every launch read its RL through the shared connection (a value,
        # or beyond the module's range a bound).
        self.assertTrue(all(m["rl_db"] is not None or m["rl_above_db"] is not None
                            for m in document["measurements"]))
        self.assertTrue(all(m["rl_windows"] >= 1 for m in document["measurements"]))
        self.assertEqual(document["retries"], 0)

    def test_production_test_on_a_shared_mainframe_over_tcp(self):
        self.whole_job("mainframe")

    def test_production_test_on_a_shared_mainframe_over_a_pty(self):
        self.whole_job("mainframe-serial")


class TransientFaults(unittest.TestCase):
    TESTS = 8

    def test_two_percent_garbled_one_percent_lost(self):
        bench = Bench(self, dut(fibers=32, mode="MM", polarity="B", il=0.05))
        self.addCleanup(bench.close)
        part = "MPO32-MM-B-E"
        bench.reference("MM")
        # The grade of this assembly on a clean line.
        clean, baseline = bench.test(part, "SN-CLEAN")
        self.assertEqual(clean.returncode, 0, clean.stdout + clean.stderr)
        self.assertEqual(baseline["grade"], "elite")
        self.assertEqual(baseline["retries"], 0)

        bench.arm("*:garble%0.02;*:timeout%0.01")
        completed, aborted = [], []
        for n in range(self.TESTS):
            result, document = bench.test(part, f"SN-NOISY-{n}")
            self.assertIsNotNone(document, result.stderr)
            if document["status"] == "completed":
                completed.append(document)
                self.assertEqual(document["grade"], baseline["grade"], json.dumps(document["failures"]))
                self.assertEqual(document["pass"], baseline["pass"])
                self.assertEqual(result.returncode, 0, result.stderr)
            else:
                aborted.append(document)
                self.assertEqual(result.returncode, 3, result.stdout + result.stderr)
                # The instrument, its resource, the command in quotes, the fault.
                self.assertRegex(document["reason"], r"\w+ \([^)]+\): '[^']+' .*(timed out|garbled|lost)",
                                 document["reason"])
        bench.arm("")
        print(f"{len(completed)} of {self.TESTS} completed; retries per run: "
              f"{[d['retries'] for d in completed + aborted]}; aborted: {[d['reason'] for d in aborted]}",
              file=sys.stderr)
        self.assertGreaterEqual(len(completed), 6, [d.get("reason") for d in aborted])

        # Each retry was counted in its run's record and logged.
        total = sum(d["retries"] for d in completed + aborted)
        self.assertGreater(total, 0)
        stored = bench.rows("SELECT SUM(retries) FROM runs")[0][0]
        self.assertEqual(stored, total)
        with open(bench.log) as f:
            self.assertRegex(f.read(), r"retry 1 of 3")
        history = json.loads(bench.run("history", "SN-NOISY-0", "--db", bench.db, "--json").stdout)
        self.assertEqual(history[-1]["retries"], (completed + aborted)[0]["retries"])
        # QA sees it as the station's health: retries per run by station.
        by_station = json.loads(bench.run("yield", "--by", "station", "--db", bench.db, "--json").stdout)
        row = by_station["rows"][0]
        self.assertEqual(row["retries"], total)
        runs = self.TESTS + 1
        self.assertAlmostEqual(row["retries_per_run"], total / runs, places=2)


if __name__ == "__main__":
    unittest_main(sys.modules[__name__])
