"""A day on the line, as a technician and QA live it on the simulated bench:
the cords wear with every plug and are refused at their limit until replaced
or re-qualified; a failed assembly is retested with a reason, held for QA
when its attempts are used up, released, and flagged test-until-pass."""

import json
import os
import select
import sqlite3
import subprocess
import sys
import tempfile
import time
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "clients"))
from simbench import unittest_main  # noqa: E402

import test_production  # noqa: E402
from duts import dut  # noqa: E402
from test_production import Station, part_number  # noqa: E402

CORDS = """
[[cords]]
id = "LC-0042"
mating_limit = 6
warn_matings = 4

[[cords]]
id = "RC-0007"
role = "receive"
mating_limit = 100
"""


RETEST_SITE = """
[company]
name = "Example Optical Assemblies Ltd."
address = ["Unit 4, Fibre Park"]

[production]
attempts_before_hold = 3
retest_reasons = ["re-cleaned", "re-terminated", "re-inspected"]
"""

# Looser than the default Elite SM limits (typical 0.25 dB): what a
# re-terminated assembly at 0.30 dB would meet.
LOOSE_LIMITS = "name = \"loose\"\nversion = \"1\"\n" + "".join(
    f"[grade.{grade}.{mode}]\nil_typical_db = {typical}\nil_max_db = 0.75\nrepeatability_max_db = 0.20\n"
    for grade, typical in (("generic", 0.50), ("standard", 0.45), ("elite", 0.40)) for mode in ("SM", "MM"))


class RetestPolicy(unittest.TestCase):
    def test_retests_need_a_reason_and_a_serial_out_of_attempts_is_held_for_qa(self):
        test_production.MPOBENCH = MPOBENCH
        # Mean IL 0.30 dB: above Elite's 0.25 dB typical, so an Elite part fails.
        station = Station(self, dut(il=0.30), "SM")
        self.addCleanup(station.close)
        station.reference()
        site = os.path.join(station.tmp.name, "site.toml")
        with open(site, "w") as f:
            f.write(RETEST_SITE)
        loose = os.path.join(station.tmp.name, "loose.toml")
        with open(loose, "w") as f:
            f.write(LOOSE_LIMITS)
        part = part_number(12, "SM", "B", "elite")

        def test(*extra):
            return station.run("test", "--station", station.sim.station_path, "--part", part, "--serial",
                               "SN-R1", "--db", station.db, "--parts", station.parts, "--operator", "ana",
                               "--site", site, *extra)

        def runs():
            return station.rows("SELECT COUNT(*) FROM runs")[0][0]

        self.assertEqual(test().returncode, 1)
        # A retest after a failure asks why; without a terminal to ask on,
        # the command needs --retest-reason, and refuses a code the site lacks.
        for extra, message in (([], "give --retest-reason"),
                               (["--retest-reason", "wiped it"], "not one of the site's retest reasons")):
            result = test(*extra)
            self.assertEqual(result.returncode, 2, result.stdout + result.stderr)
            self.assertIn(message, result.stderr)
            self.assertIn("re-cleaned, re-terminated, re-inspected", result.stderr)
        self.assertIn("SN-R1 failed its last test (run 1); attempt 2 of 3", test().stderr)
        self.assertEqual(runs(), 1)
        self.assertEqual(test("--retest-reason", " RE-CLEANED").returncode, 1)
        self.assertEqual(test("--retest-reason", "re-inspected").returncode, 1)
        # Three attempts without a pass: held, before any instrument is touched.
        held = test("--retest-reason", "re-terminated")
        self.assertEqual(held.returncode, 4, held.stdout + held.stderr)
        self.assertIn("SN-R1 is on QA hold: 3 attempts without a pass (the site allows 3)", held.stderr)
        self.assertIn("mpobench hold release SN-R1", held.stderr)
        self.assertEqual(runs(), 3)

        def release(*extra):
            return station.run("hold", "release", "SN-R1", "--db", station.db, "--by", "qa-bob", *extra)

        self.assertEqual(release("--site", site, "--reason", " ").returncode, 2)
        self.assertEqual(station.run("hold", "release", "SN-R1", "--db", station.db, "--reason", "x").returncode, 2)
        released = release("--site", site, "--reason", "re-terminated both ends, inspected")
        self.assertEqual(released.returncode, 0, released.stdout + released.stderr)
        self.assertIn("SN-R1 released by qa-bob after 3 attempts", released.stdout)
        again = release("--site", site, "--reason", "twice")
        self.assertEqual(again.returncode, 2)
        self.assertIn("SN-R1 is not on hold", again.stderr)
        # Re-terminated, it passes (the looser limits stand for the better assembly).
        passed = test("--retest-reason", "re-terminated", "--limits", loose)
        self.assertEqual(passed.returncode, 0, passed.stdout + passed.stderr)
        # A retest after a pass asks for nothing.
        self.assertEqual(test("--limits", loose).returncode, 0)

        history = station.run("history", "SN-R1", "--db", station.db, "--json")
        self.assertEqual(history.returncode, 0, history.stderr)
        rows = json.loads(history.stdout)
        self.assertEqual([(r["attempt"], r["retest_reason"], r["pass"]) for r in rows],
                         [(1, None, False), (2, "re-cleaned", False), (3, "re-inspected", False),
                          (4, "re-terminated", True), (5, None, True)])
        self.assertTrue(all(r["test_until_pass"] for r in rows))
        text = station.run("history", "SN-R1", "--db", station.db).stdout
        self.assertIn("released from QA hold", text)
        self.assertIn("by qa-bob after 3 attempts: re-terminated both ends, inspected", text)
        self.assertIn("test-until-pass: passed only after 3 failed attempts", text)
        retests = station.run("retests", "--db", station.db, "--json")
        self.assertEqual(retests.returncode, 0, retests.stderr)
        summary = json.loads(retests.stdout)
        self.assertEqual((summary["serials"], summary["retested"], summary["test_until_pass"]), (1, 1, 1))
        self.assertEqual(summary["retested_serials"][0]["retest_reasons"],
                         ["re-cleaned", "re-inspected", "re-terminated"])
        self.assertIn("TEST-UNTIL-PASS", station.run("retests", "--db", station.db).stdout)
        audit = json.loads(station.run("audit", "list", "--db", station.db, "--json").stdout)
        releases = [e for e in audit if e["action"] == "hold.release"]
        self.assertEqual([(e["actor"], e["detail"]["serial"], e["detail"]["attempts"]) for e in releases],
                         [("qa-bob", "SN-R1", 3)])
        self.assertEqual(sum(e["action"] == "run.start" for e in audit), 5)
        self.assertEqual(station.run("audit", "verify", "--db", station.db).returncode, 0)


