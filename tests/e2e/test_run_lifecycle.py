"""The run's integrity end to end (issue 11): one procedure per bench (the
bench lock, which belongs to the instruments and dies with its holder),
SIGINT and SIGTERM ending a run as `aborted` within a second, the laser off
whenever no measurement needs it, and one run lifecycle whatever fails — a
storage fault mid-run is exit 3 with the run aborted, never 2 or 134.

Each case runs `mpobench sim` in one process and the commands in others,
with a lock directory of its own ($MPOBENCH_LOCK_DIR)."""

import json
import os
import re
import resource
import select
import signal
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
SM_PART = "MPO12-SM-B-E"
MM_PART = "MPO12-MM-B-E"
# The runs of one serial number (runs name their assembly by id).
OF_SERIAL = "runs.assembly_id = (SELECT id FROM assemblies WHERE serial = ?)"
BUSY = re.compile(r"station (\S+) busy: run (\d+) \((\w+), ([\w-]+)\) since (\d\d:\d\d)")


class Bench:
    """A simulated bench in its own process, a database, a lock directory."""

    def __init__(self, case, mode="SM", time_scale="0.1"):
        self.case = case
        self.tmp = tempfile.TemporaryDirectory(prefix="mpobench-lifecycle-")
        self.db = os.path.join(self.tmp.name, "runs.db")
        self.log = os.path.join(self.tmp.name, "mpobench.log")
        self.env = dict(os.environ, MPOBENCH_LOCK_DIR=os.path.join(self.tmp.name, "locks"))
        os.makedirs(self.env["MPOBENCH_LOCK_DIR"])
        self.mode = mode
        self.part = SM_PART if mode == "SM" else MM_PART
        assembly = os.path.join(self.tmp.name, "dut.json")
        with open(assembly, "w") as f:
            json.dump(dut(mode=mode), f)
        self.sim = SimProcess(MPOBENCH, "--dut", assembly, time_scale=time_scale).__enter__()
        self.station = self.sim.station_path
        case.addCleanup(self.close)

    def close(self):
        self.sim.stop()
        self.sim.__exit__(None, None, None)
        self.tmp.cleanup()

    def command(self, *args):
        return [MPOBENCH, "--log-level", "warn", "--log-file", self.log, *args]

    def run(self, *args, timeout=120, **kwargs):
        return subprocess.run(self.command(*args), capture_output=True, text=True, timeout=timeout,
                              env=self.env, **kwargs)

    def start(self, *args, **kwargs):
        return subprocess.Popen(self.command(*args), stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                text=True, env=self.env, **kwargs)

    def test_args(self, serial, station=None):
        return ("test", "--station", station or self.station, "--part", self.part, "--serial", serial,
                "--db", self.db, "--operator", "e2e", "--json")

    def reference(self):
        result = self.run("reference", "--station", self.station, "--db", self.db, "--mode", self.mode,
                          "--operator", "e2e")
        self.case.assertEqual(result.returncode, 0, result.stdout + result.stderr)

    def rows(self, sql, *params):
        with sqlite3.connect(self.db) as connection:
            return connection.execute(sql, params).fetchall()

    def wait_for_measurements(self, serial, count, process, timeout=60):
        """Until the running test of `serial` has journaled `count` measurements."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            self.case.assertIsNone(process.poll(), "the test ended before it was measuring")
            if os.path.exists(self.db):
                try:
                    found = self.rows("SELECT COUNT(*) FROM measurements JOIN runs ON runs.id = run_id "
                                      f"WHERE {OF_SERIAL}", serial)[0][0]
                except sqlite3.OperationalError:
                    found = 0  # the schema is not there yet
                if found >= count:
                    return
            time.sleep(0.02)
        self.case.fail(f"{serial}: fewer than {count} measurements within {timeout} s")

    def laser_lit(self):
        """Asks the simulated 8163B over its own port, as a second client would:
        does either source module's laser shine?"""
        host, port = self.sim.station["instruments"]["source"]["resource"].split("::")[1:3]
        with socket.create_connection((host, int(port)), timeout=10) as connection:
            reader = connection.makefile("r")
            connection.sendall(b":SOUR1:POW:STAT?\n:SOUR2:POW:STAT?\n")
            states = [reader.readline().strip(), reader.readline().strip()]
        self.case.assertTrue(all(state in ("+0", "+1") for state in states), states)
        return "+1" in states

    def console_station(self):
        """This bench's station file with a person at the console instead of
        the simulated operator (whose channel the test can still drive, as
        the person's hands)."""
        console = os.path.join(self.tmp.name, "console-station.toml")
        with open(self.station) as f:
            text = f.read()
        text, replaced = re.subn(r'kind = "simulated"\nresource = ".*"\n', 'kind = "console"\n', text)
        self.case.assertEqual(replaced, 1)
        with open(console, "w") as f:
            f.write(text)
        return console

    def hands(self, command):
        """Does a physical step through the simulated operator's channel."""
        host, port = self.sim.station["operator"]["resource"].split("::")[1:3]
        with socket.create_connection((host, int(port)), timeout=30) as connection:
            reader = connection.makefile("r")
            connection.sendall(command.encode() + b";*OPC?\n")
            self.case.assertEqual(reader.readline().strip(), "1")

    def run_row(self, serial):
        rows = self.rows(f"SELECT runs.id, status, reason, grade FROM runs WHERE {OF_SERIAL}", serial)
        self.case.assertEqual(len(rows), 1, rows)
        return rows[0]


