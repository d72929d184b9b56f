#!/usr/bin/env bash
# Installs (when absent) and starts RabbitMQ and PostgreSQL on loopback for the gateway, the demo
# and the tests. Idempotent: servers already answering are left as they are. Needs root (apt-get).
# Prints the connection settings it exported, for scripts that source it.
set -euo pipefail

STATE_DIR="${COMMSGW_STATE_DIR:-/var/tmp/commsgw}"
PG_PORT="${COMMSGW_PG_PORT:-5432}"
PG_DATA="$STATE_DIR/pg"
mkdir -p "$STATE_DIR"

log() { printf '[servers] %s\n' "$*" >&2; }

apt_install() {
  if [ ! -f "$STATE_DIR/.apt-updated" ]; then
    log "apt-get update"
    apt-get update -qq >/dev/null
    touch "$STATE_DIR/.apt-updated"
  fi
  log "apt-get install $*"
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >/dev/null
}

port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

# ---------- PostgreSQL ----------
pg_bin() {
  local d
  for d in /usr/lib/postgresql/*/bin; do [ -x "$d/initdb" ] && { echo "$d"; return; }; done
  return 1
}
if ! PG_BIN=$(pg_bin); then
  apt_install postgresql
  PG_BIN=$(pg_bin)
fi

if ! port_open "$PG_PORT"; then
  if [ ! -s "$PG_DATA/PG_VERSION" ]; then
    log "initdb $PG_DATA"
    mkdir -p "$PG_DATA" && chown postgres:postgres "$PG_DATA" && chmod 700 "$PG_DATA"
    pwfile=$(mktemp) && echo postgres > "$pwfile" && chown postgres "$pwfile"
    su postgres -s /bin/sh -c "'$PG_BIN/initdb' -D '$PG_DATA' -U postgres --pwfile='$pwfile' --auth=scram-sha-256 -E UTF8 --locale=C.UTF-8" >/dev/null
    rm -f "$pwfile"
  fi
  # A lock file left by a killed server names a PID that another process may own by now, and PostgreSQL refuses
  # to start while that PID is alive: drop it when that process is not a postgres.
  if [ -f "$PG_DATA/postmaster.pid" ]; then
    stale_pid=$(head -1 "$PG_DATA/postmaster.pid")
    if [ "$(cat "/proc/$stale_pid/comm" 2>/dev/null)" != "postgres" ]; then
      rm -f "$PG_DATA/postmaster.pid"
    fi
  fi
  log "starting PostgreSQL on 127.0.0.1:$PG_PORT"
  # fsync and synchronous_commit stay ON: the decision log's durability is not traded for speed.
  su postgres -s /bin/sh -c "'$PG_BIN/pg_ctl' -D '$PG_DATA' -l '$PG_DATA/postgres.log' -w -t 60 start \
    -o \"-c listen_addresses=127.0.0.1 -p $PG_PORT -k /tmp -c max_connections=300 -c shared_buffers=256MB\"" >/dev/null
fi
export PGPASSWORD=postgres
for _ in $(seq 1 30); do psql -h 127.0.0.1 -p "$PG_PORT" -U postgres -tAc 'select 1' >/dev/null 2>&1 && break; sleep 1; done
psql -h 127.0.0.1 -p "$PG_PORT" -U postgres -v ON_ERROR_STOP=1 -q <<'SQL'
do $$ begin
  if not exists (select from pg_roles where rolname = 'commsgw') then
    create role commsgw login password 'commsgw' createdb;
  end if;
end $$;
SQL
if ! psql -h 127.0.0.1 -p "$PG_PORT" -U postgres -tAc "select 1 from pg_database where datname='commsgw'" | grep -q 1; then
  psql -h 127.0.0.1 -p "$PG_PORT" -U postgres -qc "create database commsgw owner commsgw"
fi

# ---------- RabbitMQ ----------
if ! command -v rabbitmq-server >/dev/null 2>&1 && [ ! -x /usr/sbin/rabbitmq-server ]; then
  apt_install rabbitmq-server
fi
if ! port_open 5672; then
  # Loopback only: AMQP, management, Erlang distribution and epmd.
  cat > /etc/rabbitmq/rabbitmq.conf <<'CONF'
listeners.tcp.default = 127.0.0.1:5672
management.tcp.ip = 127.0.0.1
management.tcp.port = 15672
loopback_users = none
log.console = false
CONF
  cat > /etc/rabbitmq/rabbitmq-env.conf <<'CONF'
NODENAME=rabbit@localhost
ERL_EPMD_ADDRESS=127.0.0.1
DIST_PORT=25672
CONF
  grep -q rabbitmq_management /etc/rabbitmq/enabled_plugins 2>/dev/null \
    || /usr/sbin/rabbitmq-plugins enable --offline rabbitmq_management >/dev/null
  # A node stopped a moment ago may still hold the distribution port while it shuts down; RabbitMQ would refuse to
  # start ("dist_port_already_used"): wait for it to be gone.
  for _ in $(seq 1 60); do port_open 25672 || break; sleep 1; done
  log "starting RabbitMQ on 127.0.0.1:5672 (management on :15672)"
  # Every descriptor of the background job goes to the log: a caller reading our stdout through
  # $(...) must see EOF when this script ends, not when RabbitMQ stops.
  (cd /var/lib/rabbitmq && exec setsid nohup /usr/sbin/rabbitmq-server) > "$STATE_DIR/rabbitmq.out" 2>&1 < /dev/null &
  for _ in $(seq 1 90); do port_open 5672 && port_open 15672 && break; sleep 1; done
  port_open 5672 || { log "RabbitMQ did not start; see $STATE_DIR/rabbitmq.out"; tail -20 "$STATE_DIR/rabbitmq.out" >&2; exit 1; }
fi

cat <<ENV
export Database__ConnectionString='Host=127.0.0.1;Port=$PG_PORT;Database=commsgw;Username=commsgw;Password=commsgw'
export COMMSGW_PG_ADMIN='Host=127.0.0.1;Port=$PG_PORT;Database=postgres;Username=postgres;Password=postgres'
export RabbitMq__Host=127.0.0.1 RabbitMq__Port=5672 RabbitMq__Username=guest RabbitMq__Password=guest
export COMMSGW_RABBIT_MANAGEMENT='http://127.0.0.1:15672'
ENV
log "PostgreSQL and RabbitMQ are up"
