"""A day on the line, as a technician and QA live it on the simulated bench:
the cords wear with every plug and are refused at their limit until replaced
or re-qualified."""

import json
import os
import sys
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