GOLDEN_SITE = """
[company]
name = "Example Optical Assemblies Ltd."
address = ["Unit 4, Fibre Park"]

[golden]
il_tolerance_db = {tolerance}
required = "day"
"""


class GoldenAssembly(unittest.TestCase):
    def test_a_station_checked_against_a_golden_assembly_before_it_tests(self):
        test_production.MPOBENCH = MPOBENCH
        station = Station(self, dut(), "SM")
        self.addCleanup(station.close)
        station.reference()
        part = part_number(12, "SM", "B", "elite")
        site = os.path.join(station.tmp.name, "site.toml")

        def write_site(tolerance):
            with open(site, "w") as f:
                f.write(GOLDEN_SITE.format(tolerance=tolerance))

        def test(serial):
            return station.run("test", "--station", station.sim.station_path, "--part", part, "--serial", serial,
                               "--db", station.db, "--parts", station.parts, "--operator", "ana", "--site", site)

        def check(*extra):
            return station.run("check", "--golden", "SN-G1", "--station", station.sim.station_path, "--db",
                               station.db, "--parts", station.parts, "--operator", "ana", "--site", site, *extra)

        # The golden assembly is a tested one whose readings QA takes as known.
        code, _, result = station.test(part, serial="SN-G1")
        self.assertEqual(code, 0, result.stderr)
        added = station.run("golden", "add", "SN-G1", "--by", "qa-bob", "--db", station.db)
        self.assertEqual(added.returncode, 0, added.stdout + added.stderr)
        self.assertIn("48 known IL values", added.stdout)
        for args in (["SN-G1"], ["SN-NOPE"]):  # golden once; a serial never tested
            result = station.run("golden", "add", *args, "--by", "qa-bob", "--db", station.db)
            self.assertEqual(result.returncode, 2, result.stdout + result.stderr)

        # The site asks for a passing check every day: none yet, so no test.
        write_site(0.05)
        refused = test("SN-G2")
        self.assertEqual(refused.returncode, 4, refused.stdout + refused.stderr)
        self.assertIn("has no passing golden check this day", refused.stderr)
        not_golden = station.run("check", "--golden", "SN-G2", "--station", station.sim.station_path, "--db",
                                 station.db, "--operator", "ana", "--site", site)
        self.assertEqual(not_golden.returncode, 2, not_golden.stderr)
        self.assertIn("SN-G2 is not a golden assembly", not_golden.stderr)
        passed = check("--json")
        self.assertEqual(passed.returncode, 0, passed.stdout + passed.stderr)
        document = json.loads(passed.stdout)
        self.assertEqual((document["pass"], document["compared"], document["missing"]), (True, 48, None))
        self.assertLessEqual(document["worst_deviation_db"], 0.05)
        self.assertEqual([b["wavelength_nm"] for b in document["bias"]], [1310, 1550])
        self.assertEqual(test("SN-G2").returncode, 0)

        # A check that fails (a tolerance no bench meets) stops testing again.
        write_site(0.0001)
        failed = check()
        self.assertEqual(failed.returncode, 1, failed.stdout + failed.stderr)
        self.assertIn("FAIL", failed.stdout)
        refused = test("SN-G3")
        self.assertEqual(refused.returncode, 4, refused.stdout + refused.stderr)
        self.assertIn("with SN-G1, failed", refused.stderr)

        # QA sees every check and the bias per station.
        bias = station.run("golden", "bias", "--db", station.db, "--json")
        self.assertEqual(bias.returncode, 0, bias.stderr)
        report = json.loads(bias.stdout)
        self.assertEqual([c["pass"] for c in report["checks"]], [True, False])
        self.assertEqual([(s["station"], s["wavelength_nm"], s["checks"]) for s in report["stations"]],
                         [("simulated", 1310, 2), ("simulated", 1550, 2)])
        self.assertEqual(station.rows("SELECT COUNT(*) FROM golden_checks"), [(2,)])
        # Checks make no runs: the yield is of assemblies only.
        self.assertEqual(station.rows("SELECT COUNT(*) FROM runs"), [(2,)])
        audit = json.loads(station.run("audit", "list", "--db", station.db, "--json").stdout)
        self.assertEqual([(e["action"], e["actor"]) for e in audit if e["action"].startswith("golden.")],
                         [("golden.add", "qa-bob"), ("golden.check", "ana"), ("golden.check", "ana")])
        self.assertEqual([e["detail"]["pass"] for e in audit if e["action"] == "golden.check"], [True, False])