class BenchLock(unittest.TestCase):
    def busy_bench(self, serial="SN-HOLDER", prepare=None):
        """A bench with a test of `serial` measuring on it; `prepare(bench)`
        runs before that test starts."""
        bench = Bench(self)
        bench.reference()
        if prepare:
            prepare(bench)
        holder = bench.start(*bench.test_args(serial))
        self.addCleanup(lambda: holder.poll() is None and (holder.kill(), holder.communicate()))
        bench.wait_for_measurements(serial, 2, holder)
        return bench, holder

    def check_refused(self, bench, result, station_name, holder_serial):
        self.assertEqual(result.returncode, 4, result.stdout + result.stderr)
        match = BUSY.search(result.stderr)
        self.assertIsNotNone(match, result.stderr)
        self.assertEqual(match.group(1), station_name)
        run_id = bench.run_row(holder_serial)[0]
        self.assertEqual(int(match.group(2)), run_id)
        self.assertEqual(match.group(3), "e2e")
        self.assertEqual(match.group(4), holder_serial)
        # Since when, in local time: the holder started within the last minutes.
        recent = {time.strftime("%H:%M", time.localtime(time.time() - s)) for s in range(0, 180, 30)}
        self.assertIn(match.group(5), recent)

    def test_second_test_on_a_busy_bench_is_refused_at_once(self):
        bench, holder = self.busy_bench()
        started = time.monotonic()
        second = bench.run(*bench.test_args("SN-SECOND"))
        self.assertLess(time.monotonic() - started, 2.0, "refused at once, without waiting")
        station_name = bench.sim.station["station"]["name"]
        self.check_refused(bench, second, station_name, "SN-HOLDER")
        # Refused before any instrument or the database run: no run, no JSON.
        self.assertEqual(bench.rows(f"SELECT COUNT(*) FROM runs WHERE {OF_SERIAL}", "SN-SECOND")[0][0], 0)
        self.assertEqual(second.stdout, "")
        # The holder goes on undisturbed and passes.
        out, err = holder.communicate(timeout=120)
        self.assertEqual(holder.returncode, 0, err)
        self.assertEqual(json.loads(out)["status"], "completed")
        # A reference and a repeat are refused the same way while a test runs.
        holder = bench.start(*bench.test_args("SN-HOLDER-2"))
        bench.wait_for_measurements("SN-HOLDER-2", 2, holder)
        reference = bench.run("reference", "--station", bench.station, "--db", bench.db, "--mode", "SM")
        self.assertEqual(reference.returncode, 4, reference.stderr)
        self.assertIn(f"station {station_name} busy: run", reference.stderr)
        repeat = bench.run("repeat", "--station", bench.station, "--db", bench.db, "--part", SM_PART,
                           "--serial", "SN-R", "--cycles", "2")
        self.assertEqual(repeat.returncode, 4, repeat.stderr)
        holder.communicate(timeout=120)
        self.assertEqual(holder.returncode, 0)

    def test_station_files_naming_one_instrument_contend(self):
        def other_station(bench):
            # Another station file, another name, the same instruments (the
            # meter spelled "localhost" rather than 127.0.0.1), with a
            # reference of its own.
            with open(bench.station) as f:
                text = f.read()
            text = re.sub(r'(?m)^name = ".*"$', 'name = "other-bench"', text, count=1)
            meter = bench.sim.station["instruments"]["meter"]["resource"]
            self.assertIn("127.0.0.1", meter)
            text = text.replace(meter, meter.replace("127.0.0.1", "localhost"))
            with open(other, "w") as f:
                f.write(text)
            result = bench.run("reference", "--station", other, "--db", bench.db, "--mode", "SM")
            self.assertEqual(result.returncode, 0, result.stderr)

        other_dir = tempfile.TemporaryDirectory(prefix="mpobench-other-")
        self.addCleanup(other_dir.cleanup)
        other = os.path.join(other_dir.name, "other-station.toml")
        bench, holder = self.busy_bench(prepare=other_station)
        second = bench.run(*bench.test_args("SN-OTHER", station=other))
        self.check_refused(bench, second, "other-bench", "SN-HOLDER")
        self.assertIn(bench.sim.station["station"]["name"], second.stderr, "names the holder's station")
        holder.communicate(timeout=120)
        self.assertEqual(holder.returncode, 0)

    def test_a_killed_holder_leaves_the_bench_free(self):
        bench, holder = self.busy_bench("SN-KILLED")
        holder.send_signal(signal.SIGKILL)
        holder.communicate()
        after = bench.run(*bench.test_args("SN-AFTER"))
        self.assertEqual(after.returncode, 0, after.stderr)
        self.assertEqual(bench.run_row("SN-KILLED")[1], "interrupted")

    def test_identify_on_a_busy_bench_reports_busy(self):
        bench, holder = self.busy_bench()
        identify = bench.run("identify", "--station", bench.station)
        self.assertEqual(identify.returncode, 4, identify.stdout + identify.stderr)
        self.assertIn(f"station {bench.sim.station['station']['name']} busy: run", identify.stderr)
        self.assertNotIn("Keysight", identify.stdout, "no instrument was asked")
        holder.communicate(timeout=120)
        self.assertEqual(holder.returncode, 0)
        # Free again: identify talks to the instruments.
        identify = bench.run("identify", "--station", bench.station)
        self.assertEqual(identify.returncode, 0, identify.stderr)


