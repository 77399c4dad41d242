#!/usr/bin/env bash
# Installs Debian's redis-server for the scale-out tests (test/shared/, test/integration/shared-*),
# which start their own `redis-server --port <free>` per test file and fail — never skip — without it.
# Idempotent: does nothing when redis-server is already on PATH. Needs root (CI runs as root) or sudo.
set -euo pipefail

if command -v redis-server >/dev/null 2>&1; then
  echo "install-redis: $(command -v redis-server) is present ($(redis-server --version 2>/dev/null | head -n1 || echo 'version unknown'))"
  exit 0
fi

SUDO=""
if [ "$(id -u)" -ne 0 ]; then
  if command -v sudo >/dev/null 2>&1; then SUDO="sudo"; else
    echo "install-redis: redis-server is missing and this is not root (no sudo): run 'apt-get install -y redis-server' as root" >&2
    exit 1
  fi
fi

export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update
$SUDO apt-get install -y --no-install-recommends redis-server

if ! command -v redis-server >/dev/null 2>&1; then
  echo "install-redis: apt-get installed redis-server but it is still not on PATH" >&2
  exit 1
fi
echo "install-redis: installed $(redis-server --version 2>/dev/null | head -n1 || echo redis-server)"