class Users(unittest.TestCase):
    """Station users for the web pages: added with a role and a password
    (from a file, or typed twice on the terminal with no echo), listed,
    disabled; only the argon2id hash is stored."""

    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory(prefix="mpobench-users-")
        self.addCleanup(self.tmp.cleanup)
        self.db = os.path.join(self.tmp.name, "station.db")

    def mpobench(self, *args, **kwargs):
        return subprocess.run([MPOBENCH, "--log-file", os.path.join(self.tmp.name, "log"), *args], text=True,
                              capture_output=True, timeout=60, **kwargs)

    def password_file(self, text):
        path = os.path.join(self.tmp.name, "password")
        with open(path, "w") as f:
            f.write(text)
        return path

    def test_add_list_disable(self):
        good = self.password_file("correct horse battery\n")
        added = self.mpobench("user", "add", "alice", "--role", "QA", "--password-file", good, "--db", self.db)
        self.assertEqual(added.returncode, 0, added.stderr)
        self.assertIn("user alice added (qa)", added.stdout)
        for args, message in ((["alice", "--role", "qa", "--password-file", good], "there is a user alice"),
                              (["bob", "--role", "boss", "--password-file", good], "not one of operator, qa, admin"),
                              (["bob", "--role", "admin", "--password-file", self.password_file("short\n")],
                               "at least 10 characters"),
                              (["bob", "--role", "admin", "--password-file", os.path.join(self.tmp.name, "none")],
                               "cannot read a password"),
                              (["bob", "--role", "admin"], "no terminal to read the password from")):
            result = self.mpobench("user", "add", *args, "--db", self.db, stdin=subprocess.DEVNULL)
            self.assertEqual(result.returncode, 2, result.stdout + result.stderr)
            self.assertIn(message, result.stderr)
        with sqlite3.connect(self.db) as connection:
            (stored,), = connection.execute("SELECT password_hash FROM users WHERE name = 'alice'").fetchall()
        self.assertTrue(stored.startswith("$argon2id$"), stored)
        self.assertNotIn("correct horse", stored)
        disabled = self.mpobench("user", "disable", "alice", "--db", self.db)
        self.assertEqual(disabled.returncode, 0, disabled.stderr)
        self.assertEqual(self.mpobench("user", "disable", "alice", "--db", self.db).returncode, 2)
        self.assertEqual(self.mpobench("user", "disable", "nobody", "--db", self.db).returncode, 2)
        listed = json.loads(self.mpobench("user", "list", "--db", self.db, "--json").stdout)
        self.assertEqual([(u["name"], u["role"], u["disabled_at"] is not None) for u in listed],
                         [("alice", "qa", True)])
        self.assertTrue(listed[0]["created_by"])
        # Both changes are in the audit log, chained; a changed entry breaks it.
        audit = json.loads(self.mpobench("audit", "list", "--db", self.db, "--json").stdout)
        self.assertEqual([(e["id"], e["action"], e["source"]) for e in audit],
                         [(1, "user.add", "cli"), (2, "user.disable", "cli")])
        self.assertEqual(audit[0]["detail"], {"user": "alice", "role": "qa"})
        self.assertTrue(audit[0]["os_user"])
        intact = self.mpobench("audit", "verify", "--db", self.db)
        self.assertEqual(intact.returncode, 0, intact.stdout + intact.stderr)
        self.assertIn("audit log intact: 2 entries", intact.stdout)
        with sqlite3.connect(self.db) as connection:
            connection.execute("DROP TRIGGER audit_log_never_changes")
            connection.execute("UPDATE audit_log SET detail = '{\"user\":\"mallory\",\"role\":\"admin\"}' "
                               "WHERE id = 1")
        broken = self.mpobench("audit", "verify", "--db", self.db)
        self.assertEqual(broken.returncode, 1, broken.stdout + broken.stderr)
        self.assertIn("BROKEN at entry 1 of 2: its fields are not the ones it was hashed with", broken.stdout)

    def test_the_password_is_typed_twice_without_echo(self):
        master, slave = os.openpty()
        self.addCleanup(os.close, master)
        process = subprocess.Popen([MPOBENCH, "--log-file", os.path.join(self.tmp.name, "log"), "user", "add",
                                    "carol", "--role", "admin", "--db", self.db],
                                   stdin=slave, stdout=subprocess.PIPE, stderr=slave, text=True)
        os.close(slave)
        self.addCleanup(lambda: process.poll() is None and process.kill())

        def read_until(needle):
            output, deadline = b"", time.monotonic() + 30
            while needle not in output:
                self.assertLess(time.monotonic(), deadline, output)
                if select.select([master], [], [], 0.1)[0]:
                    output += os.read(master, 1024)
            return output

        read_until(b"password for carol: ")
        os.write(master, b"a long admin secret\r")
        read_until(b"the same password again: ")
        os.write(master, b"a long admin secret\r")
        out, _ = process.communicate(timeout=30)
        self.assertEqual(process.returncode, 0, out)
        self.assertIn("user carol added (admin)", out)
        # Not echoed: the typed password never reached the terminal's output.
        while select.select([master], [], [], 0.2)[0]:
            try:
                self.assertNotIn(b"a long admin secret", os.read(master, 1024))
            except OSError:
                break


