"""Concurrent stations (issue 5): four simulated stations, each its own
`mpobench sim` process and its own station name, take a reference and then
test a series of assemblies into ONE database, while a fifth loop of QA
processes (`yield`, `pareto`, `export --format csv|json`) reads the same
database over and over. Every process exits with its defined code, no
SQLITE_BUSY reaches a user, no run is lost or doubled, every completed run
carries all its measurements, a grade and a record hash, the file passes
`PRAGMA integrity_check`, and `yield` counts exactly the runs."""

import glob
import json
import os
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "clients"))
from simbench import SimProcess, unittest_main  # noqa: E402

from duts import dut, one_fibre  # noqa: E402

MPOBENCH = None
PART = "MPO12-SM-B-E"
MEASUREMENTS = 2 * 2 * 12  # ends x wavelengths x fibres
SERIALS_PER_STATION = 10
TIME_SCALE = "0.01"
COMMAND_TIMEOUT_S = 120
# (station name, assembly, grade, exit code of `mpobench test`). RL clear of
# the meter's noise, so every grade is decided by the crafted IL alone; the
# last station's assemblies have one fibre high at 1550 nm: standard, below
# the elite target.
STATIONS = [
    ("station-1", dut(il=0.10), "elite", 0),
    ("station-2", dut(il=0.10), "elite", 0),
    ("station-3", dut(il=0.10), "elite", 0),
    ("station-4", dut(il=one_fibre(0.45, 5, 0.10, wavelength=1550)), "standard", 1),
]
WORDS_OF_CONTENTION = ("busy", "locked")


class Outcome:
    """One finished `mpobench` process: what ran, its exit code and output."""

    def __init__(self, args, result):
        self.args = args
        self.returncode = result.returncode
        self.stdout = result.stdout
        self.stderr = result.stderr

    def describe(self):
        return f"{' '.join(self.args)} -> exit {self.returncode}\nstdout: {self.stdout[-2000:]}\nstderr: {self.stderr}"


