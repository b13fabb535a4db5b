"""A station with a plant (issue 15): `[plant] url` in the station file.
Each `mpobench test` starts a detached forwarder, so the run reaches the
plant without the operator waiting on the network. With PostgreSQL stopped
every test still passes and is stored, the runs wait (identify says how many
and since when), and back online they arrive once, in order. Killing the
forwarder or the server mid-way leaves no half record and loses nothing."""

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
sys.path.insert(0, os.path.dirname(__file__))
from simbench import SimProcess, unittest_main  # noqa: E402

import test_plant  # noqa: E402

MPOBENCH = None
SOURCE = os.path.join(os.path.dirname(__file__), "..", "..")
DUT = os.path.join(SOURCE, "fixtures", "data", "elite_sm_12f_b.json")
PART = "MPO12-SM-B-E"


def outbox_order(db):
    with sqlite3.connect(db) as c:
        return [r[0] for r in c.execute("SELECT u.uuid FROM outbox o JOIN run_uuids u USING (run_id) ORDER BY o.seq")]


def half_records(cluster):
    """Plant runs missing some of their measurements (never any, if records arrive whole)."""
    return int(cluster.psql(
        "SELECT count(*) FROM mpobench.runs r WHERE "
        "(SELECT count(*) FROM mpobench.measurements m WHERE m.run_id = r.id) <> "
        "jsonb_array_length(r.payload->'run'->'measurements')", user="qa").stdout.strip())


def waiting(db):
    with sqlite3.connect(db) as c:
        return c.execute("SELECT count(*) FROM outbox WHERE forwarded_at IS NULL").fetchone()[0]


