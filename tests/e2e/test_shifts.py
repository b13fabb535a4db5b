"""Shifts and local time (issue 12, item 8) end to end: a small history made
with `mpobench demo`, then `yield --by shift`, `pareto --by shift` and `cert`
under a site file whose time zone puts the runs just after local midnight,
in a night shift that began the day before. The expected shifts and local
times are worked out independently with Python's zoneinfo."""

import datetime
import json
import os
import sqlite3
import subprocess
import sys
import tempfile
import unittest
import zoneinfo

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "clients"))
from simbench import unittest_main  # noqa: E402

MPOBENCH = None
SHIFTS = [("early", 6 * 60), ("late", 14 * 60), ("night", 22 * 60)]


def run(*args):
    return subprocess.run([MPOBENCH, "--log-level", "warn", *args], capture_output=True, text=True, timeout=180)


def zone_just_after_midnight():
    """An Etc/GMT zone in which it is now between 01:00 and 02:00 local time."""
    hour = datetime.datetime.now(datetime.timezone.utc).hour
    offset = (1 - hour + 12) % 24 - 12  # 1 - hour, folded into -12..+11
    # Etc/GMT names have the sign inverted: Etc/GMT-5 is UTC+05.
    return "Etc/UTC" if offset == 0 else f"Etc/GMT{-offset:+d}"


def shift_key(local):
    minute = local.hour * 60 + local.minute
    started = [name for name, start in SHIFTS if start <= minute]
    if started:
        return f"{local:%Y-%m-%d} {started[-1]}"
    return f"{local.date() - datetime.timedelta(days=1):%Y-%m-%d} {SHIFTS[-1][0]}"


