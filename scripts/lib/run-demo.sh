#!/usr/bin/env bash
# The demo on the simulated bench: `mpobench demo` starts the simulators on
# real ptys and loopback TCP, references the bench, tests ten random
# assemblies into a new ./mpobench.db, writes each completed assembly's
# certificate to ./certs/ and prints a yield summary.
set -euo pipefail
mpobench="$1"; shift
if [ -e mpobench.db ]; then
  # Records are never deleted: an earlier database is kept beside the new one.
  kept="mpobench.db.$(date +%Y%m%d-%H%M%S)"
  mv mpobench.db "$kept"
  for side in -wal -shm; do [ -e "mpobench.db$side" ] && mv "mpobench.db$side" "$kept$side"; done
  echo "== kept the earlier database as $kept"
fi
echo "== mpobench demo --random 1 --count 10 --certs certs $*"
status=0
"$mpobench" demo --random 1 --count 10 --db mpobench.db --certs certs "$@" || status=$?
# 1 means an assembly was below its target: a normal result of a demo.
if [ "$status" -gt 1 ]; then exit "$status"; fi
echo
echo "== certificates: certs/DEMO-0001.pdf ...; the database is ./mpobench.db. Next:"
echo "   build/app/mpobench history DEMO-0001"
echo "   build/app/mpobench cert DEMO-0001 && build/app/mpobench verify DEMO-0001.pdf"
echo "   build/app/mpobench yield; build/app/mpobench pareto; build/app/mpobench trend"
echo "   build/app/mpobench report --out qa-report; build/app/mpobench export --format xlsx --out runs.xlsx"
echo
echo "== the QA pages in a browser: add a user, start the server, open http://127.0.0.1:8080/"
echo "   build/app/mpobench user add qa --role qa && build/app/mpobench serve --db mpobench.db"
echo "   a station screen on the simulated bench: README \"The station web server\""
