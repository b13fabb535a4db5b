# The sanitizer and fuzzing stage of scripts/test: one Clang build with
# AddressSanitizer + UndefinedBehaviorSanitizer and the libFuzzer targets
# (tests/fuzz/), the Catch2 tests under the sanitizers, then every fuzz
# target for a while on a scratch copy of its corpus. Sourced after
# lib/common.sh (MPOBENCH_ROOT, log).
# shellcheck shell=bash

SANITIZE_BUILD_DIR="${MPOBENCH_SANITIZE_BUILD_DIR:-$MPOBENCH_ROOT/build-sanitize}"
FUZZ_SECONDS="${MPOBENCH_FUZZ_SECONDS:-30}"
# A fixed seed makes scripts/test's fuzzing repeatable: the same inputs in the
# same order on every machine (a faster one only gets further along), so CI
# does not fail on a finding the last run never met. 0 = a new seed each run
# (scripts/fuzz), to find what the fixed sequence does not reach.
FUZZ_SEED="${MPOBENCH_FUZZ_SEED:-1}"

# Catch2 executables run under the sanitizers. Left out: the Python e2e and
# client tests, which drive the mpobench binary this build does not make.
SANITIZED_TESTS=(unit_tests station_tests replay_tests acquisition_tests analysis_tests db_tests
  simulator_tests physics_tests meter_sim_tests ssr_sim_tests integration_tests
  certificate_tests qa_report_tests export_tests label_tests site_time_tests)
FUZZ_TARGETS=(fuzz_scpi_parse fuzz_resource fuzz_station fuzz_parts fuzz_limits fuzz_dut)

# Every report fatal (the build also has -fno-sanitize-recover=all), leaks included.
SANITIZER_ENV=(
  ASAN_OPTIONS=detect_leaks=1:detect_stack_use_after_return=1:strict_string_checks=1
  UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
  LSAN_OPTIONS=suppressions=$MPOBENCH_ROOT/tests/sanitizers/lsan.supp:print_suppressions=0
)

# Prints "<what>: <seconds> s" for the step that started at `started`.
log_duration() {
  log "$1: $(($(date +%s) - $2)) s"
}

sanitize_configure_and_build() {
  log "configuring the sanitizer and fuzz build in $SANITIZE_BUILD_DIR"
  # -O1 (test code, db/ and reports/ -O0: tests/CMakeLists.txt, CMakeLists.txt):
  # the fuzzers run several times faster than at -O0; line tables keep file
  # and line in the reports.
  cmake -S "$MPOBENCH_ROOT" -B "$SANITIZE_BUILD_DIR" -G Ninja -DCMAKE_BUILD_TYPE=Debug \
    -DCMAKE_CXX_COMPILER=clang++-14 "-DCMAKE_CXX_FLAGS_DEBUG=-O1 -gline-tables-only" \
    -DMPOBENCH_SANITIZE=ON -DMPOBENCH_FUZZ=ON -DMPOBENCH_WERROR=ON >/dev/null
  log "building ${#SANITIZED_TESTS[@]} test executables and ${#FUZZ_TARGETS[@]} fuzz targets (-j2)"
  env "${SANITIZER_ENV[@]}" cmake --build "$SANITIZE_BUILD_DIR" -j2 \
    --target "${SANITIZED_TESTS[@]}" "${FUZZ_TARGETS[@]}"
}

sanitize_run_tests() {
  local names
  names="$(IFS='|'; echo "${SANITIZED_TESTS[*]}")"
  log "running the Catch2 tests and the fuzz corpora under ASan and UBSan"
  (cd "$SANITIZE_BUILD_DIR" &&
    env "${SANITIZER_ENV[@]}" ctest --output-on-failure -j"$TEST_JOBS" --timeout 600 \
      -R "^(${names}):|^fuzz: ")
}

# The comparison operands libFuzzer learns from are kept by code address, so
# under address-space randomisation one seed still gives a new sequence each
# run: the targets run with it off where the machine allows.
FUZZ_LAUNCHER=()
if setarch "$(uname -m)" -R true 2>/dev/null; then
  FUZZ_LAUNCHER=(setarch "$(uname -m)" -R)
fi

# Runs one fuzz target for FUZZ_SECONDS from FUZZ_SEED on a copy of its
# corpus; crashes go to its artifacts/ directory.
run_fuzz_target() {
  local target="$1" scratch="$SANITIZE_BUILD_DIR/fuzz-runs/$1"
  rm -rf "$scratch"
  mkdir -p "$scratch/artifacts"
  cp -r "$MPOBENCH_ROOT/tests/fuzz/corpus/$target" "$scratch/corpus"
  # -timeout: an input that takes 10 s is a hang worth reporting.
  env "${SANITIZER_ENV[@]}" "${FUZZ_LAUNCHER[@]}" "$SANITIZE_BUILD_DIR/tests/fuzz/$target" \
    -max_total_time="$FUZZ_SECONDS" -seed="$FUZZ_SEED" -timeout=10 -print_final_stats=0 \
    -artifact_prefix="$scratch/artifacts/" "$scratch/corpus" >"$scratch/fuzz.log" 2>&1
}

# Two targets at a time (two cores); every failure is shown, then the stage fails.
sanitize_run_fuzzers() {
  if [ ${#FUZZ_LAUNCHER[@]} -eq 0 ] && [ "$FUZZ_SEED" != 0 ]; then
    log "setarch -R is refused here: seed ${FUZZ_SEED} will not repeat the same inputs"
  fi
  log "fuzzing each target for ${FUZZ_SECONDS} s, two at a time, seed ${FUZZ_SEED}"
  local failed=() i
  for ((i = 0; i < ${#FUZZ_TARGETS[@]}; i += 2)); do
    local batch=("${FUZZ_TARGETS[@]:i:2}") pids=() j
    for target in "${batch[@]}"; do
      run_fuzz_target "$target" &
      pids+=($!)
    done
    for j in "${!batch[@]}"; do
      if wait "${pids[$j]}"; then
        log "fuzz ${batch[$j]}: no finding"
      else
        failed+=("${batch[$j]}")
      fi
    done
  done
  for target in "${failed[@]}"; do
    local scratch="$SANITIZE_BUILD_DIR/fuzz-runs/$target"
    echo "---- fuzz $target FAILED; last lines of $scratch/fuzz.log:" >&2
    tail -n 60 "$scratch/fuzz.log" >&2
    echo "---- the input that failed is in $scratch/artifacts/" >&2
  done
  [ ${#failed[@]} -eq 0 ]
}

run_sanitizer_stage() {
  local started step
  started=$(date +%s)
  step=$started
  sanitize_configure_and_build
  log_duration "sanitizer build" "$step"
  step=$(date +%s)
  sanitize_run_tests
  log_duration "sanitized tests" "$step"
  step=$(date +%s)
  sanitize_run_fuzzers
  log_duration "fuzzing" "$step"
  log_duration "sanitizer stage" "$started"
}
