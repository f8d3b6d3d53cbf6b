#!/usr/bin/env bash
# The README's demo: installs what it needs, then runs `karoo demo` on the example system.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/ensure-deps.sh
npx tsc -b
exec node packages/cli/bin/karoo.js demo "$@"
