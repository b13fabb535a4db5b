"""Parts, limits and users from the plant (issue 15): the plant's
administrators publish a part catalogue, limit sets (two-person rule) and
users; each station of the plant takes them before each test and keeps them,
so an offline station goes on testing with what it last had. Two stations
share one simulated bench; the second reaches the plant through a TCP relay
the test stops and starts again (its network going down and coming back)."""

import json
import os
import socket
import sqlite3
import subprocess
import sys
import tempfile
import signal
import threading
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "clients"))
sys.path.insert(0, os.path.dirname(__file__))
from simbench import SimProcess, unittest_main  # noqa: E402

import test_plant  # noqa: E402
from test_web_server import Client  # noqa: E402

MPOBENCH = None
SOURCE = os.path.join(os.path.dirname(__file__), "..", "..")
DUT = os.path.join(SOURCE, "fixtures", "data", "elite_sm_12f_b.json")
PLANT_PART = "PLANT12-SM-B-E"  # in the plant's catalogue only


class Relay:
    """127.0.0.1:port relayed to the cluster's unix socket while running."""

    def __init__(self, socket_path):
        self.socket_path = socket_path
        self.port = test_plant.free_port()
        self.server = None
        self.connections = []

    def start(self):
        self.server = socket.create_server(("127.0.0.1", self.port))
        threading.Thread(target=self.accept, args=(self.server,), daemon=True).start()

    def accept(self, server):
        while True:
            try:
                client, _ = server.accept()
            except OSError:
                return
            upstream = socket.socket(socket.AF_UNIX)
            upstream.connect(self.socket_path)
            self.connections += [client, upstream]
            for a, b in ((client, upstream), (upstream, client)):
                threading.Thread(target=self.pump, args=(a, b), daemon=True).start()

    @staticmethod
    def pump(source, sink):
        try:
            while data := source.recv(65536):
                sink.sendall(data)
        except OSError:
            pass
        finally:
            for s in (source, sink):
                try:
                    s.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass
                s.close()

    def stop(self):
        """The network down: new connections refused, open ones cut."""
        # shutdown wakes the thread blocked in accept(); close alone would not.
        self.server.shutdown(socket.SHUT_RDWR)
        self.server.close()
        for s in self.connections:
            try:
                s.shutdown(socket.SHUT_RDWR)
                s.close()
            except OSError:
                pass
        self.connections = []


