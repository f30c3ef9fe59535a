#!/usr/bin/env bash
# A platform of several hosts on this one machine, each "host" a network namespace with its own address on a
# bridge (the way kind runs a Kubernetes cluster locally):
#
#   data     10.250.0.2    PostgreSQL, RabbitMQ, s3rver (the S3 server)
#   ctl      10.250.0.10   platd api, platd scheduler, platd stager
#   ctl-2    10.250.0.11   platd api, platd scheduler          (a second control host: a standby scheduler)
#   cell-N   10.250.0.2N   platd cell, zone z1, z2, ... round robin (the cell's id is the host's name)
#   edge     10.250.0.30   platd router
#
# Every platd is its own process with its own --roles, its own RabbitMQ user (permissions for what its role sends
# and consumes: `platd rabbitmq-permissions`) and only the secrets its role needs; the blobstore is S3.
#
#   ./deploy/cluster.sh up [--cells N]     start it (again: reuses what runs); prints API: and Router: lines
#   ./deploy/cluster.sh down               remove everything it made: processes, namespaces, links, data
#   ./deploy/cluster.sh status
#   ./deploy/cluster.sh kill HOST          kill -9 of everything on the host (its platd and what it started)
#   ./deploy/cluster.sh cut HOST           its link down: a partition;  heal HOST: up again
#   ./deploy/cluster.sh stop HOST          a graceful stop (SIGTERM; a cell evacuates first); start HOST starts it
#   ./deploy/cluster.sh restart HOST       stop (if running) and start; HOST may also be postgres, rabbitmq or s3
#   ./deploy/cluster.sh env                the cluster's addresses and credentials as shell variables (for tests)
#
# Environment: PLATFORM_CLUSTER_DIR (default /var/lib/platform/cluster), PLATFORM_CLUSTER_PLATD / _PLAT (built
# platd.dll and plat.dll to use instead of publishing them), PLAT_HOME (where `plat login` keeps its config),
# PLATFORM_CLUSTER_API_PORT (7170), _API2_PORT (7171), _ROUTER_PORT (7180): the machine's 127.0.0.1 ports.
source "$(dirname "$0")/lib.sh"

DIR=${PLATFORM_CLUSTER_DIR:-/var/lib/platform/cluster}
RUN=/run/platform-cluster
BRIDGE=plclu0
NET=10.250.0
GATEWAY=$NET.1
API_PORT=${PLATFORM_CLUSTER_API_PORT:-7170}
API2_PORT=${PLATFORM_CLUSTER_API2_PORT:-7171}
ROUTER_PORT=${PLATFORM_CLUSTER_ROUTER_PORT:-7180}
PG_PORT=5441
PG_CLUSTER=platform-cluster
RABBIT_NODE=platcluster@localhost
CHAIN=PLCLUSTER
MAX_CELLS=8

host_ip() {
  case $1 in
    data) echo $NET.2 ;; ctl) echo $NET.10 ;; ctl-2) echo $NET.11 ;; edge) echo $NET.30 ;;
    cell-[1-8]) echo $NET.$((20 + ${1#cell-})) ;;
    *) echo "unknown host '$1'" >&2; return 1 ;;
  esac
}

# The platd processes of a host: "unit roles management-port".
host_units() {
  case $1 in
    ctl) echo "api api 7070"; echo "scheduler scheduler 7071"; echo "stager stager 7072" ;;
    ctl-2) echo "api api 7070"; echo "scheduler scheduler 7071" ;;
    edge) echo "router router 7070" ;;
    cell-*) echo "cell cell 7070" ;;
  esac
}

cells() { cat "$DIR/cells" 2>/dev/null || echo 0; }
hosts() {
  local n; n=$(cells)
  echo data ctl ctl-2 edge
  for i in $(seq 1 "$n"); do echo "cell-$i"; done
}
platform_hosts() { hosts | grep -vx data; }
in_host() { local h=$1; shift; nsenter --net="/run/netns/$h" -- "$@"; }
pid_alive() { [ -f "$1" ] && kill -0 "$(cat "$1")" 2>/dev/null; }

# --- the network ---------------------------------------------------------------------------------------------

