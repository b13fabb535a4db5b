#!/bin/sh
# `mpobench test`, the command from process start to exit, on the simulated
# bench at real instrument timing (time scale 1): the default limit set
# (sequential RL decisions) and the same set without [return_loss] (one
# fixed RL window per reading, how every test ran before), side by side.
# Usage: bench/test_command_time.sh DUT_FILE PART [RUNS]
#   bench/test_command_time.sh fixtures/data/elite_sm_12f_b.json MPO12-SM-B-E 3
set -eu
dut=$1
part=$2
runs=${3:-1}
mpobench=${MPOBENCH:-build/app/mpobench}
work=$(mktemp -d /tmp/mpobench-command-time-XXXXXX)
trap 'kill $sim 2>/dev/null || true; rm -rf "$work"' EXIT INT TERM

"$mpobench" --log-file "$work/sim.log" sim --dut "$dut" --time-scale 1 \
    --station-out "$work/station.toml" --run-dir "$work/run" >/dev/null 2>&1 &
sim=$!
while [ ! -s "$work/station.toml" ]; do sleep 0.1; done

mode=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["mode"])' "$dut")
fibers=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["fibers"])' "$dut")
"$mpobench" limits show --default > "$work/sequential.toml"
python3 - "$work/sequential.toml" "$work/fixed.toml" <<'PY'
import re, sys
text = open(sys.argv[1]).read()
open(sys.argv[2], "w").write(re.sub(r"\[return_loss\][^\[]*", "", text))
PY
"$mpobench" --log-file "$work/mpobench.log" reference --station "$work/station.toml" \
    --db "$work/runs.db" --mode "$mode" --fibers "$fibers" --operator bench >/dev/null

for limits in sequential fixed; do
    i=1
    while [ "$i" -le "$runs" ]; do
        start=$(date +%s.%N)
        code=0
        "$mpobench" --log-file "$work/mpobench.log" test --station "$work/station.toml" \
            --db "$work/runs.db" --part "$part" --serial "TIME-$limits-$i" --operator bench \
            --limits "$work/$limits.toml" --json > "$work/result.json" || code=$?
        end=$(date +%s.%N)
        python3 - "$work/result.json" "$limits" "$start" "$end" "$code" <<'PY'
import json, sys
doc = json.load(open(sys.argv[1]))
wall = float(sys.argv[4]) - float(sys.argv[3])
decision = doc.get("rl_decision", {})
readings = sum(1 for m in doc["measurements"] if m["rl_db"] is not None or m["rl_above_db"] is not None)
windows = decision.get("windows", readings)
print(f"{sys.argv[2]:>10}: wall {wall:7.3f} s  exit {sys.argv[5]}  grade {doc['grade']}  "
      f"readings {len(doc['measurements'])}  RL windows {windows} of {decision.get('window_ms')} ms  "
      f"marginal {decision.get('marginal', 0)}")
PY
        i=$((i + 1))
    done
done
