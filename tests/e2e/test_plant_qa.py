"""Plant QA (issue 15): `yield`, `pareto` and `trend` read from the plant
(--db postgresql://..., as the read-only QA role) over the runs two stations
forwarded, checked against the stations' own SQLite QA: two stations with
the same station name and distinct serials add up to the plant, station by
station; a retest at another station forwarded late (older than a run
already there) moves its serial's first-pass and final outcome; a plant made
before the QA rollups gets them backfilled by `plant init`; `--by shift`
on the plant (the site file's zone and shifts) is the stations' and the
shifts Python's zoneinfo works out. Uses the throw-away PostgreSQL cluster
of test_plant.py."""

import datetime
import hashlib
import json
import os
import random
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import unittest
import uuid
import zoneinfo

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "clients"))
from simbench import unittest_main  # noqa: E402

import test_plant  # noqa: E402
from duts import dut, one_fibre  # noqa: E402
from test_plant import TIME_SCALE  # noqa: E402

MPOBENCH = None
PART = "MPO12-SM-B-E"
# Stations and QA in a zone whose date is not UTC's now (UTC+14 from 10:00
# UTC on, else UTC-12): the plant must count days as the asking process
# does, not in the server's zone (UTC here).
ZONE = "Pacific/Kiritimati" if datetime.datetime.now(datetime.timezone.utc).hour >= 10 else "Etc/GMT+12"


def mpobench(*args, tz=ZONE, pgtz=None):
    env = dict(os.environ, TZ=tz, **({"PGTZ": pgtz} if pgtz else {}))
    return subprocess.run([MPOBENCH, "--log-level", "warn", *args], capture_output=True,
                                     text=True, timeout=180, env=env)


def without_scope(document):
    return {k: v for k, v in document.items() if k != "scope"}


def assert_close(test, plant, station, where=""):
    """Trend JSON of the plant against a station's: the plant holds the
    readings of the payload (`test --json`: to 0.0001 dB), the station all
    their digits, so means, sigmas and worst values agree to 0.001 dB and a
    97th percentile (a 0.01 dB bin's edge) to one bin; counts and everything
    else exactly."""
    if isinstance(station, float) or isinstance(plant, float):
        tolerance = 0.0101 if where.endswith("p97_db") else 0.001
        test.assertAlmostEqual(plant, station, delta=tolerance, msg=where)
    elif isinstance(station, dict):
        test.assertEqual(set(plant), set(station), where)
        for key in station:
            assert_close(test, plant[key], station[key], f"{where}.{key}")
    elif isinstance(station, list):
        test.assertEqual(len(plant), len(station), where)
        for i, (p, s) in enumerate(zip(plant, station)):
            assert_close(test, p, s, f"{where}[{i}]")
    else:
        test.assertEqual(plant, station, where)


def shift_site(path, zone, shifts):
    """A site file with its zone (None: UTC) and [[shift]] tables, shifts
    as (name, start minute)."""
    with open(path, "w") as f:
        f.write('[company]\nname = "Plant QA Ltd."\n')
        if zone:
            f.write(f'[site]\ntime_zone = "{zone}"\n')
        for name, start in shifts:
            # A JSON string is a TOML basic string (quotes, backslashes escaped).
            f.write(f'[[shift]]\nname = {json.dumps(name)}\nstart = "{start // 60:02}:{start % 60:02}"\n')
    return path


def shift_key(local, shifts):
    """analysis::shift_of worked out again: the last shift started at or
    before the local time of day, else the day before's last shift."""
    ordered = sorted(shifts, key=lambda shift: shift[1])
    minute = local.hour * 60 + local.minute
    started = [name for name, start in ordered if start <= minute]
    if started:
        return f"{local:%Y-%m-%d} {started[-1]}"
    return f"{local.date() - datetime.timedelta(days=1):%Y-%m-%d} {ordered[-1][0]}"


def zone_just_after_midnight():
    """An Etc/GMT zone in which it is now between 01:00 and 02:00 (as
    test_shifts.py picks it): runs of the last hour are in the night shift
    begun the day before."""
    hour = datetime.datetime.now(datetime.timezone.utc).hour
    offset = (1 - hour + 12) % 24 - 12  # 1 - hour, folded into -12..+11
    # Etc/GMT names have the sign inverted: Etc/GMT-5 is UTC+05.
    return "Etc/UTC" if offset == 0 else f"Etc/GMT{-offset:+d}"


