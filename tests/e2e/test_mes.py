"""Results pushed to the MES (issue 15): a station file with [mes] has each
ended run POSTed to a small loopback HTTP server standing for the MES — as
an IPC-CFX UnitsTested message or the plant payload — in the order runs
ended, retried until the MES answers 2xx."""

import http.server
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

sys.path.insert(0, os.path.dirname(__file__))
import test_plant  # noqa: E402

MPOBENCH = None
SOURCE = os.path.join(os.path.dirname(__file__), "..", "..")
DUT = os.path.join(SOURCE, "fixtures", "data", "elite_sm_12f_b.json")
PART = "MPO12-SM-B-E"


class Mes:
    """A loopback HTTP server that records every POST and answers with the
    statuses queued in `answers` (200 once they run out)."""

    def __init__(self, answers=(), interlock=None):
        self.received = []
        self.answers = list(answers)
        self.questions = []
        # serial -> (status, answer body) for POSTs to /interlock
        self.interlock = interlock or {}
        mes = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers["Content-Length"]))
                if self.path == "/interlock":
                    question = json.loads(body)
                    mes.questions.append(question)
                    status, answer = mes.interlock[question["serial"]]
                    data = json.dumps(answer).encode()
                    self.send_response(status)
                    self.send_header("Content-Length", str(len(data)))
                    self.end_headers()
                    self.wfile.write(data)
                    return
                status = mes.answers.pop(0) if mes.answers else 200
                mes.received.append((self.path, self.headers["Content-Type"], json.loads(body), status))
                self.send_response(status)
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"ok")

            def log_message(self, *args):
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()


def acknowledged(db):
    with sqlite3.connect(db) as c:
        return c.execute("SELECT count(*) FROM outbox WHERE mes_acknowledged_at IS NOT NULL").fetchone()[0]