class LimitSets(unittest.TestCase):
    """Limit sets under the two-person rule from the command line: one qa
    user uploads, another activates, and only then does `mpobench test`
    grade with it; each run records the set it was graded with."""

    def test_an_uploaded_limit_set_grades_only_once_a_second_qa_user_activates_it(self):
        test_production.MPOBENCH = MPOBENCH
        # Mean IL 0.30 dB: fails Elite under the default set, passes under LOOSE_LIMITS.
        station = Station(self, dut(il=0.30), "SM")
        self.addCleanup(station.close)
        station.reference()
        password = os.path.join(station.tmp.name, "password")
        loose = os.path.join(station.tmp.name, "loose.toml")
        bad = os.path.join(station.tmp.name, "bad.toml")
        for path, text in ((password, "long enough 1\n"), (loose, LOOSE_LIMITS),
                           (bad, LOOSE_LIMITS.replace("il_max_db = 0.75", "il_max_db = 'x'", 1))):
            with open(path, "w") as f:
                f.write(text)
        for user, role in (("quinn", "qa"), ("rosa", "qa"), ("ana", "operator")):
            added = station.run("user", "add", user, "--role", role, "--password-file", password, "--db", station.db)
            self.assertEqual(added.returncode, 0, added.stderr)
        part = part_number(12, "SM", "B", "elite")

        def test(serial, *extra):
            return station.run("test", "--station", station.sim.station_path, "--part", part, "--serial", serial,
                               "--db", station.db, "--parts", station.parts, "--operator", "ana", *extra).returncode

        def limits(*args):
            return station.run("limits", *args, "--db", station.db)

        self.assertEqual(test("SN-L1"), 1)
        for args, code, message in ((["upload", loose, "--by", "ana"], 4, "an operator may not change limit sets"),
                                    (["upload", loose, "--by", "nobody"], 4, "no enabled user of that name"),
                                    (["upload", bad, "--by", "quinn"], 2, "bad.toml:")):
            refused = limits(*args)
            self.assertEqual(refused.returncode, code, refused.stdout + refused.stderr)
            self.assertIn(message, refused.stderr)
        uploaded = limits("upload", loose, "--by", "quinn")
        self.assertEqual(uploaded.returncode, 0, uploaded.stderr)
        self.assertIn("pending until another qa user activates it", uploaded.stdout)
        (listed,) = json.loads(limits("list", "--json").stdout)
        self.assertEqual((listed["name"], listed["uploaded_by"], listed["activated_by"], listed["active"]),
                         ("loose", "quinn", None, False))
        again = limits("upload", loose, "--by", "rosa")
        self.assertEqual(again.returncode, 4, again.stderr)
        self.assertIn("uploaded as limit set", again.stderr)
        self.assertEqual(test("SN-L2"), 1)  # pending: still the default set
        ident = str(listed["id"])
        own = limits("activate", ident, "--by", "quinn")
        self.assertEqual(own.returncode, 4, own.stderr)
        self.assertIn("two-person rule", own.stderr)
        self.assertEqual(limits("activate", "99", "--by", "rosa").returncode, 2)
        activated = limits("activate", ident, "--by", "rosa")
        self.assertEqual(activated.returncode, 0, activated.stderr)
        twice = limits("activate", ident, "--by", "rosa")
        self.assertEqual(twice.returncode, 4, twice.stderr)
        self.assertIn("activated already by rosa", twice.stderr)
        self.assertEqual(test("SN-L3"), 0)  # the activated set
        self.assertEqual(test("SN-L4", "--limits", station.parts.replace("parts.toml", "missing.toml")), 2)
        shown = limits("show", ident)
        self.assertEqual(shown.returncode, 0, shown.stderr)
        self.assertIn(LOOSE_LIMITS, shown.stdout)
        self.assertEqual(station.rows("SELECT assemblies.serial, limit_sets.name FROM runs JOIN assemblies ON "
                                      "assemblies.id = runs.assembly_id JOIN limit_sets ON limit_sets.id = "
                                      "runs.limit_set_id ORDER BY runs.id"),
                         [("SN-L1", "mpobench-default"), ("SN-L2", "mpobench-default"), ("SN-L3", "loose")])
        audit = json.loads(station.run("audit", "list", "--db", station.db, "--json").stdout)
        self.assertEqual([(e["action"], e["actor"], e["source"]) for e in audit if e["action"].startswith("limits.")],
                         [("limits.upload", "quinn", "cli"), ("limits.activate", "rosa", "cli")])


