"""`mpobench serve` on the simulated bench, over real HTTP: a technician's test
from login to certificate through the JSON API the pages use, the page as
the operator (its Done makes the simulated operator plug), one test at a
time beside the CLI, and a server stopped or killed mid-test leaving the
record as the CLI does."""

import http.client
import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "clients"))
from simbench import SimProcess, unittest_main  # noqa: E402

from duts import dut, one_fibre  # noqa: E402
from test_production import part_number, write_parts  # noqa: E402

PASSWORD = "long enough 1"


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def strict_limits_toml(version):
    """A limit set whose IL limits no assembly meets: every test graded with it fails."""
    lines = ['name = "site-strict"', f'version = "{version}"']
    rl_min = {"generic": {"MM": 30.0, "SM": 60.0}, "standard": {"MM": 35.0, "SM": 65.0},
              "elite": {"MM": 35.0, "SM": 65.0}}
    for grade in ("generic", "standard", "elite"):
        for mode in ("MM", "SM"):
            lines += ["", f"[grade.{grade}.{mode}]", "il_typical_db = 0.01", "il_max_db = 0.02",
                      f"rl_min_db = {rl_min[grade][mode]}", "repeatability_max_db = 0.10"]
    return "\n".join(lines) + "\n"


class Client:
    """One browser's worth of HTTP: its session cookie and CSRF token."""

    def __init__(self, port):
        self.port = port
        self.cookie = None
        self.csrf = None

    def request(self, method, path, body=None, csrf=True, raw=None, timeout=60):
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=timeout)
        headers = {}
        if self.cookie:
            headers["Cookie"] = self.cookie
        if csrf and self.csrf and method != "GET":
            headers["X-CSRF-Token"] = self.csrf
        data = raw if raw is not None else (json.dumps(body) if body is not None else None)
        if data is not None:
            headers["Content-Type"] = "application/json"
        connection.request(method, path, body=data, headers=headers)
        response = connection.getresponse()
        payload = response.read()
        connection.close()
        if response.getheader("Content-Type", "").startswith("application/json"):
            return response.status, json.loads(payload), response
        return response.status, payload, response

    def login(self, user, password=PASSWORD):
        status, document, response = self.request("POST", "/api/session", {"user": user, "password": password})
        if status == 200:
            self.cookie = response.getheader("Set-Cookie").split(";")[0]
            self.csrf = document["csrf_token"]
        return status, document

    def state(self):
        return self.request("GET", "/api/tests/current")[1]

    def wait_for(self, predicate, what, timeout=60):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            state = self.state()
            if predicate(state):
                return state
            time.sleep(0.05)
        raise AssertionError(f"timed out waiting for {what}: {self.state()}")

    def answer_prompts_until_finished(self, steps_seen=None):
        """Answers each prompt with Done, as a technician does, until the procedure ends."""
        answered = set()
        while True:
            state = self.wait_for(lambda s: s["state"] == "finished" or
                                  (s["prompt"] and s["prompt"]["id"] not in answered), "a prompt or the end")
            if state["state"] == "finished":
                return state
            if steps_seen is not None:
                steps_seen.append(state["prompt"]["step"])
            answered.add(state["prompt"]["id"])
            status, document, _ = self.request("POST", "/api/tests/current/prompt", {"answer": "done"})
            if status != 200:
                raise AssertionError(f"prompt answer refused: {status} {document}")


