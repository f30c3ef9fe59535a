#!/bin/bash
# lib/publish.sh PROJECT BUILD_DIR CACHE_DIR: dotnet publish -c Release, framework-dependent, with the SDK layer at
# /layers/dotnet-sdk; the publish output replaces the app (the droplet holds what was published, not the sources).
# Runs inside the staging container as the build user: the project's MSBuild targets are the tenant's code.
set -euo pipefail
project=$1 build_dir=$2 cache_dir=$3
sdk=/layers/dotnet-sdk
if [ ! -x "$sdk/dotnet" ]; then
  echo "dotnet: $sdk is missing: the dotnet-sdk dependency was not supplied" >&2
  exit 1
fi
export DOTNET_ROOT=$sdk PATH="$sdk:$PATH"
export LD_LIBRARY_PATH="/layers/libicu72/usr/lib/x86_64-linux-gnu:/layers/libssl3/usr/lib/x86_64-linux-gnu${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
# The SDK's home (first-run files, NuGet's config) and NuGet's packages live in the app's build cache: a restage restores
# from there. Nothing of the SDK stays running after the build.
export HOME="$cache_dir/dotnet-home" DOTNET_CLI_HOME="$cache_dir/dotnet-home" NUGET_PACKAGES="$cache_dir/nuget"
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1 DOTNET_GENERATE_ASPNET_CERTIFICATE=false
export DOTNET_CLI_USE_MSBUILD_SERVER=0 MSBUILDDISABLENODEREUSE=1 DOTNET_CLI_WORKLOAD_UPDATE_NOTIFY_DISABLE=1
# NuGet's TLS trusts what the platform trusts (an egress proxy's CA); package signatures are checked, their revocation
# lists are not fetched (the CAs' revocation servers are beyond the staging network), unless the app says otherwise.
if [ -n "${CF_SYSTEM_CERT_PATH:-}" ] && [ -f "$CF_SYSTEM_CERT_PATH/ca-certificates.crt" ]; then
  export SSL_CERT_FILE="$CF_SYSTEM_CERT_PATH/ca-certificates.crt"
fi
export NUGET_CERT_REVOCATION_MODE="${NUGET_CERT_REVOCATION_MODE:-offline}"
mkdir -p "$HOME" "$NUGET_PACKAGES"

out=$(mktemp -d /tmp/publish.XXXXXX)
echo "-----> Publishing $(basename "$project") with the .NET SDK $(ls "$sdk/sdk") (dotnet publish -c Release, framework-dependent)"
if ! dotnet publish "$project" -c Release -o "$out" --self-contained false -p:UseAppHost=false \
     --disable-build-servers -nodeReuse:false -v minimal 2>&1 | sed 's/^/       /'; then
  echo "dotnet: dotnet publish of $(basename "$project") failed; its output is above" >&2
  exit 1
fi
# The sources, obj/ and bin/ go; what was published takes their place.
find "$build_dir" -mindepth 1 -maxdepth 1 -exec rm -rf {} +
cp -a "$out/." "$build_dir/"
rm -rf "$out"