class MesPush(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory(prefix="mpobench-mes-")
        self.addCleanup(self.tmp.cleanup)
        self.db = os.path.join(self.tmp.name, "station.db")
        self.sim = SimProcess(MPOBENCH, "--dut", DUT, time_scale="0.005").__enter__()
        self.addCleanup(self.sim.__exit__, None, None, None)
        # Before the simulator and the MES go (cleanups run last first).
        self.addCleanup(test_plant.end_forwarders, self.db)

    def mpobench(self, *args):
        return subprocess.run([MPOBENCH, "--log-level", "info", "--log-file",
                               os.path.join(self.tmp.name, "mpobench.log"), *args],
                              capture_output=True, text=True, timeout=180)

    def station_with(self, mes_table):
        with open(self.sim.station_path) as f:
            text = f.read()
        station = os.path.join(self.tmp.name, "station.toml")
        with open(station, "w") as f:
            f.write(text + "\n[mes]\n" + mes_table + "\n")
        return station

    def test(self, station, serial):
        return self.mpobench("test", "--station", station, "--db", self.db, "--part", PART, "--serial", serial,
                             "--operator", "e2e")

    def reference(self, station):
        result = self.mpobench("reference", "--station", station, "--db", self.db, "--mode", "SM", "--fibers",
                               "12", "--operator", "e2e")
        self.assertEqual(result.returncode, 0, result.stderr)

    def wait_acknowledged(self, count):
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and acknowledged(self.db) < count:
            time.sleep(0.1)
        if acknowledged(self.db) != count:
            with open(os.path.join(self.tmp.name, "mpobench.log")) as f:
                self.fail(f"{acknowledged(self.db)} of {count} acknowledged; log:\n" + f.read()[-3000:])

    def test_cfx_results_are_pushed_in_order_and_retried_until_acknowledged(self):
        mes = Mes(answers=[503])
        self.addCleanup(mes.close)
        station = self.station_with(f'url = "http://127.0.0.1:{mes.port}/cfx/units-tested"\nformat = "ipc-cfx"')
        self.reference(station)
        first = self.test(station, "MES-0001")
        self.assertEqual(first.returncode, 0, first.stderr)
        # The MES said 503: the run waits for it; the next run's forwarder sends both, in order.
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and not mes.received:
            time.sleep(0.1)
        time.sleep(0.5)
        self.assertEqual(acknowledged(self.db), 0)
        second = self.test(station, "MES-0002")
        self.assertEqual(second.returncode, 0, second.stderr)
        self.wait_acknowledged(2)
        serials = [m[2]["MessageBody"]["TestedUnits"][0]["UnitIdentifier"] for m in mes.received]
        self.assertEqual(serials, ["MES-0001", "MES-0001", "MES-0002"])
        self.assertEqual([m[3] for m in mes.received], [503, 200, 200])
        path, content_type, message, _ = mes.received[-1]
        self.assertEqual(path, "/cfx/units-tested")
        self.assertEqual(content_type, "application/json")
        self.assertEqual(message["MessageName"], "CFX.Production.TestAndInspection.UnitsTested")
        unit = message["MessageBody"]["TestedUnits"][0]
        self.assertEqual(unit["OverallResult"], "Passed")
        self.assertEqual(len(unit["Tests"]), 4)  # ends A and B at 1310 and 1550 nm
        for test in unit["Tests"]:
            self.assertEqual(test["Result"], "Passed")
            self.assertEqual(len(test["Measurements"]), 24)  # IL and RL of 12 fibres
            il = test["Measurements"][0]
            self.assertEqual(il["MeasuredValue"]["ValueUnits"], "dB")
            self.assertLess(il["MeasuredValue"]["Value"], 0.75)
        self.assertEqual(message["MessageBody"]["Tester"]["OperatorIdentifier"], "e2e")
        # The same run's UUID in a retry: the MES can tell a repeat.
        self.assertEqual(mes.received[0][2]["UniqueID"], mes.received[1][2]["UniqueID"])
        identify = self.mpobench("identify", "--station", station, "--db", self.db)
        self.assertIn("mes: 0 runs waiting", identify.stdout)

    def test_the_plant_payload_form_and_an_unreachable_mes(self):
        mes = Mes()
        self.addCleanup(mes.close)
        # The station's record from before it had an MES is not a backlog to push.
        self.reference(self.sim.station_path)
        self.assertEqual(self.test(self.sim.station_path, "MES-OLD-1").returncode, 0)
        station = self.station_with(f'url = "http://127.0.0.1:{mes.port}/results"')
        self.assertIn("mes: 0 runs waiting",
                      self.mpobench("identify", "--station", station, "--db", self.db).stdout)
        self.assertEqual(self.test(station, "MES-0010").returncode, 0)
        self.wait_acknowledged(1)
        payload = mes.received[0][2]
        self.assertEqual(payload["run"]["serial"], "MES-0010")
        self.assertEqual(len(mes.received), 1)
        with sqlite3.connect(self.db) as c:
            uuid = c.execute("SELECT uuid FROM run_uuids WHERE run_id = "
                             "(SELECT max(run_id) FROM run_uuids)").fetchone()[0]
        self.assertEqual(payload["uuid"], uuid)
        # Nothing listens any more: sync says the runs wait (exit 3), testing goes on.
        mes.close()
        self.assertEqual(self.test(station, "MES-0011").returncode, 0)
        synced = self.mpobench("sync", "--db", self.db, "--station", station)
        self.assertEqual(synced.returncode, 3, synced.stdout + synced.stderr)
        self.assertIn("1 runs wait for the MES", synced.stderr)

    def test_the_interlock_allows_refuses_and_follows_the_site_policy(self):
        mes = Mes(interlock={"OK-1": (200, {"allow": True, "reason": "WO-4711 open"}),
                             "NO-1": (200, {"allow": False, "reason": "serial on hold in the MES"}),
                             "DOWN-1": (500, {"error": "database down"}),
                             "ODD-1": (200, {"verdict": "yes"})})
        self.addCleanup(mes.close)
        interlock = f'interlock_url = "http://127.0.0.1:{mes.port}/interlock"'
        station = self.station_with(interlock)
        self.reference(station)
        allowed = self.mpobench("test", "--station", station, "--db", self.db, "--part", PART, "--serial", "OK-1",
                                "--operator", "e2e", "--work-order", "WO-4711", "--json")
        self.assertEqual(allowed.returncode, 0, allowed.stderr)
        self.assertEqual(json.loads(allowed.stdout)["mes_interlock"], "allowed by the MES: WO-4711 open")
        question = mes.questions[-1]
        self.assertEqual((question["serial"], question["part"], question["operator"], question["work_order"]),
                         ("OK-1", PART, "e2e", "WO-4711"))
        with sqlite3.connect(self.db) as c:
            self.assertEqual(question["station_uuid"], c.execute("SELECT uuid FROM station_identity").fetchone()[0])
            # Kept with the run in the record.
            self.assertEqual(c.execute("SELECT mes_interlock FROM runs").fetchone()[0],
                             "allowed by the MES: WO-4711 open")
        # A "no" is a refusal (exit 4) with the MES's reason; nothing is tested.
        refused = self.test(station, "NO-1")
        self.assertEqual(refused.returncode, 4, refused.stderr)
        self.assertIn("serial on hold in the MES", refused.stderr)
        # The MES cannot answer (500, or not the JSON agreed): the site policy decides.
        for serial in ("DOWN-1", "ODD-1"):
            down = self.test(station, serial)
            self.assertEqual(down.returncode, 4, down.stderr)
            self.assertIn("the site policy refuses", down.stderr)
        with sqlite3.connect(self.db) as c:
            tested = {r[0] for r in c.execute("SELECT serial FROM assemblies JOIN runs ON runs.assembly_id = "
                                              "assemblies.id")}
        self.assertEqual(tested, {"OK-1"})
        lenient = self.station_with(interlock + '\ninterlock_unreachable = "allow"')
        allowed_down = self.mpobench("test", "--station", lenient, "--db", self.db, "--part", PART, "--serial",
                                     "DOWN-1", "--operator", "e2e", "--json")
        self.assertEqual(allowed_down.returncode, 0, allowed_down.stderr)
        self.assertTrue(json.loads(allowed_down.stdout)["mes_interlock"].startswith(
            "allowed by the site policy: the MES could not be asked"))

    def test_a_bad_mes_url_is_refused_before_testing(self):
        for table, words in (('url = "https://mes.example/results"', "expected http://"),
                             ('url = "http://user:secret@mes:80/x"', "credentials"),
                             ('url = "http://mes:99999/x"', "port"),
                             ('url = "http://mes/x"\nformat = "xml"', "not mpobench or ipc-cfx"),
                             ('format = "ipc-cfx"', "give url"),
                             ('interlock_url = "http://mes/i"\ninterlock_unreachable = "maybe"', "not refuse or allow")):
            station = self.station_with(table)
            result = self.test(station, "MES-0020")
            self.assertEqual(result.returncode, 2, result.stderr)
            self.assertIn(words, result.stderr)
        with sqlite3.connect(self.db) if os.path.exists(self.db) else sqlite3.connect(":memory:") as c:
            tables = [r[0] for r in c.execute("SELECT name FROM sqlite_master WHERE name = 'runs'")]
            if tables:
                self.assertEqual(c.execute("SELECT count(*) FROM runs").fetchone()[0], 0)


if __name__ == "__main__":
    unittest_main(sys.modules[__name__])
