# Throwaway PostgreSQL 15 server for tests.
#
#   source scripts/pg-throwaway.sh    # or: . scripts/pg-throwaway.sh
#
# Starts a fresh server on a free local port in a temporary folder, creates the database `app_test`,
# exports DATABASE_URL=postgres://postgres@127.0.0.1:<port>/app_test and registers an EXIT trap that
# stops the server and deletes the folder. Installs the `postgresql-15` Debian package first when
# its binaries are missing and we are root. Returns non-zero (without exiting the caller) on failure.
# PGBIN overrides the binaries folder (default /usr/lib/postgresql/15/bin). The EXIT trap replaces any
# earlier one; a caller that needs its own EXIT trap calls lc_pg_stop from it.

lc_pg_log() { printf '[pg-throwaway] %s\n' "$*" >&2; }

# Runs a PostgreSQL binary as the `postgres` user when we are root (initdb refuses to run as root).
lc_pg_as_owner() {
  if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

lc_pg_install() {
  if [ "$(id -u)" != 0 ]; then
    lc_pg_log "PostgreSQL 15 binaries not found in $LC_PGBIN; install postgresql-15 (as root: apt-get install postgresql-15) or set DATABASE_URL"
    return 1
  fi
  lc_pg_log "installing postgresql-15 with apt-get"
  # No default cluster: the package would otherwise create and try to start one on port 5432.
  mkdir -p /etc/postgresql-common
  if ! grep -qs '^create_main_cluster' /etc/postgresql-common/createcluster.conf; then
    echo 'create_main_cluster = false' >>/etc/postgresql-common/createcluster.conf
  fi
  DEBIAN_FRONTEND=noninteractive apt-get update -qq &&
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
      -o Dpkg::Options::=--force-confold postgresql-15 >/dev/null
}

# Prints a TCP port that is free on 127.0.0.1 right now.
lc_pg_free_port() {
  node -e "const s=require('node:net').createServer();s.listen(0,'127.0.0.1',()=>{console.log(s.address().port);s.close();});"
}

lc_pg_stop() {
  if [ -n "${LC_PGROOT:-}" ] && [ -d "$LC_PGROOT" ]; then
    if [ -f "$LC_PGROOT/data/postmaster.pid" ]; then
      lc_pg_as_owner "$LC_PGBIN/pg_ctl" -D "$LC_PGROOT/data" -m immediate -w -t 30 stop >/dev/null 2>&1 || true
    fi
    rm -rf "$LC_PGROOT"
  fi
  LC_PGROOT=
}

lc_pg_start() {
  LC_PGBIN=${PGBIN:-/usr/lib/postgresql/15/bin}
  if [ ! -x "$LC_PGBIN/initdb" ]; then
    lc_pg_log "available PostgreSQL binaries: $(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | tr '\n' ' ')"
    lc_pg_install || return 1
    [ -x "$LC_PGBIN/initdb" ] || { lc_pg_log "no initdb in $LC_PGBIN after install"; return 1; }
  fi
  if [ "$(id -u)" = 0 ] && ! id postgres >/dev/null 2>&1; then
    useradd --system --no-create-home --shell /usr/sbin/nologin postgres || return 1
  fi

  LC_PGROOT=$(mktemp -d /tmp/lc-pg.XXXXXX) || return 1
  mkdir -p "$LC_PGROOT/sock"
  [ "$(id -u)" = 0 ] && chown -R postgres: "$LC_PGROOT"
  chmod 700 "$LC_PGROOT"
  if ! lc_pg_as_owner "$LC_PGBIN/initdb" -D "$LC_PGROOT/data" -U postgres -A trust -E UTF8 --locale=C.UTF-8 \
    --no-sync >"$LC_PGROOT/initdb.log" 2>&1; then
    cat "$LC_PGROOT/initdb.log" >&2
    lc_pg_stop
    return 1
  fi

  # Another process may take the port between the probe and the start: try a few.
  local attempt port=
  for attempt in 1 2 3 4 5; do
    port=$(lc_pg_free_port) || { lc_pg_stop; return 1; }
    if lc_pg_as_owner "$LC_PGBIN/pg_ctl" -D "$LC_PGROOT/data" -l "$LC_PGROOT/server.log" -w -t 30 \
      -o "-c listen_addresses=127.0.0.1 -p $port -k $LC_PGROOT/sock -c fsync=off -c synchronous_commit=off -c full_page_writes=off" \
      start >/dev/null; then
      break
    fi
    port=
  done
  if [ -z "$port" ]; then
    lc_pg_log "server did not start; its log follows"
    cat "$LC_PGROOT/server.log" >&2
    lc_pg_stop
    return 1
  fi
  if ! lc_pg_as_owner "$LC_PGBIN/psql" -h 127.0.0.1 -p "$port" -U postgres -d postgres -qAt \
    -c 'CREATE DATABASE app_test' >/dev/null; then
    lc_pg_stop
    return 1
  fi

  export DATABASE_URL="postgres://postgres@127.0.0.1:$port/app_test"
  LC_PGPORT=$port
  trap lc_pg_stop EXIT
  # A signal should also clean up: exit so that the EXIT trap runs (unless the caller handles them).
  [ -z "$(trap -p INT)" ] && trap 'exit 130' INT
  [ -z "$(trap -p TERM)" ] && trap 'exit 143' TERM
  lc_pg_log "PostgreSQL $("$LC_PGBIN/postgres" --version | awk '{print $3}') on port $port, DATABASE_URL=$DATABASE_URL"
}

lc_pg_start
