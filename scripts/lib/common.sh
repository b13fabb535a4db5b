# Shared by scripts/demo and scripts/test: install what is missing, configure, build.
# shellcheck shell=bash

MPOBENCH_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
BUILD_DIR="${MPOBENCH_BUILD_DIR:-$MPOBENCH_ROOT/build}"

# Debian packages the build, the tests and the demo need.
MPOBENCH_PACKAGES=(
  build-essential cmake ninja-build pkg-config
  libserialport-dev libsqlite3-dev libboost-dev libboost-system-dev
  libspdlog-dev libfmt-dev catch2 nlohmann-json3-dev libcli11-dev libtomlplusplus-dev libsodium-dev libhowardhinnant-date-dev libpq-dev postgresql
  libcairo2-dev libpango1.0-dev libqrencode-dev libzint-dev libxlsxwriter-dev fonts-dejavu-core
  python3 python3-pyvisa python3-pyvisa-py python3-pymeasure python3-serial python3-openpyxl
  qpdf poppler-utils zbar-tools chromium
  clang-14 libclang-rt-14-dev
)

# Tests CTest runs at a time. Four on two cores: most tests wait on simulated
# instruments (the suite keeps the cores about 30 % busy at four), so two at
# a time would leave them idle for half the run.
TEST_JOBS="${MPOBENCH_TEST_JOBS:-4}"

log() { printf '== %s\n' "$*"; }

install_missing_packages() {
  local missing=()
  for pkg in "${MPOBENCH_PACKAGES[@]}"; do
    dpkg -s "$pkg" >/dev/null 2>&1 || missing+=("$pkg")
  done
  # Node.js and npm for the browser tests: a machine's own Node.js (any
  # package that provides node and npm) is used; Debian's otherwise.
  if ! command -v node >/dev/null || ! command -v npm >/dev/null; then
    missing+=(nodejs npm)
  fi
  if [ ${#missing[@]} -eq 0 ]; then
    log "all ${#MPOBENCH_PACKAGES[@]} Debian packages present"
    return
  fi
  local sudo=()
  if [ "$(id -u)" -ne 0 ]; then
    command -v sudo >/dev/null || { echo "need root or sudo to install: ${missing[*]}" >&2; exit 1; }
    sudo=(sudo)
  fi
  log "installing: ${missing[*]}"
  "${sudo[@]}" apt-get update -qq
  DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}"
}

configure_and_build() {
  log "configuring in $BUILD_DIR"
  cmake -S "$MPOBENCH_ROOT" -B "$BUILD_DIR" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DMPOBENCH_WERROR=ON >/dev/null
  log "building (-j2)"
  cmake --build "$BUILD_DIR" -j2
}

# The browser tests' node packages (playwright-core, pinned by the lock file;
# it drives the Debian chromium, no browser is downloaded).
install_browser_test_packages() {
  local dir="$MPOBENCH_ROOT/tests/browser"
  [ -d "$dir/node_modules" ] && return
  command -v npm >/dev/null || { echo "npm is needed for the browser tests (tests/browser)" >&2; exit 1; }
  log "npm ci in tests/browser"
  (cd "$dir" && PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm ci --no-audit --no-fund)
}
