"""A 72-fibre MTP (6 rows of 12) end to end on the simulated bench as real
benches are built: `mpobench sim` with the 72F sample assembly gives a
72-position bench (a 72-output launch switch, nine 8-port N7745C meters),
then reference, test, JSON result and a certificate of several pages; a
72F assembly of the wrong polarity type, and one with two fibres crossed,
fail on polarity."""

import json
import os
import sqlite3
import subprocess
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "clients"))
from simbench import SimProcess, unittest_main  # noqa: E402

MPOBENCH = None
TIME_SCALE = "0.02"
DUT_72F = os.path.join(os.path.dirname(__file__), "..", "..", "fixtures", "data", "elite_mm_72f_b.json")


def type_b_72():
    """TIA-568.3 type B on 6 rows of 12: each row reversed, rows in place."""
    return [row * 12 + (12 - col) for row in range(6) for col in range(12)]


class Bench72:
    def __init__(self, case, dut_path):
        self.case = case
        self.tmp = tempfile.TemporaryDirectory(prefix="mpobench-e2e-72f-")
        self.db = os.path.join(self.tmp.name, "runs.db")
        self.sim = SimProcess(MPOBENCH, "--dut", dut_path, time_scale=TIME_SCALE).__enter__()

    def close(self):
        if self.sim.process.poll() is None:
            code, _, err = self.sim.stop()
            self.case.assertEqual(code, 0, err)
        self.sim.__exit__(None, None, None)
        self.tmp.cleanup()

    def run(self, *args, timeout=180):
        return subprocess.run([MPOBENCH, "--log-level", "warn", "--log-file",
                               os.path.join(self.tmp.name, "mpobench.log"), *args],
                              capture_output=True, text=True, timeout=timeout)

    def reference(self):
        result = self.run("reference", "--station", self.sim.station_path, "--db", self.db, "--mode", "MM")
        self.case.assertEqual(result.returncode, 0, result.stdout + result.stderr)
        self.case.assertIn("72 fibres at 850/1300 nm", result.stdout)

    def test(self, part, serial, *extra):
        result = self.run("test", "--station", self.sim.station_path, "--part", part, "--serial", serial,
                          "--db", self.db, "--operator", "e2e", "--json", *extra)
        document = json.loads(result.stdout) if result.stdout.strip() else None
        return result.returncode, document, result


