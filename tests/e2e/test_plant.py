"""The plant database (issue 15, first slice): station databases made with
`mpobench demo` forward their ended runs to a real PostgreSQL through
`mpobench sync`. The test starts a throw-away cluster of its own (initdb in a
temporary directory, a free port, the unix socket in that directory; as an
unprivileged user when run as root) and removes it afterwards."""

import glob
import json
import os
import pwd
import shutil
import socket
import sqlite3
import subprocess
import sys
import tempfile
import time
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "clients"))
from simbench import unittest_main  # noqa: E402

MPOBENCH = None
TIME_SCALE = "0.005"
ADMIN = "plantadmin"


def postgres_bin():
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"),
                   key=lambda p: int(p.split("/")[4]))
    if not found:
        raise RuntimeError("no PostgreSQL server under /usr/lib/postgresql/*/bin (Debian: postgresql)")
    return os.path.dirname(found[-1])


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Cluster:
    """A PostgreSQL cluster in a temporary directory, reached by its unix socket."""

    def __init__(self):
        self.bin = postgres_bin()
        self.dir = tempfile.mkdtemp(prefix="mpobench-plant-")
        self.data = os.path.join(self.dir, "data")
        self.port = free_port()
        self.as_user = []
        if os.geteuid() == 0:
            nobody = pwd.getpwnam("nobody")
            os.chown(self.dir, nobody.pw_uid, nobody.pw_gid)
            self.as_user = ["runuser", "-u", "nobody", "--"]
        self.pg(["initdb", "-D", self.data, "-U", ADMIN, "--auth=trust", "-E", "UTF8", "--no-sync"])
        self.start()

    def pg(self, args):
        result = subprocess.run([*self.as_user, os.path.join(self.bin, args[0]), *args[1:]],
                                capture_output=True, text=True, timeout=60)
        if result.returncode != 0:
            raise RuntimeError(f"{' '.join(args)}: exit {result.returncode}\n{result.stdout}\n{result.stderr}")
        return result

    def start(self):
        self.pg(["pg_ctl", "-D", self.data, "-l", os.path.join(self.dir, "postgres.log"), "-w", "-o",
                 f"-p {self.port} -k {self.dir} -c listen_addresses='' -c fsync=off", "start"])

    def stop(self):
        self.pg(["pg_ctl", "-D", self.data, "-m", "fast", "-w", "stop"])

    def remove(self):
        if os.path.exists(os.path.join(self.data, "postmaster.pid")):
            self.stop()
        shutil.rmtree(self.dir, ignore_errors=True)

    def url(self, user=ADMIN):
        return f"postgresql:///postgres?host={self.dir}&port={self.port}&user={user}"

    def psql(self, sql, user=ADMIN, check=True):
        result = subprocess.run([os.path.join(self.bin, "psql"), "-X", "-At", "-v", "ON_ERROR_STOP=1",
                                 "-h", self.dir, "-p", str(self.port), "-U", user, "-d", "postgres",
                                 "-c", sql], capture_output=True, text=True, timeout=60)
        if check and result.returncode != 0:
            raise RuntimeError(f"psql {sql}: exit {result.returncode}\n{result.stderr}")
        return result


def mpobench(*args, env=None):
    return subprocess.run([MPOBENCH, "--log-level", "warn", *args], capture_output=True, text=True,
                          timeout=180, env=dict(os.environ, **(env or {})))


def new_plant(test, zone=None):
    """A cluster with the plant schema and two login roles, removed when the
    test ends: `station` may only forward, `qa` may only read. zone: the
    plant's time zone (PGTZ of plant init), else the server's."""
    cluster = Cluster()
    test.addCleanup(cluster.remove)
    result = mpobench("plant", "init", "--to", cluster.url(), env={"PGTZ": zone} if zone else {})
    test.assertEqual(result.returncode, 0, result.stderr)
    cluster.psql("CREATE ROLE station LOGIN IN ROLE mpobench_station; "
                 "CREATE ROLE qa LOGIN IN ROLE mpobench_qa")
    return cluster


