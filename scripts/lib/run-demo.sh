#!/usr/bin/env bash
# The demo on the simulated bench: start `mpobench sim` (real ptys and
# loopback TCP), identify every instrument through the station file it
# writes, then stop the bench.
set -euo pipefail
mpobench="$1"; shift
workdir="$(mktemp -d -t mpobench-demo-XXXXXX)"
station="$workdir/station.toml"
cleanup() {
  if [ -n "${sim_pid:-}" ] && kill -0 "$sim_pid" 2>/dev/null; then kill -TERM "$sim_pid"; wait "$sim_pid" || true; fi
  rm -rf "$workdir"
}
trap cleanup EXIT

"$mpobench" --log-level warn --log-file "$workdir/sim.log" sim --random 1 --time-scale 0.01 --station-out "$station" \
  --run-dir "$workdir/ports" "$@" &
sim_pid=$!
for _ in $(seq 200); do [ -s "$station" ] && break; kill -0 "$sim_pid" || exit 3; sleep 0.05; done
[ -s "$station" ] || { echo "the simulated bench wrote no station file" >&2; exit 3; }

echo
echo "== station file written by mpobench sim:"
cat "$station"
echo
echo "== mpobench identify --station $station"
"$mpobench" --log-file "$workdir/identify.log" identify --station "$station"
echo
kill -TERM "$sim_pid"; wait "$sim_pid"; sim_pid=