class Signals(unittest.TestCase):
    """At real instrument timing (time scale 1), a multimode part: a signal
    mid-sweep ends the run within a second, recorded aborted, laser off."""

    def signal_mid_sweep(self, signal_number, name):
        bench = Bench(self, mode="MM", time_scale="1")
        bench.reference()
        serial = f"SN-{name}"
        process = bench.start(*bench.test_args(serial))
        bench.wait_for_measurements(serial, 3, process)
        self.assertTrue(bench.laser_lit(), "the test measures with the laser on")
        sent = time.monotonic()
        process.send_signal(signal_number)
        out, err = process.communicate(timeout=30)
        elapsed = time.monotonic() - sent
        self.assertEqual(process.returncode, 3, err)
        self.assertLess(elapsed, 1.0, f"{name} took {elapsed:.2f} s to end the run")
        _, status, reason, grade = bench.run_row(serial)
        self.assertEqual(status, "aborted")
        self.assertEqual(reason, f"operator abort ({name})")
        self.assertIsNone(grade)
        document = json.loads(out)
        self.assertEqual(document["status"], "aborted")
        self.assertEqual(document["reason"], f"operator abort ({name})")
        self.assertFalse(bench.laser_lit(), "the laser is off after the signal")
        # Every measurement taken before the signal is in the record.
        self.assertGreaterEqual(bench.rows("SELECT COUNT(*) FROM measurements")[0][0], 3)

    def test_a_signal_at_an_operator_prompt_aborts_the_run(self):
        # A person at the console: the prompt waits for Enter, and Ctrl-C
        # there ends the run like anywhere else.
        bench = Bench(self, time_scale="0.01")
        bench.reference()
        console = bench.console_station()
        process = bench.start(*bench.test_args("SN-PROMPT", station=console), stdin=subprocess.PIPE)
        # Two Enters already in the pipe before any prompt: drained, not
        # taken as answers (the prompt below still waits).
        process.stdin.write("\n\n")
        process.stdin.flush()
        prompts = b""
        deadline = time.monotonic() + 30
        while b"press Enter" not in prompts:
            self.assertLess(time.monotonic(), deadline, prompts)
            self.assertIsNone(process.poll(), prompts)
            ready, _, _ = select.select([process.stderr], [], [], 0.1)
            if ready:
                prompts += os.read(process.stderr.fileno(), 4096)
        self.assertIn(b"Connect END A of SN-PROMPT", prompts)
        self.assertIn(b"(ignored what was typed before this prompt)\nConnect END A", prompts)
        time.sleep(0.5)
        self.assertIsNone(process.poll())
        self.assertEqual(bench.rows("SELECT COUNT(*) FROM measurements")[0][0], 0, "nothing answered the prompt")
        sent = time.monotonic()
        process.send_signal(signal.SIGINT)
        out, _ = process.communicate(timeout=30)
        elapsed = time.monotonic() - sent
        self.assertEqual(process.returncode, 3)
        self.assertLess(elapsed, 1.0, f"SIGINT at the prompt took {elapsed:.2f} s")
        _, status, reason, _ = bench.run_row("SN-PROMPT")
        self.assertEqual((status, reason), ("aborted", "operator abort (SIGINT)"))
        self.assertEqual(json.loads(out)["reason"], "operator abort (SIGINT)")
        self.assertFalse(bench.laser_lit(), "the laser is off after the signal")

    def test_sigint_mid_sweep_aborts_the_run_within_a_second(self):
        self.signal_mid_sweep(signal.SIGINT, "SIGINT")

    def test_sigterm_mid_sweep_aborts_the_run_within_a_second(self):
        self.signal_mid_sweep(signal.SIGTERM, "SIGTERM")