ensure_bridge() {
  if ! ip link show "$BRIDGE" >/dev/null 2>&1; then
    ip link add "$BRIDGE" type bridge
    ip addr add "$GATEWAY/24" dev "$BRIDGE"
  fi
  ip link set "$BRIDGE" up
  # The machine's 127.0.0.1:PORT reaches the API and the router (DNAT from loopback needs route_localnet).
  echo 1 >"/proc/sys/net/ipv4/conf/$BRIDGE/route_localnet"
  iptables -w -t nat -N "$CHAIN-OUT" 2>/dev/null || iptables -w -t nat -F "$CHAIN-OUT"
  iptables -w -t nat -N "$CHAIN-POST" 2>/dev/null || iptables -w -t nat -F "$CHAIN-POST"
  iptables -w -t nat -C OUTPUT -d 127.0.0.1/32 -p tcp -j "$CHAIN-OUT" 2>/dev/null ||
    iptables -w -t nat -A OUTPUT -d 127.0.0.1/32 -p tcp -j "$CHAIN-OUT"
  iptables -w -t nat -C POSTROUTING -j "$CHAIN-POST" 2>/dev/null || iptables -w -t nat -A POSTROUTING -j "$CHAIN-POST"
  iptables -w -t nat -A "$CHAIN-OUT" -p tcp --dport "$API_PORT" -j DNAT --to-destination "$(host_ip ctl):7070"
  iptables -w -t nat -A "$CHAIN-OUT" -p tcp --dport "$API2_PORT" -j DNAT --to-destination "$(host_ip ctl-2):7070"
  iptables -w -t nat -A "$CHAIN-OUT" -p tcp --dport "$ROUTER_PORT" -j DNAT --to-destination "$(host_ip edge):7080"
  iptables -w -t nat -A "$CHAIN-POST" -s 127.0.0.0/8 -o "$BRIDGE" -j MASQUERADE
}

ensure_host_netns() {
  local h=$1 ip veth="plc-$1"
  ip=$(host_ip "$h")
  [ -e "/run/netns/$h" ] || ip netns add "$h"
  if ! ip link show "$veth" >/dev/null 2>&1; then
    ip link add "$veth" type veth peer name eth0 netns "$h"
    ip link set "$veth" master "$BRIDGE"
  fi
  ip link set "$veth" up
  ip -n "$h" addr replace "$ip/24" dev eth0
  ip -n "$h" link set eth0 up
  ip -n "$h" link set lo up
}

# --- data: PostgreSQL, RabbitMQ, s3rver ----------------------------------------------------------------------

pg_version() { ls /usr/lib/postgresql | sort -n | tail -1; }

start_postgres() {
  local ver conf
  ver=$(pg_version)
  conf=/etc/postgresql/$ver/$PG_CLUSTER
  if ! pg_lsclusters -h | awk '{print $1" "$2}' | grep -qx "$ver $PG_CLUSTER"; then
    log "creating PostgreSQL cluster $PG_CLUSTER on the data host"
    pg_createcluster "$ver" "$PG_CLUSTER" -p "$PG_PORT" -- --auth-local=trust --auth-host=scram-sha-256 >/dev/null
    sed -i "s/^#\?listen_addresses.*/listen_addresses = '$(host_ip data)'/" "$conf/postgresql.conf"
    # A scheduler partitioned away must lose its leadership (a session advisory lock) within seconds.
    cat >>"$conf/postgresql.conf" <<EOT
tcp_keepalives_idle = 3
tcp_keepalives_interval = 1
tcp_keepalives_count = 3
max_connections = 300
EOT
    echo "host all all $NET.0/24 scram-sha-256" >>"$conf/pg_hba.conf"
  fi
  if ! pg_lsclusters -h | awk -v n="$PG_CLUSTER" '$2==n {print $4}' | grep -q online; then
    in_host data pg_ctlcluster "$ver" "$PG_CLUSTER" start
  fi
  su postgres -c "psql -q -p $PG_PORT -tc \"SELECT 1 FROM pg_roles WHERE rolname='platform'\"" | grep -q 1 ||
    su postgres -c "psql -q -p $PG_PORT -c \"CREATE ROLE platform LOGIN CREATEDB PASSWORD '$(secret pg)'\""
  su postgres -c "psql -q -p $PG_PORT -tc \"SELECT 1 FROM pg_database WHERE datname='platform'\"" | grep -q 1 ||
    su postgres -c "psql -q -p $PG_PORT -c 'CREATE DATABASE platform OWNER platform'"
}

