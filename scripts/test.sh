#!/usr/bin/env bash
# Every check and test of the repository, in order, stopping at the first failing step:
#   typecheck, lint, build, publint + attw per built package, vitest (all projects),
#   size limits (when configured), benchmark check (when the script exists).
# Provides real Chromium (Debian's package), a throwaway PostgreSQL 15 server when DATABASE_URL
# is unset, and Debian's pgbouncer (tests start their own in front of that server). Always ends
# with the plain line "N passed, N failed" (vitest tests plus one per other check) and exits
# non-zero on any failure.
set -uo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
ROOT=$PWD
BIN=$ROOT/node_modules/.bin
PACKAGES=(core react postgres)
export STORYBOOK_DISABLE_TELEMETRY=1

WORK=$(mktemp -d /tmp/lc-test.XXXXXX)
cleanup() {
  if declare -F lc_pg_stop >/dev/null; then lc_pg_stop; fi
  rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

PASSED=0
FAILED=0
STOPPED=
REPORT=()

now_ms() { date +%s%3N; }
seconds_since() { awk -v s="$1" -v e="$(now_ms)" 'BEGIN { printf "%.1f", (e - s) / 1000 }'; }
banner() { printf '\n\033[1m=== %s\033[0m\n' "$*"; }

# check NAME COMMAND...: runs one check unless an earlier one failed; counts it as one passed or failed.
check() {
  local name=$1
  shift
  if [ -n "$STOPPED" ]; then
    REPORT+=("skip  $name")
    return 0
  fi
  banner "$name"
  local start
  start=$(now_ms)
  if "$@"; then
    PASSED=$((PASSED + 1))
    REPORT+=("pass  $name ($(seconds_since "$start") s)")
  else
    FAILED=$((FAILED + 1))
    STOPPED=1
    REPORT+=("FAIL  $name ($(seconds_since "$start") s)")
  fi
}

# setup NAME COMMAND...: prepares the environment; counted only when it fails.
setup() {
  local name=$1
  shift
  [ -n "$STOPPED" ] && return 0
  banner "$name"
  local start
  start=$(now_ms)
  if "$@"; then
    REPORT+=("ok    $name ($(seconds_since "$start") s)")
  else
    FAILED=$((FAILED + 1))
    STOPPED=1
    REPORT+=("FAIL  $name ($(seconds_since "$start") s)")
  fi
}

has_script() {
  node -e "process.exit(require('./package.json').scripts?.[process.argv[1]] ? 0 : 1)" "$1"
}

# Packages are checked once their main entry exists (the build skips the others as well).
built_packages() {
  local name
  for name in "${PACKAGES[@]}"; do
    [ -f "packages/$name/src/index.ts" ] && echo "$name"
  done
}

install_dependencies() {
  pnpm install --frozen-lockfile
}

ensure_chromium() {
  CHROMIUM_PATH=${CHROMIUM_PATH:-/usr/bin/chromium}
  if [ ! -x "$CHROMIUM_PATH" ]; then
    if [ "$(id -u)" != 0 ] || ! command -v apt-get >/dev/null; then
      echo "Chromium not found at $CHROMIUM_PATH. Install Debian's chromium and fonts-liberation as root" >&2
      echo "(apt-get install chromium fonts-liberation), or set CHROMIUM_PATH to a Chromium binary." >&2
      return 1
    fi
    echo "installing Debian's chromium and fonts-liberation"
    DEBIAN_FRONTEND=noninteractive apt-get update -qq &&
      DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends chromium fonts-liberation \
        >/dev/null || return 1
  fi
  export CHROMIUM_PATH
  "$CHROMIUM_PATH" --version 2>/dev/null | grep -v 'unexpected operator' || true
}

ensure_database() {
  if [ -n "${DATABASE_URL:-}" ]; then
    echo "using DATABASE_URL from the environment"
    return 0
  fi
  # shellcheck source=scripts/pg-throwaway.sh
  source "$ROOT/scripts/pg-throwaway.sh" || return 1
  trap cleanup EXIT # the sourced script registered only its own cleanup
}

package_lint() {
  local name=$1 dir=$ROOT/packages/$1
  local excluded
  # Entry points that are not JavaScript (stylesheets) have no types to check.
  excluded=$(node -e "
    const e = require('$dir/package.json').exports ?? {};
    console.log(Object.keys(e).filter((k) => /\.(css|json)\$/.test(k) && k !== './package.json').join(' '));")
  "$BIN/publint" --strict "$dir" || return 1
  # node16 covers Node's CJS and ESM resolution and bundlers; node10 cannot see subpath exports.
  # shellcheck disable=SC2086
  (cd "$dir" && "$BIN/attw" --pack . --profile node16 --no-color ${excluded:+--exclude-entrypoints $excluded})
}

VITEST_JSON=$WORK/vitest.json
run_vitest() {
  if [ -n "$STOPPED" ]; then
    REPORT+=("skip  vitest")
    return 0
  fi
  banner "vitest run"
  local start rc counts passed failed
  start=$(now_ms)
  "$BIN/vitest" run --reporter=default --reporter=json --outputFile.json="$VITEST_JSON"
  rc=$?
  # Tests that passed and failed; a file that failed to load counts as one failed test.
  counts=$(node -e "
    const fs = require('node:fs');
    const file = process.argv[1];
    if (!fs.existsSync(file)) { console.log('0 0'); process.exit(); }
    const r = JSON.parse(fs.readFileSync(file, 'utf8'));
    const broken = r.testResults.filter((f) => f.status === 'failed' && !f.assertionResults.some((t) => t.status === 'failed')).length;
    console.log(r.numPassedTests + ' ' + (r.numFailedTests + broken));" "$VITEST_JSON")
  read -r passed failed <<<"$counts"
  if [ "$rc" != 0 ] && [ "$failed" = 0 ]; then failed=1; fi # e.g. an unhandled error or no report at all
  PASSED=$((PASSED + passed))
  FAILED=$((FAILED + failed))
  if [ "$rc" = 0 ] && [ "$failed" = 0 ]; then
    REPORT+=("pass  vitest: $passed tests ($(seconds_since "$start") s)")
  else
    STOPPED=1
    REPORT+=("FAIL  vitest: $passed passed, $failed failed, exit code $rc ($(seconds_since "$start") s)")
  fi
}

START=$(now_ms)

if [ ! -x "$BIN/vitest" ]; then setup "pnpm install" install_dependencies; fi

check "typecheck" pnpm typecheck
check "lint" pnpm lint
check "build" pnpm build
for name in $(built_packages); do
  check "publint + attw packages/$name" package_lint "$name"
done

setup "chromium" ensure_chromium
setup "postgresql" ensure_database
setup "pgbouncer" "$BIN/tsx" scripts/throwawayPgbouncer.ts install
run_vitest

if [ -f .size-limit.json ] || [ -f .size-limit.cjs ] || [ -f .size-limit.js ]; then
  if has_script size; then check "size" pnpm size; else check "size" "$BIN/size-limit"; fi
fi
if has_script bench:check; then check "bench:check" pnpm bench:check; fi

banner "summary ($(seconds_since "$START") s)"
printf '%s\n' "${REPORT[@]}"
# The failing tests by name, so the last lines of a run say what to look at.
if [ -f "$VITEST_JSON" ]; then
  node -e "
    const r = JSON.parse(require('node:fs').readFileSync(process.argv[1], 'utf8'));
    for (const f of r.testResults) {
      const file = require('node:path').relative(process.cwd(), f.name);
      const failed = f.assertionResults.filter((t) => t.status === 'failed');
      if (f.status === 'failed' && failed.length === 0) console.log('  failed to run: ' + file + ': ' + String(f.message).split('\\n')[0]);
      for (const t of failed) console.log('  failed: ' + file + ' > ' + t.fullName + ': ' + String(t.failureMessages?.[0] ?? '').split('\\n')[0].slice(0, 300));
    }" "$VITEST_JSON" || true
fi
echo "$PASSED passed, $FAILED failed"
[ "$FAILED" = 0 ]