SHIFTS = [("early", 6 * 60), ("late", 14 * 60), ("night", 22 * 60)]

COUNTS = ("completed", "passed", "first_tested", "first_passed", "final_tested", "final_passed",
          "retests", "aborted", "interrupted", "retries")


class PlantQa(unittest.TestCase):
    def setUp(self):
        test_plant.MPOBENCH = MPOBENCH
        # The plant counts its day buckets in ZONE, the zone QA asks from.
        self.cluster = test_plant.new_plant(self, zone=ZONE)
        self.dir = tempfile.mkdtemp(prefix="mpobench-plant-qa-")
        self.addCleanup(shutil.rmtree, self.dir, True)
        self.plant = self.cluster.url("qa")
        self.duts = {}
        for name, assembly in {"elite": dut(il=0.10), "high_mean": dut(il=0.45),
                               "one_bad": dut(il=one_fibre(1.2, 7, 0.10)),
                               "broken": dut(il=0.10, map=[12, 11, 10, 9, 8, 7, 0, 5, 4, 3, 2, 1])}.items():
            path = os.path.join(self.dir, f"{name}.json")
            with open(path, "w") as f:
                json.dump(assembly, f)
            self.duts[name] = path

    def run_ok(self, *args, expect=0, pgtz=None):
        result = mpobench(*args, pgtz=pgtz)
        self.assertEqual(result.returncode, expect, f"{args}\n{result.stdout}\n{result.stderr}")
        return result

    def tested(self, db, serial, assembly):
        result = mpobench("demo", "--dut", self.duts[assembly], "--serial", serial, "--part", PART,
                          "--db", db, "--time-scale", TIME_SCALE)
        self.assertIn(result.returncode, (0, 1), result.stderr)

    def random_station(self, db, seed, prefix, count):
        result = mpobench("demo", "--random", str(seed), "--count", str(count), "--serial", prefix,
                          "--db", db, "--time-scale", TIME_SCALE)
        self.assertIn(result.returncode, (0, 1), result.stderr)

    def sync(self, db):
        self.run_ok("sync", "--db", db, "--to", self.cluster.url("station"))

    def qa(self, command, db, *args, tz=ZONE):
        result = mpobench(command, "--db", db, *args, "--json", tz=tz)
        self.assertEqual(result.returncode, 0, f"{command} {args}\n{result.stderr}")
        return json.loads(result.stdout)

    BUCKETS = ("qa_day_yield", "qa_day_causes", "qa_day_failures", "qa_day_il", "qa_day_rl")

    def assert_buckets_are_recounts(self):
        """The day buckets mpobench_forward kept, in the plant's zone (ZONE),
        equal the buckets counted again from the runs by plant init's
        fill_qa_buckets (in a transaction rolled back); IL sums to 1e-9 dB
        (added in another order)."""
        self.assertEqual(self.cluster.psql("SELECT time_zone, filled FROM mpobench.plant_settings",
                                           user="qa").stdout.strip(), f"{ZONE}|t")
        def rows(table):
            if table == "qa_day_il":
                return ("SELECT whole_day, day, part, station_uuid, operator, wavelength_nm, bin, readings, "
                        "round(sum_db::numeric, 9) AS sum_db, round(sum_squares_db::numeric, 9) AS sum_squares_db, "
                        "min_db, max_db FROM ")
            return "SELECT * FROM "
        sql = ["BEGIN"] + [f"CREATE TEMP TABLE kept_{t} AS {rows(t)}mpobench.{t}" for t in self.BUCKETS]
        sql.append("SELECT mpobench.fill_qa_buckets()")
        for t in self.BUCKETS:
            sql.append(f"SELECT '{t}', (SELECT count(*) FROM kept_{t}), count(*) FROM "
                       f"((TABLE kept_{t} EXCEPT ALL {rows(t)}mpobench.{t}) UNION ALL "
                       f"({rows(t)}mpobench.{t} EXCEPT ALL TABLE kept_{t})) AS d")
        sql.append("ROLLBACK")
        lines = [line.split("|") for line in self.cluster.psql("; ".join(sql)).stdout.splitlines()
                 if line.startswith("qa_day")]
        self.assertEqual(len(lines), len(self.BUCKETS))
        for table, kept, differing in lines:
            self.assertEqual(differing, "0", f"{table}: {differing} of {kept} rows differ")
        self.assertNotEqual(lines[0][1], "0", "no yield buckets")
        return {table: int(kept) for table, kept, _ in lines}

    def station_uuid(self, db):
        with sqlite3.connect(db) as c:
            return c.execute("SELECT uuid FROM station_identity").fetchone()[0]

    def stations(self):
        """Station A and B: the same station name, distinct serials; crafted
        fails (IL, continuity, one fibre) and a retest beside random assemblies."""
        a, b = os.path.join(self.dir, "a.db"), os.path.join(self.dir, "b.db")
        for serial, assembly in (("A-1", "elite"), ("A-2", "high_mean"), ("A-2", "elite"),
                                 ("A-3", "broken")):
            self.tested(a, serial, assembly)
        self.random_station(a, 21, "AR-", 3)
        for serial, assembly in (("B-1", "one_bad"), ("B-2", "elite"), ("B-1", "one_bad"),
                                 ("B-3", "high_mean")):
            self.tested(b, serial, assembly)
        self.random_station(b, 22, "BR-", 3)
        return a, b

    def test_the_plant_adds_up_two_stations_of_one_name(self):
        a, b = self.stations()
        self.sync(a)
        self.sync(b)
        kept = self.assert_buckets_are_recounts()
        for table in self.BUCKETS:
            self.assertGreater(kept[table], 0, table)
        names = self.cluster.psql("SELECT DISTINCT name FROM mpobench.stations", user="qa").stdout.split()
        self.assertEqual(len(names), 1, "both stations carry the simulator's station name")
        (name,) = names
        uuid_a, uuid_b = self.station_uuid(a), self.station_uuid(b)

        yields = {db: self.qa("yield", db) for db in (a, self.plant, b)}
        plant_total = yields[self.plant]["total"]
        for key in COUNTS:
            self.assertEqual(plant_total[key], yields[a]["total"][key] + yields[b]["total"][key], key)
        for grade in ("elite", "standard", "generic", "fail"):
            self.assertEqual(plant_total["grades"][grade],
                             yields[a]["total"]["grades"][grade] + yields[b]["total"]["grades"][grade])
        self.assertEqual(plant_total["completed"], 14)
        # Each station alone, from the plant, is the station's own QA.
        for db, uuid in ((a, uuid_a), (b, uuid_b)):
            for command, args in (("yield", ()), ("yield", ("--by", "week")), ("pareto", ())):
                self.assertEqual(without_scope(self.qa(command, self.plant, "--station", uuid, *args)),
                                 without_scope(self.qa(command, db, *args)), (command, args, db))
            for args in ((), ("--by", "week")):
                trend = without_scope(self.qa("trend", self.plant, "--station", uuid, *args))
                self.assertEqual([s["wavelength_nm"] for s in trend["series"]], [1310, 1550])
                assert_close(self, trend, without_scope(self.qa("trend", db, *args)), f"trend {args}")
        # --by shift in the site's zone (not ZONE): the runs fall just after
        # local midnight, in the night shift begun the day before; from the
        # plant, each station's shifts are the station's own.
        site_zone = zone_just_after_midnight()
        site = shift_site(os.path.join(self.dir, "site.toml"), site_zone, SHIFTS)
        for db, uuid in ((a, uuid_a), (b, uuid_b)):
            for command in ("yield", "pareto"):
                self.assertEqual(
                    without_scope(self.qa(command, self.plant, "--station", uuid, "--by", "shift", "--site", site)),
                    without_scope(self.qa(command, db, "--by", "shift", "--site", site)), (command, db))
        night = f"{datetime.datetime.now(zoneinfo.ZoneInfo(site_zone)).date() - datetime.timedelta(days=1)} night"
        by_shift = self.qa("yield", self.plant, "--by", "shift", "--site", site)
        self.assertEqual([row["group"] for row in by_shift["rows"]], [night])
        self.assertEqual(by_shift["total"], yields[self.plant]["total"])
        pareto_by_shift = self.qa("pareto", self.plant, "--by", "shift", "--site", site)
        self.assertEqual([shift["shift"] for shift in pareto_by_shift["shifts"]], [night])
        self.assertEqual(pareto_by_shift["shifts"][0]["by_cause"], self.qa("pareto", self.plant)["by_cause"])
        # --from/--to: shifts by the day they began.
        day = night[:10]
        self.assertEqual(without_scope(self.qa("yield", self.plant, "--by", "shift", "--site", site,
                                               "--from", day, "--to", day)), without_scope(by_shift))
        after = (datetime.date.fromisoformat(day) + datetime.timedelta(days=1)).isoformat()
        self.assertEqual(self.qa("yield", self.plant, "--by", "shift", "--site", site, "--from", after)["rows"], [])
        self.assertEqual(self.qa("pareto", self.plant, "--by", "shift", "--site", site, "--to",
                                 (datetime.date.fromisoformat(day) - datetime.timedelta(days=1)).isoformat())["shifts"], [])
        # Text and CSV read the same buckets.
        for command, form in (("yield", ()), ("pareto", ("--csv",))):
            self.assertEqual(
                self.run_ok(command, "--db", self.plant, "--station", uuid_a, "--by", "shift", "--site", site,
                            *form).stdout.splitlines()[1:],
                self.run_ok(command, "--db", a, "--by", "shift", "--site", site, *form).stdout.splitlines()[1:])
        # The days are ZONE's, not the server's (UTC).
        utc_day = datetime.datetime.now(datetime.timezone.utc).date().isoformat()
        self.assertNotIn(utc_day, {row["group"] for row in yields[self.plant]["rows"]})
        # --station NAME: both (they share it); --by station: one row each.
        self.assertEqual(without_scope(self.qa("yield", self.plant, "--station", name)),
                         without_scope(yields[self.plant]))
        by_station = self.qa("yield", self.plant, "--by", "station")
        rows = {row["group"]: row for row in by_station["rows"]}
        self.assertEqual(set(rows), {f"{name} ({uuid_a[:8]})", f"{name} ({uuid_b[:8]})"})
        for db, uuid in ((a, uuid_a), (b, uuid_b)):
            row = dict(rows[f"{name} ({uuid[:8]})"], group="all")
            self.assertEqual(row, yields[db]["total"])
        # The Pareto of the plant: each table the stations' counts added up.
        paretos = {db: self.qa("pareto", db) for db in (a, self.plant, b)}
        for key in ("completed_runs", "failed_runs"):
            self.assertEqual(paretos[self.plant][key], paretos[a][key] + paretos[b][key])
        for table in ("by_cause", "by_position", "by_wavelength"):
            summed = {}
            for db in (a, b):
                for row in paretos[db][table]:
                    summed[row["item"]] = summed.get(row["item"], 0) + row["count"]
            self.assertEqual({row["item"]: row["count"] for row in paretos[self.plant][table]}, summed, table)
        causes = {row["item"]: row["count"] for row in paretos[self.plant]["by_cause"]}
        self.assertGreaterEqual(causes.get("il", 0), 3)  # A-2, B-1 twice, B-3
        self.assertGreaterEqual(causes.get("continuity", 0), 1)
        # The text and CSV forms read the same buckets.
        text = self.run_ok("yield", "--db", self.plant, "--by", "station").stdout
        self.assertIn(f"{name} ({uuid_a[:8]})", text)
        self.assertEqual(self.run_ok("pareto", "--db", self.plant, "--csv", "--station", uuid_a).stdout,
                         self.run_ok("pareto", "--db", a, "--csv").stdout)
        self.assertEqual(self.run_ok("yield", "--db", self.plant, "--station", uuid_b).stdout.splitlines()[1:],
                         self.run_ok("yield", "--db", b).stdout.splitlines()[1:])
        self.assertIn("IL trend of production tests", self.run_ok("trend", "--db", self.plant).stdout)

    def test_a_late_retest_from_another_station_moves_first_pass_and_final(self):
        a, b = os.path.join(self.dir, "a.db"), os.path.join(self.dir, "b.db")
        # LATE-1 fails at station B first, then passes its retest at station A.
        self.tested(b, "LATE-1", "one_bad")
        self.tested(a, "LATE-1", "elite")
        self.tested(a, "SOLO-1", "elite")
        self.sync(a)
        # Before B's older run arrives, the plant knows two first passes.
        total = self.qa("yield", self.plant)["total"]
        self.assertEqual((total["first_tested"], total["first_passed"]), (2, 2))
        self.assertEqual((total["final_tested"], total["final_passed"]), (2, 2))
        self.sync(b)  # the older run, forwarded after the newer one
        total = self.qa("yield", self.plant)["total"]
        self.assertEqual((total["completed"], total["passed"], total["retests"]), (3, 2, 1))
        self.assertEqual((total["first_tested"], total["first_passed"]), (2, 1))
        self.assertEqual((total["final_tested"], total["final_passed"]), (2, 2))
        # The plant's serial rollup: first B's failing run, final A's pass.
        row = self.cluster.psql(
            "SELECT f.station_uuid, s.first_pass, l.station_uuid, s.final_pass FROM mpobench.serials s "
            "JOIN mpobench.runs f ON f.id = s.first_run_id JOIN mpobench.runs l ON l.id = s.final_run_id "
            "WHERE s.serial = 'LATE-1'", user="qa").stdout.strip()
        self.assertEqual(row, f"{self.station_uuid(b)}|f|{self.station_uuid(a)}|t")
        # The day buckets moved LATE-1's first count from A's run to B's.
        sums = self.cluster.psql(
            "SELECT whole_day, sum(first_tested), sum(first_passed), sum(final_tested), sum(final_passed) "
            "FROM mpobench.qa_day_yield GROUP BY 1 ORDER BY 1", user="qa").stdout.split()
        self.assertEqual(sums, ["f|2|1|2|2", "t|2|1|2|2"])
        self.assert_buckets_are_recounts()
        # By station: B has LATE-1's first (failed) test, A its final pass.
        rows = {row["group"]: row for row in self.qa("yield", self.plant, "--by", "station")["rows"]}
        name = self.cluster.psql("SELECT DISTINCT name FROM mpobench.stations", user="qa").stdout.strip()
        at_a, at_b = rows[f"{name} ({self.station_uuid(a)[:8]})"], rows[f"{name} ({self.station_uuid(b)[:8]})"]
        self.assertEqual((at_a["first_tested"], at_a["final_tested"], at_a["final_passed"]), (1, 2, 2))
        self.assertEqual((at_b["first_tested"], at_b["first_passed"], at_b["final_tested"]), (1, 0, 0))
        # The station alone knows only its own runs: A saw LATE-1 pass first time.
        alone = self.qa("yield", a)["total"]
        self.assertEqual((alone["first_tested"], alone["first_passed"]), (2, 2))
        # A replay changes nothing.
        with sqlite3.connect(b) as c:
            c.execute("UPDATE outbox SET forwarded_at = NULL")
        self.sync(b)
        self.assertEqual(self.qa("yield", self.plant)["total"], total)
        self.assert_buckets_are_recounts()

    def test_plant_init_backfills_a_plant_made_before_the_rollups(self):
        a, b = self.stations()
        self.sync(a)
        self.sync(b)
        before = {(command, args): self.qa(command, self.plant, *args)
                  for command, args in (("yield", ("--by", "station")), ("pareto", ()), ("trend", ()))}
        # The first slice's plant: no QA columns, tables or functions.
        without_buckets = (
            "DROP TABLE mpobench.plant_settings, mpobench.qa_day_yield, mpobench.qa_day_causes, "
            "mpobench.qa_day_failures, mpobench.qa_day_il, mpobench.qa_day_rl; "
            "DROP FUNCTION mpobench.count_qa_buckets(bigint, bigint, bigint, bigint, bigint), "
            "mpobench.fill_qa_buckets(), mpobench.qa_places(timestamptz, text, uuid, text), "
            "mpobench.il_bin(double precision)")
        self.cluster.psql(
            without_buckets + "; DROP TABLE mpobench.serials, mpobench.qa_failures; "
            "DROP FUNCTION mpobench.count_qa_failures(bigint, jsonb), mpobench.recount_serial(text), "
            "mpobench.grade_rank(text); "
            "ALTER TABLE mpobench.runs DROP COLUMN operator, DROP COLUMN retries, DROP COLUMN target_grade; "
            "ALTER TABLE mpobench.measurements DROP COLUMN rl_above_db")
        self.run_ok("plant", "init", "--to", self.cluster.url(), pgtz=ZONE)
        self.run_ok("plant", "init", "--to", self.cluster.url())  # again: nothing changes
        self.assert_buckets_are_recounts()

        def same_as_before():
            for (command, args), document in before.items():
                if command == "trend":  # sums in the order the server reads the rows
                    assert_close(self, self.qa(command, self.plant, *args), document, command)
                else:
                    self.assertEqual(self.qa(command, self.plant, *args), document, command)
        same_as_before()
        # A plant of the QA rollups' slice (no buckets), initialised again
        # in the server's zone (UTC), not ZONE: QA from ZONE reads the runs.
        self.cluster.psql(without_buckets)
        self.run_ok("plant", "init", "--to", self.cluster.url())
        zone = self.cluster.psql("SELECT time_zone FROM mpobench.plant_settings", user="qa").stdout.strip()
        self.assertNotEqual(zone, ZONE)
        same_as_before()

    def test_concurrent_forwards_of_one_serial_keep_its_first_and_final_run(self):
        """Three stations forward runs of the same five serials at once, in
        no time order: each serial's first and final run are the earliest and
        latest, and the yield counts them once."""
        rng = random.Random(15)
        expected = {}
        scripts = []
        for k in range(3):
            station = str(uuid.UUID(int=k + 1))
            lines = []
            for i in range(80):
                serial = f"C-{i % 5}"
                started = f"2026-11-{rng.randint(1, 28):02d}T{rng.randint(0, 23):02d}:{rng.randint(0, 59):02d}:00Z"
                passed = rng.random() < 0.6
                run = {"serial": serial, "part": PART, "kind": "production", "status": "completed",
                       "started_at": started, "ended_at": started, "grade": "elite" if passed else "fail",
                       "pass": passed, "station": "sim", "operator": "op", "retries": 0,
                       "target_grade": "elite", "measurements": [], "failures": []}
                payload = json.dumps({"payload_version": 1, "uuid": str(uuid.uuid4()), "station_uuid": station,
                                      "station_run_id": i + 1, "run": run})
                digest = hashlib.sha256(payload.encode()).hexdigest()
                lines.append(f"SELECT mpobench.mpobench_forward($${payload}$$::jsonb, '{digest}');")
                expected.setdefault(serial, []).append((started, passed))
            path = os.path.join(self.dir, f"forward-{k}.sql")
            with open(path, "w") as f:
                f.write("\n".join(lines))
            scripts.append(path)
        psql = os.path.join(self.cluster.bin, "psql")
        forwards = [subprocess.Popen([psql, "-X", "-q", "-v", "ON_ERROR_STOP=1", "-h", self.cluster.dir, "-p",
                                      str(self.cluster.port), "-U", "station", "-d", "postgres", "-f", path],
                                     stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
                    for path in scripts]
        for forward in forwards:
            _, errors = forward.communicate(timeout=120)
            self.assertEqual(forward.returncode, 0, errors)
        held = self.cluster.psql(
            "SELECT s.serial, f.started_at AT TIME ZONE 'UTC', s.first_pass, l.started_at AT TIME ZONE 'UTC', "
            "s.final_pass FROM mpobench.serials s JOIN mpobench.runs f ON f.id = s.first_run_id "
            "JOIN mpobench.runs l ON l.id = s.final_run_id ORDER BY s.serial", user="qa").stdout.splitlines()
        self.assertEqual(len(held), 5)
        for line in held:
            serial, first_at, first_pass, final_at, final_pass = line.split("|")
            runs = sorted(expected[serial])
            self.assertEqual(first_at.replace(" ", "T"), runs[0][0].rstrip("Z"))
            self.assertEqual(final_at.replace(" ", "T"), runs[-1][0].rstrip("Z"))
            # Two runs of a serial at the same minute: either may be first.
            self.assertIn(first_pass == "t", {p for at, p in runs if at == runs[0][0]})
            self.assertIn(final_pass == "t", {p for at, p in runs if at == runs[-1][0]})
        total = self.qa("yield", self.plant)["total"]
        self.assertEqual((total["completed"], total["first_tested"], total["final_tested"]), (240, 5, 5))
        passes = self.cluster.psql("SELECT count(*) FILTER (WHERE first_pass), count(*) FILTER (WHERE final_pass) "
                                   "FROM mpobench.serials", user="qa").stdout.strip()
        self.assertEqual(f"{total['first_passed']}|{total['final_passed']}", passes)
        # --by shift: each run in its shift in the site's zone, worked out
        # with zoneinfo: a half-hour offset, the end of daylight saving time
        # (1 November 02:00 local), a night shift past midnight, names with a
        # quote and a backslash.
        shifts = [("early", 5 * 60 + 45), ('late "B"', 13 * 60 + 45), ("night\\3", 21 * 60 + 45)]
        site = shift_site(os.path.join(self.dir, "site.toml"), "America/St_Johns", shifts)
        zone = zoneinfo.ZoneInfo("America/St_Johns")
        per_shift = {}
        for runs in expected.values():
            for started, passed in runs:
                local = datetime.datetime.fromisoformat(started.replace("Z", "+00:00")).astimezone(zone)
                completed, passes = per_shift.get(shift_key(local, shifts), (0, 0))
                per_shift[shift_key(local, shifts)] = (completed + 1, passes + passed)
        self.assertIn("2026-10-31 night\\3", per_shift)

        def yields(*args):
            rows = self.qa("yield", self.plant, "--by", "shift", "--site", site, *args)["rows"]
            return {row["group"]: (row["completed"], row["passed"]) for row in rows}
        self.assertEqual(yields(), per_shift)
        self.assertEqual(yields("--from", "2026-11-01", "--to", "2026-11-03"),
                         {key: counts for key, counts in per_shift.items() if "2026-11-01" <= key[:10] <= "2026-11-03"})
        paretos = self.qa("pareto", self.plant, "--by", "shift", "--site", site)["shifts"]
        self.assertEqual({shift["shift"]: shift["completed_runs"] for shift in paretos},
                         {key: completed for key, (completed, _) in per_shift.items()})
        # The forwards took turns on the day buckets they shared; no count lost.
        self.assert_buckets_are_recounts()

    def test_refusals(self):
        a = os.path.join(self.dir, "a.db")
        self.tested(a, "R-1", "elite")
        self.sync(a)
        # A password in the URL: usage error (2), like sync's.
        for command in ("yield", "pareto", "trend"):
            refused = self.run_ok(command, "--db", self.plant + "&password=secret", expect=2)
            self.assertIn("PGPASSFILE", refused.stderr)
        # --by shift without [[shift]] tables in the site file: 2, as on a station.
        no_shifts = shift_site(os.path.join(self.dir, "no-shifts.toml"), "Europe/Berlin", [])
        for command in ("yield", "pareto"):
            for db in (self.plant, a):
                refused = self.run_ok(command, "--db", db, "--by", "shift", "--site", no_shifts, expect=2)
                self.assertIn("the site file has no [[shift]] tables", refused.stderr)
        # Bad dates and groupings: as on a station.
        self.run_ok("yield", "--db", self.plant, "--from", "2026-13-01", expect=2)
        self.run_ok("trend", "--db", self.plant, "--by", "part", expect=2)
        # No such station: nothing matches, not an error.
        none = self.qa("yield", self.plant, "--station", "no-such-station")
        self.assertEqual(none["total"]["completed"], 0)
        # The QA role reads; the plant down: exit 3.
        self.cluster.stop()
        down = self.run_ok("yield", "--db", self.plant, expect=3)
        self.assertIn("unreachable", down.stderr)


if __name__ == "__main__":
    unittest_main(sys.modules[__name__])