stop_postgres() { pg_ctlcluster "$(pg_version)" "$PG_CLUSTER" stop -m fast 2>/dev/null || true; }

rabbit_env() {
  local d=$DIR/data/rabbitmq
  mkdir -p "$d/mnesia" "$d/log"
  [ -f "$d/rabbitmq-env.conf" ] || : >"$d/rabbitmq-env.conf"
  [ -f "$d/enabled_plugins" ] || echo "[]." >"$d/enabled_plugins"
  [ -f "$d/rabbitmq.conf" ] || printf 'listeners.tcp.default = %s:5672\nloopback_users = none\n' "$(host_ip data)" >"$d/rabbitmq.conf"
  # The cookie is this node's own (HOME), so nothing here talks to the machine's other RabbitMQ.
  export HOME=$d RABBITMQ_NODENAME=$RABBIT_NODE RABBITMQ_CONF_ENV_FILE=$d/rabbitmq-env.conf \
    RABBITMQ_CONFIG_FILE=$d/rabbitmq.conf RABBITMQ_ENABLED_PLUGINS_FILE=$d/enabled_plugins \
    RABBITMQ_MNESIA_BASE=$d/mnesia RABBITMQ_LOG_BASE=$d/log RABBITMQ_PID_FILE=$d/rabbitmq.pid \
    ERL_EPMD_ADDRESS=127.0.0.1 RABBITMQ_DIST_PORT=25672
}
rabbitctl() { (rabbit_env; in_host data /usr/lib/rabbitmq/bin/rabbitmqctl -q -n "$RABBIT_NODE" "$@"); }

start_rabbitmq() {
  if ! rabbitctl status >/dev/null 2>&1; then
    log "starting RabbitMQ on the data host"
    (rabbit_env; in_host data /usr/lib/rabbitmq/bin/rabbitmq-server -detached >/dev/null 2>&1 || true)
    for _ in $(seq 1 120); do rabbitctl status >/dev/null 2>&1 && break; sleep 0.5; done
    rabbitctl await_startup --timeout 120 >/dev/null
  fi
  rabbitctl delete_user guest >/dev/null 2>&1 || true
}

stop_rabbitmq() {
  rabbitctl stop >/dev/null 2>&1 || true
  local pid_file=$DIR/data/rabbitmq/rabbitmq.pid
  for _ in $(seq 1 60); do pid_alive "$pid_file" || break; sleep 0.5; done
  # epmd (started by the node) lives on in the data host's namespace until the namespace's processes go.
}

# A RabbitMQ user for one platd: NAME ROLES [CELL_ID]; permissions from `platd rabbitmq-permissions`.
ensure_rabbit_user() {
  local name=$1 roles=$2 cell=${3:-} pass perms
  pass=$(secret "rabbit-$name")
  rabbitctl list_users | awk '{print $1}' | grep -qx "$name" || rabbitctl add_user "$name" "$pass" >/dev/null
  mapfile -t perms < <(platd rabbitmq-permissions --roles "$roles" ${cell:+--Cell:Id=$cell})
  rabbitctl set_permissions -p / "$name" "${perms[0]}" "${perms[1]}" "${perms[2]}" >/dev/null
}

start_s3() {
  local d=$DIR/data/s3 pid_file=$DIR/data/s3/s3rver.pid
  mkdir -p "$d/blobs"
  pid_alive "$pid_file" && return 0
  ensure_s3rver_installed
  log "starting s3rver on the data host"
  nohup nsenter --net=/run/netns/data -- "$S3RVER" --directory "$d/blobs" --address "$(host_ip data)" --port 9000 --silent \
    >"$d/s3rver.log" 2>&1 &
  echo $! >"$pid_file"
  disown
  for _ in $(seq 1 50); do curl -s -o /dev/null "http://$(host_ip data):9000/" && return 0; sleep 0.2; done
  echo "s3rver did not start; see $d/s3rver.log" >&2
  return 1
}
stop_s3() { local f=$DIR/data/s3/s3rver.pid; pid_alive "$f" && kill "$(cat "$f")"; rm -f "$f"; }