class ConsolePrompts(unittest.TestCase):
    """A technician at the console, driven through a pseudo-terminal the way
    tmux would: keys typed ahead never answer a prompt nobody has seen, and a
    scan at the flip prompt must be the assembly under test."""

    def read_until(self, master, process, needle, output, timeout=60):
        deadline = time.monotonic() + timeout
        while needle not in output:
            self.assertLess(time.monotonic(), deadline, f"no {needle!r} in:\n{output.decode(errors='replace')}")
            self.assertIsNone(process.poll(), output)
            ready, _, _ = select.select([master], [], [], 0.1)
            if ready:
                output += os.read(master, 4096)
        return output

    def test_typed_ahead_enter_does_not_answer_the_flip_prompt(self):
        bench = Bench(self, time_scale="0.1")
        bench.reference()
        console = bench.console_station()
        master, slave = os.openpty()
        self.addCleanup(os.close, master)
        process = subprocess.Popen(bench.command(*bench.test_args("SN-PTY", station=console)), stdin=slave,
                                   stdout=subprocess.PIPE, stderr=slave, text=True, env=bench.env)
        os.close(slave)
        self.addCleanup(lambda: process.poll() is None and process.kill())
        output = self.read_until(master, process, b"scan its serial or press Enter", b"")
        self.assertIn(b"Connect END A of SN-PTY", output)
        bench.hands(":CONNect A")
        os.write(master, b"\r")  # Enter: end A is connected
        # While end A is measured, a second Enter (and a stray scan) is typed.
        bench.wait_for_measurements("SN-PTY", 1, process)
        while select.select([master], [], [], 0)[0]:
            output += os.read(master, 4096)
        self.assertNotIn(b"Flip SN-PTY", output, "typed while end A is measured, before the flip prompt")
        os.write(master, b"\rSN-PTY\r")
        output = self.read_until(master, process, b"Flip SN-PTY", output)
        self.assertIn(b"(ignored what was typed before this prompt)\r\nFlip SN-PTY", output)
        output = self.read_until(master, process, b"or press Enter", output[output.index(b"Flip SN-PTY"):])
        # The flip prompt waits: nothing typed before it answered it.
        time.sleep(1.5)
        self.assertIsNone(process.poll())
        run_id = bench.run_row("SN-PTY")[0]
        counts = dict(bench.rows("SELECT launched_end, COUNT(*) FROM measurements WHERE run_id = ? "
                                 "GROUP BY launched_end", run_id))
        self.assertEqual(counts, {"A": 24}, "end B must not be measured before the flip is confirmed")
        # The technician flips it, scans the wrong assembly, then the right one.
        bench.hands(":CONNect B")
        os.write(master, b"SN-OTHER\r")
        output = self.read_until(master, process, b"'SN-OTHER' does not match SN-PTY", output)
        self.assertIsNone(process.poll())
        os.write(master, b"SN-PTY\r")
        out, _ = process.communicate(timeout=60)
        self.assertEqual(process.returncode, 0, out)
        document = json.loads(out)
        self.assertEqual((document["status"], document["grade"]), ("completed", "elite"))
        self.assertEqual(len(document["measurements"]), 48)

    def test_a_retest_after_an_abort_asks_its_reason_on_the_terminal(self):
        # Aborting at the flip prompt after end A was measured is an attempt:
        # the next test of the serial asks why it is tested again.
        bench = Bench(self, time_scale="0.01")
        bench.reference()
        console = bench.console_station()
        site = os.path.join(bench.tmp.name, "site.toml")
        with open(site, "w") as f:
            f.write('[company]\nname = "X"\naddress = ["a"]\n[production]\n'
                    'retest_reasons = ["re-cleaned", "re-inspected"]\n')

        def start():
            master, slave = os.openpty()
            self.addCleanup(os.close, master)
            process = subprocess.Popen(bench.command(*bench.test_args("SN-ASK", station=console), "--site", site),
                                       stdin=slave, stdout=subprocess.PIPE, stderr=slave, text=True, env=bench.env)
            os.close(slave)
            self.addCleanup(lambda: process.poll() is None and process.kill())
            return master, process

        master, process = start()
        self.read_until(master, process, b"scan its serial or press Enter", b"")
        bench.hands(":CONNect A")
        os.write(master, b"\r")
        self.read_until(master, process, b"Flip SN-ASK", b"")
        os.write(master, b"abort\r")
        process.communicate(timeout=60)
        self.assertEqual(process.returncode, 3)

        master, process = start()
        output = self.read_until(master, process, b"Why is it tested again? (re-cleaned, re-inspected)", b"")
        self.assertIn(b"SN-ASK failed its last test", output)
        os.write(master, b"wiped it\r")
        output = self.read_until(master, process, b"'wiped it' is not one of re-cleaned, re-inspected", output)
        os.write(master, b"Re-Cleaned\r")
        self.read_until(master, process, b"scan its serial or press Enter", b"")
        bench.hands(":CONNect A")
        os.write(master, b"\r")
        self.read_until(master, process, b"Flip SN-ASK", b"")
        bench.hands(":CONNect B")
        os.write(master, b"\r")
        out, _ = process.communicate(timeout=60)
        self.assertEqual(process.returncode, 0, out)
        self.assertEqual(bench.rows("SELECT status, retest_reason FROM runs ORDER BY id"),
                         [("aborted", None), ("completed", "re-cleaned")])


