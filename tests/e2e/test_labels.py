"""Bag labels (issue 12, item 9) end to end: `mpobench test` on the simulated
bench with a station whose [label] printer is a small raw-TCP receiver on
loopback (port 9100's protocol: the printer reads ZPL until the sender
closes); the ZPL read back and its fields checked against the JSON result
and the database; reprints with `mpobench label` recorded and shown in
`history`; a printer that is down keeps the PASS; file and lp destinations;
every refusal."""

import json
import os
import re
import shutil
import socket
import sqlite3
import stat
import subprocess
import sys
import tempfile
import threading
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "clients"))
from simbench import SimProcess, unittest_main  # noqa: E402

from duts import dut  # noqa: E402

MPOBENCH = None
PART = "MPO12-SM-B-E"        # the default catalogue's 12F SM type-B Elite part
WRONG_PART = "MPO12-SM-A-E"  # type A: the type-B assembly fails its polarity


class LabelPrinter:
    """A raw port-9100 label printer on loopback: every connection's bytes, once closed."""

    def __init__(self):
        self.server = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.server.bind(("127.0.0.1", 0))
        self.server.listen(4)
        self.port = self.server.getsockname()[1]
        self.labels = []
        self.received = threading.Condition()
        self.thread = threading.Thread(target=self.serve, daemon=True)
        self.thread.start()

    def serve(self):
        while True:
            try:
                connection, _ = self.server.accept()
            except OSError:
                return
            with connection:
                data = b""
                while chunk := connection.recv(4096):
                    data += chunk
            with self.received:
                self.labels.append(data.decode("utf-8"))
                self.received.notify_all()

    def wait_for(self, count, timeout=10):
        with self.received:
            if not self.received.wait_for(lambda: len(self.labels) >= count, timeout):
                raise AssertionError(f"the printer received {len(self.labels)} labels, not {count}")
            return self.labels[count - 1]

    def close(self):
        self.server.close()


