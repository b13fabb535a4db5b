"""Reading the plant (issue 15): `history`, `cert` and `verify` with --db
postgresql://... on runs forwarded by `mpobench sync`, compared with the same
commands on the station databases; `verify --db STATION.db --against URL`
finds a station row changed after forwarding. Uses test_plant's throw-away
PostgreSQL cluster."""

import json
import os
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.dirname(__file__))
sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "clients"))
import test_plant  # noqa: E402
from simbench import unittest_main  # noqa: E402

MPOBENCH = None
SOURCE = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
SITE = os.path.join(SOURCE, "site.toml")


def mpobench(*args):
    return subprocess.run([MPOBENCH, "--log-level", "warn", *args], capture_output=True, text=True,
                          timeout=180)


def station_uuid(db):
    with sqlite3.connect(db) as c:
        return c.execute("SELECT uuid FROM station_identity").fetchone()[0]


def without_plant_column(text, uuid):
    """history from the plant less its first column (STN DB: the station
    UUID's first 8 digits and a space) on the lines of the run table."""
    lines = text.split("\n")
    return "\n".join(line[9:] if i == 0 or line.startswith(uuid[:8] + " ") else line
                      for i, line in enumerate(lines))


class PlantRead(unittest.TestCase):
    def setUp(self):
        test_plant.MPOBENCH = MPOBENCH
        self.cluster = test_plant.new_plant(self)
        self.dir = tempfile.mkdtemp(prefix="mpobench-plant-read-")
        self.addCleanup(shutil.rmtree, self.dir, True)
        self.qa_url = self.cluster.url("qa")

    def run_ok(self, *args, expect=0):
        result = mpobench(*args)
        self.assertEqual(result.returncode, expect, f"{args}\n{result.stdout}\n{result.stderr}")
        return result

    def station(self, name, seed, prefix, count):
        db = os.path.join(self.dir, f"{name}.db")
        result = mpobench("demo", "--random", str(seed), "--count", str(count), "--serial", prefix,
                          "--db", db, "--time-scale", test_plant.TIME_SCALE)
        self.assertIn(result.returncode, (0, 1), result.stderr)
        self.run_ok("sync", "--db", db, "--to", self.cluster.url("station"))
        return db

    def serials(self, db):
        with sqlite3.connect(db) as c:
            return [r[0] for r in c.execute("SELECT DISTINCT serial FROM assemblies ORDER BY serial")]

    def test_history_from_the_plant_is_the_stations(self):
        a = self.station("a", 21, "R-", 3)
        b = self.station("b", 22, "R-", 2)  # R-0001, R-0002 again: retests at another station
        for db in (a, b):
            for serial in self.serials(db):
                local = self.run_ok("history", serial, "--db", db).stdout
                plant = self.run_ok("history", serial, "--db", self.qa_url, "--station",
                                    station_uuid(db)).stdout
                self.assertTrue(plant.startswith("STN DB   RUN"), plant)
                self.assertEqual(without_plant_column(plant, station_uuid(db)), local)
                local_json = json.loads(self.run_ok("history", serial, "--db", db, "--json").stdout)
                plant_json = json.loads(self.run_ok("history", serial, "--db", self.qa_url,
                                                    "--station", station_uuid(db), "--json").stdout)
                for run in plant_json:
                    self.assertEqual(run.pop("station_uuid"), station_uuid(db))
                self.assertEqual(plant_json, local_json)
        # R-0001 across the plant: both stations' runs, oldest first, attempts counted over both.
        both = json.loads(self.run_ok("history", "R-0001", "--db", self.qa_url, "--json").stdout)
        self.assertEqual({run["station_uuid"] for run in both}, {station_uuid(a), station_uuid(b)})
        self.assertEqual([run["started_at"] for run in both], sorted(run["started_at"] for run in both))
        attempts = [run["attempt"] for run in both if run["attempt"] is not None]
        self.assertEqual(attempts, list(range(1, len(attempts) + 1)))
        text = self.run_ok("history", "R-0001", "--db", self.qa_url).stdout
        self.assertIn(station_uuid(a)[:8], text)
        self.assertIn(station_uuid(b)[:8], text)
        # Both demo stations have one name: --station NAME takes both, a UUID one.
        name = both[0]["station"]
        by_name = json.loads(self.run_ok("history", "R-0001", "--db", self.qa_url, "--station", name,
                                         "--json").stdout)
        self.assertEqual(by_name, [run for run in both if run["station"] == name])
        nobody = self.run_ok("history", "R-0001", "--db", self.qa_url, "--station", "no-such-station")
        self.assertIn("no runs of R-0001 in plant", nobody.stdout)
        # retests and the QA report from the plant are the station's own.
        for db in (a, b):
            local = json.loads(self.run_ok("retests", "--db", db, "--json").stdout)
            plant = json.loads(self.run_ok("retests", "--db", self.qa_url, "--station", station_uuid(db),
                                           "--json").stdout)
            local.pop("scope"), plant.pop("scope")
            self.assertEqual(plant, local)
            out = {where: os.path.join(self.dir, f"report-{os.path.basename(db)}-{where}")
                   for where in ("station", "plant")}
            self.run_ok("report", "--db", db, "--out", out["station"])
            self.run_ok("report", "--db", self.qa_url, "--station", station_uuid(db), "--out", out["plant"])
            # The failure charts are the same pictures. (The yield ones are
            # not: at the plant, b's R-0001 and R-0002 are retests of a's; the
            # IL ones may differ by a 0.01 dB bin, the payload's rounding.)
            for chart in ("pareto_cause.png", "pareto_position.png", "pareto_wavelength.png"):
                with open(os.path.join(out["station"], chart), "rb") as f, \
                        open(os.path.join(out["plant"], chart), "rb") as g:
                    self.assertEqual(f.read(), g.read(), chart)
            self.assertTrue(os.path.getsize(os.path.join(out["plant"], "report.pdf")) > 0)
            # An export from the plant is the station's, value for value.
            self.assertEqual(
                json.loads(self.run_ok("export", "--db", self.qa_url, "--station", station_uuid(db),
                                       "--format", "json").stdout),
                json.loads(self.run_ok("export", "--db", db, "--format", "json").stdout))
        # Across the plant, R-0001 and R-0002 are retests (a station alone does not know).
        everything = json.loads(self.run_ok("retests", "--db", self.qa_url, "--json").stdout)
        self.assertTrue({"R-0001", "R-0002"} <= {s["serial"] for s in everything["retested_serials"]},
                        everything)
        # Refusals: --station on a station database; a password; the plant down.
        self.assertIn("--station", self.run_ok("history", "R-0001", "--db", a, "--station", name,
                                               expect=2).stderr)
        with_password = self.run_ok("history", "R-0001", "--db", self.qa_url + "&password=secret", expect=2)
        self.assertIn("PGPASSFILE", with_password.stderr)
        self.cluster.stop()
        down = self.run_ok("history", "R-0001", "--db", self.qa_url, expect=3)
        self.assertIn("unreachable", down.stderr)
        self.run_ok("cert", "R-0001", "--db", self.qa_url, "--site", SITE, "--out",
                    os.path.join(self.dir, "x.pdf"), expect=3)
        self.run_ok("verify", "--db", a, "--against", self.qa_url, expect=3)

    def test_verify_against_the_plant_names_a_station_row_changed_after_forwarding(self):
        a = self.station("a", 23, "V-", 3)
        ok = self.run_ok("verify", "--db", a, "--against", self.qa_url)
        self.assertIn("VERIFIED", ok.stdout)
        report = json.loads(self.run_ok("verify", "--db", a, "--against", self.qa_url, "--json").stdout)
        self.assertTrue(report["verified"])
        self.assertEqual(report["station_uuid"], station_uuid(a))
        self.assertGreaterEqual(report["matching"], 1)
        self.assertEqual(report["altered"], [])
        # Someone edits a stored IL behind mpobench's back, after it was forwarded.
        with sqlite3.connect(a) as c:
            run_id, serial, uuid = c.execute(
                "SELECT runs.id, serial, uuid FROM runs JOIN assemblies ON assemblies.id = assembly_id "
                "JOIN run_uuids ON run_uuids.run_id = runs.id JOIN run_hashes ON run_hashes.run_id = runs.id "
                "ORDER BY runs.id LIMIT 1").fetchone()
            c.execute("DROP TRIGGER measurements_never_change")
            c.execute("UPDATE measurements SET il_db = il_db - 0.1 WHERE run_id = ? AND fiber = 2", (run_id,))
        altered = self.run_ok("verify", "--db", a, "--against", self.qa_url, expect=1)
        self.assertIn(f"ALTERED: run {run_id} (uuid {uuid}) of {serial}", altered.stdout)
        report = json.loads(self.run_ok("verify", "--db", a, "--against", self.qa_url, "--json",
                                        expect=1).stdout)
        self.assertFalse(report["verified"])
        self.assertEqual([(r["run_id"], r["uuid"], r["serial"]) for r in report["altered"]],
                         [(run_id, uuid, serial)])
        self.assertEqual(report["matching"], report["checked"] - 1)
        # A record hash looked up in the plant.
        with sqlite3.connect(a) as c:
            (hash_,) = c.execute("SELECT sha256 FROM run_hashes WHERE run_id = ?", (run_id,)).fetchone()
        found = self.run_ok("verify", hash_, "--db", self.qa_url, "--json", expect=0 if self.payload_version() >= 2 else 1)
        self.assertEqual(json.loads(found.stdout)["uuid"], uuid)
        missing = self.run_ok("verify", "0" * 64, "--db", self.qa_url, expect=1)
        self.assertIn("NOT FOUND", missing.stdout)
        # Usage errors.
        self.run_ok("verify", hash_, "--db", a, "--against", self.qa_url, expect=2)
        self.run_ok("verify", "--db", a, "--against", os.path.join(self.dir, "b.db"), expect=2)
        self.run_ok("verify", "--db", self.qa_url, "--against", self.qa_url, expect=2)
        self.run_ok("verify", "--db", a, expect=2)
        self.run_ok("verify", "--db", a, "--against", self.qa_url + "&password=x", expect=2)

    def payload_version(self):
        return int(self.cluster.psql("SELECT max((payload->>'payload_version')::int) FROM mpobench.runs")
                   .stdout.strip())

    def test_certificate_from_the_plant(self):
        a = self.station("a", 24, "C-", 2)
        with sqlite3.connect(a) as c:
            serial = c.execute("SELECT serial FROM runs JOIN assemblies ON assemblies.id = assembly_id "
                               "WHERE status = 'completed' AND kind = 'production' ORDER BY runs.id").fetchone()[0]
        local = os.path.join(self.dir, "station.pdf")
        plant = os.path.join(self.dir, "plant.pdf")
        self.run_ok("cert", serial, "--db", a, "--site", SITE, "--out", local)
        strip = lambda data: b"".join(line for line in data.split(b"\n") if b"/CreationDate" not in line)
        if self.payload_version() >= 2:
            self.run_ok("cert", serial, "--db", self.qa_url, "--site", SITE, "--out", plant)
            with open(local, "rb") as x, open(plant, "rb") as y:
                self.assertEqual(strip(x.read()), strip(y.read()))
        else:
            # `sync` still sends form 1 (the run as test --json writes it): not enough to print.
            refused = self.run_ok("cert", serial, "--db", self.qa_url, "--site", SITE, "--out", plant,
                                  expect=2)
            self.assertIn("payload form 1", refused.stderr)
            self.assertFalse(os.path.exists(plant))
        # A batch: the latest completed production run of each serial of a part.
        with sqlite3.connect(a) as c:
            (part,) = c.execute("SELECT number FROM parts JOIN runs ON runs.part_id = parts.id "
                                "JOIN assemblies ON assemblies.id = assembly_id WHERE serial = ?",
                                (serial,)).fetchone()
        station_batch = os.path.join(self.dir, "station-batch")
        plant_batch = os.path.join(self.dir, "plant-batch")
        self.run_ok("cert", "--part", part, "--db", a, "--site", SITE, "--out", station_batch)
        if self.payload_version() >= 2:
            self.run_ok("cert", "--part", part, "--db", self.qa_url, "--site", SITE, "--out", plant_batch)
            self.assertEqual(sorted(os.listdir(plant_batch)), sorted(os.listdir(station_batch)))
            for name in os.listdir(station_batch):
                with open(os.path.join(station_batch, name), "rb") as x, \
                        open(os.path.join(plant_batch, name), "rb") as y:
                    self.assertEqual(strip(x.read()), strip(y.read()))
        else:
            refused = self.run_ok("cert", "--part", part, "--db", self.qa_url, "--site", SITE, "--out",
                                  plant_batch, expect=2)
            self.assertIn("payload form 1", refused.stderr)
            self.assertFalse(os.path.exists(plant_batch))
        # Refusals: a batch without --out, --print from the plant, an unknown serial or run.
        self.run_ok("cert", "--part", part, "--db", self.qa_url, "--site", SITE, expect=2)
        self.run_ok("cert", serial, "--print", "--db", self.qa_url, "--site", SITE, expect=2)
        self.assertIn("no runs of NOPE", self.run_ok("cert", "NOPE", "--db", self.qa_url, "--site", SITE,
                                                     expect=2).stderr)
        self.run_ok("cert", serial, "--run", "999", "--db", self.qa_url, "--site", SITE, expect=2)
        self.run_ok("cert", serial, "--station", "x", "--db", a, "--site", SITE, expect=2)

    def test_the_plant_takes_payload_form_2_and_a_malformed_one_is_a_fault(self):
        self.station("a", 25, "F-", 1)
        payload = json.loads(self.cluster.psql("SELECT payload::text FROM mpobench.runs").stdout)
        # Form 2 stored by the plant function (as a station calls it); this
        # one lacks the record a certificate is rendered from.
        payload.pop("record", None)
        payload.update(payload_version=2, uuid="00000000-0000-4000-8000-000000000001", station_run_id=9999)
        text = json.dumps(payload).replace("'", "''")
        stored = self.cluster.psql(f"SELECT mpobench.mpobench_forward('{text}'::jsonb, '{'b' * 64}')",
                                   user="station")
        self.assertEqual(stored.stdout.strip(), "stored")
        serial = payload["run"]["serial"]
        broken = self.run_ok("cert", serial, "--db", self.qa_url, "--site", SITE, "--run", "9999", "--out",
                             os.path.join(self.dir, "broken.pdf"), expect=3)
        self.assertIn("record: missing", broken.stderr)
        self.assertFalse(os.path.exists(os.path.join(self.dir, "broken.pdf")))
        history = json.loads(self.run_ok("history", serial, "--db", self.qa_url, "--json").stdout)
        self.assertEqual([run["run_id"] for run in history], [1, 9999])
        # An export of it is a fault too, and writes nothing.
        out = os.path.join(self.dir, "broken.json")
        broken = self.run_ok("export", "--db", self.qa_url, "--format", "json", "--out", out, expect=3)
        self.assertIn("record: missing", broken.stderr)
        self.assertFalse(os.path.exists(out))
        # A run that came in form 1 (older stations) cannot be exported from the plant: 2, naming it.
        payload.update(payload_version=1, uuid="00000000-0000-4000-8000-000000000002", station_run_id=9998)
        text = json.dumps(payload).replace("'", "''")
        self.cluster.psql(f"SELECT mpobench.mpobench_forward('{text}'::jsonb, '{'c' * 64}')", user="station")
        refused = self.run_ok("export", "--db", self.qa_url, "--format", "json", "--out", out, expect=2)
        self.assertIn("run 9998", refused.stderr)
        self.assertIn("payload form 1", refused.stderr)
        self.assertFalse(os.path.exists(out))


if __name__ == "__main__":
    unittest_main(sys.modules[__name__])