class Laser(unittest.TestCase):
    def test_laser_off_after_every_procedure_and_abort(self):
        bench = Bench(self, time_scale="0.01")
        self.assertFalse(bench.laser_lit(), "dark before anything")
        bench.reference()
        self.assertFalse(bench.laser_lit(), "off after the reference")
        # The simulated meters see no light with the laser off: a test that
        # grades Elite turned it on to measure.
        result = bench.run(*bench.test_args("SN-LIGHT"))
        self.assertEqual(result.returncode, 0, result.stderr)
        self.assertEqual(json.loads(result.stdout)["grade"], "elite")
        self.assertFalse(bench.laser_lit(), "off after the test")
        # An instrument fault mid-sweep: aborted, and the laser off.
        host, port = bench.sim.station["operator"]["resource"].split("::")[1:3]
        with socket.create_connection((host, int(port)), timeout=10) as control:
            reader = control.makefile("r")
            control.sendall(b':SIMulation:FAULts "meter:error=-222@7/:FETC:POW:ALL?";'
                            b':SIMulation:FAULts?\n')
            reader.readline()
            result = bench.run(*bench.test_args("SN-FAULT"))
            control.sendall(b':SIMulation:FAULts "";:SIMulation:FAULts?\n')
            reader.readline()
        self.assertEqual(result.returncode, 3, result.stderr)
        self.assertEqual(bench.run_row("SN-FAULT")[1], "aborted")
        self.assertFalse(bench.laser_lit(), "off after the abort")


