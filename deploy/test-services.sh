#!/usr/bin/env bash
# Starts the services the tests need and prints `export` lines for them:  eval "$(./deploy/test-services.sh)"
set -euo pipefail
source "$(dirname "$0")/lib.sh"
# Only the export lines may reach stdout, because callers eval it: everything the ensure_* steps and the
# tools under them print (pg_ctlcluster's "Removed stale pid file.", debootstrap's log tail...) goes to stderr.
# (A redirected block rather than `exec 3>&1`: the daemons started here must not inherit the caller's pipe, or
# "$(test-services.sh)" would wait for them to exit.)
{
  ensure_packages
  ensure_postgres platform-test 5433
  ensure_rabbitmq
  ensure_s3rver /var/lib/platform/test-s3 4568
  ensure_stack_rootfs
} >&2
cat <<EOT
export PLATFORM_TEST_POSTGRES='$PG_URL'
export PLATFORM_TEST_RABBITMQ='$RABBITMQ_URL'
export PLATFORM_TEST_S3_URL='$S3_URL'
export PLATFORM_TEST_STACK_ROOTFS='$STACK_ROOTFS'
EOT
