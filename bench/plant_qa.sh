#!/bin/bash
# Plant QA at scale (issue 15): a plant filled server-side with
# generate_series (not through the forwarder) — runs, their serial and
# failure rollups, measurements for one run in ten, then the day buckets
# (mpobench.fill_qa_buckets, in sets) — then `yield --by week`, `pareto`,
# `trend --by week` and `history SN` timed from the plant as the QA role,
# each command from process start to exit. docs/PERFORMANCE.md "Plant QA".
# Usage: bench/plant_qa.sh [RUNS [STATIONS [REPETITIONS]]]
#   bench/plant_qa.sh 10000000 50 3
# Starts its own PostgreSQL cluster (Debian's postgresql, initdb in a
# temporary directory, as nobody when run as root) and removes it.
set -euo pipefail
runs=${1:-1000000}
stations=${2:-50}
repetitions=${3:-3}
mpobench=$(realpath "${MPOBENCH:-build/app/mpobench}")
pg=$(ls -d /usr/lib/postgresql/*/bin | sort -t/ -k4 -n | tail -1)
work=$(mktemp -d /tmp/mpobench-plant-bench-XXXXXX)
as_user=()
if [ "$(id -u)" = 0 ]; then
    chown nobody "$work"
    as_user=(runuser -u nobody --)
fi
port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
stop() {
    if [ "${KEEP_PLANT:-}" = 1 ]; then  # to time again: stop it with pg_ctl, remove $work
        echo "plant kept: $work (port $port)"
        return
    fi
    "${as_user[@]}" "$pg/pg_ctl" -D "$work/data" -m fast -w stop >/dev/null 2>&1 || true
    rm -rf "$work"
}
trap stop EXIT INT TERM
"${as_user[@]}" "$pg/initdb" -D "$work/data" -U plantadmin --auth=trust -E UTF8 --no-sync >/dev/null
"${as_user[@]}" "$pg/pg_ctl" -D "$work/data" -l "$work/postgres.log" -w -o \
    "-p $port -k $work -c listen_addresses='' -c fsync=off -c shared_buffers=1GB -c work_mem=64MB" \
    start >/dev/null
url() { echo "postgresql:///postgres?host=$work&port=$port&user=$1"; }
psql() { "$pg/psql" -X -q -v ON_ERROR_STOP=1 -h "$work" -p "$port" -U plantadmin -d postgres "$@"; }

PGTZ=UTC "$mpobench" --log-level warn plant init --to "$(url plantadmin)" 2>/dev/null
psql -c "CREATE ROLE qa LOGIN IN ROLE mpobench_qa"

start=$(date +%s.%N)
psql -v runs="$runs" -v stations="$stations" <<'SQL'
-- 18 months from 2025-06-01, runs in time order spread over the stations,
-- each station run by three operators (shifts of 8 h UTC) on one part a day
-- (of four); every 25th serial tested twice (the retest at the next
-- station), one run in 200 aborted, about 8 % of the completed ones below
-- the target grade. Each run carries a small payload: the run facts
-- `history` reads (a station's payload also holds its record, readings and
-- limit set).
INSERT INTO mpobench.stations (uuid, name)
SELECT ('00000000-0000-4000-8000-' || lpad(to_hex(s), 12, '0'))::uuid, 'bench-' || s
FROM generate_series(1, :stations) AS s;

INSERT INTO mpobench.runs (uuid, station_uuid, station_run_id, serial, part, kind, status,
                           started_at, ended_at, grade, pass, payload, payload_hash, operator,
                           retries, target_grade)
SELECT ('10000000-0000-4000-8000-' || lpad(to_hex(i), 12, '0'))::uuid,
       ('00000000-0000-4000-8000-' || lpad(to_hex(station), 12, '0'))::uuid,
       i, 'SN' || k,
       (ARRAY['MPO12-SM-B-E', 'MPO24-SM-A-S', 'MPO12-MM-B-E', 'MPO8-SM-B-G'])
           [(k % :stations + (k::bigint * 540 / :runs)) % 4 + 1],
       'production', status, t, t + interval '4 minutes', grade, pass,
       jsonb_build_object('payload_version', 2, 'run', jsonb_build_object(
           'station', 'bench-' || station, 'operator', operator, 'retries', retries,
           'started_at', to_char(t AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'),
           'ended_at', to_char((t + interval '4 minutes') AT TIME ZONE 'UTC',
                               'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'))),
       md5(i::text) || md5((i + 1)::text), operator, retries, 'standard'
FROM generate_series(1, :runs) AS i,
     LATERAL (SELECT timestamptz '2025-06-01 05:00+00'
                     + (i::double precision / :runs) * interval '540 days' AS t,
                     abs(hashint4(i)) % 1024 AS h, i % :stations + 1 AS station,
                     CASE WHEN i % 25 = 1 THEN i - 1 ELSE i END AS k,
                     CASE WHEN i % 200 = 7 THEN 'aborted' ELSE 'completed' END AS status,
                     (i % 50 = 0)::integer AS retries) AS x,
     LATERAL (SELECT CASE WHEN status = 'aborted' THEN NULL
                          WHEN h < 940 THEN CASE WHEN h % 3 = 0 THEN 'standard' ELSE 'elite' END
                          WHEN h % 2 = 0 THEN 'generic' ELSE 'fail' END AS grade,
                     status = 'completed' AND h < 940 AS pass,
                     'op' || station || '-' || (extract(hour FROM t AT TIME ZONE 'UTC')::integer / 8)
                         AS operator) AS y;

INSERT INTO mpobench.serials (serial, first_run_id, first_pass, final_run_id, final_pass)
SELECT DISTINCT ON (serial) serial, first_value(id) OVER w, first_value(pass) OVER w,
       last_value(id) OVER w, last_value(pass) OVER w
FROM mpobench.runs WHERE kind = 'production' AND status = 'completed'
WINDOW w AS (PARTITION BY serial ORDER BY started_at, id
             ROWS BETWEEN UNBOUNDED PRECEDING AND UNBOUNDED FOLLOWING);

-- One or two failures per failed run.
INSERT INTO mpobench.qa_failures (run_id, seq, cause, launched_end, fiber, wavelength_nm)
SELECT r.id, k, (ARRAY['il', 'il', 'il', 'rl', 'polarity', 'continuity'])[abs(hashint8(r.id * 3 + k)) % 6 + 1],
       CASE WHEN k = 1 THEN 'A' ELSE 'B' END, abs(hashint8(r.id + k)) % 12 + 1,
       CASE WHEN r.id % 2 = 0 THEN 1310 ELSE 1550 END
FROM mpobench.runs r, generate_series(1, 2) AS k
WHERE r.status = 'completed' AND NOT r.pass AND (k = 1 OR r.id % 3 = 0);

-- Measurements for one run in ten: 12 fibres x 2 wavelengths, end A, IL
-- and RL to 0.0001 dB as payloads carry them.
INSERT INTO mpobench.measurements (run_id, seq, launched_end, fiber, wavelength_nm, cycle, status,
                                   far_position, il_db, rl_db)
SELECT r.id, (w - 1) * 12 + f, 'A', f, (ARRAY[1310, 1550])[w], 0, 'ok', 13 - f,
       round((0.08 + (abs(hashint8(r.id * 24 + w * 12 + f)) % 2000) / 10000.0)::numeric, 4),
       round((62 + (abs(hashint8(r.id * 31 + w * 12 + f)) % 100000) / 10000.0)::numeric, 4)
FROM mpobench.runs r, generate_series(1, 12) AS f, generate_series(1, 2) AS w
WHERE r.status = 'completed' AND r.id % 10 = 0;
SQL
runs_filled=$(date +%s.%N)
# The day buckets, counted from the rows above in sets (as plant init's
# backfill does), in the plant's zone (UTC: PGTZ of plant init).
psql -c "SELECT mpobench.fill_qa_buckets()" -c "VACUUM ANALYZE"
filled=$(date +%s.%N)
psql -At -c "SELECT 'plant: ' || (SELECT count(*) FROM mpobench.runs) || ' runs, '
             || (SELECT count(*) FROM mpobench.serials) || ' serials, '
             || (SELECT count(*) FROM mpobench.qa_failures) || ' failures, '
             || (SELECT count(*) FROM mpobench.measurements) || ' readings, '
             || pg_size_pretty(pg_database_size('postgres')) || '; buckets: '
             || (SELECT count(*) FROM mpobench.qa_day_yield) || ' yield, '
             || (SELECT count(*) FROM mpobench.qa_day_causes) || ' cause, '
             || (SELECT count(*) FROM mpobench.qa_day_failures) || ' failure, '
             || (SELECT count(*) FROM mpobench.qa_day_il) || ' IL, '
             || (SELECT count(*) FROM mpobench.qa_day_rl) || ' RL rows'"
printf 'runs filled in %.0f s, buckets (and VACUUM ANALYZE) in %.0f s\n' \
    "$(echo "$runs_filled - $start" | bc)" "$(echo "$filled - $runs_filled" | bc)"

qa=$(url qa)
export TZ=UTC
# A serial tested twice (a retest at the next station), near the end.
serial=SN$(( (runs - 100) / 25 * 25 ))
for command in "yield --by week" "pareto" "trend --by week" "history $serial"; do
    times=()
    for _ in $(seq "$repetitions"); do
        t0=$(date +%s.%N)
        # shellcheck disable=SC2086
        "$mpobench" --log-level warn $command --db "$qa" --json >"$work/out.json"
        t1=$(date +%s.%N)
        times+=("$(echo "($t1 - $t0) * 1000" | bc)")
    done
    printf '%-18s ms: %s\n' "$command" "$(printf '%.0f ' "${times[@]}")"
done