ensure_s3rver_installed() {
  local dir=/var/lib/platform/test-s3
  if [ ! -x "$dir/node_modules/.bin/s3rver" ]; then
    log "installing s3rver from npm"
    mkdir -p "$dir"
    (cd "$dir" && npm init -y >/dev/null && npm install --no-audit --no-fund --loglevel=error s3rver@3.7.1 >/dev/null)
  fi
  S3RVER=$dir/node_modules/.bin/s3rver
}

# --- secrets and settings ------------------------------------------------------------------------------------

# A random secret per name, kept in the cluster's directory (mode 0600).
secret() {
  local f=$DIR/secrets/$1
  if [ ! -f "$f" ]; then
    mkdir -p "$DIR/secrets" && chmod 700 "$DIR/secrets"
    (umask 077 && head -c 18 /dev/urandom | base64 | tr '+/' '-_' >"$f")
  fi
  cat "$f"
}

rabbit_url() { echo "amqp://$1:$(secret "rabbit-$1")@$(host_ip data):5672/"; }
pg_conn() { echo "Host=$(host_ip data);Port=$PG_PORT;Username=platform;Password=$(secret pg);Database=platform;Keepalive=2;Tcp Keepalive=true"; }

# The settings file of one platd: each role gets what it needs and no more (a cell or a router never sees the
# database's password; only the API and the router share the router credential).
write_config() {
  local h=$1 unit=$2 roles=$3 port=$4 f ip k zone n
  ip=$(host_ip "$h")
  f=$DIR/hosts/$h/$unit.ini
  mkdir -p "$DIR/hosts/$h/$unit"
  local user=$h-$unit
  [[ $h == cell-* ]] && user=$h
  (
    umask 077
    {
      echo "DataDir=$DIR/hosts/$h/$unit"
      echo "[Api]"
      echo "Url=http://0.0.0.0:$port"
      echo "[Logging]"
      echo "Format=json"
      echo "[Bus]"
      echo "Transport=RabbitMq"
      echo "RabbitMq:Url=$(rabbit_url "$user")"
      case $roles in
        api|scheduler)
          echo "[ConnectionStrings]"
          echo "Platform=$(pg_conn)"
          ;;
      esac
      case $roles in
        api|stager|cell)
          echo "[Blobstore]"
          echo "Kind=S3"
          echo "S3:ServiceUrl=http://$(host_ip data):9000"
          echo "S3:Bucket=platform-blobs"
          echo "S3:AccessKey=S3RVER"
          echo "S3:SecretKey=S3RVER"
          echo "S3:SpoolDirectory=$DIR/hosts/$h/$unit/spool"
          ;;
      esac
      case $roles in
        api)
          echo "[Api]"
          echo "DataDir=$DIR/hosts/$h/$unit"
          echo "RouterUrl=http://127.0.0.1:$ROUTER_PORT"
          echo "RouterToken=$(secret router-token)"
          echo "ExecGrantKey=$(secret exec-grant-key)"
          echo "CellTimeoutSeconds=4"
          ;;
        scheduler)
          echo "[Scheduler]"
          echo "ConvergeIntervalSeconds=1"
          echo "CellTimeoutSeconds=4"
          echo "LeaderPollSeconds=0.5"
          ;;
        stager)
          echo "[Staging]"
          echo "StackRootfs=$STACK_ROOTFS"
          echo "BuildpacksDir=$REPO/buildpacks"
          echo "WorkDir=$DIR/hosts/$h/$unit/work"
          echo "[Sandbox]"
          echo "Root=$DIR/hosts/$h/$unit/sandbox"
          echo "RuntimeStateDirectory=$RUN/$h-$unit"
          echo "Network:Bridge=plstg"
          echo "Network:Subnet=10.219.0.0/16"
          ;;
        cell)
          n=${h#cell-}
          zone=z$(( (n - 1) % ZONES + 1 ))
          echo "[Cell]"
          echo "Id=$h"
          echo "Zone=$zone"
          echo "Host=$ip"
          echo "HeartbeatSeconds=1"
          echo "MemoryCapacityMb=8192"
          echo "ExecUrl=http://0.0.0.0:7075"
          echo "ExecGrantKey=$(secret exec-grant-key)"
          echo "VolumesRoot=$DIR/hosts/$h/volumes"
          echo "Evacuate=true"
          echo "DrainSeconds=2"
          echo "EvacuationTimeoutSeconds=60"
          echo "[Sandbox]"
          echo "Root=$DIR/hosts/$h/sandbox"
          echo "RuntimeStateDirectory=$RUN/$h"
          echo "Network:Bridge=plcl$n"
          echo "Network:Subnet=10.$((210 + n)).0.0/16"
          echo "Network:HostPortRangeStart=$((65100 + (n - 1) * 50))"
          echo "Network:HostPortRangeEnd=$((65100 + (n - 1) * 50 + 49))"
          ;;
        router)
          echo "[Router]"
          echo "Url=http://0.0.0.0:7080"
          echo "ApiUrl=http://$(host_ip ctl):7070,http://$(host_ip ctl-2):7070"
          echo "ApiToken=$(secret router-token)"
          ;;
      esac
    } >"$f"
  )
}

