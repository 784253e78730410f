#!/usr/bin/env bash
# README's test command, `npm run test:ci`: on a fresh machine, install what the suite needs (Debian packages, npm
# packages), start the services it uses, then run it (`npm test`). .ci/run calls exactly this command. Idempotent: a
# machine that already has everything skips the installs. Set LIVEGATE_CI_SETUP_ONLY=1 to stop before the suite.
set -euo pipefail
cd "$(dirname "$0")/.."

as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }

# Debian packages: fonts for chart text (Latin, CJK, emoji), Chromium for the browser tests, Redis for the shared store,
# podman (with runc) and debootstrap to build and run the Dockerfile's image (test/container: no registry serves the
# base image here, so scripts/container/base-image.sh makes it from Debian's archive).
# haproxy for the multi-replica test (test/deploy); python3-websockets for the wss client test.
DEB_PACKAGES=(fonts-dejavu-core fonts-liberation2 fonts-noto-core fonts-noto-cjk fonts-noto-color-emoji chromium redis-server sox
  podman runc debootstrap haproxy python3-websockets)
missing=()
for p in "${DEB_PACKAGES[@]}"; do dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p"); done
if [ "${#missing[@]}" -gt 0 ]; then
  echo "ci: installing ${missing[*]}"
  as_root apt-get update -qq
  DEBIAN_FRONTEND=noninteractive as_root apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

node --version
npm ci --no-audit --no-fund

# Services the tests use.
if command -v redis-server >/dev/null 2>&1 && ! redis-cli -p 6379 ping >/dev/null 2>&1; then
  redis-server --port 6379 --bind 127.0.0.1 --save '' --appendonly no --daemonize yes
fi
export LIVEGATE_TEST_REDIS_URL="${LIVEGATE_TEST_REDIS_URL:-redis://127.0.0.1:6379}"
export CONTAINERS_CONF="${CONTAINERS_CONF:-$PWD/scripts/container/containers.conf}"

[ "${LIVEGATE_CI_SETUP_ONLY:-}" = 1 ] && { echo "ci: set up; suite not run (LIVEGATE_CI_SETUP_ONLY=1)"; exit 0; }

# The suite.
npm test
