"""The plant's QA pages (issue 15): `mpobench serve --db postgresql://...`
over real HTTP, on runs two stations forwarded with `mpobench sync`. The
plant's users log in; the QA answers equal the commands' on the plant, a
run's page and certificate are its station's, a payload changed in the plant
is shown unverified, and what the plant's pages may not do is refused. Uses
test_plant's throw-away PostgreSQL cluster."""

import http.client
import json
import os
import shutil
import socket
import sqlite3
import subprocess
import sys
import tempfile
import time
import unittest
import uuid

sys.path.insert(0, os.path.dirname(__file__))
sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "clients"))
import test_plant  # noqa: E402
import test_web_server  # noqa: E402
from simbench import unittest_main  # noqa: E402

MPOBENCH = None
SOURCE = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
SITE = os.path.join(SOURCE, "site.toml")
PASSWORD = "plant-pages-pass-1"


def strip_creation_date(pdf):
    return b"".join(line for line in pdf.split(b"\n") if b"/CreationDate" not in line)


class PlantPages(unittest.TestCase):
    def setUp(self):
        test_plant.MPOBENCH = MPOBENCH
        test_web_server.MPOBENCH = MPOBENCH
        self.cluster = test_plant.new_plant(self)
        self.dir = tempfile.mkdtemp(prefix="mpobench-plant-pages-")
        self.addCleanup(shutil.rmtree, self.dir, True)
        self.qa_url = self.cluster.url("qa")
        self.password = os.path.join(self.dir, "password")
        with open(self.password, "w") as f:
            f.write(PASSWORD + "\n")

    def mpobench(self, *args, expect=0):
        result = subprocess.run([MPOBENCH, "--log-level", "warn", *args], capture_output=True, text=True,
                                timeout=180)
        if expect is not None:
            self.assertEqual(result.returncode, expect, f"{args}\n{result.stdout}\n{result.stderr}")
        return result

    def station(self, name, seed, prefix, count):
        db = os.path.join(self.dir, f"{name}.db")
        result = subprocess.run([MPOBENCH, "--log-level", "warn", "demo", "--random", str(seed), "--count",
                                 str(count), "--serial", prefix, "--db", db, "--time-scale",
                                 test_plant.TIME_SCALE], capture_output=True, text=True, timeout=300)
        self.assertIn(result.returncode, (0, 1), result.stderr)
        self.mpobench("sync", "--db", db, "--to", self.cluster.url("station"))
        return db

    def serve(self, *args, url=None):
        port = test_web_server.free_port()
        server = subprocess.Popen([MPOBENCH, "--log-file", os.path.join(self.dir, "serve.log"), "serve", "--db",
                                   url or self.qa_url, "--site", SITE, "--listen", f"127.0.0.1:{port}", *args],
                                  stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)

        def stop():
            if server.poll() is None:
                server.terminate()
                server.communicate(timeout=30)
        self.addCleanup(stop)
        line = server.stdout.readline()
        self.assertIn(f"http://127.0.0.1:{port}/ (the plant's QA pages, plant ", line,
                      server.stderr.read() if server.poll() is not None else line)
        return port

    def client(self, port, user):
        client = test_web_server.Client(port)
        status, document = client.login(user, PASSWORD)
        self.assertEqual(status, 200, document)
        return client

    def get(self, client, path, expect=200):
        status, document, _ = client.request("GET", path)
        self.assertEqual(status, expect, f"GET {path}: {document}")
        return document

    def test_the_plant_pages_show_every_stations_runs_as_the_commands_do(self):
        a = self.station("a", 31, "P-", 3)
        b = self.station("b", 32, "Q-", 2)
        for name, role in (("quinn", "qa"), ("olga", "operator"), ("ada", "admin")):
            self.mpobench("user", "add", name, "--role", role, "--password-file", self.password, "--db",
                          self.cluster.url())
        badge = os.path.join(self.dir, "badge")
        with open(badge, "w") as f:
            f.write("BADGE-QUINN-0001\n")
        self.mpobench("user", "badge", "quinn", "--badge-file", badge, "--db", self.cluster.url())
        self.mpobench("user", "add", "gone", "--role", "qa", "--password-file", self.password, "--db",
                      self.cluster.url())
        self.mpobench("user", "disable", "gone", "--db", self.cluster.url())
        port = self.serve()

        # The plant's users log in (by name or badge); a disabled one and a wrong password do not.
        quinn = self.client(port, "quinn")
        session = self.get(quinn, "/api/session")
        self.assertEqual(session["record"]["source"], "plant")
        self.assertEqual(test_web_server.Client(port).login("gone", PASSWORD)[0], 401)
        self.assertEqual(test_web_server.Client(port).login("quinn", "wrong-password")[0], 401)
        by_badge = test_web_server.Client(port)
        status, document, _ = by_badge.request("POST", "/api/session", {"badge": "BADGE-QUINN-0001"})
        self.assertEqual((status, document.get("user")), (200, "quinn"), document)
        # A user disabled at the plant while logged in: the session ends within 30 s
        # (checked at the end, the pages read meanwhile).
        self.mpobench("user", "add", "leaving", "--role", "qa", "--password-file", self.password, "--db",
                      self.cluster.url())
        leaving = self.client(port, "leaving")
        self.mpobench("user", "disable", "leaving", "--db", self.cluster.url())
        disabled_at = time.monotonic()
        station = self.get(quinn, "/api/station")
        self.assertEqual((station["bench"], station["record"]["source"]), (False, "plant"))

        # The QA views equal the commands on the plant, over both stations.
        for view, by in (("yield", "day"), ("yield", "station"), ("pareto", ""), ("trend", "week")):
            page = self.get(quinn, f"/api/{view}?by={by}" if by else f"/api/{view}")
            args = [view, "--json", "--db", self.qa_url] + (["--by", by] if by else [])
            self.assertEqual(page, json.loads(self.mpobench(*args).stdout), view)
        histogram = self.get(quinn, "/api/histogram")
        trend = self.get(quinn, "/api/trend?by=day")
        for series in histogram["series"]:
            self.assertEqual(series["count"], sum(p["count"] for s in trend["series"]
                                                  if s["wavelength_nm"] == series["wavelength_nm"]
                                                  for p in s["points"]))
            self.assertEqual(series["elite_max_db"], 0.35)  # nothing activated at the plant: the default
        self.assertTrue(histogram["series"])

        # Runs: the newest of every station, each page keyed by its plant UUID.
        with sqlite3.connect(a) as c:
            serial, station_run = c.execute(
                "SELECT serial, runs.id FROM runs JOIN assemblies ON assemblies.id = assembly_id "
                "WHERE status = 'completed' AND kind = 'production' ORDER BY runs.id").fetchone()
            run_uuid = c.execute("SELECT uuid FROM run_uuids WHERE run_id = ?", (station_run,)).fetchone()[0]
        listed = self.get(quinn, "/api/runs?limit=500")["runs"]
        serials = {run["serial"] for run in listed}
        self.assertTrue(any(s.startswith("P-") for s in serials) and any(s.startswith("Q-") for s in serials))
        production = self.cluster.psql("SELECT uuid FROM mpobench.runs WHERE kind = 'production'").stdout.split()
        self.assertEqual(sorted(r["ref"] for r in listed), sorted(production))
        self.assertTrue(set(production) <= test_plant.station_uuids(a) | test_plant.station_uuids(b))
        self.assertEqual(len(self.get(quinn, "/api/runs?limit=2")["runs"]), 2)
        self.assertEqual([r["started_at"] for r in listed], sorted((r["started_at"] for r in listed), reverse=True))
        failed = self.get(quinn, "/api/runs?pass=false&limit=500")["runs"]
        self.assertEqual(sorted(r["ref"] for r in failed), sorted(self.cluster.psql(
            "SELECT uuid FROM mpobench.runs WHERE kind = 'production' AND status = 'completed' "
            "AND NOT pass").stdout.split()))
        self.assertEqual(self.get(quinn, "/api/runs?grade=nonsense")["runs"], [])
        history = self.get(quinn, f"/api/runs?serial={serial}")["runs"]
        self.assertIn(run_uuid, [r["ref"] for r in history])
        tested = int(self.cluster.psql(f"SELECT count(*) FROM mpobench.runs WHERE serial = '{serial}' "
                                       "AND kind = 'production'").stdout)
        self.assertEqual({r["tested_today"] for r in history}, {tested})

        run = self.get(quinn, f"/api/runs/{run_uuid}")
        self.assertEqual((run["ref"], run["run_id"], run["serial"], run["record_verified"]),
                         (run_uuid, station_run, serial, True))
        with sqlite3.connect(a) as c:
            (station_hash,) = c.execute("SELECT sha256 FROM run_hashes WHERE run_id = ?", (station_run,)).fetchone()
        self.assertEqual(run["record_hash"], station_hash)
        self.get(quinn, "/api/runs/not-a-uuid", expect=404)
        self.get(quinn, f"/api/runs/{uuid.uuid4()}", expect=404)

        # The certificate is its station's, byte for byte but the creation date.
        status, pdf, response = quinn.request("GET", f"/api/runs/{run_uuid}/certificate.pdf")
        self.assertEqual((status, response.getheader("Content-Type")), (200, "application/pdf"))
        local = os.path.join(self.dir, "station.pdf")
        self.mpobench("cert", serial, "--run", str(station_run), "--db", a, "--site", SITE, "--out", local)
        with open(local, "rb") as f:
            self.assertEqual(strip_creation_date(pdf), strip_creation_date(f.read()))

        # The export is the command's on the plant.
        today = time.strftime("%Y-%m-%d")
        status, exported, _ = quinn.request("GET", f"/api/export?format=json&from={today}&to={today}")
        self.assertEqual(status, 200)
        self.assertEqual(exported, json.loads(self.mpobench("export", "--format", "json", "--from", today, "--to",
                                                            today, "--db", self.qa_url).stdout))
        self.assertTrue(exported["runs"])
        # The plant's pages export a period; the whole plant is the command's.
        status, document, _ = quinn.request("GET", "/api/export?format=json")
        self.assertEqual((status, document["error"]), (422, "a period is needed"))
        status, csv_text, _ = quinn.request(
            "GET", f"/api/export?format=csv&table=measurements&part=NOPE&from={today}&to={today}")
        self.assertEqual(status, 200)
        self.assertEqual(len(csv_text.decode().strip().split("\n")), 1)  # the header alone

        # The plant's configuration: its log, limit sets and users, read only.
        audit = self.get(quinn, "/api/audit")
        self.assertEqual((audit["chained"], audit["verified"]), (False, None))
        self.assertIn(("user.disable", "gone"), [(e["action"], e["detail"].get("user")) for e in audit["entries"]])
        limits = self.get(quinn, "/api/limits")
        self.assertEqual((limits["limit_sets"], limits["in_use"]["source"], limits["read_only"]),
                         ([], "stations", True))
        self.get(quinn, "/api/limits/1", expect=404)
        for path, body in (("/api/limits", {"toml": "x"}), ("/api/limits/1/activate", {})):
            status, document, _ = quinn.request("POST", path, body)
            self.assertEqual((status, document["error"]), (409, "changed at the plant"), path)
        ada = self.client(port, "ada")
        users = self.get(ada, "/api/users")["users"]
        self.assertEqual([(u["name"], u["enabled"], u["badge"]) for u in users],
                         [("ada", True, False), ("gone", False, False), ("leaving", False, False), ("olga", True, False),
                          ("quinn", True, True)])
        status, document, _ = ada.request("POST", "/api/users", {"name": "x", "role": "qa", "password": PASSWORD})
        self.assertEqual(status, 409, document)
        self.get(ada, "/api/users/ada", expect=404)
        self.get(quinn, "/api/limits/1/activate", expect=404)
        # Roles as on a station; nothing to test at the plant.
        olga = self.client(port, "olga")
        self.get(olga, "/api/audit", expect=403)
        self.get(quinn, "/api/users", expect=403)
        self.get(quinn, f"/api/serials/{serial}", expect=409)
        status, document, _ = quinn.request("POST", "/api/tests", {"part": "X", "serial": "Y"})
        self.assertEqual((status, document["error"]), (409, "no bench"))

        while leaving.request("GET", "/api/session")[0] == 200:
            self.assertLess(time.monotonic() - disabled_at, 40, "the disabled user's session goes on")
            time.sleep(0.5)
        self.assertEqual(leaving.request("GET", "/api/session")[0], 401)
        self.assertEqual(self.get(quinn, "/api/session")["user"], "quinn")

        # A limit set activated at the plant (two logins, two people): the pages show
        # it in use and draw its Elite line.
        self.cluster.psql("CREATE ROLE keeper LOGIN IN ROLE mpobench_admin; "
                          "CREATE ROLE keeper2 LOGIN IN ROLE mpobench_admin")
        text = self.mpobench("limits", "show", "--default").stdout
        text = text.replace('name = "mpobench-default"', 'name = "plant-wide"').replace(
            "il_max_db = 0.35", "il_max_db = 0.40")
        limits_file = os.path.join(self.dir, "plant-wide.toml")
        with open(limits_file, "w") as f:
            f.write(text)
        self.mpobench("limits", "upload", limits_file, "--by", "ada", "--db", self.cluster.url("keeper"))
        self.mpobench("limits", "activate", "1", "--by", "quinn", "--db", self.cluster.url("keeper2"))
        limits = self.get(quinn, "/api/limits")
        self.assertEqual((limits["in_use"]["source"], limits["in_use"]["name"], limits["in_use"]["activated_by"]),
                         ("plant", "plant-wide", "quinn"))
        self.assertIn("il_max_db = 0.40", self.get(quinn, "/api/limits/1")["body"])
        self.assertEqual({s["elite_max_db"] for s in self.get(quinn, "/api/histogram")["series"]}, {0.40})

        # A payload changed in the plant: its page says the record no longer hashes to its hash.
        self.cluster.psql("UPDATE mpobench.runs SET payload = jsonb_set(payload, "
                          "'{record,measurements,0,il_db}', '9.5') "
                          f"WHERE uuid = '{run_uuid}'")
        self.assertIs(self.get(quinn, f"/api/runs/{run_uuid}")["record_verified"], False)

        # The plant goes down while serving: what reads it answers 503; the
        # session (and logging out) does not need it.
        self.cluster.stop()
        status, document, _ = quinn.request("GET", "/api/yield")
        self.assertEqual((status, document["error"]), (503, "plant unreachable"), document)
        self.assertEqual(self.get(quinn, "/api/session")["user"], "quinn")
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        connection.request("DELETE", "/api/session", headers={"Cookie": quinn.cookie, "X-CSRF-Token": quinn.csrf})
        self.assertEqual(connection.getresponse().status, 204)
        connection.close()
        self.get(quinn, "/api/session", expect=401)

    def test_what_serve_on_the_plant_refuses(self):
        # With a station: the station's server keeps its own database.
        station = os.path.join(self.dir, "station.toml")
        with open(station, "w") as f:
            f.write('name = "x"\n')
        refused = self.mpobench("serve", "--db", self.qa_url, "--station", station, expect=2)
        self.assertIn("--db names the plant", refused.stderr)
        # Other machines may reach it only once the plant has an admin.
        refused = self.mpobench("serve", "--db", self.qa_url, "--listen", "0.0.0.0:0", expect=4)
        self.assertIn("no admin user", refused.stderr)
        self.assertIn("mpobench user add NAME --role admin", refused.stderr)
        # A password in the URL; a plant that does not answer.
        self.mpobench("serve", "--db", self.qa_url + "&password=secret", expect=2)
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            closed = s.getsockname()[1]
        down = self.mpobench("serve", "--db", f"postgresql://qa@127.0.0.1:{closed}/postgres", expect=3)
        self.assertIn("127.0.0.1", down.stderr)


if __name__ == "__main__":
    unittest_main(sys.modules[__name__])