# --- platd processes -----------------------------------------------------------------------------------------

platd() { dotnet "$PLATD" "$@"; }

start_unit() {
  local h=$1 unit=$2 roles=$3 port=$4 pid_file log
  pid_file=$DIR/hosts/$h/$unit.pid
  log=$DIR/hosts/$h/$unit.log
  pid_alive "$pid_file" && return 0
  # Its own network namespace (the host) and its own host name (Environment.MachineName: logs, queue names);
  # the machine's mount namespace, so a restarted cell agent sees the mounts of the instances it adopts.
  nohup nsenter --net="/run/netns/$h" -- unshare --uts -- sh -c 'hostname "$0" && exec "$@"' "$h" \
    dotnet "$PLATD" --roles "$roles" --config "$DIR/hosts/$h/$unit.ini" "${@:5}" >>"$log" 2>&1 &
  echo $! >"$pid_file"
  disown
}

wait_unit() {
  local h=$1 unit=$2 port=$3 pid_file url
  pid_file=$DIR/hosts/$h/$unit.pid
  url="http://$(host_ip "$h"):$port/healthz"
  for _ in $(seq 1 240); do
    curl -sf -m 2 "$url" >/dev/null && return 0
    pid_alive "$pid_file" || break
    sleep 0.25
  done
  tail -20 "$DIR/hosts/$h/$unit.log" >&2
  echo "platd $unit on $h did not become healthy; see $DIR/hosts/$h/$unit.log" >&2
  return 1
}

start_host() {
  local h=$1 unit roles port
  while read -r -u 3 unit roles port; do start_unit "$h" "$unit" "$roles" "$port"; done 3< <(host_units "$h")
  while read -r -u 3 unit roles port; do wait_unit "$h" "$unit" "$port"; done 3< <(host_units "$h")
}

# SIGTERM, then kill -9 after a while: a cell that evacuates takes as long as its instances need to start elsewhere.
stop_host() {
  local h=$1 unit roles port pid_file
  while read -r -u 3 unit roles port; do
    pid_file=$DIR/hosts/$h/$unit.pid
    pid_alive "$pid_file" && kill -TERM "$(cat "$pid_file")"
  done 3< <(host_units "$h")
  while read -r -u 3 unit roles port; do
    pid_file=$DIR/hosts/$h/$unit.pid
    for _ in $(seq 1 400); do pid_alive "$pid_file" || break; sleep 0.25; done
    pid_alive "$pid_file" && kill -KILL "$(cat "$pid_file")"
    rm -f "$pid_file"
  done 3< <(host_units "$h")
}

