"""Certificates and QA views end to end, as QA uses them: a small production
history made with `mpobench demo` on crafted assemblies (a pass, a fail and
its passing retest, a broken fibre), then `cert`, `verify`, `yield`,
`pareto`, `trend`, `report` and `export` as separate processes, checked
against numbers worked out by hand and against the database itself."""

import csv
import io
import json
import os
import shutil
import sqlite3
import stat
import subprocess
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "clients"))
from simbench import SimProcess, unittest_main  # noqa: E402

from duts import dut  # noqa: E402

MPOBENCH = None
SOURCE = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
PART = "MPO12-SM-B-E"


def run(*args, env=None, timeout=180, cwd=None):
    return subprocess.run([MPOBENCH, "--log-level", "warn", *args], capture_output=True, text=True,
                          timeout=timeout, env=env, cwd=cwd)


class QaCommands(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.TemporaryDirectory(prefix="mpobench-qa-e2e-")
        cls.dir = cls.tmp.name
        cls.db = os.path.join(cls.dir, "qa.db")
        cls.certs = os.path.join(cls.dir, "certs")
        # Crafted assemblies with RL well above the Elite minimum, so grades
        # depend on IL and continuity only, not on the RL meter's noise.
        assemblies = {"elite": dut(il=0.10), "high_mean": dut(il=0.45),
                      "broken": dut(il=0.10, map=[12, 11, 10, 9, 8, 7, 0, 5, 4, 3, 2, 1])}
        for name, assembly in assemblies.items():
            with open(os.path.join(cls.dir, f"{name}.json"), "w") as f:
                json.dump(assembly, f)
        # As a scanner and a hurried hand type them: the retest of QA-2 with
        # the scanner's CR (a retest of QA-2 all the same), QA-3's part in
        # lower case (the catalogue's part all the same).
        history = [("QA-1", "elite", PART), ("QA-2", "high_mean", PART), ("QA-2\r", "elite", PART),
                   ("QA-3", "broken", PART.lower())]
        for serial, assembly, part in history:
            result = run("demo", "--dut", os.path.join(cls.dir, f"{assembly}.json"), "--serial", serial, "--part", part, "--db", cls.db,
                         "--certs", cls.certs, "--time-scale", "0.005", "--json")
            if result.returncode not in (0, 1):
                raise RuntimeError(f"demo {serial}: exit {result.returncode}\n{result.stderr}")

    @classmethod
    def tearDownClass(cls):
        cls.tmp.cleanup()

    def mpobench(self, *args, expect=0, **kwargs):
        result = run(*args, **kwargs)
        self.assertEqual(result.returncode, expect, f"{args}\n{result.stdout}\n{result.stderr}")
        return result

    def rows(self, sql, *params):
        with sqlite3.connect(self.db) as connection:
            return connection.execute(sql, params).fetchall()

    def pdf_text(self, pdf):
        subprocess.run(["qpdf", "--check", pdf], check=True, capture_output=True)
        return subprocess.run(["pdftotext", "-layout", pdf, "-"], check=True, capture_output=True,
                              text=True).stdout

    def test_yield_pareto_and_trend_match_the_history(self):
        document = json.loads(self.mpobench("yield", "--db", self.db, "--json").stdout)
        total = document["total"]
        # Four completed runs of three serials: QA-1 passes, QA-2 fails then
        # passes on retest, QA-3 fails.
        self.assertEqual((total["completed"], total["passed"], total["retests"]), (4, 2, 1))
        self.assertEqual((total["first_tested"], total["first_passed"]), (3, 1))
        self.assertEqual((total["final_tested"], total["final_passed"]), (3, 2))
        self.assertAlmostEqual(total["first_pass_yield"], 1 / 3)
        self.assertAlmostEqual(total["final_yield"], 2 / 3)
        self.assertEqual(total["grades"], {"elite": 2, "standard": 0, "generic": 1, "fail": 1})
        self.assertEqual(len(document["rows"]), 1)  # one day

        by_grade = json.loads(self.mpobench("yield", "--db", self.db, "--by", "grade", "--json").stdout)
        self.assertEqual({row["group"]: row["completed"] for row in by_grade["rows"]},
                         {"elite": 2, "generic": 1, "fail": 1})
        by_part = list(csv.DictReader(io.StringIO(
            self.mpobench("yield", "--db", self.db, "--by", "part", "--csv").stdout)))
        self.assertEqual([(row["group"], row["completed"]) for row in by_part], [(PART, "4")])
        text = self.mpobench("yield", "--db", self.db).stdout
        self.assertIn("FIRST-PASS", text)
        self.assertIn("33.3 %", text)
        none = json.loads(self.mpobench("yield", "--db", self.db, "--part", "NO-SUCH", "--json").stdout)
        self.assertEqual((none["rows"], none["total"]["completed"]), ([], 0))

        pareto = json.loads(self.mpobench("pareto", "--db", self.db, "--json").stdout)
        self.assertEqual((pareto["completed_runs"], pareto["failed_runs"]), (4, 2))
        causes = {row["item"]: row["count"] for row in pareto["by_cause"]}
        self.assertEqual(causes.get("il"), 1, pareto)
        self.assertEqual(causes.get("continuity"), 1, pareto)
        self.assertAlmostEqual(pareto["by_cause"][-1]["cumulative"], 1.0)
        self.assertIn("A:7", {row["item"] for row in pareto["by_position"]})

        trend = json.loads(self.mpobench("trend", "--db", self.db, "--json").stdout)
        self.assertEqual([series["wavelength_nm"] for series in trend["series"]], [1310, 1550])
        for series in trend["series"]:
            (point,) = series["points"]
            count, mean = self.rows(
                "SELECT COUNT(*), AVG(il_db) FROM measurements JOIN runs ON runs.id = run_id "
                "WHERE runs.status = 'completed' AND cycle = 0 AND measurements.status = 'ok' "
                "AND il_db IS NOT NULL "
                "AND wavelength_nm = ?", series["wavelength_nm"])[0]
            self.assertEqual(point["count"], count)
            self.assertAlmostEqual(point["mean_db"], mean, places=9)
            self.assertGreaterEqual(point["p97_db"], point["mean_db"])
        # One day is one period: no control limits, so nothing is "in control".
        trend_text = self.mpobench("trend", "--db", self.db).stdout
        self.assertNotIn("in control", trend_text)
        self.assertIn("too few periods to judge", trend_text)

    def test_certificates_and_verify(self):
        # demo --certs wrote one per completed run; the retest's replaced the first.
        self.assertEqual(sorted(os.listdir(self.certs)), ["QA-1.pdf", "QA-2.pdf", "QA-3.pdf"])
        out = os.path.join(self.dir, "QA-1.pdf")
        self.mpobench("cert", "QA-1", "--db", self.db, "--out", out)
        text = self.pdf_text(out)
        self.assertIn("QA-1", text)
        self.assertIn(PART, text)
        (run_id,) = self.rows("SELECT runs.id FROM runs JOIN assemblies ON assemblies.id = assembly_id "
                              "WHERE serial = 'QA-1'")[0]
        (hash_,) = self.rows("SELECT sha256 FROM run_hashes WHERE run_id = ?", run_id)[0]
        self.assertIn(hash_, text.replace("\n", "").replace(" ", ""))

        verified = self.mpobench("verify", out, "--db", self.db)
        self.assertIn("VERIFIED", verified.stdout)
        self.assertIn("VERIFIED", self.mpobench("verify", hash_.upper(), "--db", self.db).stdout)
        missing = self.mpobench("verify", "0" * 64, "--db", self.db, expect=1)
        self.assertIn("NOT FOUND", missing.stdout)

        # Someone edits a stored IL behind mpobench's back.
        tampered = os.path.join(self.dir, "tampered.db")
        with sqlite3.connect(self.db) as source, sqlite3.connect(tampered) as copy:
            source.backup(copy)
        with sqlite3.connect(tampered) as connection:
            connection.execute("DROP TRIGGER measurements_never_change")
            connection.execute("UPDATE measurements SET il_db = il_db - 0.1 WHERE run_id = ? AND fiber = 3",
                               (run_id,))
        altered = self.mpobench("verify", out, "--db", tampered, "--json", expect=1)
        self.assertEqual(json.loads(altered.stdout)["record_matches"], False)

        # The same run renders to the same bytes apart from the creation date.
        again = os.path.join(self.dir, "QA-1-again.pdf")
        self.mpobench("cert", "QA-1", "--db", self.db, "--out", again)
        strip = lambda data: b"".join(line for line in data.split(b"\n") if b"/CreationDate" not in line)
        with open(out, "rb") as a, open(again, "rb") as b:
            self.assertEqual(strip(a.read()), strip(b.read()))

        # A given run; the first run of QA-2, which did not pass.
        first_qa2 = self.rows("SELECT runs.id FROM runs JOIN assemblies ON assemblies.id = assembly_id "
                              "WHERE serial = 'QA-2' ORDER BY runs.id")[0][0]
        failed = os.path.join(self.dir, "QA-2-first.pdf")
        self.mpobench("cert", "QA-2", "--run", str(first_qa2), "--db", self.db, "--out", failed, "--paper",
                      "letter")
        self.assertIn("FAIL", self.pdf_text(failed))
        self.mpobench("cert", "QA-1", "--run", str(first_qa2), "--db", self.db, "--out", failed, expect=2)
        self.mpobench("cert", "NO-SUCH-SERIAL", "--db", self.db, expect=2)
        self.mpobench("verify", os.path.join(self.dir, "missing.pdf"), "--db", self.db, expect=2)
        not_ours = os.path.join(self.dir, "plain.pdf")
        shutil.copy(os.path.join(SOURCE, "README.md"), not_ours)
        self.mpobench("verify", not_ours, "--db", self.db, expect=2)

        batch = os.path.join(self.dir, "batch")
        self.mpobench("cert", "--part", PART, "--db", self.db, "--out", batch)
        self.assertEqual(sorted(os.listdir(batch)), ["QA-1.pdf", "QA-2.pdf", "QA-3.pdf"])
        self.mpobench("cert", "--part", PART, "--db", self.db, "--out", batch, "--from", "2026-02-30",
                      expect=2)

    def test_print_uses_lp_where_there_is_one(self):
        bin_dir = os.path.join(self.dir, "fake-bin")
        os.makedirs(bin_dir, exist_ok=True)
        printed = os.path.join(self.dir, "printed.txt")
        lp = os.path.join(bin_dir, "lp")
        with open(lp, "w") as f:
            f.write(f"#!/bin/sh\necho \"$@\" >> {printed}\n")
        os.chmod(lp, os.stat(lp).st_mode | stat.S_IEXEC)
        out = os.path.join(self.dir, "print-me.pdf")
        env = dict(os.environ, PATH=bin_dir)
        self.mpobench("cert", "QA-1", "--db", self.db, "--out", out, "--print", env=env)
        with open(printed) as f:
            self.assertIn(out, f.read())
        # The print is in the audit log.
        audit = json.loads(self.mpobench("audit", "list", "--json", "--db", self.db).stdout)
        prints = [e for e in audit if e["action"] == "certificate.print"]
        self.assertEqual(len(prints), 1, audit)
        self.assertEqual(json.loads(prints[0]["detail"])["file"] if isinstance(prints[0]["detail"], str)
                         else prints[0]["detail"]["file"], out)
        # Without lp the certificate is written all the same, and the
        # message says where (README).
        unprinted = os.path.join(self.dir, "not-printed.pdf")
        no_lp = self.mpobench("cert", "QA-1", "--db", self.db, "--out", unprinted, "--print",
                              env=dict(os.environ, PATH=os.path.join(self.dir, "empty")), expect=2)
        self.assertIn("no `lp`", no_lp.stderr)
        self.assertIn(f"written, not printed: {unprinted}", no_lp.stderr)
        self.assertIn("QA-1", self.pdf_text(unprinted))

    def test_report_and_exports(self):
        report = os.path.join(self.dir, "report")
        files = self.mpobench("report", "--db", self.db, "--out", report).stdout.split()
        self.assertEqual(os.path.basename(files[0]), "report.pdf")
        self.assertTrue(any(name.endswith(".png") for name in files))
        text = self.pdf_text(files[0])
        self.assertIn("1310", text)
        self.assertIn("over 1 period ·", text)
        self.assertNotIn("1 periods", text)
        self.assertIn("too few periods to judge", text)

        exported = os.path.join(self.dir, "export.json")
        self.mpobench("export", "--format", "json", "--db", self.db, "--out", exported)
        with open(exported) as f:
            document = json.load(f)
        self.assertEqual(len(document["runs"]), self.rows("SELECT COUNT(*) FROM runs")[0][0])
        self.assertEqual(len(document["measurements"]), self.rows("SELECT COUNT(*) FROM measurements")[0][0])
        self.assertEqual(len(document["failures"]), self.rows("SELECT COUNT(*) FROM failures")[0][0])

        csv_dir = os.path.join(self.dir, "csv")
        self.mpobench("export", "--format", "csv", "--db", self.db, "--out", csv_dir)
        self.assertEqual(sorted(os.listdir(csv_dir)), ["failures.csv", "measurements.csv", "runs.csv"])
        runs_csv = self.mpobench("export", "--format", "csv", "--table", "runs", "--db", self.db).stdout
        self.assertEqual([row["serial"] for row in csv.DictReader(io.StringIO(runs_csv))],
                         ["QA-1", "QA-2", "QA-2", "QA-3"])

        workbook = os.path.join(self.dir, "export.xlsx")
        self.mpobench("export", "--format", "xlsx", "--db", self.db, "--out", workbook)
        sheets = subprocess.run(["/usr/bin/python3", "-c",
                                 "import openpyxl,sys; print(openpyxl.load_workbook(sys.argv[1]).sheetnames)",
                                 workbook], check=True, capture_output=True, text=True).stdout
        self.assertIn("measurements", sheets)

    def test_bad_flags_are_usage_errors(self):
        self.mpobench("yield", "--db", self.db, "--from", "2026-13-01", expect=2)
        self.mpobench("yield", "--db", self.db, "--from", "2026-11-24", "--to", "2026-11-01", expect=2)
        self.mpobench("yield", "--db", self.db, "--by", "month", expect=2)
        self.mpobench("trend", "--db", self.db, "--by", "part", expect=2)
        self.mpobench("export", "--format", "pdf", "--db", self.db, expect=2)
        self.mpobench("export", "--format", "xlsx", "--db", self.db, expect=2)
        self.mpobench("export", "--format", "csv", "--db", self.db, expect=2)
        self.mpobench("report", "--db", self.db, expect=2)
        self.mpobench("cert", "--db", self.db, expect=2)
        self.mpobench("cert", "QA-1", "--from", "2026-01-01", "--db", self.db, expect=2)
        # Read-only commands never create a database from a mistyped path.
        missing = os.path.join(self.dir, "typo.db")
        for command in (("yield",), ("pareto",), ("trend",), ("history", "QA-1"), ("cert", "QA-1"),
                        ("export", "--format", "json"), ("verify", "0" * 64)):
            self.mpobench(*command, "--db", missing, expect=2)
        self.assertFalse(os.path.exists(missing))
        # Text that is not UTF-8 is replaced in JSON, not fatal.
        self.mpobench("yield", "--db", self.db, "--part", "\udcff", "--json")

    def test_serials_and_part_numbers_as_scanners_type_them(self):
        # The CR of the retest was trimmed: QA-2 has both runs, under one
        # serial, and a scanned "QA-2\r\n" finds them too.
        self.assertEqual(self.rows("SELECT serial FROM assemblies ORDER BY serial"),
                         [("QA-1",), ("QA-2",), ("QA-3",)])
        self.assertEqual(len(json.loads(self.mpobench("history", "QA-2\r\n", "--db", self.db, "--json").stdout)), 2)
        self.assertEqual(self.rows("SELECT DISTINCT parts.number FROM runs JOIN parts ON parts.id = part_id"),
                         [(PART,)])
        # What a Code128 barcode cannot carry is refused by name, before any
        # instrument is touched (the example station's are not there).
        example = os.path.join(SOURCE, "fixtures", "stations", "real-bench-example.toml")
        for serial, named in (("SNé1", "U+00E9 'é'"), ("SN 1", "U+0020"), ("SN\t1", "U+0009"), ("", "empty")):
            with self.subTest(serial=serial):
                refused = self.mpobench("test", "--station", example, "--part", PART, "--serial", serial,
                                        "--operator", "Ann", "--db", self.db, expect=2)
                self.assertIn(named, refused.stderr)
                if serial:  # cert without a serial is a batch without --part
                    self.assertIn(named, self.mpobench("history", serial, "--db", self.db, expect=2).stderr)
                    self.assertIn(named, self.mpobench("cert", serial, "--db", self.db, expect=2).stderr)
        # A part number that is not in the catalogue; a near miss is named.
        typo = self.mpobench("test", "--station", example, "--part", "MPO12-SM-B-X", "--serial", "SN1",
                             "--operator", "Ann", "--db", self.db, expect=2)
        self.assertIn("did you mean MPO12-SM-B-E?", typo.stderr)
        far = self.mpobench("test", "--station", example, "--part", "NOPE", "--serial", "SN1",
                            "--operator", "Ann", "--db", self.db, expect=2)
        self.assertIn("part 'NOPE' is not in", far.stderr)
        self.assertNotIn("did you mean", far.stderr)
        # The site's serial_pattern refuses serials of another shape, in test,
        # repeat and demo alike; history still finds what an older pattern let in.
        site = os.path.join(self.dir, "pattern-site.toml")
        with open(site, "w") as f:
            f.write('[company]\nname = "X"\n[production]\nserial_pattern = "SN[0-9]{4}"\n')
        for command in (("test", "--station", example, "--part", PART, "--operator", "Ann"),
                        ("repeat", "--station", example, "--part", PART, "--cycles", "2", "--operator", "Ann"),
                        ("demo", "--dut", os.path.join(self.dir, "elite.json"))):
            with self.subTest(command=command[0]):
                wrong = self.mpobench(*command, "--serial", "QA-9", "--site", site, "--db", self.db, expect=2)
                self.assertIn("does not match the site's serial_pattern 'SN[0-9]{4}'", wrong.stderr)
        self.assertEqual(len(json.loads(self.mpobench("history", "QA-1", "--db", self.db, "--json").stdout)), 1)
        self.assertEqual(self.rows("SELECT COUNT(*) FROM runs")[0][0], 4)

    def test_a_console_station_requires_a_named_operator(self):
        example = os.path.join(SOURCE, "fixtures", "stations", "real-bench-example.toml")
        fresh = os.path.join(self.dir, "operators.db")
        test = ("test", "--station", example, "--part", PART, "--serial", "SN1", "--db", fresh)
        env = dict(os.environ, USER="someone")  # never the recorded name
        for command in (test, ("reference", "--station", example, "--mode", "SM", "--db", fresh)):
            with self.subTest(command=command[0]):
                refused = self.mpobench(*command, env=env, expect=2)
                self.assertIn("requires the operator's name: give --operator NAME", refused.stderr)
        # Names are cleaned and checked like serials (but may be any printable text).
        self.assertIn("U+001B", self.mpobench(*test, "--operator", "Ann\x1b[2J", expect=2).stderr)
        self.assertIn("operator name is empty", self.mpobench(*test, "--operator", " \r", expect=2).stderr)
        # A good name passes, and the test goes on to the bench's own checks
        # (this database has no reference for the station: refused, exit 4).
        named = self.mpobench(*test, "--operator", " José Núñez\r", expect=4)
        self.assertIn("has no reference yet", named.stderr)
        # A station may waive the requirement and name whoever it records.
        relaxed = os.path.join(self.dir, "relaxed.toml")
        with open(example) as f, open(relaxed, "w") as out:
            out.write(f.read().replace('[operator]\n', '[operator]\nname = "line 2"\n')
                      .replace('[station]\n', '[station]\nrequire_operator = false\n'))
        self.assertIn("has no reference yet",
                      self.mpobench("test", *test[1:2], relaxed, *test[3:], expect=4).stderr)
        # Waived but naming nobody: refused too; a name that is no name is a
        # station-file error.
        for name_line, expected in (("", "does not require an operator but names none"),
                                    ('name = "line\\u0007two"\n', "operator.name: operator name")):
            with open(example) as f, open(relaxed, "w") as out:
                out.write(f.read().replace('[operator]\n', '[operator]\n' + name_line)
                          .replace('[station]\n', '[station]\nrequire_operator = false\n'))
            with self.subTest(name_line=name_line):
                refused = self.mpobench("test", *test[1:2], relaxed, *test[3:], expect=2)
                self.assertIn(expected, refused.stderr)

    def test_global_options_after_the_command_and_words_in_any_case(self):
        log = os.path.join(self.dir, "after.log")
        after = subprocess.run([MPOBENCH, "history", "QA-1", "--db", self.db, "--json", "--log-level", "info",
                                "--log-file", log], capture_output=True, text=True, timeout=60)
        self.assertEqual(after.returncode, 0, after.stderr)
        self.assertEqual(len(json.loads(after.stdout)), 1)
        self.assertTrue(os.path.exists(log))
        self.mpobench("history", "QA-1", "--db", self.db, "--log-levl", "info", expect=2)
        # Fixed words in any case: --mode sm goes on to the next check (the operator).
        example = os.path.join(SOURCE, "fixtures", "stations", "real-bench-example.toml")
        mode = self.mpobench("reference", "--station", example, "--mode", "sm", "--db",
                             os.path.join(self.dir, "modes.db"), expect=2)
        self.assertIn("--operator", mode.stderr)
        self.assertNotIn("--mode", mode.stderr)
        self.assertIn("--mode must be MM or SM, not 'XM'",
                      self.mpobench("reference", "--station", example, "--mode", "xm", expect=2).stderr)
        self.assertEqual(json.loads(self.mpobench("yield", "--db", self.db, "--by", "Grade", "--json").stdout)["by"],
                         "grade")
        self.assertIn("wavelength_nm", self.mpobench("trend", "--db", self.db, "--by", "DAY", "--csv").stdout)
        self.mpobench("export", "--format", "JSON", "--db", self.db)
        self.mpobench("cert", "QA-1", "--db", self.db, "--out", os.path.join(self.dir, "letter.pdf"),
                      "--paper", "LETTER")

    def unprivileged(self):
        """The command prefix that drops root (root writes anywhere, so a
        read-only folder proves nothing to it)."""
        if os.geteuid() != 0:
            return []
        return ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups"]

    def read_only_copy(self, name):
        """A consistent copy of the QA database in a folder nobody may write."""
        folder = os.path.join(self.dir, name)
        os.mkdir(folder)
        copy = os.path.join(folder, "qa.db")
        with sqlite3.connect(self.db) as source, sqlite3.connect(copy) as target:
            source.backup(target)
        target.close()
        os.chmod(copy, 0o444)
        os.chmod(folder, 0o555)
        self.addCleanup(os.chmod, folder, 0o755)
        return copy

    def as_reader(self, *args, expect=0):
        os.chmod(self.dir, 0o755)
        result = subprocess.run(self.unprivileged() + [MPOBENCH, "--log-level", "warn", *args],
                                capture_output=True, text=True, timeout=120, cwd=self.writable)
        self.assertEqual(result.returncode, expect, f"{args}\n{result.stdout}\n{result.stderr}")
        return result

    def test_read_commands_work_on_a_read_only_copy(self):
        copy = self.read_only_copy("read-only")
        self.writable = os.path.join(self.dir, "out")
        os.makedirs(self.writable, exist_ok=True)
        os.chmod(self.writable, 0o777)
        self.assertEqual(json.loads(self.as_reader("yield", "--db", copy, "--json").stdout)["total"]["completed"],
                         4)
        self.assertEqual(len(json.loads(self.as_reader("history", "QA-2", "--db", copy, "--json").stdout)), 2)
        self.as_reader("pareto", "--db", copy)
        self.as_reader("trend", "--db", copy)
        self.as_reader("export", "--format", "json", "--db", copy, "--out", "runs.json")
        self.as_reader("cert", "QA-1", "--db", copy, "--out", "QA-1.pdf")
        verified = self.as_reader("verify", "QA-1.pdf", "--db", copy)
        self.assertIn("VERIFIED", verified.stdout)
        # Nothing was created beside the copy: no journal, no shared memory.
        self.assertEqual(os.listdir(os.path.dirname(copy)), ["qa.db"])

    def test_a_database_that_cannot_be_read_says_so(self):
        self.writable = self.dir
        folder = os.path.join(self.dir, "private")
        os.mkdir(folder)
        private = os.path.join(folder, "qa.db")
        shutil.copy(self.db, private)
        os.chmod(private, 0o000)
        result = self.as_reader("yield", "--db", private, expect=2)
        self.assertIn("cannot read the database", result.stderr)
        self.assertIn("Permission denied", result.stderr)


class TestWithCertificate(unittest.TestCase):
    def test_test_writes_its_certificate(self):
        with tempfile.TemporaryDirectory(prefix="mpobench-qa-e2e-") as tmp:
            assembly = os.path.join(tmp, "elite.json")
            with open(assembly, "w") as f:
                json.dump(dut(il=0.10), f)
            with SimProcess(MPOBENCH, "--dut", assembly, time_scale="0.005") as sim:
                db = os.path.join(tmp, "runs.db")
                reference = run("reference", "--station", sim.station_path, "--db", db, "--mode", "SM")
                self.assertEqual(reference.returncode, 0, reference.stderr)
                cert = os.path.join(tmp, "SN-CERT.pdf")
                result = run("test", "--station", sim.station_path, "--part", PART, "--serial", "SN-CERT",
                             "--db", db, "--cert", cert, "--json")
                self.assertEqual(result.returncode, 0, result.stderr)
                self.assertEqual(json.loads(result.stdout)["certificate"], cert)
                # No --operator on the simulated bench: its station file names the operator.
                self.assertEqual(json.loads(result.stdout)["operator"], "simulated operator")
                text = subprocess.run(["pdftotext", cert, "-"], check=True, capture_output=True,
                                      text=True).stdout
                self.assertIn("SN-CERT", text)
                # A certificate that could not be written is refused before the test runs.
                refused = run("test", "--station", sim.station_path, "--part", PART, "--serial", "SN-CERT2",
                              "--db", db, "--cert", os.path.join(tmp, "no-such-dir", "x.pdf"))
                self.assertEqual(refused.returncode, 2, refused.stderr)
                history = run("history", "SN-CERT2", "--db", db, "--json")
                self.assertEqual(json.loads(history.stdout), [])


if __name__ == "__main__":
    unittest_main(sys.modules[__name__])