class Test72F(unittest.TestCase):
    def bench(self, dut_path=DUT_72F):
        bench = Bench72(self, dut_path)
        self.addCleanup(bench.close)
        return bench

    def test_72f_reference_test_json_and_certificate(self):
        bench = self.bench()
        instruments = bench.sim.station["instruments"]
        # Found by role: nine 8-port meters cover far positions 1-72 in order.
        meters = [name for name, i in instruments.items() if "far_positions" in i]
        self.assertEqual(len(meters), 9, instruments)
        self.assertEqual([instruments[m]["far_positions"] for m in meters],
                         [f"{first}-{first + 7}" for first in range(1, 72, 8)])
        self.assertTrue(all(instruments[m]["channels"] == 8 for m in meters))
        self.assertEqual(instruments["switch"]["channels"], 72)
        self.assertTrue(instruments["monitor"]["monitor"])

        bench.reference()
        cert = os.path.join(bench.tmp.name, "cert.pdf")
        code, document, result = bench.test("MPO72-MM-B-E", "SN-72F-1", "--cert", cert)
        self.assertEqual(code, 0, result.stdout + result.stderr)
        self.assertEqual((document["status"], document["grade"], document["pass"]), ("completed", "elite", True),
                         json.dumps(document["failures"])[:2000])
        self.assertEqual(document["polarity"]["map"], type_b_72())
        self.assertEqual(document["polarity"]["map_end_b"], type_b_72())
        # Every fibre from each end at both wavelengths, read at its type-B partner.
        measurements = document["measurements"]
        self.assertEqual(len(measurements), 72 * 2 * 2)
        self.assertEqual({(m["end"], m["fiber"], m["wavelength_nm"]) for m in measurements},
                         {(end, fiber, nm) for end in "AB" for fiber in range(1, 73) for nm in (850, 1300)})
        for m in measurements:
            self.assertEqual(m["far_position"], type_b_72()[m["fiber"] - 1], m)
            self.assertLess(abs(m["il_db"] - 0.085), 0.1, m)
        # The run record names every instrument: nine far-end meters among them.
        with sqlite3.connect(bench.db) as connection:
            names = [row[0] for row in connection.execute(
                "SELECT i.name FROM run_instruments r JOIN instruments i ON i.id = r.instrument_id "
                "WHERE r.run_id = ? ORDER BY r.position", (document["run_id"],))]
        self.assertEqual(names, ["source", "rl", "switch", "meter"] + [f"meter{n}" for n in range(2, 10)]
                         + ["monitor"])

        # The certificate: several pages, each section title with its body.
        info = subprocess.run(["pdfinfo", cert], check=True, capture_output=True, text=True).stdout
        pages = int(next(line.split()[-1] for line in info.splitlines() if line.startswith("Pages:")))
        self.assertGreater(pages, 1)
        text = subprocess.run(["pdftotext", "-layout", cert, "-"], check=True, capture_output=True,
                              text=True).stdout
        page_texts = text.split("\f")
        for number, page in enumerate(page_texts, start=1):
            lines = [line.strip() for line in page.splitlines() if line.strip()]
            if "Record" in lines:
                self.assertTrue(any("Record SHA-256" in line for line in lines),
                                f"page {number}: the Record title without its hashes")
        self.assertEqual(text.count("MYSIM-METER"), 9, "the instruments table lists nine meters")
        for row in range(1, 7):
            first = (row - 1) * 12 + 1
            self.assertIn(f"Row {row} · fibres {first}–{first + 11}", text)
        # Every fibre's rows appear: fibre 72 from both ends at both wavelengths.
        self.assertRegex(text, r"(?m)^\s*72\s+61\s+1300\b")

    def test_72f_type_mismatch_fails_on_polarity(self):
        bench = self.bench()
        bench.reference()
        # Built type B, ordered as type A.
        code, document, result = bench.test("MPO72-MM-A-E", "SN-72F-A")
        self.assertEqual(code, 1, result.stdout + result.stderr)
        self.assertEqual((document["grade"], document["pass"]), ("fail", False))
        self.assertEqual((document["polarity"]["measured"], document["polarity"]["measured_end_b"]), ("B", "B"))
        self.assertEqual([(f["what"], f["end"]) for f in document["failures"]], [("polarity", "A"), ("polarity", "B")])
        for failure in document["failures"]:
            self.assertIn("measured type B", failure["text"])
            self.assertTrue(failure["text"].endswith("expected A"), failure["text"])

    def test_72f_with_two_fibres_crossed_fails_naming_them(self):
        with open(DUT_72F) as f:
            assembly = json.load(f)
        # Fibres 40 and 41 (row 4) crossed in the build.
        wiring = type_b_72()
        wiring[39], wiring[40] = wiring[40], wiring[39]
        assembly["map"] = wiring
        tmp = tempfile.TemporaryDirectory(prefix="mpobench-e2e-72f-dut-")
        self.addCleanup(tmp.cleanup)
        path = os.path.join(tmp.name, "crossed.json")
        with open(path, "w") as f:
            json.dump(assembly, f)
        bench = self.bench(path)
        bench.reference()
        code, document, result = bench.test("MPO72-MM-B-E", "SN-72F-X")
        self.assertEqual(code, 1, result.stdout + result.stderr)
        self.assertFalse(document["polarity"]["ok"])
        self.assertEqual(document["polarity"]["map"], wiring)
        # Each end's line gives the map it measured: from end A, fibre 40
        # reaches 44 and fibre 41 reaches 45 (type B: 45 and 44).
        self.assertEqual([(f["what"], f["end"]) for f in document["failures"]], [("polarity", "A"), ("polarity", "B")])
        self.assertIn(",48,47,46,44,45,43,", document["failures"][0]["text"])
        self.assertTrue(all(f["text"].endswith("expected B") for f in document["failures"]), document["failures"])


if __name__ == "__main__":
    unittest_main(sys.modules[__name__])