class StationWithPlant(unittest.TestCase):
    def setUp(self):
        self.cluster = test_plant.new_plant(self)
        self.tmp = tempfile.TemporaryDirectory(prefix="mpobench-plant-station-")
        self.addCleanup(self.tmp.cleanup)
        self.log = os.path.join(self.tmp.name, "mpobench.log")
        self.db = os.path.join(self.tmp.name, "station.db")

    def mpobench(self, *args, timeout=180):
        return subprocess.run([MPOBENCH, "--log-level", "info", "--log-file", self.log, *args],
                              capture_output=True, text=True, timeout=timeout)

    def start_bench(self, plant_url):
        self.sim = SimProcess(MPOBENCH, "--dut", DUT, time_scale="0.005").__enter__()
        self.addCleanup(self.sim.__exit__, None, None, None)
        self.addCleanup(test_plant.end_forwarders, self.db)
        with open(self.sim.station_path) as f:
            text = f.read()
        self.station = os.path.join(self.tmp.name, "station.toml")
        with open(self.station, "w") as f:
            f.write(text + f'\n[plant]\nurl = "{plant_url}"\n')
        result = self.mpobench("reference", "--station", self.station, "--db", self.db, "--mode", "SM",
                               "--fibers", "12", "--operator", "e2e")
        self.assertEqual(result.returncode, 0, result.stderr)

    def test_serial(self, serial):
        return self.mpobench("test", "--station", self.station, "--db", self.db, "--part", PART, "--serial",
                             serial, "--operator", "e2e")

    def wait_for_forwarders(self):
        """Until no background forwarder of this database runs."""
        self.assertTrue(test_plant.end_forwarders(self.db, 60), "a background forwarder still ran after 60 s")

    def plant_uuids_in_arrival_order(self):
        return self.cluster.psql("SELECT uuid FROM mpobench.runs ORDER BY id", user="qa").stdout.split()

    def assert_whole_records(self):
        """Every run the plant holds has all its measurements (no half record)."""
        self.assertEqual(half_records(self.cluster), 0)

    def test_a_test_reaches_the_plant_without_the_operator_waiting(self):
        self.start_bench(self.cluster.url("station"))
        result = self.test_serial("PS-0001")
        self.assertEqual(result.returncode, 0, result.stderr)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and waiting(self.db) > 0:
            time.sleep(0.1)
        self.assertEqual(waiting(self.db), 0, "the background forwarder did not forward the run")
        self.assertEqual(self.plant_uuids_in_arrival_order(), outbox_order(self.db))
        self.assert_whole_records()
        identify = self.mpobench("identify", "--station", self.station, "--db", self.db)
        self.assertEqual(identify.returncode, 0, identify.stderr)
        self.assertIn("plant: every ended run forwarded", identify.stdout)
        with open(self.log) as f:
            self.assertIn("runs of", f.read())

    def test_an_outage_keeps_testing_and_the_runs_arrive_once_in_order_when_the_plant_is_back(self):
        self.start_bench(self.cluster.url("station"))
        self.cluster.stop()
        for index in range(1, 6):
            result = self.test_serial(f"PO-{index:04}")
            self.assertEqual(result.returncode, 0, f"{result.stdout}\n{result.stderr}")
            self.assertIn("PASS", result.stdout)
        self.wait_for_forwarders()
        self.assertEqual(waiting(self.db), 5)
        identify = self.mpobench("identify", "--station", self.station, "--db", self.db)
        self.assertEqual(identify.returncode, 0, identify.stderr)
        self.assertIn("plant: 5 runs waiting since", identify.stdout)
        with open(self.log) as f:
            self.assertIn("runs of", f.read().split("plant forwarder:")[-1])
        self.cluster.start()
        synced = self.mpobench("sync", "--db", self.db, "--station", self.station)
        self.assertEqual(synced.returncode, 0, synced.stderr)
        self.assertIn("5 stored", synced.stdout)
        self.assertEqual(self.plant_uuids_in_arrival_order(), outbox_order(self.db))
        self.assert_whole_records()
        again = self.mpobench("sync", "--db", self.db, "--station", self.station)
        self.assertIn("nothing waiting", again.stdout)
        self.assertEqual(len(self.plant_uuids_in_arrival_order()), 5)

    def test_a_password_in_the_station_file_is_refused_before_testing(self):
        self.start_bench(self.cluster.url("station"))
        with open(self.station) as f:
            text = f.read().replace('?host=', '?password=secret&host=')
        with open(self.station, "w") as f:
            f.write(text)
        result = self.test_serial("PP-0001")
        self.assertEqual(result.returncode, 2, result.stderr)
        self.assertIn("[plant] url", result.stderr)
        self.assertIn("PGPASSFILE", result.stderr)
        with sqlite3.connect(self.db) as c:
            self.assertEqual(c.execute("SELECT count(*) FROM runs WHERE kind = 'test'").fetchone()[0], 0)


