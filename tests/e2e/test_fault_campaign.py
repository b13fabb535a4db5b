"""Fault campaign (issue 5): every fault kind the simulators inject, on every
instrument role, in every phase of the job — reference, the IL sweep, the RL
readings, the mating cycles — on one simulated bench that is never restarted.

Each row arms a fault spec on the running simulator (`:SIMulation:FAULts` on
its operator channel), runs the phase's `mpobench` command, and checks: exit
code 3; a reason naming the instrument, its resource, the command and the
fault; every measurement taken before the fault in the database; nothing
graded, no record hash; then clears the faults and checks that the same
command works again at once. A new fault kind is one entry in KINDS, a new
phase or role one entry in PHASES.

One fault is no fault of the run: the RL meter's overrange is an RL beyond
its range, a bound (DESIGN §8) where the same launch lit its far-end
detector, as it does here. That row (BOUNDS) checks the run completes,
graded, with the bound stored in place of an RL value. The overrange that
aborts is the power meter's: its row in the RL readings shows a far-end
detector's overrange aborts even while the RL meter reads (ONLY keeps the
meter's other faults, the IL sweep's, out of that phase).

Where a role takes no part in a phase the pair is absent from PHASES, and the
table below says why:
- the RL meter reads nothing during mating cycles (`repeat` measures IL only);
- IL and RL of a fibre come from the same launch (DESIGN §7), so the source,
  switch and meter faults of the RL readings are those of the IL sweep;
- `overrange` applies to readings only: meters, in phases where they read;
- the tap monitor is identified when the bench opens and read in no phase
  (the IL of DESIGN §2 has no monitor term), so it has no rows.

The switch sits on a pseudo-terminal: `disconnect` there is a pulled
USB-serial cable (the pty closes; a new one appears behind the same link).
The source, meter and RL meter are on TCP: `reset` is a connection
reset (RST) mid-sweep, `disconnect` an orderly close."""

import json
import os
import re
import socket
import sqlite3
import subprocess
import sys
import tempfile
import time
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "clients"))
from simbench import SimProcess, unittest_main  # noqa: E402

from duts import dut  # noqa: E402

MPOBENCH = None
PART = "MPO12-SM-B-E"
TIME_SCALE = "0.01"
# Instrument timeouts in the campaign's station file: replies at this time
# scale take milliseconds, so a lost one is known after a second, not two.
TIMEOUT_MS = 1000

# phase: (mpobench command, {role: (start of the command the fault hits, its
# occurrence counted from arming)}, measurements the run must have stored
# before the fault). Occurrences land mid-phase: the 7th launch of a sweep,
# the error-queue check after a pass (SYST:ERR? is the source's and the RL
# meter's one query with a short timeout in a reference; *OPC? after a laser
# change may take 30 s), a cycle after the first re-mate.
PHASES = {
    "reference": ("reference", {
        "meter": (":FETC:POW:ALL?", 7),
        "switch": (":ROUT1:CHAN1 ", 7),
        "source": ("SYST:ERR?", 3),
        "rl": ("SYST:ERR?", 3),
    }, 0),
    "IL": ("test", {
        "meter": (":FETC:POW:ALL?", 7),
        "switch": (":ROUT1:CHAN1 ", 7),
        "source": ("SYST:ERR?", 3),
    }, 6),
    "RL": ("test", {
        "rl": (":FETC1:CHAN1:RET?", 7),
        "meter": (":FETC:POW:ALL?", 7),
    }, 6),
    "mating cycles": ("repeat", {
        "meter": (":FETC:POW:ALL?", 30),
        "switch": (":ROUT1:CHAN1 ", 30),
        "source": ("SYST:ERR?", 6),
    }, 24),
}
# The commands whose replies are readings: only these can be out of range.
READINGS = {":FETC:POW:ALL?", ":FETC1:CHAN1:RET?"}
# (phase, role): the only kinds that phase tries on that role.
ONLY = {("RL", "meter"): {"overrange"}}
# (phase, role, kind): rows whose run completes with an RL bound.
BOUNDS = {("RL", "rl", "overrange")}
# The RL meter's range: an overrange is an RL beyond it.
RL_RANGE_DB = 75.0

