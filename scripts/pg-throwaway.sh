# Throwaway PostgreSQL 15 server for tests.
#
#   source scripts/pg-throwaway.sh    # or: . scripts/pg-throwaway.sh
#
# Starts a fresh server on a free local port in a temporary folder, creates the database `app_test`,
# exports DATABASE_URL=postgres://postgres@127.0.0.1:<port>/app_test and registers an EXIT trap that
# stops the server and deletes the folder. The launcher itself is scripts/throwawayPostgres.ts (the
# one the tests that restart a server use too): it installs `postgresql-15` first when its binaries
# are missing and we are root; PGBIN overrides the binaries folder. Returns non-zero (without exiting
# the caller) on failure. The EXIT trap replaces any earlier one; a caller that needs its own EXIT
# trap calls lc_pg_stop from it. Needs the repository's dependencies installed (tsx).

LC_PG_LAUNCHER="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/throwawayPostgres.ts"
LC_PG_TSX="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)/node_modules/.bin/tsx"

lc_pg_stop() {
  if [ -n "${LC_PGROOT:-}" ]; then
    "$LC_PG_TSX" "$LC_PG_LAUNCHER" stop "$LC_PGROOT" || rm -rf "$LC_PGROOT"
  fi
  LC_PGROOT=
}

lc_pg_start() {
  local assignments
  assignments=$("$LC_PG_TSX" "$LC_PG_LAUNCHER" start) || return 1
  eval "$assignments"
  export DATABASE_URL
  trap lc_pg_stop EXIT
  # A signal should also clean up: exit so that the EXIT trap runs (unless the caller handles them).
  [ -z "$(trap -p INT)" ] && trap 'exit 130' INT
  [ -z "$(trap -p TERM)" ] && trap 'exit 143' TERM
  return 0
}

lc_pg_start
