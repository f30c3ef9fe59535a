#!/usr/bin/env bash
# Installs platd on a Debian 12 host for a set of roles, as a systemd service:
#
#   ./deploy/install.sh --roles ROLES [--api URL[,URL]] [options]     (as root, from a checkout of the repository)
#
# It installs the Debian packages the roles need (runc/crun, conmon, catatonit, iproute2, iptables for a cell or a
# stager; debootstrap and the stack rootfs for a stager), publishes platd to /opt/platform/platd, writes its settings
# to /etc/platform/platd.ini (mode 0600: it holds only the secrets these roles need) and enables
# platform-platd.service. Run it again to upgrade: the service is restarted (a cell with --evacuate moves its
# instances to other cells first). See docs/operations.md for the topology, ports, sizing and upgrades.
#
# Options (what each role needs; others are refused for roles that do not use them):
#   --roles R              api, scheduler, stager, cell, router (comma-separated)
#   --api URL[,URL]        the API(s) a router loads its route table from (router)
#   --database CONN        PostgreSQL (Npgsql) connection string (api, scheduler)
#   --rabbitmq URL         amqp://USER:PASSWORD@HOST:5672/ (every role; USER's permissions: platd rabbitmq-permissions)
#   --s3 URL --s3-bucket B --s3-access-key K --s3-secret-key S   the blobstore (api, stager, cell)
#   --router-token T       the router credential (api: Api:RouterToken; router: Router:ApiToken)
#   --exec-grant-key K     the secret `plat exec` grants are signed with, the same on every api and cell host
#                          (api: Api:ExecGrantKey; cell: Cell:ExecGrantKey; at least 16 characters)
#   --router-url URL       what the API tells users the router is (api)
#   --cell-id ID --zone Z --address IP   the cell's id (its queue), zone and the address other hosts reach it at (cell)
#   --evacuate             a graceful stop of the cell moves its instances elsewhere first (cell)
#   --listen URL           platd's own port (/healthz, /readyz, /metrics; the API when it runs the api role), default
#                          http://0.0.0.0:7070
#   --dry-run              print the settings file and the unit instead of installing
source "$(dirname "$0")/lib.sh"

ROLES="" APIS="" DATABASE="" RABBITMQ="" S3="" S3_BUCKET=platform-blobs S3_ACCESS="" S3_SECRET="" ROUTER_TOKEN="" EXEC_GRANT_KEY=""
ROUTER_URL="" CELL_ID="" ZONE="" ADDRESS="" EVACUATE=false LISTEN=http://0.0.0.0:7070 DRY_RUN=false
ETC=/etc/platform OPT=/opt/platform VAR=/var/lib/platform

usage() { sed -n '2,/^source/p' "$0" | grep '^#' | sed 's/^# \{0,1\}//'; exit 2; }
while [ $# -gt 0 ]; do
  case $1 in
    --roles) ROLES=$2; shift 2 ;;
    --api) APIS=$2; shift 2 ;;
    --database) DATABASE=$2; shift 2 ;;
    --rabbitmq) RABBITMQ=$2; shift 2 ;;
    --s3) S3=$2; shift 2 ;;
    --s3-bucket) S3_BUCKET=$2; shift 2 ;;
    --s3-access-key) S3_ACCESS=$2; shift 2 ;;
    --s3-secret-key) S3_SECRET=$2; shift 2 ;;
    --router-token) ROUTER_TOKEN=$2; shift 2 ;;
    --router-url) ROUTER_URL=$2; shift 2 ;;
    --exec-grant-key) EXEC_GRANT_KEY=$2; shift 2 ;;
    --cell-id) CELL_ID=$2; shift 2 ;;
    --zone) ZONE=$2; shift 2 ;;
    --address) ADDRESS=$2; shift 2 ;;
    --evacuate) EVACUATE=true; shift ;;
    --listen) LISTEN=$2; shift 2 ;;
    --dry-run) DRY_RUN=true; shift ;;
    -h|--help) usage ;;
    *) echo "unknown option $1 (--help)" >&2; exit 2 ;;
  esac
done