# kind: (rule, words one of which the reason must contain). '+' rules last
# until cleared: the instrument keeps failing, so the driver's three retries
# of an idempotent query cannot hide the fault (a single lost reply they do
# hide, by design; tests/integration and test_bench_resilience cover that).
KINDS = {
    "timeout": ("{role}:timeout@{n}+/{command}", ("timed out",)),
    "garble": ("{role}:garble@{n}+/{command}", ("reply '\\x", "garbled", "expected")),
    "disconnect": ("{role}:disconnect@{n}/{command}", ("connection lost",)),
    "reset": ("{role}:reset@{n}/{command}", ("connection lost",)),
    "error": ("{role}:error=-222@{n}/{command}", ("-222",)),
    "overrange": ("{role}:overrange@{n}/{command}", ("overrange",)),
    # 300 s of instrument time = 3 s at this time scale, past every timeout
    # (1 s, plus the averaging window for a reading).
    "slow": ("{role}:slow=300s@{n}+/{command}", ("timed out",)),
}
SLOW_S = 3.0


def rows(phase):
    _, roles, _ = PHASES[phase]
    for role, (target, occurrence) in roles.items():
        for kind, (rule, words) in KINDS.items():
            if kind == "overrange" and target not in READINGS:
                continue
            if kind not in ONLY.get((phase, role), {kind}):
                continue
            yield role, kind, rule.format(role=role, n=occurrence, command=target), words, occurrence


def scpi_quote(text):
    return '"' + text.replace('"', '""') + '"'