class CordWear(unittest.TestCase):
    def test_cords_wear_warn_and_refuse_until_requalified(self):
        test_production.MPOBENCH = MPOBENCH
        station = Station(self, dut(), "SM")
        self.addCleanup(station.close)
        with open(station.sim.station_path, "a") as f:
            f.write(CORDS)
        station.reference()
        # The reference plugged the launch cord into the meter through the
        # receive cord, and records the launch cord with its count.
        self.assertEqual(station.rows("SELECT launch_cord, launch_cord_matings FROM optical_references"),
                         [("LC-0042", 1)])
        part = part_number(12, "SM", "B", "elite")

        def cords():
            listed = station.run("cord", "list", "--station", station.sim.station_path, "--db", station.db,
                                 "--json")
            self.assertEqual(listed.returncode, 0, listed.stderr)
            return {c["id"]: (c["matings"], c["state"]) for c in json.loads(listed.stdout)}

        self.assertEqual(cords(), {"LC-0042": (1, "ok"), "RC-0007": (1, "ok")})
        # Each test plugs end A and end B: two matings on each cord.
        code, _, result = station.test(part, serial="SN-C1")
        self.assertEqual(code, 0, result.stderr)
        self.assertEqual(cords(), {"LC-0042": (3, "ok"), "RC-0007": (3, "ok")})
        code, _, result = station.test(part, serial="SN-C2")
        self.assertEqual(code, 0, result.stderr)
        self.assertNotIn("LC-0042", result.stderr)
        self.assertEqual(cords()["LC-0042"], (5, "warn"))
        # At 5 of 6 the test runs, with a warning.
        code, _, result = station.test(part, serial="SN-C3")
        self.assertEqual(code, 0, result.stderr)
        self.assertIn("launch cord LC-0042: 5 matings of 6: plan to replace or re-qualify it", result.stderr)
        self.assertEqual(cords()["LC-0042"], (7, "worn"))
        # Worn: refused before any instrument is touched, and no run begins.
        runs_before = station.rows("SELECT COUNT(*) FROM runs")[0][0]
        code, document, result = station.test(part, serial="SN-C4")
        self.assertEqual(code, 4, result.stdout + result.stderr)
        self.assertIsNone(document)
        self.assertIn("launch cord LC-0042 has 7 matings (limit 6)", result.stderr)
        self.assertIn("mpobench cord requalify", result.stderr)
        self.assertEqual(station.rows("SELECT COUNT(*) FROM runs")[0][0], runs_before)
        refused = station.run("reference", "--station", station.sim.station_path, "--db", station.db,
                              "--mode", "SM", "--operator", "e2e")
        self.assertEqual(refused.returncode, 4, refused.stderr)

        # Re-qualification needs who and why; then the count starts again.
        for bad in (["--reason", " "], []):
            result = station.run("cord", "requalify", "LC-0042", "--station", station.sim.station_path, "--db",
                                 station.db, "--operator", "qa-bob", *bad)
            self.assertEqual(result.returncode, 2, result.stdout + result.stderr)
        result = station.run("cord", "requalify", "LC-9999", "--station", station.sim.station_path, "--db",
                             station.db, "--operator", "qa-bob", "--reason", "cleaned")
        self.assertEqual(result.returncode, 2, result.stdout + result.stderr)
        self.assertIn("names no cord LC-9999", result.stderr)
        result = station.run("cord", "requalify", "LC-0042", "--station", station.sim.station_path, "--db",
                             station.db, "--operator", "qa-bob", "--reason", "cleaned, IL 0.07 dB vs master")
        self.assertEqual(result.returncode, 0, result.stdout + result.stderr)
        self.assertIn("re-qualified by qa-bob after 7 matings", result.stdout)
        self.assertEqual(station.rows("SELECT operator, reason, matings_before FROM cord_requalifications"),
                         [("qa-bob", "cleaned, IL 0.07 dB vs master", 7)])
        audit = json.loads(station.run("audit", "list", "--db", station.db, "--json").stdout)
        self.assertEqual([(e["actor"], e["detail"]) for e in audit if e["action"] == "cord.requalify"],
                         [("qa-bob", {"cord": "LC-0042", "matings_before": 7,
                                      "reason": "cleaned, IL 0.07 dB vs master"})])
        self.assertEqual([e["detail"]["launch_cord"] for e in audit if e["action"] == "reference.take"],
                         ["LC-0042"])
        code, _, result = station.test(part, serial="SN-C4")
        self.assertEqual(code, 0, result.stderr)
        self.assertEqual(cords(), {"LC-0042": (2, "ok"), "RC-0007": (9, "ok")})

        # A replaced launch cord is a new id in the station file: the
        # reference taken with the old one no longer serves.
        with open(station.sim.station_path) as f:
            text = f.read()
        with open(station.sim.station_path, "w") as f:
            f.write(text.replace('id = "LC-0042"', 'id = "LC-0043"'))
        code, _, result = station.test(part, serial="SN-C5")
        self.assertEqual(code, 4, result.stdout + result.stderr)
        self.assertIn("the reference was taken with launch cord LC-0042", result.stderr)
        result = station.run("reference", "--station", station.sim.station_path, "--db", station.db, "--mode",
                             "SM", "--operator", "e2e", "--launch-cord", "LC-0042")
        self.assertEqual(result.returncode, 2, result.stdout + result.stderr)
        self.assertIn("names launch cord LC-0043", result.stderr)
        station.reference()
        code, _, result = station.test(part, serial="SN-C5")
        self.assertEqual(code, 0, result.stderr)
        self.assertEqual(cords()["LC-0043"], (3, "ok"))


MPOBENCH = None

if __name__ == "__main__":
    unittest_main(sys.modules[__name__])