has() { [[ ",$ROLES," == *",$1,"* ]]; }
fail() { echo "install.sh: $*" >&2; exit 2; }
[ -n "$ROLES" ] || fail "--roles is required (api, scheduler, stager, cell, router)"
for r in ${ROLES//,/ }; do [[ $r =~ ^(api|scheduler|stager|cell|router)$ ]] || fail "unknown role '$r'"; done
[ -n "$RABBITMQ" ] || fail "--rabbitmq is required: every role talks over the bus"
if has api || has scheduler; then [ -n "$DATABASE" ] || fail "--database is required for the api and scheduler roles"
else [ -z "$DATABASE" ] || fail "--database is only for the api and scheduler roles (a $ROLES host needs no database)"; fi
if has api || has stager || has cell; then [ -n "$S3" ] && [ -n "$S3_ACCESS" ] && [ -n "$S3_SECRET" ] || fail "--s3, --s3-access-key and --s3-secret-key are required for the api, stager and cell roles"; fi
if has router; then [ -n "$APIS" ] && [ -n "$ROUTER_TOKEN" ] || fail "--api and --router-token are required for the router role"; fi
if has api; then [ -n "$ROUTER_TOKEN" ] || fail "--router-token is required for the api role (routers present it)"; fi
if has api || has cell; then [ ${#EXEC_GRANT_KEY} -ge 16 ] || fail "--exec-grant-key (at least 16 characters, the same on every api and cell host) is required for the api and cell roles"
else [ -z "$EXEC_GRANT_KEY" ] || fail "--exec-grant-key is only for the api and cell roles"; fi
if has cell; then [ -n "$CELL_ID" ] && [ -n "$ADDRESS" ] || fail "--cell-id and --address are required for the cell role"; fi
if ! has cell && { [ -n "$CELL_ID" ] || [ -n "$ZONE" ] || $EVACUATE; }; then fail "--cell-id, --zone and --evacuate are for the cell role"; fi

settings() {
  echo "; platd settings for roles $ROLES, written by deploy/install.sh. Only what these roles need."
  echo "DataDir=$VAR"
  echo "[Api]"
  echo "Url=$LISTEN"
  has api && { echo "DataDir=$VAR"; echo "RouterToken=$ROUTER_TOKEN"; echo "ExecGrantKey=$EXEC_GRANT_KEY"; [ -n "$ROUTER_URL" ] && echo "RouterUrl=$ROUTER_URL"; }
  echo "[Logging]"
  echo "Format=json"
  echo "[Bus]"
  echo "Transport=RabbitMq"
  echo "RabbitMq:Url=$RABBITMQ"
  if [ -n "$DATABASE" ]; then echo "[ConnectionStrings]"; echo "Platform=$DATABASE"; fi
  if has api || has stager || has cell; then
    echo "[Blobstore]"
    echo "Kind=S3"
    echo "S3:ServiceUrl=$S3"
    echo "S3:Bucket=$S3_BUCKET"
    echo "S3:AccessKey=$S3_ACCESS"
    echo "S3:SecretKey=$S3_SECRET"
  fi
  if has stager; then
    echo "[Staging]"
    echo "StackRootfs=$VAR/stacks/bookworm"
    echo "BuildpacksDir=$OPT/buildpacks"
  fi
  if has cell; then
    echo "[Cell]"
    echo "Id=$CELL_ID"
    [ -n "$ZONE" ] && echo "Zone=$ZONE"
    echo "Host=$ADDRESS"
    echo "ExecUrl=http://0.0.0.0:7075"
    echo "ExecGrantKey=$EXEC_GRANT_KEY"
    echo "Evacuate=$EVACUATE"
    echo "DrainSeconds=2"
  fi
  if has router; then
    echo "[Router]"
    echo "Url=http://0.0.0.0:8080"
    echo "ApiUrl=$APIS"
    echo "ApiToken=$ROUTER_TOKEN"
  fi
}

unit() {
  cat <<EOT
[Unit]
Description=Platform platd ($ROLES)
Documentation=file://$OPT/docs/operations.md
Wants=network-online.target
After=network-online.target

[Service]
Type=exec
ExecStart=/usr/bin/dotnet $OPT/platd/platd.dll --roles $ROLES --config $ETC/platd.ini
Restart=always
RestartSec=2
# A cell's instances run under their own monitors and outlive the agent (the next one adopts them): stop only platd.
KillMode=$(has cell && echo process || echo control-group)
# A cell that evacuates needs as long as its instances take to start elsewhere.
TimeoutStopSec=$(has cell && echo 180 || echo 30)
LimitNOFILE=1048576

[Install]
WantedBy=multi-user.target
EOT
}

if $DRY_RUN; then
  echo "# $ETC/platd.ini"; settings | sed -E 's/(Password=|:[^:@/]*@|SecretKey=|Token=|GrantKey=)[^;@]*/\1***/g'
  echo; echo "# /etc/systemd/system/platform-platd.service"; unit
  exit 0
fi

[ "$(id -u)" = 0 ] || fail "run as root"
. /etc/os-release
[ "${ID:-}" = debian ] || log "warning: this is ${PRETTY_NAME:-not Debian}; install.sh is made for Debian 12"

packages=(curl ca-certificates)
if has cell || has stager; then packages+=(runc crun conmon catatonit tini iproute2 iptables kmod e2fsprogs busybox-static); fi
has stager && packages+=(debootstrap)
missing=()
for p in "${packages[@]}"; do dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p"); done
if ((${#missing[@]})); then
  log "installing Debian packages: ${missing[*]}"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
command -v dotnet >/dev/null || fail "the .NET 10 runtime is needed (/usr/bin/dotnet): install it first (docs/operations.md)"
has stager && { STACK_DIR=$VAR/stacks/bookworm; [ -f "$STACK_DIR/.complete" ] || ensure_stack_rootfs; }

log "publishing platd to $OPT/platd"
mkdir -p "$OPT" "$ETC" "$VAR"
dotnet publish "$REPO/src/Platform.Server" -c Release -o "$OPT/platd.new" -nologo -v q -clp:ErrorsOnly
rm -rf "$OPT/platd.old"; [ -d "$OPT/platd" ] && mv "$OPT/platd" "$OPT/platd.old"
mv "$OPT/platd.new" "$OPT/platd"
rm -rf "$OPT/buildpacks" "$OPT/docs" && cp -r "$REPO/buildpacks" "$OPT/buildpacks" && cp -r "$REPO/docs" "$OPT/docs"

(umask 077 && settings >"$ETC/platd.ini.new" && mv "$ETC/platd.ini.new" "$ETC/platd.ini")
unit >/etc/systemd/system/platform-platd.service
if [ -d /run/systemd/system ]; then
  systemctl daemon-reload
  systemctl enable platform-platd.service >/dev/null
  systemctl restart platform-platd.service
  log "platform-platd.service (re)started: journalctl -u platform-platd -f"
else
  log "no systemd running here: start it with /usr/bin/dotnet $OPT/platd/platd.dll --roles $ROLES --config $ETC/platd.ini"
fi
