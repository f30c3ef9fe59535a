#!/usr/bin/env bash
# Runs every test: ./deploy/test.sh [extra dotnet test arguments, e.g. --filter ...]
# The many-host suite (tests/Platform.Cluster.Tests, over deploy/cluster.sh) runs only with PLATFORM_CLUSTER_TESTS=1.
# Installs and starts what the tests need (PostgreSQL, RabbitMQ, an S3 server, crun/runc, a stack rootfs),
# builds the solution, runs unit, integration and end-to-end tests, and ends with "N passed, N failed".
source "$(dirname "$0")/lib.sh"

# A failing service start stops here (a bare eval "$(...)" would ignore its exit status).
services=$("$REPO/deploy/test-services.sh")
eval "$services"
ensure_build

log "running the tests"
out=$(mktemp)
web_json=$(mktemp)
set +e
# The dashboard's component tests (vitest), then the .NET tests (the browser tests among them drive Chromium).
(cd "$REPO/web" && npx vitest run --reporter=default --reporter=json --outputFile="$web_json") 2>&1 | tee -a "$out"
web_status=${PIPESTATUS[0]}
# Test projects run one after another: several of them create network bridges, netns and cgroups.
dotnet test "$REPO/Platform.sln" --no-build -m:1 "$@" 2>&1 | tee -a "$out"
status=${PIPESTATUS[0]}
set -e
[ "$web_status" -eq 0 ] || status=$web_status
# dotnet test prints one "Passed!/Failed!  - Failed: F, Passed: P, ..." line per test assembly; vitest's JSON has its counts.
{
  grep -E '(Passed|Failed)! +- Failed: ' "$out" | sed -E 's/.*Failed: +([0-9]+), Passed: +([0-9]+), Skipped: +([0-9]+).*/\1 \2 \3/'
  node -e 'const r=require(process.argv[1]); console.log(r.numFailedTests, r.numPassedTests, r.numPendingTests + r.numTodoTests)' "$web_json" 2>/dev/null || echo "1 0 0"
} | awk '{f+=$1; p+=$2; s+=$3} END {printf "%d passed, %d failed, %d skipped\n", p, f, s}'
rm -f "$out" "$web_json"
exit "$status"
