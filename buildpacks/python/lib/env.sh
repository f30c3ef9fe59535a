# Sourced by the python buildpack's scripts and (as profile.d/python.sh) by the app at launch.
# $1: the deps dir of this buildpack (python symlinks, installed requirements, CA bundle).
python_deps_dir=${1:-/home/vcap/deps/0}
export LD_LIBRARY_PATH="/layers/libexpat1/lib/x86_64-linux-gnu:/layers/libsqlite3-0/usr/lib/x86_64-linux-gnu:/layers/libssl3/usr/lib/x86_64-linux-gnu${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
export PATH="$python_deps_dir/bin:$python_deps_dir/python/bin:$PATH"
export PYTHONPATH="$python_deps_dir/python${PYTHONPATH:+:$PYTHONPATH}"
export PYTHONUNBUFFERED=1
export SSL_CERT_FILE="$python_deps_dir/ssl/ca-certificates.crt"
unset python_deps_dir
