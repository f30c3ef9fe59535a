#!/usr/bin/env bash
# Starts the services the tests need and prints `export` lines for them:  eval "$(./deploy/test-services.sh)"
set -euo pipefail
source "$(dirname "$0")/lib.sh"
ensure_packages
ensure_postgres platform-test 5433
ensure_rabbitmq
ensure_s3rver /var/lib/platform/test-s3 4568
ensure_stack_rootfs
cat <<EOT
export PLATFORM_TEST_POSTGRES='$PG_URL'
export PLATFORM_TEST_RABBITMQ='$RABBITMQ_URL'
export PLATFORM_TEST_S3_URL='$S3_URL'
export PLATFORM_TEST_STACK_ROOTFS='$STACK_ROOTFS'
EOT
