#!/usr/bin/env bash
# Runs every test: ./deploy/test.sh [extra dotnet test arguments, e.g. --filter ...]
# Installs and starts what the tests need (PostgreSQL, RabbitMQ, an S3 server, crun/runc, a stack rootfs),
# builds the solution, runs unit, integration and end-to-end tests, and ends with "N passed, N failed".
source "$(dirname "$0")/lib.sh"

# A failing service start stops here (a bare eval "$(...)" would ignore its exit status).
services=$("$REPO/deploy/test-services.sh")
eval "$services"
ensure_build

log "running the tests"
out=$(mktemp)
# Test projects run one after another: several of them create network bridges, netns and cgroups.
set +e
dotnet test "$REPO/Platform.sln" --no-build -m:1 "$@" 2>&1 | tee "$out"
status=${PIPESTATUS[0]}
set -e
# dotnet test prints one "Passed!/Failed!  - Failed: F, Passed: P, ..." line per test assembly.
grep -E '(Passed|Failed)! +- Failed: ' "$out" | sed -E 's/.*Failed: +([0-9]+), Passed: +([0-9]+), Skipped: +([0-9]+).*/\1 \2 \3/' |
  awk '{f+=$1; p+=$2; s+=$3} END {printf "%d passed, %d failed, %d skipped\n", p, f, s}'
rm -f "$out"
exit "$status"