class PlantConfig(unittest.TestCase):
    def setUp(self):
        self.cluster = test_plant.new_plant(self)
        # Two people who keep the plant's configuration, each with a login.
        self.cluster.psql("CREATE ROLE keeper LOGIN IN ROLE mpobench_admin; "
                          "CREATE ROLE keeper2 LOGIN IN ROLE mpobench_admin")
        self.tmp = tempfile.TemporaryDirectory(prefix="mpobench-plant-config-")
        self.addCleanup(self.tmp.cleanup)
        self.admin = self.cluster.url("keeper")
        self.admin2 = self.cluster.url("keeper2")
        self.qa = self.cluster.url("qa")
        self.password = self.path("password.txt", "plant-password-1\n")

    def path(self, name, text=None):
        path = os.path.join(self.tmp.name, name)
        if text is not None:
            with open(path, "w") as f:
                f.write(text)
        return path

    def mpobench(self, *args, expect=0):
        result = subprocess.run([MPOBENCH, "--log-level", "warn", *args], capture_output=True, text=True,
                                timeout=180)
        if expect is not None:
            self.assertEqual(result.returncode, expect, f"{args}\n{result.stdout}\n{result.stderr}")
        return result

    def limit_set(self, name, version, guard_band_db):
        text = self.mpobench("limits", "show", "--default").stdout
        text = text.replace('name = "mpobench-default"', f'name = "{name}"')
        text = text.replace('version = "2"', f'version = "{version}"', 1)
        text = text.replace("guard_band_db = 0.0", f"guard_band_db = {guard_band_db}")
        return self.path(f"{name}-{version}.toml", text)

    def plant_catalogue(self):
        with open(os.path.join(SOURCE, "fixtures", "parts.toml")) as f:
            text = f.read()
        text += ('\n[[part]]\nnumber = "PLANT12-SM-B-E"\nfibers = 12\nmode = "SM"\npolarity = "B"\n'
                 'grade = "elite"\nlength_m = 3.0\ndescription = "the plant\'s own part"\n')
        return self.path("plant-parts.toml", text)

    def station(self, name, url):
        with open(self.sim.station_path) as f:
            text = f.read()
        path = self.path(f"{name}.toml", text + f'\n[plant]\nurl = "{url}"\n')
        db = self.path(f"{name}.db")
        self.addCleanup(test_plant.end_forwarders, db)
        self.mpobench("reference", "--station", path, "--db", db, "--mode", "SM", "--fibers", "12",
                      "--operator", "e2e")
        return path, db

    def measure(self, station, serial):
        path, db = station
        result = self.mpobench("test", "--station", path, "--db", db, "--part", PLANT_PART, "--serial", serial,
                               "--operator", "e2e", "--json")
        return json.loads(result.stdout)["limit_set"], result.stderr

    def users(self, db):
        with sqlite3.connect(db) as c:
            return {r[0]: (r[1], r[2]) for r in c.execute("SELECT name, role, from_plant FROM users")}

    def test_the_plant_gives_parts_limits_and_users_and_an_offline_station_keeps_what_it_had(self):
        # The plant's administrators: users, a catalogue, limits under the two-person rule.
        for name, role in (("alice", "qa"), ("bob", "qa"), ("olga", "operator")):
            self.mpobench("user", "add", name, "--role", role, "--password-file", self.password,
                          "--db", self.admin)
        self.assertIn("no part catalogue published",
                      self.mpobench("parts", "show", "--db", self.qa).stdout)
        self.mpobench("parts", "publish", self.plant_catalogue(), "--by", "alice", "--db", self.admin)
        first = self.mpobench("limits", "upload", self.limit_set("plant-limits", "1", 0.0), "--by", "alice",
                              "--db", self.admin)
        self.assertIn("uploaded by alice to the plant", first.stdout)
        # A --by name is not a login: the one who uploaded cannot activate under another name.
        same_login = self.mpobench("limits", "activate", "1", "--by", "bob", "--db", self.admin, expect=4)
        self.assertIn("the database login keeper uploaded limit set 1", same_login.stderr)
        self.mpobench("limits", "activate", "1", "--by", "bob", "--db", self.admin2)

        # What the plant refuses, and who may not change it.
        self.assertIn("no enabled user", self.mpobench("limits", "upload", self.limit_set("x", "1", 0.02), "--by",
                                                       "nobody", "--db", self.admin, expect=4).stderr)
        self.assertIn("an operator may not", self.mpobench("limits", "upload", self.limit_set("x", "1", 0.02),
                                                           "--by", "olga", "--db", self.admin, expect=4).stderr)
        self.mpobench("user", "add", "alice", "--role", "qa", "--password-file", self.password, "--db",
                      self.admin, expect=2)
        bad = self.path("bad-parts.toml", '[[part]]\nnumber = "X"\nfibers = "twelve"\n')
        self.mpobench("parts", "publish", bad, "--by", "alice", "--db", self.admin, expect=2)
        self.mpobench("parts", "publish", self.plant_catalogue(), "--by", "alice", "--db",
                      self.path("station.db"), expect=2)
        # The QA role reads, the station role takes: neither changes the plant.
        with open(self.plant_catalogue()) as f:
            changed = self.path("changed-parts.toml", f.read() + "# changed\n")
        denied = self.mpobench("parts", "publish", changed, "--by", "alice", "--db", self.qa, expect=3)
        self.assertIn("permission denied", denied.stderr)
        self.mpobench("user", "add", "eve", "--role", "admin", "--password-file", self.password, "--db",
                      self.cluster.url("station"), expect=3)
        # Who changed what, as the plant logged it; no hash chain to verify there.
        log = json.loads(self.mpobench("audit", "list", "--json", "--db", self.qa).stdout)
        self.assertEqual([(c["action"], c["actor"], c["db_role"]) for c in log],
                         [("user.add", c["actor"], "keeper") for c in log[:3]] +
                         [("parts.publish", "alice", "keeper"), ("limits.upload", "alice", "keeper"),
                          ("limits.activate", "bob", "keeper2")])
        self.assertEqual(log[5]["detail"]["id"], 1)
        self.mpobench("audit", "verify", "--db", self.qa, expect=2)
        users = json.loads(self.mpobench("user", "list", "--json", "--db", self.qa).stdout)
        self.assertEqual([(u["name"], u["role"], u["badge"]) for u in users],
                         [("alice", "qa", False), ("bob", "qa", False), ("olga", "operator", False)])
        badge = self.path("badge.txt", "BADGE-ALICE-0001\n")
        self.mpobench("user", "badge", "alice", "--badge-file", badge, "--db", self.admin)
        self.mpobench("user", "badge", "bob", "--badge-file", badge, "--db", self.admin, expect=4)
        listed = self.mpobench("limits", "list", "--json", "--db", self.qa)
        self.assertEqual([(s["id"], s["active"]) for s in json.loads(listed.stdout)], [(1, True)])
        self.assertIn("PLANT12-SM-B-E", self.mpobench("parts", "show", "--db", self.qa).stdout)

        # Two stations; the second reaches the plant through the relay.
        relay = Relay(os.path.join(self.cluster.dir, f".s.PGSQL.{self.cluster.port}"))
        relay.start()
        self.addCleanup(relay.stop)
        self.sim = SimProcess(MPOBENCH, "--dut", DUT, time_scale="0.005").__enter__()
        self.addCleanup(self.sim.__exit__, None, None, None)
        online = self.station("online", self.cluster.url("station"))
        offline = self.station("offline", f"postgresql://station@127.0.0.1:{relay.port}/postgres")
        for station, serial in ((online, "PC-0001"), (offline, "PC-0002")):
            limits, _ = self.measure(station, serial)
            self.assertEqual((limits["name"], limits["version"]), ("plant-limits", "1"))
            self.assertEqual(self.users(station[1])["alice"], ("qa", 1))

        # The second station's network goes down; the plant changes.
        relay.stop()
        self.mpobench("limits", "upload", self.limit_set("plant-limits", "2", 0.05), "--by", "bob", "--db",
                      self.admin)
        self.assertIn("two-person rule", self.mpobench("limits", "activate", "2", "--by", "bob", "--db",
                                                       self.admin2, expect=4).stderr)
        self.mpobench("limits", "activate", "2", "--by", "alice", "--db", self.admin2)
        self.mpobench("user", "add", "carol", "--role", "operator", "--password-file", self.password, "--db",
                      self.admin)
        self.mpobench("user", "disable", "olga", "--db", self.admin)

        limits, _ = self.measure(online, "PC-0003")
        self.assertEqual((limits["name"], limits["version"]), ("plant-limits", "2"))
        self.assertIn("carol", self.users(online[1]))
        limits, said = self.measure(offline, "PC-0004")
        self.assertEqual((limits["name"], limits["version"]), ("plant-limits", "1"))
        self.assertIn("parts, limits and users not taken from the plant (the plant database is unreachable", said)
        self.assertIn("testing with those fetched", said)
        self.assertNotIn("carol", self.users(offline[1]))

        # Back online: the next test takes what the plant has now.
        relay.start()
        limits, said = self.measure(offline, "PC-0005")
        self.assertEqual((limits["name"], limits["version"]), ("plant-limits", "2"), said)
        self.assertEqual(self.users(offline[1])["carol"], ("operator", 1))
        with sqlite3.connect(offline[1]) as c:
            self.assertIsNotNone(c.execute("SELECT disabled_at FROM users WHERE name = 'olga'").fetchone()[0])

        # A plant's user is changed at the plant, not at a station (its next fetch would undo it).
        refused = self.mpobench("user", "disable", "carol", "--db", offline[1], expect=4)
        self.assertIn("comes from the station's plant", refused.stderr)
        # What the station shows of it.
        identify = self.mpobench("identify", "--station", offline[0], "--db", offline[1])
        self.assertRegex(identify.stdout, r"parts, limits and users: from plant .*limit set 2 \('plant-limits' 2\)")
        self.assertIn("IN USE: the plant's limit set 2", self.mpobench("limits", "list", "--db", online[1]).stdout)
        self.assertIn("the plant's part catalogue 1", self.mpobench("parts", "show", "--db", online[1]).stdout)
        audit = self.mpobench("audit", "list", "--db", online[1], "--json")
        self.assertIn("plant.config", [entry["action"] for entry in json.loads(audit.stdout)])
        # The station's pages: the plant's users log in (not one the plant
        # disabled), offer the plant's parts, and test one of them.
        self.serve_and_test(online)
        # A part the plant's catalogue lacks is bad input, as ever.
        path, db = online
        self.mpobench("test", "--station", path, "--db", db, "--part", "NO-SUCH-PART", "--serial", "PC-0006",
                      "--operator", "e2e", expect=2)
        # A plant older than its stations (no configuration tables): the
        # station tests with what it had and says which to upgrade.
        self.cluster.psql("DROP TABLE mpobench.part_catalogues CASCADE")
        limits, said = self.measure(online, "PC-0007")
        self.assertEqual((limits["name"], limits["version"]), ("plant-limits", "2"))
        self.assertIn("upgrade the plant database", said)


    def serve_and_test(self, station):
        path, db = station
        port = test_plant.free_port()
        server = subprocess.Popen([MPOBENCH, "--log-file", self.path("serve.log"), "serve", "--station", path,
                                   "--db", db, "--listen", f"127.0.0.1:{port}"],
                                  stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        self.addCleanup(server.wait, 30)
        self.addCleanup(server.send_signal, signal.SIGTERM)
        self.assertIn(f"127.0.0.1:{port}", server.stdout.readline())
        olga = Client(port)
        self.assertEqual(olga.login("olga", "plant-password-1")[0], 401)
        carol = Client(port)
        status, document = carol.login("carol", "plant-password-1")
        self.assertEqual(status, 200, document)
        status, info, _ = carol.request("GET", "/api/station")
        self.assertIn(PLANT_PART, [p["number"] for p in info["parts"]])
        status, document, _ = carol.request("POST", "/api/tests", {"part": PLANT_PART, "serial": "PC-WEB-1"})
        self.assertEqual(status, 202, document)
        state = carol.answer_prompts_until_finished()
        self.assertIsNone(state["aborted"], state)
        with sqlite3.connect(db) as c:
            self.assertEqual(c.execute("SELECT p.number, r.operator, s.name, s.version FROM runs r "
                                       "JOIN parts p ON p.id = r.part_id JOIN limit_sets s ON s.id = r.limit_set_id "
                                       "WHERE r.id = ?", (state["run_id"],)).fetchone(),
                             (PLANT_PART, "carol", "plant-limits", "2"))


def setUpModule():
    test_plant.MPOBENCH = MPOBENCH


if __name__ == "__main__":
    unittest_main(sys.modules[__name__])
