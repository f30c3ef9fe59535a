#!/usr/bin/env bash
# Runs the benchmarks: starts the services the way the tests do, then prints the tables.
#   ./tests/Platform.Benchmarks/run.sh [all|sandbox|push|match|cell|idle|node|java|router]
set -euo pipefail
REPO="$(cd "$(dirname "$0")/../.." && pwd)"
# A failing service start stops here (a bare eval "$(...)" would ignore its exit status).
services=$("$REPO/deploy/test-services.sh")
eval "$services"
dotnet build "$REPO/Platform.sln" -c Release -nologo -v q -clp:ErrorsOnly
exec dotnet "$REPO/tests/Platform.Benchmarks/bin/Release/net10.0/Platform.Benchmarks.dll" "${1:-all}"
