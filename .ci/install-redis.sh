#!/usr/bin/env bash
# Installs Debian's redis-server for the scale-out tests (test/shared/, test/integration/shared-*),
# which start their own `redis-server --port <free>` per test file and fail — never skip — without it.
# The Redis Cluster test also forms its cluster with `redis-cli --cluster create`: redis-cli comes
# in Debian's redis-tools, a dependency of redis-server, installed here on its own when missing.
# Idempotent: does nothing when both are already on PATH. Needs root (CI runs as root) or sudo.
set -euo pipefail

missing=()
command -v redis-server >/dev/null 2>&1 || missing+=(redis-server)
command -v redis-cli >/dev/null 2>&1 || missing+=(redis-tools)

if [ "${#missing[@]}" -eq 0 ]; then
  echo "install-redis: $(command -v redis-server) is present ($(redis-server --version 2>/dev/null | head -n1 || echo 'version unknown')), and $(command -v redis-cli)"
  exit 0
fi

SUDO=""
if [ "$(id -u)" -ne 0 ]; then
  if command -v sudo >/dev/null 2>&1; then SUDO="sudo"; else
    echo "install-redis: ${missing[*]} missing and this is not root (no sudo): run 'apt-get install -y ${missing[*]}' as root" >&2
    exit 1
  fi
fi

export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update
$SUDO apt-get install -y --no-install-recommends "${missing[@]}"

for bin in redis-server redis-cli; do
  if ! command -v "$bin" >/dev/null 2>&1; then
    echo "install-redis: apt-get installed ${missing[*]} but $bin is still not on PATH" >&2
    exit 1
  fi
done
echo "install-redis: installed ${missing[*]} ($(redis-server --version 2>/dev/null | head -n1 || echo redis-server))"