class WebStation:
    """A simulated bench whose operator is the web page, a database with
    users, and `mpobench serve` on a free loopback port."""

    def __init__(self, case, assembly, time_scale="0.01"):
        self.case = case
        self.tmp = tempfile.TemporaryDirectory(prefix="mpobench-web-")
        self.db = os.path.join(self.tmp.name, "station.db")
        self.parts = os.path.join(self.tmp.name, "parts.toml")
        write_parts(self.parts)
        dut_path = os.path.join(self.tmp.name, "dut.json")
        with open(dut_path, "w") as f:
            json.dump(assembly, f)
        self.sim = SimProcess(MPOBENCH, "--dut", dut_path, "--operator", "web",
                              time_scale=time_scale).__enter__()
        password_file = os.path.join(self.tmp.name, "password")
        with open(password_file, "w") as f:
            f.write(PASSWORD + "\n")
        for user, role in (("ana", "operator"), ("bo", "operator"), ("quinn", "qa"), ("root", "admin")):
            result = self.run("user", "add", user, "--role", role, "--password-file", password_file,
                              "--db", self.db)
            case.assertEqual(result.returncode, 0, result.stderr)
        self.port = free_port()
        self.server = None
        self.start_server()

    def start_server(self):
        self.server = subprocess.Popen(
            [MPOBENCH, "--log-file", os.path.join(self.tmp.name, "serve.log"), "serve", "--station",
             self.sim.station_path, "--db", self.db, "--parts", self.parts, "--listen",
             f"127.0.0.1:{self.port}"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        line = self.server.stdout.readline()
        self.case.assertIn(f"http://127.0.0.1:{self.port}/", line, self.server.stderr.read()
                           if self.server.poll() is not None else line)

    def run(self, *args, timeout=120):
        return subprocess.run([MPOBENCH, "--log-level", "warn", "--log-file",
                               os.path.join(self.tmp.name, "cli.log"), *args],
                              capture_output=True, text=True, timeout=timeout)

    def client(self, user="ana"):
        client = Client(self.port)
        status, document = client.login(user)
        self.case.assertEqual(status, 200, document)
        return client

    def stop_server(self):
        if self.server and self.server.poll() is None:
            self.server.send_signal(signal.SIGTERM)
            out, err = self.server.communicate(timeout=30)
            self.case.assertEqual(self.server.returncode, 0, err)
            return out, err
        return "", ""

    def close(self):
        if self.server and self.server.poll() is None:
            self.server.kill()
            self.server.wait()
        self.sim.__exit__(None, None, None)
        self.tmp.cleanup()


class WebServer(unittest.TestCase):
    def station(self, assembly=None, time_scale="0.01"):
        station = WebStation(self, assembly or dut(), time_scale)
        self.addCleanup(station.close)
        return station

    def take_reference(self, client):
        status, document, _ = client.request("POST", "/api/reference", {"mode": "SM"})
        self.assertEqual(status, 202, document)
        steps = []
        state = client.answer_prompts_until_finished(steps)
        self.assertEqual(steps, ["connect_reference"])
        self.assertIsNone(state["aborted"], state)
        return state

    def test_a_technician_tests_an_assembly_from_the_page(self):
        station = self.station()
        ana = station.client("ana")
        part = part_number(12, "SM", "B", "elite")
        status, info, _ = ana.request("GET", "/api/station")
        self.assertEqual(status, 200)
        self.assertTrue(info["bench"])
        self.assertEqual(info["reference_problem"], "no reference taken on this station")
        self.assertIn(part, [p["number"] for p in info["parts"]])
        # The header shows the instruments as they answered *IDN? when the server started.
        deadline = time.monotonic() + 30
        while any(i["status"] != "ok" for i in info["instruments"]) and time.monotonic() < deadline:
            time.sleep(0.1)
            info = ana.request("GET", "/api/station")[1]
        self.assertTrue(all(i["status"] == "ok" and i["serial"] for i in info["instruments"]), info)
        # Refused before any reference: 422 with the reason.
        status, document, _ = ana.request("POST", "/api/tests", {"part": part, "serial": "SN-WEB-1"})
        self.assertEqual((status, document["error"]), (422, "refused"), document)

        self.take_reference(ana)
        status, info, _ = ana.request("GET", "/api/station")
        self.assertIsNone(info["reference_problem"])
        self.assertFalse(info["reference"]["expired"])

        # A scanner types the serial with a carriage return: trimmed as the CLI does.
        status, document, _ = ana.request("POST", "/api/tests", {"part": part.lower(), "serial": "SN-WEB-1\r"})
        self.assertEqual(status, 202, document)
        run_id = document["run_id"]
        first = ana.wait_for(lambda s: s["prompt"] is not None, "the first prompt")
        self.assertEqual((first["prompt"]["step"], first["prompt"]["context"]), ("connect_end_a", "SN-WEB-1"))
        self.assertEqual((first["waiting_for"], first["run_id"], first["serial"]), ("operator", run_id, "SN-WEB-1"))
        # While it runs, a second start is refused (409) and the CLI is refused the bench.
        status, document, _ = ana.request("POST", "/api/tests", {"part": part, "serial": "SN-WEB-2"})
        self.assertEqual(status, 409, document)
        cli = station.run("test", "--station", station.sim.station_path, "--part", part, "--serial",
                          "SN-CLI", "--db", station.db, "--parts", station.parts, "--operator", "cli")
        self.assertEqual(cli.returncode, 4, cli.stderr)
        self.assertIn("busy", cli.stderr)
        # Another operator may watch but not answer the prompt; QA may.
        bo = station.client("bo")
        self.assertEqual(bo.state()["run_id"], run_id)
        status, document, _ = bo.request("POST", "/api/tests/current/prompt", {"answer": "done"})
        self.assertEqual(status, 403, document)
        # A prompt answer without the CSRF token is refused.
        status, document, _ = ana.request("POST", "/api/tests/current/prompt", {"answer": "done"}, csrf=False)
        self.assertEqual(status, 403, document)

        steps = []
        state = ana.answer_prompts_until_finished(steps)
        self.assertEqual(steps, ["connect_end_a", "connect_end_b"])
        result = state["result"]
        self.assertEqual((result["grade"], result["pass"], result["run_id"]), ("elite", True, run_id))
        self.assertEqual(len(state["measurements"]), 12 * 2 * 2)
        self.assertTrue(all(m["grade"] == "elite" for m in state["measurements"]))
        self.assertEqual(result["failure_texts"], [])

        # The record and certificate are the CLI's.
        status, run, _ = ana.request("GET", f"/api/runs/{run_id}")
        self.assertEqual(status, 200, run)
        self.assertTrue(run["record_verified"])
        history = json.loads(station.run("history", "SN-WEB-1", "--db", station.db, "--json").stdout)
        self.assertEqual([r["run_id"] for r in history], [run_id])
        self.assertEqual(history[0]["operator"], "ana")
        status, pdf, response = ana.request("GET", f"/api/runs/{run_id}/certificate.pdf")
        self.assertEqual((status, response.getheader("Content-Type")), (200, "application/pdf"))
        self.assertTrue(pdf.startswith(b"%PDF-"))
        status, listed, _ = ana.request("GET", "/api/runs?limit=5")
        self.assertEqual([(r["id"], r["tested_today"]) for r in listed["runs"]], [(run_id, 1)])
        # The QA numbers are the CLI's, byte for byte as JSON.
        for view in ("yield", "pareto", "trend"):
            status, document, _ = ana.request("GET", f"/api/{view}")
            cli = station.run(view, "--db", station.db, "--json")
            self.assertEqual(document, json.loads(cli.stdout), view)
        # Exports are `mpobench export`'s.
        status, csv, response = ana.request("GET", "/api/export?format=csv&table=measurements")
        self.assertEqual((status, response.getheader("Content-Type")), (200, "text/csv; charset=utf-8"))
        cli = station.run("export", "--db", station.db, "--format", "csv", "--table", "measurements")
        self.assertEqual(csv.decode(), cli.stdout)
        status, xlsx, _ = ana.request("GET", "/api/export?format=xlsx")
        self.assertEqual((status, xlsx[:2]), (200, b"PK"))
        self.assertEqual(ana.request("GET", "/api/export?format=pdf")[0], 400)
        # Every response carries the security headers.
        _, _, response = ana.request("GET", "/api/station")
        self.assertIn("frame-ancestors 'none'", response.getheader("Content-Security-Policy"))
        self.assertEqual(response.getheader("X-Content-Type-Options"), "nosniff")
        # The audit log has the web's acts with the address they came from.
        quinn = station.client("quinn")
        status, audit, _ = quinn.request("GET", "/api/audit")
        self.assertTrue(audit["verified"])
        actions = [(e["action"], e["source"], e["actor"]) for e in audit["entries"]]
        self.assertIn(("run.start", "web", "ana"), actions)
        self.assertIn(("reference.take", "web", "ana"), actions)
        verify = station.run("audit", "verify", "--db", station.db)
        self.assertEqual(verify.returncode, 0, verify.stdout + verify.stderr)
        station.stop_server()

    def test_a_failing_fibre_is_named_and_the_stop_button_aborts(self):
        station = self.station(dut(il=one_fibre(0.60, 7, 0.10)))
        ana = station.client("ana")
        self.take_reference(ana)
        part = part_number(12, "SM", "B", "elite")
        status, document, _ = ana.request("POST", "/api/tests", {"part": part, "serial": "SN-WEB-F"})
        self.assertEqual(status, 202, document)
        state = ana.answer_prompts_until_finished()
        self.assertFalse(state["result"]["pass"])
        self.assertTrue(any("fibre 7" in text for text in state["result"]["failure_texts"]),
                        state["result"]["failure_texts"])
        status, serial, _ = ana.request("GET", "/api/serials/SN-WEB-F")
        self.assertEqual((serial["verdict"], serial["attempts"], serial["last_passed"]),
                         ("retest_after_fail", 1, False), serial)
        fibre_7 = [m for m in state["measurements"] if m["fiber"] == 7 and m["end"] == "A"]
        self.assertTrue(all(m["grade"] != "elite" for m in fibre_7), fibre_7)

        # The stop button at the first prompt: recorded aborted, reason named.
        status, document, _ = ana.request("POST", "/api/tests", {"part": part, "serial": "SN-WEB-G"})
        self.assertEqual(status, 202, document)
        ana.wait_for(lambda s: s["prompt"] is not None, "the first prompt")
        status, document, _ = ana.request("POST", "/api/tests/current/abort", {})
        self.assertEqual(status, 200, document)
        state = ana.wait_for(lambda s: s["state"] == "finished", "the abort")
        self.assertIn("stop button", state["aborted"]["reason"])
        history = json.loads(station.run("history", "SN-WEB-G", "--db", station.db, "--json").stdout)
        self.assertEqual(history[-1]["status"], "aborted")
        # The runs behind a QA number: filtered by the server.
        status, failed, _ = ana.request("GET", "/api/runs?pass=false&part=" + part)
        self.assertEqual([r["serial"] for r in failed["runs"]], ["SN-WEB-F"])
        status, graded, _ = ana.request("GET", "/api/runs?grade=elite&part=" + part)
        self.assertEqual(graded["runs"], [])
        self.assertEqual(ana.request("GET", "/api/runs?pass=maybe")[0], 400)
        # Nothing is waiting: a prompt answer now is a 409.
        status, document, _ = ana.request("POST", "/api/tests/current/prompt", {"answer": "done"})
        self.assertEqual(status, 409, document)

    def test_the_event_stream_and_a_reload_mid_test(self):
        station = self.station()
        ana = station.client("ana")
        self.take_reference(ana)
        status, document, _ = ana.request("POST", "/api/tests",
                                          {"part": part_number(12, "SM", "B", "elite"), "serial": "SN-WEB-S"})
        self.assertEqual(status, 202, document)
        ana.wait_for(lambda s: s["prompt"] is not None, "the first prompt")
        # A page that opens now (a reload) gets the live run at once on the stream.
        connection = http.client.HTTPConnection("127.0.0.1", station.port, timeout=30)
        connection.request("GET", "/api/tests/current/events", headers={"Cookie": ana.cookie})
        response = connection.getresponse()
        self.assertEqual(response.getheader("Content-Type"), "text/event-stream")

        def next_event():
            lines = []
            while True:
                line = response.fp.readline().decode()
                if line == "\n" and lines:
                    break
                if line.startswith(":") or line == "\n":
                    continue
                lines.append(line.rstrip("\n"))
            fields = dict(line.split(": ", 1) for line in lines)
            return int(fields["id"]), json.loads(fields["data"])

        seq, state = next_event()
        self.assertEqual((state["serial"], state["state"]), ("SN-WEB-S", "prompt"))
        ana.request("POST", "/api/tests/current/prompt", {"answer": "done"})
        seen_measurements = 0
        while True:
            next_seq, state = next_event()
            self.assertGreater(next_seq, seq)
            seq = next_seq
            seen_measurements = max(seen_measurements, len(state["measurements"]))
            if state["prompt"] and state["prompt"]["step"] == "connect_end_b":
                break
        self.assertEqual(seen_measurements, 24)
        connection.close()  # the page goes away: the test goes on
        state = ana.answer_prompts_until_finished()
        self.assertTrue(state["result"]["pass"])

    def test_a_server_stopped_or_killed_mid_test_leaves_the_record_as_the_cli_does(self):
        station = self.station()
        ana = station.client("ana")
        self.take_reference(ana)
        part = part_number(12, "SM", "B", "elite")
        status, _, _ = ana.request("POST", "/api/tests", {"part": part, "serial": "SN-WEB-T"})
        self.assertEqual(status, 202)
        ana.wait_for(lambda s: s["prompt"] is not None, "the first prompt")
        station.stop_server()  # SIGTERM
        history = json.loads(station.run("history", "SN-WEB-T", "--db", station.db, "--json").stdout)
        self.assertEqual((history[0]["status"], history[0]["reason"]), ("aborted", "operator abort (SIGTERM)"))

        station.start_server()
        ana = station.client("ana")
        status, _, _ = ana.request("POST", "/api/tests", {"part": part, "serial": "SN-WEB-K"})
        self.assertEqual(status, 202)
        ana.wait_for(lambda s: s["prompt"] is not None, "the first prompt")
        station.server.kill()
        station.server.wait()
        history = json.loads(station.run("history", "SN-WEB-K", "--db", station.db, "--json").stdout)
        self.assertEqual(history[0]["status"], "interrupted")
        # The bench is free again for the CLI.
        cli = station.run("reference", "--station", station.sim.station_path, "--db", station.db,
                          "--mode", "SM", "--operator", "cli")
        self.assertEqual(cli.returncode, 2, cli.stderr)  # a web station's operator is the page
        self.assertIn("mpobench serve", cli.stderr)

    def test_other_machines_are_refused_until_an_admin_exists(self):
        tmp = tempfile.TemporaryDirectory(prefix="mpobench-web-")
        self.addCleanup(tmp.cleanup)
        db = os.path.join(tmp.name, "qa.db")
        password_file = os.path.join(tmp.name, "password")
        with open(password_file, "w") as f:
            f.write(PASSWORD + "\n")

        def mpobench(*args):
            return subprocess.run([MPOBENCH, "--log-file", os.path.join(tmp.name, "log"), *args],
                                  capture_output=True, text=True, timeout=60)

        self.assertEqual(mpobench("user", "add", "ana", "--role", "operator", "--password-file", password_file,
                                  "--db", db).returncode, 0)
        refused = mpobench("serve", "--db", db, "--listen", f"0.0.0.0:{free_port()}")
        self.assertEqual(refused.returncode, 4, refused.stderr)
        self.assertIn("no admin user", refused.stderr)
        bad = mpobench("serve", "--db", db, "--listen", "localhost:80")
        self.assertEqual(bad.returncode, 2, bad.stderr)
        missing = mpobench("serve", "--db", os.path.join(tmp.name, "typo.db"))
        self.assertEqual(missing.returncode, 2, missing.stderr)

    def test_a_new_limit_set_needs_a_second_qa_user_and_applies_to_the_next_test(self):
        station = self.station()
        password_file = os.path.join(station.tmp.name, "password")
        added = station.run("user", "add", "rosa", "--role", "qa", "--password-file", password_file,
                            "--db", station.db)
        self.assertEqual(added.returncode, 0, added.stderr)
        ana, quinn, rosa = station.client("ana"), station.client("quinn"), station.client("rosa")
        status, listed, _ = quinn.request("GET", "/api/limits")
        self.assertEqual((status, listed["in_use"]["source"]), (200, "default"), listed)
        old_hash = listed["in_use"]["hash"]
        # An operator may neither upload nor read limit sets: the server says 403.
        status, document, _ = ana.request("POST", "/api/limits", {"toml": strict_limits_toml("2")})
        self.assertEqual(status, 403, document)
        status, uploaded, _ = quinn.request("POST", "/api/limits", {"toml": strict_limits_toml("2")})
        self.assertEqual(status, 201, uploaded)
        activate = f"/api/limits/{uploaded['id']}/activate"

        self.take_reference(ana)
        part = part_number(12, "SM", "B", "elite")
        status, document, _ = ana.request("POST", "/api/tests", {"part": part, "serial": "SN-LIM-1"})
        self.assertEqual(status, 202, document)
        first_run = document["run_id"]
        ana.wait_for(lambda s: s["prompt"] is not None, "the first prompt")
        # The uploader cannot activate it; a second QA user can, while a test runs ...
        status, document, _ = quinn.request("POST", activate, {})
        self.assertEqual((status, document["error"]), (403, "two-person rule"), document)
        status, document, _ = rosa.request("POST", activate, {})
        self.assertEqual((status, document["activated_by"]), (200, "rosa"), document)
        # ... and the running test keeps the limits it started with.
        state = ana.answer_prompts_until_finished()
        self.assertTrue(state["result"]["pass"], state["result"])
        status, run, _ = ana.request("GET", f"/api/runs/{first_run}")
        self.assertEqual(run["limit_set"]["hash"], old_hash)

        # The next test grades with the activated set, records its hash, and fails.
        status, document, _ = ana.request("POST", "/api/tests", {"part": part, "serial": "SN-LIM-2"})
        self.assertEqual(status, 202, document)
        state = ana.answer_prompts_until_finished()
        self.assertFalse(state["result"]["pass"], state["result"])
        status, run, _ = ana.request("GET", f"/api/runs/{document['run_id']}")
        self.assertEqual((run["limit_set"]["hash"], run["limit_set"]["version"]),
                         (uploaded["hash"], "2"))
        self.assertTrue(run["record_verified"])
        status, audit, _ = quinn.request("GET", "/api/audit")
        acts = [(e["action"], e["actor"]) for e in audit["entries"] if e["action"].startswith("limits.")]
        self.assertEqual(sorted(acts), [("limits.activate", "rosa"), ("limits.upload", "quinn")])
        station.stop_server()

    def test_a_qa_only_server_and_request_limits(self):
        station = self.station()
        station.stop_server()
        port = free_port()
        server = subprocess.Popen([MPOBENCH, "--log-file", os.path.join(station.tmp.name, "qa.log"), "serve",
                                   "--db", station.db, "--listen", f"127.0.0.1:{port}"],
                                  stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        self.addCleanup(lambda: (server.poll() is None and server.kill(), server.wait()))
        self.assertIn("QA pages only", server.stdout.readline())
        quinn = Client(port)
        self.assertEqual(quinn.login("quinn")[0], 200)
        status, info, _ = quinn.request("GET", "/api/station")
        self.assertEqual((status, info["bench"]), (200, False))
        status, document, _ = quinn.request("POST", "/api/tests", {"part": "x", "serial": "y"})
        self.assertEqual((status, document["error"]), (409, "no bench"))
        # A body over the limit is refused from its Content-Length, with a message.
        with socket.create_connection(("127.0.0.1", port), timeout=10) as raw:
            raw.sendall(b"POST /api/session HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                        b"Content-Length: 3000000\r\n\r\n{")
            answer = raw.recv(4096)
            self.assertTrue(answer.startswith(b"HTTP/1.1 413"), answer)
            self.assertIn(b"request too large", answer)
        # Not HTTP at all: the connection is answered 400 and closed, the server goes on.
        with socket.create_connection(("127.0.0.1", port), timeout=10) as raw:
            raw.sendall(b"\x16\x03\x01 not http\r\n\r\n")
            self.assertIn(b"400", raw.recv(4096))
        self.assertEqual(quinn.request("GET", "/api/session")[0], 200)
        server.send_signal(signal.SIGTERM)
        self.assertEqual(server.wait(timeout=30), 0)


if __name__ == "__main__":
    unittest_main(sys.modules[__name__])