class ConcurrentStations(unittest.TestCase):
    def run_mpobench(self, log, *args):
        result = subprocess.run([MPOBENCH, "--log-level", "warn", "--log-file", log, *args], capture_output=True,
                                text=True, timeout=COMMAND_TIMEOUT_S)
        return Outcome(args, result)

    def thread(self, target, *args):
        """A thread running target(*args) whose exception the test reports instead of losing it with the thread."""
        def run():
            try:
                target(*args)
            except Exception as error:
                self.thread_errors.append(f"{target.__name__}: {error!r}")
        return threading.Thread(target=run)

    def station_file(self, sim, name):
        """The sim's station file under this station's own name: the database tells stations apart by it."""
        with open(sim.station_path) as f:
            text = f.read()
        self.assertIn('name = "simulated"', text)
        path = os.path.join(self.tmp, f"{name}.toml")
        with open(path, "w") as f:
            f.write(text.replace('name = "simulated"', f'name = "{name}"', 1))
        return path

    def station_loop(self, name, station_path, outcomes):
        log = os.path.join(self.tmp, f"{name}.log")
        reference = self.run_mpobench(log, "reference", "--station", station_path, "--db", self.db, "--mode", "SM",
                                      "--operator", name)
        outcomes.append(("reference", None, reference))
        if reference.returncode != 0:
            return
        for index in range(1, SERIALS_PER_STATION + 1):
            serial = f"{name.upper()}-{index:03}"
            test = self.run_mpobench(log, "test", "--station", station_path, "--part", PART, "--serial", serial,
                                     "--db", self.db, "--operator", name, "--json")
            outcomes.append(("test", serial, test))

    def qa_loop(self, stations_done, outcomes, seen):
        """QA commands one after another until the stations are done; each
        must succeed and show a consistent database."""
        log = os.path.join(self.tmp, "qa.log")
        exports = os.path.join(self.tmp, "exports")
        os.makedirs(exports)
        json_export = os.path.join(exports, "runs.json")
        commands = [
            ("yield", "--db", self.db, "--json"),
            ("pareto", "--db", self.db, "--json"),
            ("export", "--format", "json", "--db", self.db, "--out", json_export),
            ("export", "--format", "csv", "--db", self.db, "--out", exports),
            ("export", "--format", "csv", "--table", "runs", "--db", self.db),
        ]
        # The database appears with the first reference; a QA command before that is a usage error.
        while not os.path.exists(self.db) and not stations_done.is_set():
            time.sleep(0.01)
        turn = 0
        while not stations_done.is_set():
            args = commands[turn % len(commands)]
            turn += 1
            outcome = self.run_mpobench(log, *args)
            outcomes.append(outcome)
            if outcome.returncode != 0:
                continue
            if args[0] == "yield":
                seen["yield_completed"].append(json.loads(outcome.stdout)["total"]["completed"])
            elif args[0] == "export" and args[2] == "json":
                with open(json_export) as f:
                    seen["json_exports"].append(json.load(f))

    def test_four_stations_and_qa_on_one_database(self):
        with tempfile.TemporaryDirectory(prefix="mpobench-concurrent-") as tmp:
            self.tmp = tmp
            self.db = os.path.join(tmp, "runs.db")
            self.thread_errors = []
            sims = []
            try:
                station_paths = {}
                for name, assembly, _, _ in STATIONS:
                    assembly_path = os.path.join(tmp, f"{name}-dut.json")
                    with open(assembly_path, "w") as f:
                        json.dump(assembly, f)
                    sim = SimProcess(MPOBENCH, "--dut", assembly_path, time_scale=TIME_SCALE)
                    sims.append(sim)
                    sim.__enter__()
                    station_paths[name] = self.station_file(sim, name)

                station_outcomes = {name: [] for name, *_ in STATIONS}
                qa_outcomes = []
                seen = {"yield_completed": [], "json_exports": []}
                stations_done = threading.Event()
                started = time.monotonic()
                stations = [self.thread(self.station_loop, name, station_paths[name], station_outcomes[name])
                            for name, *_ in STATIONS]
                qa = self.thread(self.qa_loop, stations_done, qa_outcomes, seen)
                for thread in stations + [qa]:
                    thread.start()
                for thread in stations:
                    thread.join()
                stations_done.set()
                qa.join()
                wall_s = time.monotonic() - started
                for sim in sims:
                    code, _, err = sim.stop()
                    self.assertEqual(code, 0, err)
            finally:
                for sim in sims:
                    sim.__exit__(None, None, None)

            self.assertEqual(self.thread_errors, [])
            self.check_processes(station_outcomes, qa_outcomes)
            self.check_qa_views(seen)
            overlap = self.check_database(station_outcomes)
            runs = sum(1 for outcomes in station_outcomes.values() for kind, *_ in outcomes if kind == "test")
            print(f"{len(STATIONS)} stations, {runs} runs (up to {overlap} at once), "
                  f"{len(qa_outcomes)} QA commands meanwhile "
                  f"({len(seen['yield_completed'])} yield, {len(seen['json_exports'])} JSON exports) "
                  f"in {wall_s:.1f} s", file=sys.stderr)

    def check_processes(self, station_outcomes, qa_outcomes):
        everything = [outcome for outcomes in station_outcomes.values() for _, _, outcome in outcomes] + qa_outcomes
        for outcome in everything:
            for word in WORDS_OF_CONTENTION:
                self.assertNotIn(word, outcome.stderr.lower(), outcome.describe())
        for name, _, grade, exit_code in STATIONS:
            outcomes = station_outcomes[name]
            self.assertEqual(len(outcomes), 1 + SERIALS_PER_STATION, [o.describe() for _, _, o in outcomes])
            for kind, serial, outcome in outcomes:
                with self.subTest(station=name, command=kind, serial=serial):
                    if kind == "reference":
                        self.assertEqual(outcome.returncode, 0, outcome.describe())
                        continue
                    self.assertEqual(outcome.returncode, exit_code, outcome.describe())
                    document = json.loads(outcome.stdout)
                    self.assertEqual((document["serial"], document["status"], document["grade"]),
                                     (serial, "completed", grade), outcome.describe())
        self.assertGreater(len(qa_outcomes), 0, "no QA command ran while the stations tested")
        for outcome in qa_outcomes:
            self.assertEqual(outcome.returncode, 0, outcome.describe())
        # No contention in the log files (warnings and errors) either, where a retried one would show.
        for log in glob.glob(os.path.join(self.tmp, "*.log*")):
            with open(log) as f:
                for line in f:
                    for word in WORDS_OF_CONTENTION:
                        self.assertNotIn(word, line.lower(), f"{log}: {line}")

    def check_qa_views(self, seen):
        """What the QA commands saw while the stations wrote."""
        # Each QA process starts after the one before ended: its snapshot is no older.
        completed = seen["yield_completed"]
        self.assertEqual(completed, sorted(completed), "yield went backwards between two QA commands")
        for export in seen["json_exports"]:
            per_run = {}
            for measurement in export["measurements"]:
                per_run[measurement["run_id"]] = per_run.get(measurement["run_id"], 0) + 1
            run_ids = [run["run_id"] for run in export["runs"]]
            self.assertEqual(len(run_ids), len(set(run_ids)), "a run exported twice")
            for run in export["runs"]:
                if run["status"] == "completed":
                    self.assertEqual(per_run.get(run["run_id"], 0), MEASUREMENTS, run)
                    self.assertTrue(run["grade"], run)
                    self.assertTrue(run["record_hash"], run)

    def check_database(self, station_outcomes):
        started = sorted(serial for outcomes in station_outcomes.values() for kind, serial, _ in outcomes
                         if kind == "test")
        with sqlite3.connect(self.db) as connection:
            self.assertEqual(connection.execute("PRAGMA integrity_check").fetchone()[0], "ok")
            self.assertEqual(connection.execute("PRAGMA foreign_key_check").fetchall(), [])
            runs = connection.execute(
                "SELECT assemblies.serial, stations.name, runs.status, runs.grade, runs.pass FROM runs "
                "JOIN assemblies ON assemblies.id = runs.assembly_id "
                "JOIN stations ON stations.id = runs.station_id ORDER BY assemblies.serial").fetchall()
            # Exactly the runs started: none lost, none doubled, all completed.
            self.assertEqual([serial for serial, *_ in runs], started)
            expected = {name: (grade, 1 if exit_code == 0 else 0) for name, _, grade, exit_code in STATIONS}
            for serial, station, status, grade, passed in runs:
                self.assertTrue(serial.startswith(station.upper() + "-"), (serial, station))
                self.assertEqual((status, grade, passed), ("completed", *expected[station]), serial)
            short = connection.execute(
                "SELECT runs.id, COUNT(measurements.id) FROM runs "
                "LEFT JOIN measurements ON measurements.run_id = runs.id "
                "GROUP BY runs.id HAVING COUNT(measurements.id) <> ?", (MEASUREMENTS,)).fetchall()
            self.assertEqual(short, [], "completed runs without all their measurements")
            unhashed = connection.execute(
                "SELECT id FROM runs WHERE id NOT IN (SELECT run_id FROM run_hashes)").fetchall()
            self.assertEqual(unhashed, [], "completed runs without a record hash")
            references = connection.execute(
                "SELECT stations.name FROM optical_references "
                "JOIN stations ON stations.id = optical_references.station_id ORDER BY stations.name").fetchall()
            self.assertEqual([name for (name,) in references], [name for name, *_ in STATIONS])
            # The stations did test at once (ISO 8601 UTC times sort as text).
            events = connection.execute(
                "SELECT started_at, 1 FROM runs UNION ALL SELECT ended_at, -1 FROM runs ORDER BY 1, 2").fetchall()
        running = overlap = 0
        for _, change in events:
            running += change
            overlap = max(overlap, running)
        self.assertGreater(overlap, 1, "the stations never tested at the same time")

        log = os.path.join(self.tmp, "qa.log")
        total = json.loads(self.run_mpobench(log, "yield", "--db", self.db, "--json").stdout)["total"]
        passing = sum(SERIALS_PER_STATION for _, _, _, exit_code in STATIONS if exit_code == 0)
        self.assertEqual((total["completed"], total["first_tested"], total["passed"], total["retests"],
                          total["interrupted"], total["aborted"]),
                         (len(started), len(started), passing, 0, 0, 0), total)
        grades = {grade: 0 for grade in ("elite", "standard", "generic", "fail")}
        for _, _, grade, _ in STATIONS:
            grades[grade] += SERIALS_PER_STATION
        self.assertEqual(total["grades"], grades)
        by_station = json.loads(self.run_mpobench(log, "yield", "--db", self.db, "--by", "station",
                                                  "--json").stdout)["rows"]
        self.assertEqual({row["group"]: row["completed"] for row in by_station},
                         {name: SERIALS_PER_STATION for name, *_ in STATIONS})
        pareto = json.loads(self.run_mpobench(log, "pareto", "--db", self.db, "--json").stdout)
        self.assertEqual((pareto["completed_runs"], pareto["failed_runs"]), (len(started), len(started) - passing))
        return overlap


if __name__ == "__main__":
    unittest_main(sys.modules[__name__])
