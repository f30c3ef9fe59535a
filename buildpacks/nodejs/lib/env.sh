# Sourced by the nodejs buildpack's scripts and (as profile.d/nodejs.sh) by the app at launch:
# puts Node.js and npm from their dependency layers on PATH and their libraries on LD_LIBRARY_PATH.
# $1: the deps dir of this buildpack (where the CA bundle is).
nodejs_deps_dir=${1:-/home/vcap/deps/0}
nodejs_libs=""
for lib in libnode108 libuv1 libc-ares2 libbrotli1 libnghttp2-14 libicu72 libssl3; do
  nodejs_libs="$nodejs_libs${nodejs_libs:+:}/layers/$lib/usr/lib/x86_64-linux-gnu"
done
export LD_LIBRARY_PATH="$nodejs_libs${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
# npm's own bin/npm script looks for npm beside node; supply writes a wrapper that runs npm-cli.js instead.
export PATH="$nodejs_deps_dir/bin:/layers/nodejs/usr/bin:$PATH"
# libssl3 from a layer does not know the stack's (absent) /usr/lib/ssl: point OpenSSL at the bundle supply made.
export SSL_CERT_FILE="$nodejs_deps_dir/ssl/ca-certificates.crt"
export NODE_EXTRA_CA_CERTS="$SSL_CERT_FILE"
export NODE_ENV="${NODE_ENV:-production}"
unset nodejs_libs lib nodejs_deps_dir