# Every process on the host: those in its network namespace and everything they started (a container's processes
# live in namespaces of their own under their monitor), as when the machine loses power.
kill_host() {
  local h=$1 roots all
  [ -e "/run/netns/$h" ] || return 0
  roots=$(ip netns pids "$h" | tr '\n' ' ')
  [ -n "$roots" ] || return 0
  all=$(ps -e -o pid=,ppid= | awk -v roots="$roots" '
    BEGIN { n = split(roots, r, " "); for (i = 1; i <= n; i++) keep[r[i]] = 1 }
    { parent[$1] = $2 }
    END {
      changed = 1
      while (changed) { changed = 0; for (p in parent) if (!(p in keep) && (parent[p] in keep)) { keep[p] = 1; changed = 1 } }
      for (p in keep) printf "%s ", p
    }')
  # shellcheck disable=SC2086
  kill -KILL $all 2>/dev/null || true
  local unit roles port
  while read -r -u 3 unit roles port; do rm -f "$DIR/hosts/$h/$unit.pid"; done 3< <(host_units "$h")
}

# A cell agent started once more with Cell:StopInstancesOnShutdown (and no evacuation) adopts what a killed agent
# left, then stops and removes it all when it is stopped: overlay mounts, cgroups, namespaces, rules.
clean_cell() {
  local h=$1 pid_file=$DIR/hosts/$1/cell.pid
  [ -f "$DIR/hosts/$h/cell.ini" ] || return 0
  [ -d "$DIR/hosts/$h/sandbox/containers" ] && [ -n "$(ls -A "$DIR/hosts/$h/sandbox/containers" 2>/dev/null)" ] || return 0
  pid_alive "$pid_file" || start_unit "$h" cell cell 7070 --Cell:StopInstancesOnShutdown=true --Cell:Evacuate=false
  wait_unit "$h" cell 7070 || return 0
  kill -TERM "$(cat "$pid_file")"
  for _ in $(seq 1 240); do pid_alive "$pid_file" || break; sleep 0.25; done
  pid_alive "$pid_file" && kill -KILL "$(cat "$pid_file")"
  rm -f "$pid_file"
}

# --- commands ------------------------------------------------------------------------------------------------

resolve_binaries() {
  if [ -n "${PLATFORM_CLUSTER_PLATD:-}" ]; then
    PLATD=$PLATFORM_CLUSTER_PLATD
    PLAT=${PLATFORM_CLUSTER_PLAT:?set PLATFORM_CLUSTER_PLAT with PLATFORM_CLUSTER_PLATD}
  elif [ -f "$DIR/bin/platd/platd.dll" ] && [ "${1:-}" != build ]; then
    PLATD=$DIR/bin/platd/platd.dll
    PLAT=$DIR/bin/plat/plat.dll
  else
    log "building platd and plat"
    dotnet publish "$REPO/src/Platform.Server" -c Release -o "$DIR/bin/platd" -nologo -v q -clp:ErrorsOnly
    dotnet publish "$REPO/src/Platform.Cli" -c Release -o "$DIR/bin/plat" -nologo -v q -clp:ErrorsOnly
    PLATD=$DIR/bin/platd/platd.dll
    PLAT=$DIR/bin/plat/plat.dll
  fi
}

# The staticfile buildpack's busybox, fetched on this machine: the control host has no way out.
warm_staging_cache() {
  local cache=/var/lib/platform/staging/cache/debs sha=3d3fdbe91d4660c873e14b092c213fe81c1da6362daa236eb25d0171eb108744 tmp
  [ -f "$cache/$sha.deb" ] && return 0
  log "fetching busybox-static for the staticfile buildpack"
  mkdir -p "$cache"
  tmp=$(mktemp -d)
  (cd "$tmp" && apt-get download -q -o APT::Sandbox::User=root "busybox-static=1:1.35.0-4+deb12u1+b1" >/dev/null 2>&1 ||
    { apt-get update -qq && apt-get download -q -o APT::Sandbox::User=root "busybox-static=1:1.35.0-4+deb12u1+b1" >/dev/null; })
  if echo "$sha  $(ls "$tmp"/*.deb)" | sha256sum -c --quiet; then mv "$tmp"/*.deb "$cache/$sha.deb"; fi
  rm -rf "$tmp"
}

cmd_up() {
  local n=3
  while [ $# -gt 0 ]; do
    case $1 in
      --cells) n=$2; shift 2 ;;
      *) echo "unknown option $1" >&2; exit 2 ;;
    esac
  done
  if ! [[ $n =~ ^[0-9]+$ ]] || [ "$n" -lt 1 ] || [ "$n" -gt $MAX_CELLS ]; then
    echo "--cells must be 1 to $MAX_CELLS" >&2; exit 2
  fi
  if [ -f "$DIR/cells" ] && [ "$(cells)" != "$n" ]; then
    echo "a cluster with $(cells) cells is up: ./deploy/cluster.sh down first" >&2; exit 2
  fi
  ZONES=2
  [ "$n" -lt 2 ] && ZONES=1
  mkdir -p "$DIR" "$RUN"
  echo "$n" >"$DIR/cells"
  ensure_packages
  ensure_stack_rootfs
  warm_staging_cache
  resolve_binaries

  ensure_bridge
  for h in $(hosts); do ensure_host_netns "$h"; done
  start_postgres
  start_rabbitmq
  start_s3
  for h in $(platform_hosts); do
    while read -r -u 3 unit roles port; do
      if [[ $h == cell-* ]]; then ensure_rabbit_user "$h" cell "$h"; else ensure_rabbit_user "$h-$unit" "$roles"; fi
      write_config "$h" "$unit" "$roles" "$port"
    done 3< <(host_units "$h")
  done

  log "starting platd on ctl (api, scheduler, stager)"
  # The first API creates the schema and the bootstrap admin; then every other host at once.
  start_unit ctl api api 7070 && wait_unit ctl api 7070
  local starting=() failed=0
  for h in $(platform_hosts); do start_host "$h" & starting+=($!); done
  for job in "${starting[@]}"; do wait "$job" || failed=1; done
  [ $failed -eq 0 ] || { echo "some hosts did not start; ./deploy/cluster.sh status" >&2; exit 1; }

  local password
  password=$(sed -n 's/.*"password" *: *"\([^"]*\)".*/\1/p' "$DIR/hosts/ctl/api/bootstrap-admin.json")
  PLAT_PASSWORD="$password" dotnet "$PLAT" login -a "http://127.0.0.1:$API_PORT" -u admin >/dev/null
  cat <<EOT

Platform cluster is running: $n cells in $ZONES zones.
API: http://127.0.0.1:$API_PORT
API-2: http://127.0.0.1:$API2_PORT
Router: http://127.0.0.1:$ROUTER_PORT
  (logged in as admin: plat target; apps at NAME.apps.localhost through the router)
  Hosts: $(hosts | tr '\n' ' ')
  Logs:  $DIR/hosts/HOST/UNIT.log (JSON lines)

  ./deploy/cluster.sh status | kill HOST | cut HOST | heal HOST | stop HOST | start HOST | restart HOST | down
EOT
}

cmd_down() {
  [ -d "$DIR" ] || [ -e /run/netns/ctl ] || { log "no cluster"; return 0; }
  resolve_binaries_quiet
  log "removing the cluster"
  # The control plane and the router first, so nothing reacts to the cells going.
  for h in ctl ctl-2 edge; do kill_host "$h"; done
  local n; n=$(cells)
  for i in $(seq 1 "$n"); do kill_host "cell-$i"; done
  for i in $(seq 1 "$n"); do ip link set "plc-cell-$i" up 2>/dev/null || true; done
  if [ -n "${PLATD:-}" ]; then
    for i in $(seq 1 "$n"); do clean_cell "cell-$i" & done
    wait
  fi
  stop_s3
  stop_rabbitmq
  kill_host data
  pg_dropcluster --stop "$(pg_version)" "$PG_CLUSTER" 2>/dev/null || true
  for h in data ctl ctl-2 edge $(for i in $(seq 1 $MAX_CELLS); do echo "cell-$i"; done); do
    ip link del "plc-$h" 2>/dev/null || true
    [ -e "/run/netns/$h" ] && ip netns del "$h"
  done
  ip link del "$BRIDGE" 2>/dev/null || true
  iptables -w -t nat -D OUTPUT -d 127.0.0.1/32 -p tcp -j "$CHAIN-OUT" 2>/dev/null || true
  iptables -w -t nat -D POSTROUTING -j "$CHAIN-POST" 2>/dev/null || true
  for c in OUT POST; do iptables -w -t nat -F "$CHAIN-$c" 2>/dev/null || true; iptables -w -t nat -X "$CHAIN-$c" 2>/dev/null || true; done
  # What a killed container may have left of its mounts (the cleaning agent removes them when it can run).
  { grep -o " $DIR/[^ ]*" /proc/mounts || true; } | sort -r | while read -r m; do umount -l "$m" 2>/dev/null || true; done
  rm -rf "$DIR" "$RUN"
  log "removed"
}

resolve_binaries_quiet() {
  if [ -n "${PLATFORM_CLUSTER_PLATD:-}" ]; then PLATD=$PLATFORM_CLUSTER_PLATD
  elif [ -f "$DIR/bin/platd/platd.dll" ]; then PLATD=$DIR/bin/platd/platd.dll
  fi
}

cmd_status() {
  [ -f "$DIR/cells" ] || { echo "no cluster (./deploy/cluster.sh up)"; return 0; }
  printf '%-8s %-14s %-6s %s\n' HOST ADDRESS LINK PROCESSES
  local h link procs unit roles port
  for h in $(hosts); do
    link=$(ip -br link show "plc-$h" 2>/dev/null | awk '{print $2}')
    procs=""
    if [ "$h" = data ]; then
      pg_lsclusters -h | awk -v n="$PG_CLUSTER" '$2==n {print $4}' | grep -q online && procs+="postgres:up " || procs+="postgres:down "
      rabbitctl status >/dev/null 2>&1 && procs+="rabbitmq:up " || procs+="rabbitmq:down "
      pid_alive "$DIR/data/s3/s3rver.pid" && procs+="s3:up" || procs+="s3:down"
    else
      while read -r -u 3 unit roles port; do
        pid_alive "$DIR/hosts/$h/$unit.pid" && procs+="$unit:up(pid $(cat "$DIR/hosts/$h/$unit.pid")) " || procs+="$unit:down "
      done 3< <(host_units "$h")
    fi
    printf '%-8s %-14s %-6s %s\n' "$h" "$(host_ip "$h")" "${link:-none}" "$procs"
  done
}

# Variables for scripts and tests: eval "$(./deploy/cluster.sh env)".
cmd_env() {
  [ -f "$DIR/cells" ] || { echo "no cluster" >&2; exit 1; }
  cat <<EOT
CLUSTER_DIR='$DIR'
CLUSTER_CELLS='$(cells)'
CLUSTER_API='http://127.0.0.1:$API_PORT'
CLUSTER_API2='http://127.0.0.1:$API2_PORT'
CLUSTER_ROUTER='http://127.0.0.1:$ROUTER_PORT'
CLUSTER_POSTGRES='$(pg_conn)'
CLUSTER_RABBITMQ_HOST='$(host_ip data)'
EOT
}

need_host() {
  local h=${1:?name a host: $(hosts | tr '\n' ' ')}
  hosts | grep -qx "$h" || { echo "no host '$h' (hosts: $(hosts | tr '\n' ' '))" >&2; exit 2; }
}

cmd=${1:-}
shift || true
case $cmd in
  up) cmd_up "$@" ;;
  down) cmd_down ;;
  status) cmd_status ;;
  env) cmd_env ;;
  kill)
    case ${1:-} in
      postgres) pg_ctlcluster "$(pg_version)" "$PG_CLUSTER" stop -m immediate ;;
      rabbitmq) pid=$(cat "$DIR/data/rabbitmq/rabbitmq.pid" 2>/dev/null) && kill -KILL "$pid" ;;
      *) need_host "${1:-}"; kill_host "$1" ;;
    esac ;;
  cut) need_host "${1:-}"; ip link set "plc-$1" down ;;
  heal) need_host "${1:-}"; ip link set "plc-$1" up ;;
  stop|start|restart)
    target=${1:?name a host, or postgres, rabbitmq, s3}
    case $target in
      postgres) [ "$cmd" != start ] && stop_postgres; [ "$cmd" != stop ] && start_postgres ;;
      rabbitmq) [ "$cmd" != start ] && stop_rabbitmq; [ "$cmd" != stop ] && start_rabbitmq ;;
      s3) [ "$cmd" != start ] && stop_s3; [ "$cmd" != stop ] && { ensure_s3rver_installed; start_s3; } ;;
      data)
        [ "$cmd" != start ] && { stop_s3; stop_rabbitmq; stop_postgres; }
        [ "$cmd" != stop ] && { start_postgres; start_rabbitmq; start_s3; } ;;
      *)
        need_host "$target"
        resolve_binaries_quiet
        [ -n "${PLATD:-}" ] || { echo "no platd: PLATFORM_CLUSTER_PLATD or ./deploy/cluster.sh up" >&2; exit 1; }
        [ "$cmd" != start ] && stop_host "$target"
        [ "$cmd" != stop ] && start_host "$target" ;;
    esac ;;
  *) sed -n '2,/^source/p' "$0" | grep '^#' | sed 's/^# \{0,1\}//'; [ -z "$cmd" ] || exit 2 ;;
esac
exit 0
