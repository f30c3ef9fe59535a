#!/usr/bin/env bash
# Runs the whole platform on this machine: ./deploy/dev.sh   (again: reuses what is there)
#                                          ./deploy/dev.sh stop
# Installs what is missing, starts a PostgreSQL cluster of its own, builds platd and plat, puts plat on
# the PATH, starts `platd --dev` (every role in one process) and logs plat in as the bootstrap admin.
source "$(dirname "$0")/lib.sh"

DEV_DIR=${PLATFORM_DEV_DIR:-/var/lib/platform/dev}
API_URL=${PLATFORM_API_URL:-http://127.0.0.1:7070}
ROUTER_URL=${PLATFORM_ROUTER_URL:-http://127.0.0.1:7080}
PG_PORT=${PLATFORM_DEV_PG_PORT:-5434}
PID_FILE=$DEV_DIR/platd.pid

running() { [ -f "$PID_FILE" ] && kill -0 "$(cat "$PID_FILE")" 2>/dev/null; }

if [ "${1:-}" = stop ]; then
  if running; then
    log "stopping platd (pid $(cat "$PID_FILE"))"
    kill "$(cat "$PID_FILE")"
    for _ in $(seq 1 60); do running || break; sleep 0.5; done
    running && kill -9 "$(cat "$PID_FILE")"
  fi
  rm -f "$PID_FILE"
  ver=$(ls /usr/lib/postgresql | sort -n | tail -1)
  pg_ctlcluster "$ver" platform-dev stop 2>/dev/null || true
  log "stopped"
  exit 0
fi

mkdir -p "$DEV_DIR"
ensure_packages
ensure_postgres platform-dev "$PG_PORT"
ensure_stack_rootfs

ensure_web
log "building platd and plat"
dotnet publish "$REPO/src/Platform.Server" -c Release -o "$DEV_DIR/bin/platd" -nologo -v q -clp:ErrorsOnly
dotnet publish "$REPO/src/Platform.Cli" -c Release -o "$DEV_DIR/bin/plat" -nologo -v q -clp:ErrorsOnly
cat >/usr/local/bin/plat <<EOT
#!/bin/sh
exec dotnet "$DEV_DIR/bin/plat/plat.dll" "\$@"
EOT
chmod +x /usr/local/bin/plat

if running; then
  log "platd is already running (pid $(cat "$PID_FILE")); './deploy/dev.sh stop' first to restart it"
else
  log "starting platd --dev (log: $DEV_DIR/platd.log)"
  PG_DEV="Host=127.0.0.1;Port=$PG_PORT;Username=platform;Password=platform;Database=platform"
  nohup dotnet "$DEV_DIR/bin/platd/platd.dll" --dev \
    --DataDir="$DEV_DIR" \
    --ConnectionStrings:Platform="$PG_DEV" \
    --Api:Url="$API_URL" --Router:Url="$ROUTER_URL" \
    --Staging:StackRootfs="$STACK_ROOTFS" --Staging:BuildpacksDir="$REPO/buildpacks" \
    >"$DEV_DIR/platd.log" 2>&1 &
  echo $! >"$PID_FILE"
  for _ in $(seq 1 120); do
    curl -sf "$API_URL/healthz" >/dev/null && break
    running || { tail -30 "$DEV_DIR/platd.log"; echo "platd exited; see $DEV_DIR/platd.log" >&2; exit 1; }
    sleep 0.5
  done
  curl -sf "$API_URL/healthz" >/dev/null || { tail -30 "$DEV_DIR/platd.log"; exit 1; }
fi

# The bootstrap admin's password is written by platd on its first start (mode 0600).
ADMIN_PASSWORD=$(sed -n 's/.*"password" *: *"\([^"]*\)".*/\1/p' "$DEV_DIR/bootstrap-admin.json")
PLAT_PASSWORD="$ADMIN_PASSWORD" plat login -a "$API_URL" -u admin >/dev/null

cat <<EOT

Platform is running.
  Dashboard: $API_URL/     (log in as admin; the password is in $DEV_DIR/bootstrap-admin.json)
  API:     $API_URL        (logged in as admin: plat target)
  Router:  $ROUTER_URL     (apps at NAME.apps.localhost)
  Logs:    $DEV_DIR/platd.log

Push an app:
  plat push site -p ./path/to/dir-with-index.html
  curl -H 'Host: site.apps.localhost' $ROUTER_URL/

Stop: ./deploy/dev.sh stop
EOT