class KilledMidWay(unittest.TestCase):
    """kill -9 of the forwarder, and of PostgreSQL, at random moments of a
    drain: whatever moment it lands, the plant never holds half a record and
    nothing is lost or stored twice."""

    def setUp(self):
        self.cluster = test_plant.new_plant(self)
        self.tmp = tempfile.TemporaryDirectory(prefix="mpobench-plant-kill-")
        self.addCleanup(self.tmp.cleanup)
        self.db = os.path.join(self.tmp.name, "station.db")
        result = test_plant.mpobench("demo", "--random", "11", "--count", "24", "--serial", "K-", "--db", self.db,
                                     "--time-scale", test_plant.TIME_SCALE)
        self.assertIn(result.returncode, (0, 1), result.stderr)
        self.url = self.cluster.url("station")
        self.random = random.Random(15)

    def sync(self):
        return subprocess.Popen([MPOBENCH, "--log-level", "warn", "--log-file",
                                 os.path.join(self.tmp.name, "mpobench.log"), "sync", "--db", self.db, "--to",
                                 self.url], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

    def check_plant(self):
        plant = self.cluster.psql("SELECT uuid FROM mpobench.runs ORDER BY id", user="qa").stdout.split()
        self.assertEqual(len(plant), len(set(plant)))
        self.assertEqual(half_records(self.cluster), 0)
        # What the station marked forwarded, the plant has.
        with sqlite3.connect(self.db) as c:
            marked = {r[0] for r in c.execute("SELECT u.uuid FROM outbox o JOIN run_uuids u USING (run_id) "
                                              "WHERE o.forwarded_at IS NOT NULL")}
        self.assertLessEqual(marked, set(plant))
        return plant

    def finish(self):
        result = test_plant.mpobench("sync", "--db", self.db, "--to", self.url)
        self.assertEqual(result.returncode, 0, f"{result.stdout}\n{result.stderr}")
        plant = self.check_plant()
        self.assertEqual(plant, outbox_order(self.db))
        self.assertEqual(waiting(self.db), 0)

    def test_kill_9_of_the_forwarder_mid_drain(self):
        for _ in range(8):
            forwarder = self.sync()
            time.sleep(self.random.uniform(0.0, 0.08))
            forwarder.send_signal(signal.SIGKILL)
            forwarder.wait()
            self.check_plant()
        self.finish()

    def test_kill_9_of_postgresql_mid_drain(self):
        for _ in range(4):
            forwarder = self.sync()
            time.sleep(self.random.uniform(0.0, 0.08))
            self.cluster.pg(["pg_ctl", "-D", self.cluster.data, "-m", "immediate", "-w", "stop"])
            self.assertIn(forwarder.wait(timeout=60), (0, 3))
            self.cluster.start()
            self.check_plant()
        self.finish()


class EightStations(unittest.TestCase):
    """Eight stations forward at once while QA queries the plant: every run
    arrives once and whole, and no QA query fails or sees half a record."""

    def test_eight_stations_forward_at_once_with_qa_queries_running(self):
        cluster = test_plant.new_plant(self)
        tmp = tempfile.TemporaryDirectory(prefix="mpobench-plant-eight-")
        self.addCleanup(tmp.cleanup)
        stations = []
        for index in range(8):
            db = os.path.join(tmp.name, f"station{index}.db")
            result = test_plant.mpobench("demo", "--random", str(100 + index), "--count", "3", "--serial",
                                         f"S{index}-", "--db", db, "--time-scale", test_plant.TIME_SCALE)
            self.assertIn(result.returncode, (0, 1), result.stderr)
            stations.append(db)
        forwarders = [subprocess.Popen([MPOBENCH, "--log-level", "warn", "--log-file",
                                        os.path.join(tmp.name, "sync.log"), "sync", "--db", db, "--to",
                                        cluster.url("station")], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                       text=True) for db in stations]
        # QA reads while the stations write: each snapshot holds whole records only.
        queries = 0
        while any(f.poll() is None for f in forwarders) or queries < 5:
            self.assertEqual(half_records(cluster), 0)
            cluster.psql("SELECT s.name, r.grade, count(*) FROM mpobench.runs r JOIN mpobench.stations s "
                         "ON s.uuid = r.station_uuid GROUP BY 1, 2", user="qa")
            queries += 1
        for forwarder in forwarders:
            out, err = forwarder.communicate(timeout=120)
            self.assertEqual(forwarder.returncode, 0, f"{out}\n{err}")
            self.assertIn("3 stored", out)
        plant = cluster.psql("SELECT uuid FROM mpobench.runs", user="qa").stdout.split()
        union = set()
        for db in stations:
            union |= set(outbox_order(db))
            self.assertEqual(waiting(db), 0)
        self.assertEqual(len(plant), 24)
        self.assertEqual(set(plant), union)
        self.assertEqual(cluster.psql("SELECT count(*) FROM mpobench.stations", user="qa").stdout.strip(), "8")


def setUpModule():
    test_plant.MPOBENCH = MPOBENCH


if __name__ == "__main__":
    unittest_main(sys.modules[__name__])