class FaultCampaign(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory(prefix="mpobench-faults-")
        self.db = os.path.join(self.tmp.name, "runs.db")
        self.log = os.path.join(self.tmp.name, "mpobench.log")
        assembly = os.path.join(self.tmp.name, "dut.json")
        with open(assembly, "w") as f:
            json.dump(dut(il=0.10), f)  # RL well clear of the meter's noise: recoveries pass
        self.sim = SimProcess(MPOBENCH, "--dut", assembly, time_scale=TIME_SCALE).__enter__()
        self.station = os.path.join(self.tmp.name, "station.toml")
        with open(self.sim.station_path) as f:
            text = f.read()
        with open(self.station, "w") as f:
            f.write(re.sub(r"timeout_ms = 2000", f"timeout_ms = {TIMEOUT_MS}", text))
        resource = self.sim.station["operator"]["resource"]
        host, port = resource.split("::")[1:3]
        self.control = socket.create_connection((host, int(port)), timeout=10)
        self.control_reader = self.control.makefile("r")
        self.serials = 0

    def tearDown(self):
        self.control_reader.close()
        self.control.close()
        self.sim.stop()
        self.sim.__exit__(None, None, None)
        self.tmp.cleanup()

    def arm(self, spec):
        """Gives the simulated instruments `spec` now; "" clears."""
        self.control.sendall(f":SIMulation:FAULts {scpi_quote(spec)};:SIMulation:FAULts?\n".encode())
        self.assertEqual(self.control_reader.readline().strip(), scpi_quote(spec))

    def mpobench(self, *args):
        return subprocess.run(
            [MPOBENCH, "--log-level", "warn", "--log-file", self.log, *args, "--station", self.station, "--db",
             self.db], capture_output=True, text=True, timeout=300)

    def run_phase(self, command):
        if command == "reference":
            return self.mpobench("reference", "--mode", "SM"), None
        self.serials += 1
        serial = f"FAULT-{self.serials:03}"
        extra = ["--cycles", "3"] if command == "repeat" else []
        result = self.mpobench(command, "--part", PART, "--serial", serial, "--operator", "campaign", "--json",
                               *extra)
        document = json.loads(result.stdout) if result.stdout.strip() else None
        return result, document

    def rows_sql(self, sql, *args):
        with sqlite3.connect(self.db) as connection:
            return connection.execute(sql, args).fetchall()

    def expect_aborted(self, phase, role, words, result, document, references_before):
        command, _, measured_before = PHASES[phase]
        self.assertEqual(result.returncode, 3, result.stdout + result.stderr)
        reason = document["reason"] if document else result.stderr
        resource = re.escape(self.sim.station["instruments"][role]["resource"])
        # The instrument, its resource, the command in quotes, the fault.
        self.assertRegex(reason, rf"{role} \({resource}\): '[^']+'", reason)
        self.assertTrue(any(word in reason for word in words), f"no {words} in: {reason}")
        if command == "reference":
            # A reference is stored whole or not at all: the last good one stands.
            self.assertEqual(self.rows_sql("SELECT COUNT(*) FROM optical_references")[0][0], references_before)
            return
        run_id = document["run_id"]
        self.assertEqual(document["status"], "aborted")
        self.assertIsNone(document["grade"])
        status, grade, stored_reason = self.rows_sql("SELECT status, grade, reason FROM runs WHERE id = ?",
                                                     run_id)[0]
        self.assertEqual((status, grade, stored_reason), ("aborted", None, reason))
        self.assertEqual(self.rows_sql("SELECT COUNT(*) FROM failures WHERE run_id = ?", run_id)[0][0], 0)
        self.assertEqual(self.rows_sql("SELECT COUNT(*) FROM run_hashes WHERE run_id = ?", run_id)[0][0], 0)
        # Every measurement the run took before the fault is in the database,
        # and the fault struck mid-phase, after the ones it should follow.
        stored = self.rows_sql("SELECT COUNT(*) FROM measurements WHERE run_id = ?", run_id)[0][0]
        self.assertEqual(stored, len(document["measurements"]))
        self.assertGreaterEqual(stored, measured_before)

    def expect_bound(self, occurrence, result, document):
        """The run completed and graded; the faulted RL reading is a bound, the others values."""
        self.assertEqual(result.returncode, 0, result.stdout + result.stderr)
        self.assertEqual((document["status"], document["grade"], document["pass"]), ("completed", "elite", True))
        bounds = [i for i, m in enumerate(document["measurements"]) if m["rl_above_db"] is not None]
        # The occurrence-th RL reading since arming is the occurrence-th launch of the run.
        self.assertEqual(bounds, [occurrence - 1], document["measurements"])
        bound = document["measurements"][occurrence - 1]
        self.assertEqual((bound["rl_db"], bound["rl_above_db"], bound["status"]), (None, RL_RANGE_DB, "ok"))
        self.assertIsNotNone(bound["il_db"])  # the far end lit on that launch
        run_id = document["run_id"]
        self.assertEqual(self.rows_sql("SELECT COUNT(*) FROM measurements WHERE run_id = ? AND rl_db IS NULL "
                                       "AND rl_above_db = ?", run_id, RL_RANGE_DB)[0][0], 1)
        self.assertEqual(self.rows_sql("SELECT COUNT(*) FROM run_hashes WHERE run_id = ?", run_id)[0][0], 1)

    def expect_works(self, command, references_before):
        result, document = self.run_phase(command)
        self.assertEqual(result.returncode, 0, result.stdout + result.stderr)
        if command == "reference":
            self.assertEqual(self.rows_sql("SELECT COUNT(*) FROM optical_references")[0][0], references_before + 1)
        else:
            self.assertEqual(document["status"], "completed")

    def campaign(self, phase):
        command, _, _ = PHASES[phase]
        self.arm("")
        self.expect_works("reference", 0)
        count = 0
        for role, kind, spec, words, occurrence in rows(phase):
            with self.subTest(phase=phase, role=role, kind=kind, spec=spec):
                references = self.rows_sql("SELECT COUNT(*) FROM optical_references")[0][0]
                self.arm(spec)
                result, document = self.run_phase(command)
                self.arm("")
                if kind == "slow":
                    time.sleep(SLOW_S)  # the late reply arrives; a serial line is busy until then
                if (phase, role, kind) in BOUNDS:
                    self.expect_bound(occurrence, result, document)
                else:
                    self.expect_aborted(phase, role, words, result, document, references)
                # The same bench, nothing restarted: the next run works.
                self.expect_works(command, references)
                count += 1
        print(f"{phase}: {count} fault rows", file=sys.stderr)
        with sqlite3.connect(self.db) as connection:
            self.assertEqual(connection.execute("PRAGMA integrity_check").fetchone()[0], "ok")

    def test_reference(self):
        self.campaign("reference")

    def test_il_sweep(self):
        self.campaign("IL")

    def test_rl_readings(self):
        self.campaign("RL")

    def test_mating_cycles(self):
        self.campaign("mating cycles")


if __name__ == "__main__":
    unittest_main(sys.modules[__name__])
