#!/usr/bin/env bash
# Three clustered RabbitMQ nodes on this machine, loopback only, beside (never instead of) the single node on 5672:
#   commsgw-r1@localhost  AMQP 5681  management 15681  distribution 25681
#   commsgw-r2@localhost  AMQP 5682  management 15682  distribution 25682
#   commsgw-r3@localhost  AMQP 5683  management 15683  distribution 25683
# Data and logs under /var/tmp/commsgw/cluster/rN. Same Erlang cookie (the rabbitmq user's), r2 and r3 join r1.
# Usage: scripts/cluster.sh up|down|status. `up` prints the settings it exported, for scripts that source it:
#   eval "$(bash scripts/cluster.sh up)"
set -euo pipefail

BASE="${COMMSGW_CLUSTER_DIR:-/var/tmp/commsgw/cluster}"
NODES=(1 2 3)
log() { printf '[cluster] %s\n' "$*" >&2; }
port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
node() { echo "commsgw-r$1@localhost"; }
amqp() { echo $((5680 + $1)); }
mgmt() { echo $((15680 + $1)); }
dist() { echo $((25680 + $1)); }
ctl() { # ctl N args...: rabbitmqctl against node N, as the rabbitmq user (its cookie)
  local n=$1; shift
  su rabbitmq -s /bin/sh -c "cd /var/lib/rabbitmq && HOME=/var/lib/rabbitmq /usr/lib/rabbitmq/bin/rabbitmqctl -n $(node "$n") $*"
}

start_node() {
  local n=$1 dir="$BASE/r$1"
  if port_open "$(amqp "$n")"; then log "$(node "$n") already answers on $(amqp "$n")"; return; fi
  mkdir -p "$dir/mnesia" "$dir/log"
  cat > "$dir/rabbitmq.conf" <<CONF
listeners.tcp.default = 127.0.0.1:$(amqp "$n")
management.tcp.ip = 127.0.0.1
management.tcp.port = $(mgmt "$n")
loopback_users = none
log.console = false
log.file.level = warning
CONF
  echo '[rabbitmq_management].' > "$dir/enabled_plugins"
  # Erlang distribution on loopback too (it listens on every interface otherwise).
  echo '[{kernel, [{inet_dist_use_interface, {127,0,0,1}}]}].' > "$dir/advanced.config"
  chown -R rabbitmq:rabbitmq "$dir"
  for _ in $(seq 1 60); do port_open "$(dist "$n")" || break; sleep 1; done
  log "starting $(node "$n") (AMQP $(amqp "$n"), management $(mgmt "$n"), distribution $(dist "$n"))"
  local env="HOME=/var/lib/rabbitmq RABBITMQ_NODENAME=$(node "$n") RABBITMQ_NODE_IP_ADDRESS=127.0.0.1 RABBITMQ_NODE_PORT=$(amqp "$n")"
  env+=" RABBITMQ_DIST_PORT=$(dist "$n") RABBITMQ_MNESIA_BASE=$dir/mnesia RABBITMQ_LOG_BASE=$dir/log ERL_EPMD_ADDRESS=127.0.0.1"
  env+=" RABBITMQ_ENABLED_PLUGINS_FILE=$dir/enabled_plugins RABBITMQ_CONFIG_FILE=$dir/rabbitmq RABBITMQ_PID_FILE=$dir/pid"
  env+=" RABBITMQ_ADVANCED_CONFIG_FILE=$dir/advanced.config"
  # Straight to /usr/lib/rabbitmq/bin (the /usr/sbin wrapper writes the shared node's startup log); every descriptor
  # of the background job goes to the log so that $(...) around this script sees EOF when it ends.
  su rabbitmq -s /bin/sh -c "(cd /var/lib/rabbitmq && exec env $env nohup /usr/lib/rabbitmq/bin/rabbitmq-server) > $dir/out.log 2>&1 < /dev/null &"
}

wait_node() {
  local n=$1
  for _ in $(seq 1 120); do port_open "$(amqp "$n")" && return; sleep 1; done
  log "$(node "$n") did not start; see $BASE/r$n/out.log"; tail -20 "$BASE/r$n/out.log" >&2; exit 1
}

up() {
  command -v rabbitmqctl >/dev/null || { log "rabbitmq-server is not installed: run scripts/servers.sh first"; exit 1; }
  for n in "${NODES[@]}"; do start_node "$n"; done
  for n in "${NODES[@]}"; do wait_node "$n"; done
  for n in 2 3; do
    if ! ctl "$n" cluster_status 2>/dev/null | grep -q "$(node 1)"; then
      log "$(node "$n") joins $(node 1)"
      ctl "$n" stop_app >/dev/null
      ctl "$n" join_cluster "$(node 1)" >/dev/null
      ctl "$n" start_app >/dev/null
    fi
  done
  ctl 1 await_online_nodes 3 >/dev/null
  cat <<ENV
export RabbitMq__Host=127.0.0.1 RabbitMq__Port=5681 RabbitMq__Username=guest RabbitMq__Password=guest
export RabbitMq__ClusterNodes__0=127.0.0.1:5681 RabbitMq__ClusterNodes__1=127.0.0.1:5682 RabbitMq__ClusterNodes__2=127.0.0.1:5683
export COMMSGW_RABBIT_MANAGEMENT='http://127.0.0.1:15681'
ENV
  log "cluster of 3 up: $(node 1) $(node 2) $(node 3)"
}

down() {
  for n in 3 2 1; do
    if port_open "$(amqp "$n")"; then
      log "stopping $(node "$n")"
      ctl "$n" stop >/dev/null || true
    fi
  done
}

status() {
  for n in "${NODES[@]}"; do
    printf '%s AMQP %s: %s\n' "$(node "$n")" "$(amqp "$n")" "$(port_open "$(amqp "$n")" && echo up || echo down)"
  done
  for n in "${NODES[@]}"; do
    if port_open "$(amqp "$n")"; then ctl "$n" cluster_status; ctl "$n" list_queues -p / name type leader members online 2>/dev/null || true; return; fi
  done
}

case "${1:-}" in
  up) up ;;
  down) down ;;
  status) status ;;
  *) echo "usage: $0 up|down|status" >&2; exit 2 ;;
esac