def end_forwarders(db, timeout_s=30):
    """Waits for the background forwarders of a station database to end,
    then kills any left. A forwarder outliving its test would go on trying
    its plant or MES address, which by then may be a port another test's
    simulator took. True when they had ended by themselves."""
    pattern = f"sync --background --db {db}"
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if subprocess.run(["pgrep", "-f", pattern], capture_output=True).returncode != 0:
            return True
        time.sleep(0.1)
    subprocess.run(["pkill", "-9", "-f", pattern], capture_output=True)
    return False


def station_uuids(db):
    with sqlite3.connect(db) as c:
        return {row[0] for row in c.execute("SELECT uuid FROM run_uuids JOIN runs ON runs.id = run_id "
                                            "WHERE status <> 'running'")}


class Plant(unittest.TestCase):
    def setUp(self):
        self.cluster = new_plant(self)
        self.dir = tempfile.mkdtemp(prefix="mpobench-plant-stations-")
        self.addCleanup(shutil.rmtree, self.dir, True)
        self.station_url = self.cluster.url("station")

    def station(self, name, seed, prefix, count=2):
        db = os.path.join(self.dir, f"{name}.db")
        result = mpobench("demo", "--random", str(seed), "--count", str(count), "--serial", prefix,
                          "--db", db, "--time-scale", TIME_SCALE)
        self.assertIn(result.returncode, (0, 1), result.stderr)
        return db

    def sync(self, db, expect=0, url=None):
        result = mpobench("sync", "--db", db, "--to", url or self.station_url)
        self.assertEqual(result.returncode, expect, f"{result.stdout}\n{result.stderr}")
        return result

    def plant_uuids(self):
        rows = self.cluster.psql("SELECT uuid FROM mpobench.runs", user="qa").stdout.split()
        return rows

    def test_two_stations_forward_exactly_their_union_once(self):
        a = self.station("a", 1, "A-")
        b = self.station("b", 2, "B-")
        union = station_uuids(a) | station_uuids(b)
        self.assertEqual(len(union), 4)
        first = self.sync(a)
        self.assertIn("2 runs forwarded", first.stdout)
        self.assertIn("2 stored", first.stdout)
        self.sync(b)
        uuids = self.plant_uuids()
        self.assertEqual(len(uuids), 4)
        self.assertEqual(set(uuids), union)
        # Two station UUIDs; each run with its measurements and payload hash.
        self.assertEqual(self.cluster.psql("SELECT count(*) FROM mpobench.stations").stdout.strip(), "2")
        self.assertEqual(self.cluster.psql(
            "SELECT count(*) FROM mpobench.runs r WHERE r.status = 'completed' AND "
            "(SELECT count(*) FROM mpobench.measurements m WHERE m.run_id = r.id) = "
            "jsonb_array_length(r.payload->'run'->'measurements') AND "
            "jsonb_array_length(r.payload->'run'->'measurements') > 0 AND r.record_hash IS NOT NULL"
        ).stdout.strip(), "4")
        # A second sync is a no-op.
        again = self.sync(a)
        self.assertIn("nothing waiting", again.stdout)
        # The outbox reset: the records are forwarded again and are already there.
        with sqlite3.connect(a) as c:
            c.execute("UPDATE outbox SET forwarded_at = NULL")
        replay = self.sync(a)
        self.assertIn("0 stored, 2 already there", replay.stdout)
        # The payloads kept in the outbox are the ones the plant holds.
        with sqlite3.connect(a) as c:
            kept = {u: h for u, h in c.execute("SELECT u.uuid, o.payload_sha256 FROM outbox o JOIN run_uuids u USING (run_id)")}
        held = dict(line.split("|") for line in self.cluster.psql(
            "SELECT uuid, payload_hash FROM mpobench.runs").stdout.split())
        for uuid, payload_hash in kept.items():
            self.assertEqual(held[uuid], payload_hash)
        self.assertEqual(len(self.plant_uuids()), 4)

    def test_an_unreachable_plant_keeps_the_runs_waiting_until_it_is_back(self):
        a = self.station("a", 3, "C-", count=3)
        self.cluster.stop()
        down = self.sync(a, expect=3)
        self.assertIn("3 runs wait", down.stderr)
        self.assertIn("nothing is lost", down.stderr)
        with sqlite3.connect(a) as c:
            self.assertEqual(c.execute("SELECT count(*) FROM outbox WHERE forwarded_at IS NULL").fetchone()[0], 3)
        self.cluster.start()
        up = self.sync(a)
        self.assertIn("3 stored", up.stdout)
        self.assertEqual(sorted(self.plant_uuids()), sorted(station_uuids(a)))
        # In the order they ended.
        with sqlite3.connect(a) as c:
            local = [r[0] for r in c.execute("SELECT u.uuid FROM outbox o JOIN run_uuids u USING (run_id) ORDER BY o.seq")]
        arrived = self.cluster.psql("SELECT uuid FROM mpobench.runs ORDER BY id").stdout.split()
        self.assertEqual(arrived, local)

    def test_a_different_payload_under_a_known_uuid_is_refused_never_overwritten(self):
        a = self.station("a", 4, "D-", count=1)
        self.sync(a)
        row = self.cluster.psql("SELECT uuid, payload_hash, payload::text FROM mpobench.runs").stdout.strip()
        uuid, payload_hash, payload = row.split("|", 2)
        tampered = json.loads(payload)
        tampered["run"]["grade"] = "elite" if tampered["run"]["grade"] != "elite" else "standard"
        call = ("SELECT mpobench.mpobench_forward($${}$$::jsonb, '{}')".format(json.dumps(tampered), "f" * 64))
        refused = self.cluster.psql(call, user="station", check=False)
        self.assertNotEqual(refused.returncode, 0)
        self.assertIn("refused, not overwritten", refused.stderr)
        self.assertEqual(self.cluster.psql("SELECT payload_hash FROM mpobench.runs").stdout.strip(), payload_hash)
        # Through sync: the plant holds the UUID with another hash; the run
        # stays waiting and sync says so (exit 4).
        self.cluster.psql(f"UPDATE mpobench.runs SET payload_hash = '{'e' * 64}' WHERE uuid = '{uuid}'")
        with sqlite3.connect(a) as c:
            c.execute("UPDATE outbox SET forwarded_at = NULL")
        result = self.sync(a, expect=4)
        self.assertIn(uuid, result.stderr)
        self.assertIn("refused", result.stderr)
        with sqlite3.connect(a) as c:
            self.assertEqual(c.execute("SELECT count(*) FROM outbox WHERE forwarded_at IS NULL").fetchone()[0], 1)

    def test_roles_and_bad_input_are_refused(self):
        a = self.station("a", 5, "E-", count=1)
        # A station cannot write the tables; QA cannot forward.
        direct = self.cluster.psql("DELETE FROM mpobench.runs", user="station", check=False)
        self.assertIn("permission denied", direct.stderr)
        forward = self.cluster.psql("SELECT mpobench.mpobench_forward('{}'::jsonb, 'x')", user="qa", check=False)
        self.assertIn("permission denied", forward.stderr)
        bad_hash = self.cluster.psql("SELECT mpobench.mpobench_forward('{}'::jsonb, 'x')", user="station", check=False)
        self.assertIn("not a SHA-256", bad_hash.stderr)
        newer = self.cluster.psql("SELECT mpobench.mpobench_forward('{\"payload_version\": 3}'::jsonb, '" + "a" * 64 + "')",
                                  user="station", check=False)
        self.assertIn("upgrade the plant database", newer.stderr)
        # A password on the command line, a missing database: usage errors (2).
        with_password = self.sync(a, expect=2, url=self.station_url + "&password=secret")
        self.assertIn("PGPASSFILE", with_password.stderr)
        garbled = self.sync(a, expect=2, url="host='unterminated")
        self.assertIn("not valid", garbled.stderr)
        missing = self.sync(os.path.join(self.dir, "none.db"), expect=2)
        self.assertIn("no such station database", missing.stderr)
        self.assertFalse(os.path.exists(os.path.join(self.dir, "none.db")))
        # Applying the schema again changes nothing.
        self.assertEqual(mpobench("plant", "init", "--to", self.cluster.url()).returncode, 0)
        self.sync(a)
        self.assertEqual(len(self.plant_uuids()), 1)


if __name__ == "__main__":
    unittest_main(sys.modules[__name__])
