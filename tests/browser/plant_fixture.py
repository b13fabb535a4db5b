"""A plant for the browser tests (plant.test.mjs): a
throw-away PostgreSQL cluster (tests/e2e/test_plant.py's), the plant schema,
plant users with one password, and two demo stations' runs forwarded with
`mpobench sync`. Prints {"url": QA URL} as one JSON line, then keeps the
cluster until its standard input closes, and removes it.

usage: plant_fixture.py MPOBENCH PASSWORD USER:ROLE..."""

import json
import os
import shutil
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "e2e"))
import test_plant  # noqa: E402


def run(*args):
    result = subprocess.run([test_plant.MPOBENCH, "--log-level", "warn", *args], capture_output=True,
                            text=True, timeout=300)
    if result.returncode not in (0, 1):
        raise RuntimeError(f"mpobench {' '.join(args)}: exit {result.returncode}\n{result.stderr}")
    return result


def main():
    test_plant.MPOBENCH, password, users = sys.argv[1], sys.argv[2], sys.argv[3:]
    cluster = test_plant.Cluster()
    work = tempfile.mkdtemp(prefix="mpobench-plant-fixture-")
    try:
        run("plant", "init", "--to", cluster.url())
        cluster.psql("CREATE ROLE station LOGIN IN ROLE mpobench_station; "
                     "CREATE ROLE qa LOGIN IN ROLE mpobench_qa")
        password_file = os.path.join(work, "password")
        with open(password_file, "w") as f:
            f.write(password + "\n")
        for user in users:
            name, role = user.split(":")
            run("user", "add", name, "--role", role, "--password-file", password_file, "--db", cluster.url())
        for name, seed, prefix, count in (("a", 41, "PA-", 4), ("b", 42, "PB-", 3)):
            db = os.path.join(work, f"{name}.db")
            run("demo", "--random", str(seed), "--count", str(count), "--serial", prefix, "--db", db,
                "--time-scale", test_plant.TIME_SCALE)
            run("sync", "--db", db, "--to", cluster.url("station"))
        print(json.dumps({"url": cluster.url("qa")}), flush=True)
        sys.stdin.read()
    finally:
        cluster.remove()
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
