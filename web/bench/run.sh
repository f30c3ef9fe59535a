#!/usr/bin/env bash
# The dashboard's benchmark (web/bench/bench.mjs): ./web/bench/run.sh
# Starts the test services, builds the dashboard and platd (Release), then runs the benchmark under the tests' lock.
set -euo pipefail
REPO="$(cd "$(dirname "$0")/../.." && pwd)"
source "$REPO/deploy/lib.sh"
services=$("$REPO/deploy/test-services.sh")
eval "$services"
ensure_web
dotnet build "$REPO/src/Platform.Server" -c Release -nologo -v q -clp:ErrorsOnly
cd "$REPO/web"
exec flock /tmp/platform-tests.lock node bench/bench.mjs
