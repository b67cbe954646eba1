#!/usr/bin/env bash
# npm run build: runtime and generated packages to dist/ (see scripts/build.mjs).
set -euo pipefail
cd "$(dirname "$0")/.."
exec node scripts/build.mjs "$@"