class Lifecycle(unittest.TestCase):
    def test_station_out_in_a_missing_directory_is_a_usage_error(self):
        with tempfile.TemporaryDirectory(prefix="mpobench-lifecycle-") as tmp:
            assembly = os.path.join(tmp, "dut.json")
            with open(assembly, "w") as f:
                json.dump(dut(), f)
            result = subprocess.run([MPOBENCH, "--log-file", os.path.join(tmp, "sim.log"), "sim", "--dut",
                                     assembly, "--station-out", "/no/such/dir/x.toml", "--run-dir",
                                     os.path.join(tmp, "run")],
                                    capture_output=True, text=True, timeout=60)
            self.assertEqual(result.returncode, 2, result.stderr)
            self.assertIn("/no/such/dir/x.toml", result.stderr)

    def test_a_database_that_cannot_be_opened_is_bad_input(self):
        bench = Bench(self, time_scale="0.01")
        result = bench.run("test", "--station", bench.station, "--part", SM_PART, "--serial", "SN-X",
                           "--db", "/no/such/dir/runs.db")
        self.assertEqual(result.returncode, 2, result.stderr)
        self.assertIn("/no/such/dir/runs.db", result.stderr)

    def test_disk_full_mid_run_aborts_the_run(self):
        # Slow enough to be caught mid-sweep. Once the test journals, a file
        # size limit (RLIMIT_FSIZE, SIGXFSZ ignored so that a write fails
        # rather than killing the process) is set on it: the database's
        # write-ahead log soon cannot grow, as on a full disk. The database
        # file keeps room for the pages the run added, so the checkpoint
        # that lets the log restart in its own space can store the abort.
        bench = Bench(self, time_scale="0.1")
        bench.reference()

        def ignore_sigxfsz():
            signal.signal(signal.SIGXFSZ, signal.SIG_IGN)

        process = bench.start(*bench.test_args("SN-FULL"), preexec_fn=ignore_sigxfsz)
        bench.wait_for_measurements("SN-FULL", 3, process)
        limit = max(os.path.getsize(bench.db) + 64 * 1024, os.path.getsize(bench.db + "-wal"))
        resource.prlimit(process.pid, resource.RLIMIT_FSIZE, (limit, limit))
        out, err = process.communicate(timeout=120)
        self.assertEqual(process.returncode, 3, err)
        self.assertRegex(err + out, r"disk|full|I/O", "the database's message")
        document = json.loads(out)
        self.assertEqual(document["status"], "aborted")
        self.assertIn("storage fault", document["reason"])
        self.assertNotIn("grade", {k for k, v in document.items() if v})
        _, status, reason, grade = bench.run_row("SN-FULL")
        self.assertEqual(status, "aborted", err)
        self.assertIn("storage fault", reason)
        self.assertIsNone(grade)
        # Stopped at the measurement after the failed write, not at the end of the sweep.
        journaled = bench.rows(f"SELECT COUNT(*) FROM measurements JOIN runs ON runs.id = run_id "
                               f"WHERE {OF_SERIAL}", "SN-FULL")[0][0]
        self.assertLess(len(document["measurements"]), 2 * 2 * 12)
        self.assertLessEqual(journaled, len(document["measurements"]))
        self.assertFalse(bench.laser_lit(), "off after the storage fault")
        # With room again the bench and the database work on.
        after = bench.run(*bench.test_args("SN-ROOM"))
        self.assertEqual(after.returncode, 0, after.stderr)


if __name__ == "__main__":
    unittest_main(sys.modules[__name__])