class Shifts(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.TemporaryDirectory(prefix="mpobench-shift-e2e-")
        cls.dir = cls.tmp.name
        cls.db = os.path.join(cls.dir, "line.db")
        result = run("demo", "--random", "5", "--count", "6", "--db", cls.db, "--time-scale", "0.002", "--json")
        if result.returncode not in (0, 1):
            raise RuntimeError(f"demo: exit {result.returncode}\n{result.stderr}")
        cls.zone = zone_just_after_midnight()
        cls.site = os.path.join(cls.dir, "site.toml")
        with open(cls.site, "w") as f:
            f.write('[company]\nname = "Shift Test Ltd."\n')
            f.write(f'[site]\ntime_zone = "{cls.zone}"\n')
            for name, start in SHIFTS:
                f.write(f'[[shift]]\nname = "{name}"\nstart = "{start // 60:02}:{start % 60:02}"\n')

    @classmethod
    def tearDownClass(cls):
        cls.tmp.cleanup()

    def mpobench(self, *args, expect=0):
        result = run(*args)
        self.assertEqual(result.returncode, expect, f"{args}\n{result.stdout}\n{result.stderr}")
        return result

    def runs(self):
        """(serial, started_at in the site's zone, pass) of every completed production run."""
        with sqlite3.connect(self.db) as connection:
            rows = connection.execute(
                "SELECT serial, started_at, pass FROM runs JOIN assemblies ON assemblies.id = assembly_id "
                "WHERE kind = 'production' AND status = 'completed' ORDER BY runs.id").fetchall()
        zone = zoneinfo.ZoneInfo(self.zone)
        return [(serial, datetime.datetime.fromisoformat(started.replace("Z", "+00:00")).astimezone(zone), passed)
                for serial, started, passed in rows]

    def expected(self):
        shifts = {}
        for _, local, passed in self.runs():
            completed, passes = shifts.get(shift_key(local), (0, 0))
            shifts[shift_key(local)] = (completed + 1, passes + passed)
        return shifts

    def test_yield_by_shift_puts_the_night_past_midnight_in_one_shift(self):
        expected = self.expected()
        self.assertTrue(expected)
        # It is after local midnight: the runs are in the night shift that began the day before
        # (unless the clock passed 06:00 local in between, which the zone rules out).
        for _, local, _ in self.runs():
            self.assertLess(local.hour, 6, local)
            self.assertEqual(shift_key(local), f"{local.date() - datetime.timedelta(days=1):%Y-%m-%d} night")
        document = json.loads(self.mpobench("yield", "--by", "shift", "--site", self.site, "--db", self.db,
                                            "--json").stdout)
        self.assertEqual(document["by"], "shift")
        self.assertEqual({row["group"]: (row["completed"], row["passed"]) for row in document["rows"]}, expected)
        self.assertEqual(document["total"]["completed"], sum(c for c, _ in expected.values()))
        text = self.mpobench("yield", "--by", "shift", "--site", self.site, "--db", self.db).stdout
        for key in expected:
            self.assertIn(key, text)
        # --from/--to pick shifts by the day they began.
        (day,) = {key[:10] for key in expected}
        none = json.loads(self.mpobench("yield", "--by", "shift", "--site", self.site, "--db", self.db,
                                        "--from", "2030-01-01", "--json").stdout)
        self.assertEqual(none["rows"], [])
        same = json.loads(self.mpobench("yield", "--by", "shift", "--site", self.site, "--db", self.db,
                                        "--from", day, "--to", day, "--json").stdout)
        self.assertEqual(len(same["rows"]), len(expected))

    def test_pareto_by_shift(self):
        expected = self.expected()
        document = json.loads(self.mpobench("pareto", "--by", "shift", "--site", self.site, "--db", self.db,
                                            "--json").stdout)
        self.assertEqual({shift["shift"]: (shift["completed_runs"], shift["completed_runs"] - shift["failed_runs"])
                          for shift in document["shifts"]}, expected)
        overall = json.loads(self.mpobench("pareto", "--db", self.db, "--json").stdout)
        self.assertEqual(sum(shift["failed_runs"] for shift in document["shifts"]), overall["failed_runs"])
        csv = self.mpobench("pareto", "--by", "shift", "--site", self.site, "--db", self.db, "--csv").stdout
        self.assertTrue(csv.startswith("shift,table,item,count,share,cumulative\n"))

    def test_certificate_prints_local_time_with_its_offset(self):
        serial, local, _ = self.runs()[0]
        out = os.path.join(self.dir, "cert.pdf")
        self.mpobench("cert", serial, "--db", self.db, "--site", self.site, "--out", out)
        text = subprocess.run(["pdftotext", "-layout", out, "-"], check=True, capture_output=True,
                              text=True).stdout
        offset = local.strftime("%z")
        self.assertIn(f"{local:%Y-%m-%d %H:%M:%S} {offset[:3]}:{offset[3:]}", text)
        # The record stays UTC: without a time zone the same run reads in UTC.
        utc_site = os.path.join(self.dir, "utc-site.toml")
        with open(utc_site, "w") as f:
            f.write('[company]\nname = "Shift Test Ltd."\n')
        self.mpobench("cert", serial, "--db", self.db, "--site", utc_site, "--out", out)
        text = subprocess.run(["pdftotext", "-layout", out, "-"], check=True, capture_output=True,
                              text=True).stdout
        self.assertIn(f"{local.astimezone(datetime.timezone.utc):%Y-%m-%d %H:%M:%S} UTC", text)

    def test_refusals(self):
        no_shifts = os.path.join(self.dir, "no-shifts.toml")
        with open(no_shifts, "w") as f:
            f.write('[company]\nname = "Shift Test Ltd."\n[site]\ntime_zone = "Europe/London"\n')
        self.assertIn("no [[shift]] tables", self.mpobench("yield", "--by", "shift", "--site", no_shifts,
                                                           "--db", self.db, expect=2).stderr)
        self.assertIn("no [[shift]] tables", self.mpobench("pareto", "--by", "shift", "--site", no_shifts,
                                                           "--db", self.db, expect=2).stderr)
        self.assertIn("a Pareto goes by shift", self.mpobench("pareto", "--by", "day", "--db", self.db,
                                                              expect=2).stderr)
        self.assertIn("grade or shift", self.mpobench("yield", "--by", "shifts", "--db", self.db, expect=2).stderr)
        bad_zone = os.path.join(self.dir, "bad-zone.toml")
        with open(bad_zone, "w") as f:
            f.write('[company]\nname = "Shift Test Ltd."\n[site]\ntime_zone = "Europe/Atlantis"\n')
        self.assertIn("site.time_zone", self.mpobench("yield", "--by", "shift", "--site", bad_zone,
                                                      "--db", self.db, expect=2).stderr)


if __name__ == "__main__":
    unittest_main(sys.modules[__name__])
