"""Installable (issue 12, item 10): `cmake --install` into a temporary
prefix, the prefix moved elsewhere, and the installed `mpobench demo` run
from an unrelated directory — the default part catalogue, site file and logo
found relative to the binary, the source tree not consulted; `--version`
names the project version and the commit; a binary without its data
directory refuses the defaults and says where it looked."""

import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "clients"))
from simbench import unittest_main  # noqa: E402

MPOBENCH = None
SOURCE = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
BUILD_DIR = os.environ.get("MPOBENCH_BUILD_DIR")
CMAKE = os.environ.get("MPOBENCH_CMAKE", "cmake")
CPACK = os.environ.get("MPOBENCH_CPACK", "cpack")
DUT = "fixtures/data/elite_sm_12f_b.json"


def project_version():
    with open(os.path.join(SOURCE, "CMakeLists.txt")) as f:
        return re.search(r"project\(mpobench VERSION ([0-9.]+)", f.read()).group(1)


def clean_environment():
    """No variable that would point the binary at a site file, database or log."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("MPOBENCH_")}
    return env


class Install(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        if not BUILD_DIR:
            raise RuntimeError("MPOBENCH_BUILD_DIR (the build tree to install) is not set")
        cls.tmp = tempfile.TemporaryDirectory(prefix="mpobench-install-e2e-")
        installed = os.path.join(cls.tmp.name, "prefix")
        result = subprocess.run([CMAKE, "--install", BUILD_DIR, "--prefix", installed],
                                capture_output=True, text=True, timeout=120)
        if result.returncode != 0:
            raise RuntimeError(f"cmake --install failed:\n{result.stdout}\n{result.stderr}")
        # Moved after installing: nothing may depend on where it was installed.
        cls.prefix = os.path.join(cls.tmp.name, "line-pc", "opt")
        os.makedirs(os.path.dirname(cls.prefix))
        os.rename(installed, cls.prefix)
        cls.binary = os.path.join(cls.prefix, "bin", "mpobench")
        cls.work = os.path.join(cls.tmp.name, "work")
        os.makedirs(cls.work)

    @classmethod
    def tearDownClass(cls):
        cls.tmp.cleanup()

    def run_installed(self, *args, binary=None, timeout=120):
        return subprocess.run([binary or self.binary, "--log-level", "warn", *args], cwd=self.work,
                              env=clean_environment(), capture_output=True, text=True, timeout=timeout)

    def test_the_prefix_holds_the_binary_and_its_data(self):
        share = os.path.join(self.prefix, "share", "mpobench")
        for path in ("bin/mpobench", "share/mpobench/site.toml", "share/mpobench/fixtures/parts.toml",
                     "share/mpobench/fixtures/site/logo.png", f"share/mpobench/{DUT}",
                     "share/mpobench/fixtures/stations/real-bench-example.toml",
                     "lib/systemd/system/mpobench-serve@.service", "bin/mpobench-kiosk",
                     "share/mpobench/kiosk/mpobench-kiosk.desktop"):
            self.assertTrue(os.path.isfile(os.path.join(self.prefix, path)), path)
        self.assertTrue(os.access(self.binary, os.X_OK))
        self.assertTrue(os.access(os.path.join(self.prefix, "bin", "mpobench-kiosk"), os.X_OK))
        # The service runs the installed binary's serve on loopback.
        with open(os.path.join(self.prefix, "lib/systemd/system/mpobench-serve@.service")) as f:
            unit = f.read()
        self.assertIn("ExecStart=/usr/bin/mpobench serve --station /etc/mpobench/%i.toml", unit)
        self.assertIn("--listen 127.0.0.1:8080", unit)
        # The installed data are the sources' own files.
        for path in ("site.toml", "fixtures/parts.toml", DUT):
            with open(os.path.join(SOURCE, path), "rb") as a, open(os.path.join(share, path), "rb") as b:
                self.assertEqual(a.read(), b.read(), path)

    def test_installed_demo_runs_in_another_directory(self):
        share = os.path.join(self.prefix, "share", "mpobench")
        result = self.run_installed("demo", "--dut", os.path.join(share, DUT), "--count", "1",
                                    "--serial", "SN-INSTALLED", "--time-scale", "0.005",
                                    "--db", "line.db", "--certs", "certs", "--json")
        self.assertEqual(result.returncode, 0, result.stdout + result.stderr)
        document = json.loads(result.stdout.splitlines()[0])
        # Part picked from the installed default catalogue; graded against the compiled-in limits.
        self.assertEqual((document["serial"], document["grade"], document["pass"]), ("SN-INSTALLED", "elite", True))
        self.assertEqual(document["part"], "MPO12-SM-B-E")
        certificate = os.path.join(self.work, "certs", "SN-INSTALLED.pdf")
        self.assertEqual(os.path.realpath(document["certificate"] if os.path.isabs(document["certificate"])
                                          else os.path.join(self.work, document["certificate"])),
                         os.path.realpath(certificate))
        text = subprocess.run(["pdftotext", certificate, "-"], check=True, capture_output=True, text=True).stdout
        # The company of the installed (sample) site file, its logo readable.
        self.assertIn("Example Optical Assemblies Ltd.", text)
        self.assertIn("SN-INSTALLED", text)

    def test_the_default_catalogue_is_the_installed_one(self):
        result = self.run_installed("demo", "--part", "NO-SUCH-PART", "--count", "1", "--db", "refused.db")
        self.assertEqual(result.returncode, 2, result.stdout + result.stderr)
        catalogue = os.path.join(self.prefix, "share", "mpobench", "fixtures", "parts.toml")
        self.assertIn(f"part 'NO-SUCH-PART' is not in {catalogue}", result.stderr)
        self.assertNotIn(SOURCE, result.stderr)

    def test_version_names_the_version_and_the_commit(self):
        result = self.run_installed("--version")
        self.assertEqual(result.returncode, 0, result.stderr)
        match = re.fullmatch(r"mpobench (\S+) \(commit (\S+)\)\n", result.stdout)
        self.assertIsNotNone(match, result.stdout)
        self.assertEqual(match.group(1), project_version())
        commit = match.group(2)
        if commit != "unknown":
            # `git describe --always --dirty`: a tag-g<hash> or a bare hash, maybe -dirty.
            hash_match = re.fullmatch(r"(?:.+-g)?([0-9a-f]{7,40})(?:-dirty)?", commit)
            self.assertIsNotNone(hash_match, commit)
            known = subprocess.run(["git", "-C", SOURCE, "cat-file", "-e", hash_match.group(1) + "^{commit}"],
                                   capture_output=True)
            self.assertEqual(known.returncode, 0, f"{commit} is not a commit of {SOURCE}")
        else:
            inside = subprocess.run(["git", "-C", SOURCE, "rev-parse", "--show-toplevel"], capture_output=True,
                                    text=True)
            self.assertTrue(inside.returncode != 0 or os.path.realpath(inside.stdout.strip())
                            != os.path.realpath(SOURCE), "a git checkout reported commit unknown")

    def test_a_binary_without_its_data_refuses_the_defaults(self):
        lonely = os.path.join(self.tmp.name, "lonely", "bin")
        os.makedirs(lonely)
        binary = shutil.copy(self.binary, lonely)
        result = self.run_installed("demo", "--count", "1", "--db", "lonely.db", binary=binary)
        self.assertEqual(result.returncode, 2, result.stdout + result.stderr)
        self.assertIn("no default part catalogue", result.stderr)
        self.assertIn(os.path.join(self.tmp.name, "lonely", "share", "mpobench"), result.stderr)
        result = self.run_installed("cert", "ANY", "--db", "lonely.db", binary=binary)
        self.assertEqual(result.returncode, 2, result.stdout + result.stderr)
        self.assertIn("no site file", result.stderr)
        # Given its files explicitly it needs no data directory.
        share = os.path.join(self.prefix, "share", "mpobench")
        result = self.run_installed("demo", "--dut", os.path.join(share, DUT), "--parts",
                                    os.path.join(share, "fixtures", "parts.toml"), "--site",
                                    os.path.join(share, "site.toml"), "--certs", "lonely-certs",
                                    "--serial", "SN-LONELY", "--time-scale", "0.005", "--db", "lonely.db",
                                    binary=binary)
        self.assertEqual(result.returncode, 0, result.stdout + result.stderr)
        self.assertTrue(os.path.isfile(os.path.join(self.work, "lonely-certs", "SN-LONELY.pdf")))

    def test_cpack_makes_a_debian_package(self):
        out = os.path.join(self.tmp.name, "deb")
        result = subprocess.run([CPACK, "-G", "DEB", "--config",
                                 os.path.join(BUILD_DIR, "CPackConfig.cmake"), "-B", out],
                                capture_output=True, text=True, timeout=240)
        self.assertEqual(result.returncode, 0, result.stdout + result.stderr)
        (deb,) = [f for f in os.listdir(out) if f.endswith(".deb")]
        self.assertEqual(deb, f"mpobench_{project_version()}_amd64.deb")
        deb = os.path.join(out, deb)
        fields = subprocess.run(["dpkg-deb", "-f", deb, "Package", "Version", "Depends"], check=True,
                                capture_output=True, text=True).stdout
        self.assertIn("Package: mpobench", fields)
        self.assertIn(f"Version: {project_version()}", fields)
        # Shared libraries found by dpkg-shlibdeps, and the certificate's fonts.
        for dependency in ("libserialport0", "libsqlite3-0", "libcairo2", "libqrencode4", "libdate-tz3",
                           "fonts-dejavu-core", "tzdata"):
            self.assertIn(dependency, fields)
        files = subprocess.run(["dpkg-deb", "-c", deb], check=True, capture_output=True, text=True).stdout
        for path in ("./usr/bin/mpobench", "./usr/share/mpobench/site.toml", "./usr/share/mpobench/fixtures/parts.toml",
                     "./usr/share/mpobench/fixtures/site/logo.png", f"./usr/share/mpobench/{DUT}"):
            self.assertIn(path, files)


if __name__ == "__main__":
    unittest_main(sys.modules[__name__])
