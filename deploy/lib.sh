#!/usr/bin/env bash
# Shared by dev.sh and test.sh: install what is missing and start the services the platform needs.
# Every function is safe to run again: it reuses what is already there.
set -euo pipefail

REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1

log() { printf '\033[1m==> %s\033[0m\n' "$*" >&2; }

# Debian packages the platform and its tests use; installed only when a command is missing.
DEBIAN_PACKAGES=(crun runc conmon catatonit tini debootstrap postgresql rabbitmq-server iproute2 iptables wrk
  nftables nginx curl zip unzip kmod procps psmisc busybox-static e2fsprogs gcc libc6-dev
  openjdk-17-jdk-headless libservlet-api-java libjakarta-servlet-api-java chromium)

ensure_packages() {
  local missing=()
  for p in "${DEBIAN_PACKAGES[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
  done
  if ((${#missing[@]})); then
    log "installing Debian packages: ${missing[*]}"
    apt-get update -qq
    # policy-rc.d keeps the packages' own services from starting: we start our own instances.
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  fi
}

# A PostgreSQL cluster of the platform's own: ensure_postgres NAME PORT -> sets PG_URL (Npgsql form).
ensure_postgres() {
  local name=$1 port=$2 ver
  ver=$(ls /usr/lib/postgresql | sort -n | tail -1)
  if ! pg_lsclusters -h | awk '{print $1" "$2}' | grep -qx "$ver $name"; then
    log "creating PostgreSQL $ver cluster '$name' on port $port"
    pg_createcluster "$ver" "$name" -p "$port" -- --auth-local=trust --auth-host=scram-sha-256 >/dev/null
    # Loopback only.
    sed -i "s/^#\?listen_addresses.*/listen_addresses = '127.0.0.1'/" "/etc/postgresql/$ver/$name/postgresql.conf"
  fi
  if ! pg_lsclusters -h | awk -v n="$name" '$2==n {print $4}' | grep -q online; then
    pg_ctlcluster "$ver" "$name" start
  fi
  su postgres -c "psql -q -p $port -tc \"SELECT 1 FROM pg_roles WHERE rolname='platform'\"" | grep -q 1 ||
    su postgres -c "psql -q -p $port -c \"CREATE ROLE platform LOGIN SUPERUSER PASSWORD 'platform'\""
  PG_URL="Host=127.0.0.1;Port=$port;Username=platform;Password=platform;Database=postgres"
}

# RabbitMQ on loopback with a 'platform' user -> sets RABBITMQ_URL.
ensure_rabbitmq() {
  if ! grep -q '^NODE_IP_ADDRESS=127.0.0.1' /etc/rabbitmq/rabbitmq-env.conf 2>/dev/null; then
    echo 'NODE_IP_ADDRESS=127.0.0.1' >>/etc/rabbitmq/rabbitmq-env.conf
  fi
  if ! rabbitmqctl -q status >/dev/null 2>&1; then
    log "starting RabbitMQ"
    # The management/dist port must also stay on loopback.
    export ERL_EPMD_ADDRESS=127.0.0.1 RABBITMQ_DIST_PORT=25672
    rabbitmq-server -detached >/dev/null 2>&1 || true
    # -detached returns before the node registers with epmd; wait until it answers.
    for _ in $(seq 1 120); do rabbitmqctl -q status >/dev/null 2>&1 && break; sleep 1; done
    rabbitmqctl -q await_startup --timeout 120 >/dev/null
  fi
  rabbitmqctl -q list_users | grep -q '^platform' || {
    rabbitmqctl -q add_user platform platform >/dev/null
    rabbitmqctl -q set_user_tags platform administrator >/dev/null
    rabbitmqctl -q set_permissions -p / platform '.*' '.*' '.*' >/dev/null
  }
  RABBITMQ_URL="amqp://platform:platform@127.0.0.1:5672/"
}

# s3rver (an S3-compatible server from npm) on loopback -> sets S3_URL.
ensure_s3rver() {
  local dir=$1 port=$2
  mkdir -p "$dir/data"
  if [ ! -x "$dir/node_modules/.bin/s3rver" ]; then
    log "installing s3rver from npm"
    (cd "$dir" && npm init -y >/dev/null && npm install --no-audit --no-fund --loglevel=error s3rver@3.7.1 >/dev/null)
  fi
  if ! curl -s -o /dev/null "http://127.0.0.1:$port/"; then
    log "starting s3rver on 127.0.0.1:$port"
    nohup "$dir/node_modules/.bin/s3rver" --directory "$dir/data" --address 127.0.0.1 --port "$port" --silent \
      >"$dir/s3rver.log" 2>&1 &
    for _ in $(seq 1 50); do curl -s -o /dev/null "http://127.0.0.1:$port/" && break; sleep 0.2; done
  fi
  S3_URL="http://127.0.0.1:$port"
}

# The stack rootfs (debootstrap --variant=minbase bookworm), built once per machine -> sets STACK_ROOTFS.
ensure_stack_rootfs() {
  local dir=/var/lib/platform/stacks/bookworm
  if [ ! -f "$dir/.complete" ]; then
    log "building the bookworm stack rootfs with debootstrap (once per machine)"
    rm -rf "$dir.tmp" && mkdir -p "$dir.tmp"
    debootstrap --variant=minbase bookworm "$dir.tmp" "${PLATFORM_DEBIAN_MIRROR:-http://deb.debian.org/debian}" \
      >/tmp/platform-debootstrap.log 2>&1 || { tail -20 /tmp/platform-debootstrap.log >&2; exit 1; }
    rm -rf "$dir" && mv "$dir.tmp" "$dir" && touch "$dir/.complete"
  fi
  STACK_ROOTFS=$dir
}

# The dashboard (web/): npm ci from package-lock.json, then the production build into web/dist, which platd serves.
# Runs before the .NET build: platd's build copies web/dist beside itself.
ensure_web() {
  command -v npm >/dev/null || { echo "npm is missing: install Node.js 20 and npm" >&2; exit 1; }
  log "building the dashboard (web/)"
  (cd "$REPO/web" && npm ci --no-audit --no-fund --loglevel=error >/dev/null && npm run --silent build >/dev/null)
}

ensure_build() {
  ensure_web
  log "building the solution"
  dotnet build "$REPO/Platform.sln" -c "${CONFIGURATION:-Debug}" -nologo -v q -clp:ErrorsOnly
}
