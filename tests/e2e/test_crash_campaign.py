"""Crash safety (issue 5): `mpobench test` killed with SIGKILL at random
moments, many times, on one simulated bench and one database. After every
kill the database passes `PRAGMA integrity_check`, no run is `completed`
without all its measurements, the killed run reads `interrupted` (or never
began, or had finished), and the next test on the same bench works."""

import json
import os
import random
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "clients"))
from simbench import SimProcess, unittest_main  # noqa: E402

from duts import dut  # noqa: E402

MPOBENCH = None
PART = "MPO12-SM-B-E"
MEASUREMENTS = 2 * 2 * 12  # ends x wavelengths x fibres
TRIALS = 50
SEED = 20261124


class CrashCampaign(unittest.TestCase):
    def run_mpobench(self, *args):
        return subprocess.run([MPOBENCH, "--log-level", "warn", "--log-file", self.log, *args],
                              capture_output=True, text=True, timeout=120)

    def test_sigkill_at_random_moments(self):
        with tempfile.TemporaryDirectory(prefix="mpobench-crash-") as tmp:
            self.log = os.path.join(tmp, "mpobench.log")
            db = os.path.join(tmp, "runs.db")
            # RL well above the Elite minimum: the tests after the kills must pass
            # on their merits, not on the RL meter's noise near its range.
            assembly = os.path.join(tmp, "dut.json")
            with open(assembly, "w") as f:
                json.dump(dut(il=0.10), f)
            with SimProcess(MPOBENCH, "--dut", assembly, time_scale="0.01") as sim:
                reference = self.run_mpobench("reference", "--station", sim.station_path, "--db", db,
                                              "--mode", "SM")
                self.assertEqual(reference.returncode, 0, reference.stderr)
                test = [MPOBENCH, "--log-level", "warn", "--log-file", self.log, "test", "--station",
                        sim.station_path, "--part", PART, "--db", db, "--operator", "crash"]

                # How long one whole test takes here: kills land anywhere in it.
                started = time.monotonic()
                whole = subprocess.run(test + ["--serial", "CRASH-TIMING"], capture_output=True, text=True,
                                       timeout=120)
                duration_s = time.monotonic() - started
                self.assertEqual(whole.returncode, 0, whole.stderr)

                rng = random.Random(SEED)
                outcomes = {"never began": 0, "interrupted": 0, "completed": 0}
                for trial in range(TRIALS):
                    serial = f"CRASH-{trial:03}"
                    delay_s = rng.uniform(0.0, duration_s * 1.1)
                    with self.subTest(trial=trial, delay_s=round(delay_s, 3)):
                        process = subprocess.Popen(test + ["--serial", serial], stdout=subprocess.DEVNULL,
                                                   stderr=subprocess.DEVNULL)
                        time.sleep(delay_s)
                        process.send_signal(signal.SIGKILL)
                        process.wait()
                        # Opening the database (history) marks the dead run interrupted.
                        history = self.run_mpobench("history", serial, "--db", db, "--json")
                        self.assertEqual(history.returncode, 0, history.stderr)
                        runs = json.loads(history.stdout)
                        self.assertLessEqual(len(runs), 1)
                        if not runs:
                            outcomes["never began"] += 1
                        else:
                            self.assertIn(runs[0]["status"], ("interrupted", "completed"), runs[0])
                            outcomes[runs[0]["status"]] += 1
                        with sqlite3.connect(db) as connection:
                            self.assertEqual(connection.execute("PRAGMA integrity_check").fetchone()[0], "ok")
                            short = connection.execute(
                                "SELECT runs.id, COUNT(measurements.id) FROM runs "
                                "LEFT JOIN measurements ON measurements.run_id = runs.id "
                                "WHERE runs.status = 'completed' GROUP BY runs.id HAVING COUNT(measurements.id) <> ?",
                                (MEASUREMENTS,)).fetchall()
                            self.assertEqual(short, [], "completed runs without all their measurements")
                            ungraded = connection.execute(
                                "SELECT COUNT(*) FROM runs WHERE status <> 'completed' AND grade IS NOT NULL"
                            ).fetchone()[0]
                            self.assertEqual(ungraded, 0, "a run that did not complete carries a grade")
                        if trial % 10 == 9:
                            # The bench works on without a restart.
                            after = subprocess.run(test + ["--serial", f"{serial}-AFTER"], capture_output=True,
                                                   text=True, timeout=120)
                            self.assertEqual(after.returncode, 0, after.stdout + after.stderr)
                print(f"{TRIALS} kills over {duration_s:.2f} s tests: {outcomes}", file=sys.stderr)
                # The campaign reached every phase: before the run, during it, after it.
                self.assertGreater(outcomes["interrupted"], TRIALS // 4, outcomes)
                # The QA rollups count what happened: every interrupted run, every
                # completed one (the timing test and the tests after every tenth kill too).
                total = json.loads(self.run_mpobench("yield", "--db", db, "--json").stdout)["total"]
                self.assertEqual(total["interrupted"], outcomes["interrupted"])
                self.assertEqual(total["completed"], outcomes["completed"] + 1 + TRIALS // 10)


if __name__ == "__main__":
    unittest_main(sys.modules[__name__])
