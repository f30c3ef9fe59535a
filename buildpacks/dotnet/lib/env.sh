# Sourced by the dotnet buildpack's scripts and (as profile.d/dotnet.sh) by the app at launch.
export DOTNET_ROOT=/layers/dotnet
export PATH="/layers/dotnet:$PATH"
export LD_LIBRARY_PATH="/layers/libicu72/usr/lib/x86_64-linux-gnu:/layers/libssl3/usr/lib/x86_64-linux-gnu${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1
# Kestrel listens where the platform routes: every interface, on $PORT (set at launch).
export ASPNETCORE_URLS="http://0.0.0.0:${PORT:-8080}"
