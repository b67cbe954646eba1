#!/usr/bin/env bash
# One-command setup: system packages the tests use (when missing), npm dependencies, then
# `npm run generate` (skipped with --no-generate). Used by the README's quick start and .ci/run.
set -euo pipefail
cd "$(dirname "$0")/.."
export SCARF_ANALYTICS=false

# Mosquitto (MQTT 5 broker for the client tests), PlantUML (diagram syntax check), openssl
# (test certificates), protoc (optional; buf from npm compiles the protos). Installed only
# when absent, with sudo when not root.
missing=()
command -v mosquitto >/dev/null 2>&1 || [ -x /usr/sbin/mosquitto ] || missing+=(mosquitto mosquitto-clients)
command -v plantuml >/dev/null 2>&1 || missing+=(plantuml)
command -v openssl >/dev/null 2>&1 || missing+=(openssl)
command -v protoc >/dev/null 2>&1 || missing+=(protobuf-compiler)
if [ ${#missing[@]} -gt 0 ]; then
  echo "setup: installing ${missing[*]} with apt"
  sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  export DEBIAN_FRONTEND=noninteractive
  $sudo apt-get update -qq
  $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

major=$(node -p 'process.versions.node.split(".")[0]')
if [ "$major" -lt 20 ]; then
  echo "setup: Node.js 20 or newer is required (found $(node --version))" >&2
  exit 1
fi

npm ci --no-audit --no-fund
# CI checks generated/ against the commit before anything regenerates it.
[ "${1:-}" = "--no-generate" ] || npm run generate
# The packages as users install them: runtime + generated/* compiled to dist/ (ESM + .d.ts,
# gitignored); the consumer test packs these.
npm run build