def closed_port():
    """A loopback port nobody listens on: a printer that is switched off."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def zpl_fields(zpl):
    """(commands before ^FD, printed data with ^FH escapes undone) of every field."""
    fields = []
    for commands, data in re.findall(r"\^FO([^\n]*?)\^FD([^\n]*?)\^FS", zpl):
        if commands.endswith("^FH"):
            data = re.sub(r"_([0-9A-Fa-f]{2})", lambda m: chr(int(m.group(1), 16)), data)
        fields.append((commands, data))
    return fields


class Labels(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.TemporaryDirectory(prefix="mpobench-label-e2e-")
        cls.dir = cls.tmp.name
        cls.db = os.path.join(cls.dir, "line.db")
        dut_path = os.path.join(cls.dir, "elite.json")
        with open(dut_path, "w") as f:
            json.dump(dut(il=0.10), f)
        cls.sim = SimProcess(MPOBENCH, "--dut", dut_path, time_scale="0.005").__enter__()
        cls.printer = LabelPrinter()
        result = cls.invoke("reference", "--station", cls.sim.station_path, "--db", cls.db, "--mode", "SM",
                         "--operator", "e2e")
        if result.returncode != 0:
            raise RuntimeError(f"reference: {result.stdout}{result.stderr}")

    @classmethod
    def tearDownClass(cls):
        cls.printer.close()
        cls.sim.__exit__(None, None, None)
        cls.tmp.cleanup()

    @classmethod
    def invoke(cls, *args, env=None):
        return subprocess.run([MPOBENCH, "--log-level", "warn", "--log-file", os.path.join(cls.dir, "mpobench.log"),
                               *args], capture_output=True, text=True, timeout=180, env=env)

    def mpobench(self, *args, expect=0, env=None):
        result = self.invoke(*args, env=env)
        self.assertEqual(result.returncode, expect, f"{args}\n{result.stdout}\n{result.stderr}")
        return result

    def station_with_printer(self, printer):
        """The simulated bench's station file with a [label] printer."""
        path = os.path.join(self.dir, f"station-{abs(hash(printer))}.toml")
        shutil.copy(self.sim.station_path, path)
        with open(path, "a") as f:
            f.write(f'\n[label]\nprinter = "{printer}"\n')
        return path

    def production_test(self, station, serial, part=PART, expect=0):
        result = self.mpobench("test", "--station", station, "--part", part, "--serial", serial, "--db", self.db,
                               "--operator", "e2e", "--json", expect=expect)
        return json.loads(result.stdout), result

    def rows(self, sql, *params):
        with sqlite3.connect(self.db) as connection:
            return connection.execute(sql, params).fetchall()

    def test_a_pass_prints_the_label_and_a_reprint_is_recorded(self):
        printer = f"tcp://127.0.0.1:{self.printer.port}"
        station = self.station_with_printer(printer)
        before = len(self.printer.labels)
        document, _ = self.production_test(station, "SN-LBL-1")
        self.assertTrue(document["pass"])
        self.assertEqual(document["label"], {"destination": printer, "printed": True, "reprint": False})
        zpl = self.printer.wait_for(before + 1)

        # The label read back, against the JSON result and the database.
        self.assertTrue(zpl.startswith("^XA") and zpl.rstrip().endswith("^XZ"), zpl)
        fields = zpl_fields(zpl)
        texts = [data for commands, data in fields if "^A0N" in commands]
        self.assertIn("SN-LBL-1", texts)
        self.assertIn(PART, texts)
        self.assertIn(document["grade"].upper(), texts)
        self.assertIn(document["ended_at"][:10], texts)
        self.assertNotIn("REPRINT", texts)
        (barcode,) = [data for commands, data in fields if "^BC" in commands]
        self.assertEqual(barcode, "SN-LBL-1")
        (qr,) = [data for commands, data in fields if "^BQ" in commands]
        (sha256,) = self.rows("SELECT sha256 FROM run_hashes WHERE run_id = ?", document["run_id"])[0]
        self.assertEqual(qr, f"MA,mpobench-record;serial=SN-LBL-1;run={document['run_id']};sha256={sha256}")
        self.assertEqual(self.rows("SELECT destination, reprint, operator, command, error FROM label_prints "
                                   "WHERE run_id = ?", document["run_id"]),
                         [(printer, 0, "e2e", "test", None)])

        # A reprint: marked on the label and in the record, shown by history.
        result = self.mpobench("label", "SN-LBL-1", "--station", station, "--db", self.db, "--operator", "qa-anna")
        self.assertIn("reprinted to " + printer, result.stdout)
        reprint = zpl_fields(self.printer.wait_for(before + 2))
        self.assertIn("REPRINT", [data for commands, data in reprint if "^A0N" in commands])
        self.assertEqual(self.rows("SELECT reprint, operator, command, error FROM label_prints WHERE run_id = ? "
                                   "ORDER BY id", document["run_id"]),
                         [(0, "e2e", "test", None), (1, "qa-anna", "label", None)])
        history = json.loads(self.mpobench("history", "SN-LBL-1", "--db", self.db, "--json").stdout)
        labels = history[-1]["labels"]
        self.assertEqual([(label["command"], label["reprint"], label["printed"]) for label in labels],
                         [("test", False, True), ("label", True, True)])
        text = self.mpobench("history", "SN-LBL-1", "--db", self.db).stdout
        self.assertIn("reprint", text)
        self.assertIn("qa-anna", text)

    def test_a_printer_that_is_down_keeps_the_pass(self):
        down = f"tcp://127.0.0.1:{closed_port()}"
        document, result = self.production_test(self.station_with_printer(down), "SN-LBL-DOWN")
        # The verdict stands: exit 0, pass, the run stored; the label reported apart.
        self.assertTrue(document["pass"])
        self.assertFalse(document["label"]["printed"])
        self.assertIn(down, document["label"]["error"])
        self.assertIn("WARNING", result.stderr)
        self.assertIn("mpobench label SN-LBL-DOWN", result.stderr)
        self.assertEqual(self.rows("SELECT status, pass FROM runs WHERE id = ?", document["run_id"]),
                         [("completed", 1)])
        (error,) = self.rows("SELECT error FROM label_prints WHERE run_id = ?", document["run_id"])[0]
        self.assertIn(down, error)

        # Still down: `label` fails as a communication fault (3), recorded again.
        self.mpobench("label", "SN-LBL-DOWN", "--to", down, "--db", self.db, expect=3)
        # Printed once the printer is back: the first label out is no reprint.
        before = len(self.printer.labels)
        printer = f"tcp://127.0.0.1:{self.printer.port}"
        result = self.mpobench("label", "SN-LBL-DOWN", "--to", printer, "--db", self.db, "--json")
        self.assertEqual(json.loads(result.stdout)["reprint"], False)
        self.assertIn("SN-LBL-DOWN", [data for _, data in zpl_fields(self.printer.wait_for(before + 1))])
        self.assertEqual([(row[0] is None, row[1]) for row in self.rows(
            "SELECT error, reprint FROM label_prints WHERE run_id = ? ORDER BY id", document["run_id"])],
            [(False, 0), (False, 0), (True, 0)])

    def test_a_label_that_cannot_be_recorded_keeps_the_pass(self):
        # A storage fault on label_prints alone, planted as another tool would.
        with sqlite3.connect(self.db) as connection:
            connection.execute("CREATE TRIGGER refuse_labels BEFORE INSERT ON label_prints "
                               "BEGIN SELECT RAISE(ABORT, 'planted storage fault'); END")
        before = len(self.printer.labels)
        document, result = self.production_test(
            self.station_with_printer(f"tcp://127.0.0.1:{self.printer.port}"), "SN-LBL-NOREC")
        self.assertTrue(document["pass"])
        self.assertFalse(document["label"]["printed"])
        self.assertIn("could not be recorded", document["label"]["error"])
        self.assertIn("it may have printed", result.stderr)
        self.assertIn("planted storage fault", result.stderr)
        # It did print; the run is stored and passed.
        self.assertIn("SN-LBL-NOREC", [data for _, data in zpl_fields(self.printer.wait_for(before + 1))])
        self.assertEqual(self.rows("SELECT status, pass FROM runs WHERE id = ?", document["run_id"]),
                         [("completed", 1)])

    def test_file_and_lp_destinations(self):
        document, _ = self.production_test(self.sim.station_path, "SN-LBL-FILE")
        self.assertNotIn("label", document)  # no [label] printer: no label
        spool = os.path.join(self.dir, "spool.zpl")
        self.mpobench("label", "SN-LBL-FILE", "--to", f"file:{spool}", "--db", self.db)
        self.mpobench("label", "SN-LBL-FILE", "--to", f"file:{spool}", "--db", self.db)
        with open(spool) as f:
            spooled = f.read()
        self.assertEqual(spooled.count("^XA"), 2)  # appended, not replaced
        self.assertEqual(spooled.count("REPRINT"), 1)

        bin_dir = os.path.join(self.dir, "fake-bin")
        os.makedirs(bin_dir, exist_ok=True)
        args_file, copy = os.path.join(self.dir, "lp-args.txt"), os.path.join(self.dir, "lp-label.zpl")
        lp = os.path.join(bin_dir, "lp")
        with open(lp, "w") as f:
            f.write(f'#!/bin/sh\necho "$@" > {args_file}\nfor last; do :; done\n/bin/cat "$last" > {copy}\n')
        os.chmod(lp, os.stat(lp).st_mode | stat.S_IEXEC)
        env = dict(os.environ, PATH=bin_dir)
        self.mpobench("label", "SN-LBL-FILE", "--to", "lp:zebra_bay3", "--db", self.db, env=env)
        with open(args_file) as f:
            self.assertTrue(f.read().startswith("-d zebra_bay3 -o raw -- "))
        with open(copy) as f:
            self.assertIn("SN-LBL-FILE", [data for _, data in zpl_fields(f.read())])
        with open(lp, "w") as f:
            f.write("#!/bin/sh\necho 'lp: The printer or class does not exist.' >&2\nexit 1\n")
        failed = self.mpobench("label", "SN-LBL-FILE", "--to", "lp:nope", "--db", self.db, env=env, expect=3)
        self.assertIn("exited with status 1", failed.stderr)
        no_lp = self.mpobench("label", "SN-LBL-FILE", "--to", "lp:zebra_bay3", "--db", self.db,
                              env=dict(os.environ, PATH=os.path.join(self.dir, "empty")), expect=3)
        self.assertIn("lp", no_lp.stderr)
        self.assertEqual(self.rows("SELECT COUNT(*), COUNT(error) FROM label_prints JOIN runs ON runs.id = run_id "
                                   "WHERE runs.id = ?", document["run_id"]), [(5, 2)])

    def test_refusals(self):
        failed, _ = self.production_test(self.sim.station_path, "SN-LBL-FAIL", part=WRONG_PART, expect=1)
        self.assertFalse(failed["pass"])
        printer = f"tcp://127.0.0.1:{self.printer.port}"
        # No label for an assembly below its target: a policy refusal.
        refused = self.mpobench("label", "SN-LBL-FAIL", "--to", printer, "--db", self.db, expect=4)
        self.assertIn("did not pass", refused.stderr)
        # A failing test on a station with a printer prints nothing.
        before = len(self.printer.labels)
        failed_again, _ = self.production_test(self.station_with_printer(printer), "SN-LBL-FAIL", part=WRONG_PART, expect=1)
        self.assertNotIn("label", failed_again)
        self.assertEqual(len(self.printer.labels), before)
        self.assertEqual(self.rows("SELECT COUNT(*) FROM label_prints JOIN runs ON runs.id = run_id "
                                   "JOIN assemblies ON assemblies.id = assembly_id WHERE serial = 'SN-LBL-FAIL'"),
                         [(0,)])

        self.assertIn("no completed production run",
                      self.mpobench("label", "SN-NEVER", "--to", printer, "--db", self.db, expect=2).stderr)
        self.assertIn("where to?", self.mpobench("label", "SN-LBL-FAIL", "--db", self.db, expect=2).stderr)
        self.assertIn("has no [label] printer", self.mpobench(
            "label", "SN-LBL-FAIL", "--station", self.sim.station_path, "--db", self.db, expect=2).stderr)
        self.assertIn("unknown kind of destination", self.mpobench(
            "label", "SN-LBL-FAIL", "--to", "http://printer", "--db", self.db, expect=2).stderr)
        self.assertIn("is of SN-LBL-FAIL, not SN-OTHER", self.mpobench(
            "label", "SN-OTHER", "--run", str(failed["run_id"]), "--to", printer, "--db", self.db,
            expect=2).stderr)
        self.mpobench("label", "SN-LBL-FAIL", "--to", printer, "--db", os.path.join(self.dir, "none.db"), expect=2)
        bad_station = self.station_with_printer("tcp://127.0.0.1:99999")
        self.assertIn("label.printer", self.mpobench(
            "test", "--station", bad_station, "--part", PART, "--serial", "SN-X", "--db", self.db,
            expect=2).stderr)


if __name__ == "__main__":
    unittest_main(sys.modules[__name__])
