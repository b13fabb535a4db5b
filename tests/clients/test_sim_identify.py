"""`mpobench sim` and `mpobench identify` as a user runs them: two processes,
a station file between them, real ptys and TCP ports, exit codes per DESIGN.md §6."""

import json
import os
import re
import subprocess
import sys
import tempfile
import unittest

from simbench import SimProcess, unittest_main

MPOBENCH = None


def run(*args, timeout=60):
    return subprocess.run([MPOBENCH, "--log-level", "warn", *args], capture_output=True, text=True,
                          timeout=timeout)


def rewrite_model(station_path, name, model, out_path):
    """The station file with instrument `name` declared as `model`."""
    text = open(station_path).read()
    pattern = rf'(\[instruments\.{name}\]\nrole = "[a-z_]+"\nmodel = )"[^"]+"'
    changed, count = re.subn(pattern, lambda m: f'{m.group(1)}"{model}"', text)
    assert count == 1, text
    with open(out_path, "w") as f:
        f.write(changed)


class SimAndIdentify(unittest.TestCase):
    def test_identify_every_instrument_then_stop_cleanly(self):
        with SimProcess(MPOBENCH, "--random", "3") as sim:
            result = run("identify", "--station", sim.station_path, "--json")
            self.assertEqual(result.returncode, 0, result.stderr)
            rows = json.loads(result.stdout)
            names = {row["name"] for row in rows}
            # The far end is four 8-port meters (positions 1-8, 9-16, ...).
            self.assertEqual(names, {"source", "rl", "switch", "meter", "meter2", "meter3", "meter4", "monitor",
                                     "operator"})
            for row in rows:
                self.assertEqual(row["status"], "ok", row)
                self.assertTrue(row["vendor"] and row["model"] and row["serial"] and row["firmware"], row)

            table = run("identify", "--station", sim.station_path)
            self.assertEqual(table.returncode, 0, table.stderr)
            for word in ("NAME", "RESOURCE", "SERIAL", "FIRMWARE", "CAL DUE", "ASRL", "TCPIP"):
                self.assertIn(word, table.stdout)

            wrong = os.path.join(sim.workdir.name, "wrong.toml")
            rewrite_model(sim.station_path, "monitor", "keysight-n774x", wrong)
            mismatch = run("identify", "--station", wrong)
            self.assertEqual(mismatch.returncode, 2, mismatch.stdout + mismatch.stderr)
            self.assertIn("WRONG MODEL", mismatch.stdout)
            self.assertRegex(mismatch.stderr, r"monitor: station file says keysight-n774x but the instrument is")

            links = [os.path.join(sim.run_dir, n) for n in os.listdir(sim.run_dir)]
            self.assertTrue(links, "the sim publishes its serial ports as links in the run dir")
            code, out, err = sim.stop()
            self.assertEqual(code, 0, err)
            self.assertIn("stopped", out)
            for link in links:
                self.assertFalse(os.path.lexists(link), f"{link} left behind")

            gone = run("identify", "--station", sim.station_path, timeout=60)
            self.assertEqual(gone.returncode, 3, gone.stdout + gone.stderr)
            self.assertIn("UNREACHABLE", gone.stdout)

    def test_bad_input_is_exit_2_with_a_clear_message(self):
        with tempfile.TemporaryDirectory() as tmp:
            cases = [
                (["sim"], "exactly one of --dut FILE or --random SEED"),
                (["sim", "--random", "1", "--faults", "meter:explode@3"], "--faults"),
                (["sim", "--dut", os.path.join(tmp, "missing.json")], "missing.json"),
                (["identify", "--station", os.path.join(tmp, "none.toml")], "none.toml"),
                (["identify"], "--station"),
                (["no-such-command"], "no-such-command"),
                ([], "a command is required"),
            ]
            bad_dut = os.path.join(tmp, "bad.json")
            with open(bad_dut, "w") as f:
                f.write('{"fibers": 10}')
            cases.append((["sim", "--dut", bad_dut], "bad.json"))
            bad_station = os.path.join(tmp, "bad.toml")
            with open(bad_station, "w") as f:
                f.write('[instruments.meter]\nrole = "power_meter"\nmodel = "nope"\nresource = "x"\n')
            cases.append((["identify", "--station", bad_station], "bad.toml:3"))
            example = os.path.join(os.path.dirname(__file__), "..", "..", "fixtures", "stations",
                                   "real-bench-example.toml")
            cases.append((["test", "--station", example, "--part", "NOPE", "--serial", "S1", "--db",
                           os.path.join(tmp, "t.db")], "part 'NOPE' is not in"))
            corrupt = os.path.join(tmp, "corrupt.db")
            with open(corrupt, "wb") as f:
                f.write(os.urandom(8192))
            cases.append((["history", "SN1", "--db", corrupt], "corrupt.db"))
            bad_limits = os.path.join(tmp, "limits.toml")
            with open(bad_limits, "w") as f:
                f.write('name = "x"\nversion = "1"\n[grade.elite.SM]\nil_max_db = "low"\n')
            cases.append((["test", "--station", example, "--part", "MPO12-SM-B-E", "--serial", "S1", "--db",
                           os.path.join(tmp, "t.db"), "--limits", bad_limits], "limits.toml"))
            for args, expected in cases:
                with self.subTest(args=args):
                    result = run(*args)
                    self.assertEqual(result.returncode, 2, result.stdout + result.stderr)
                    self.assertIn(expected, result.stderr)


if __name__ == "__main__":
    unittest_main(sys.modules[__name__])
