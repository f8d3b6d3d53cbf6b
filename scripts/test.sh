#!/usr/bin/env bash
# The whole test suite: dependencies, type check, fresh bundles, unit + integration tests on
# this machine's Node and on Node 24, bundle smoke runs and end-to-end tests.
set -euo pipefail
cd "$(dirname "$0")/.."
export NODE_OPTIONS="${NODE_OPTIONS:+$NODE_OPTIONS }--experimental-vm-modules --no-warnings=ExperimentalWarning"

bash scripts/ensure-deps.sh

echo "== type check and build" >&2
npx tsc -b
# The tests too: jest transpiles them without checking types (ts-jest, isolatedModules).
npx tsc -p tsconfig.test.json

echo "== format (prettier) and lint (eslint)" >&2
npx prettier --check . --log-level warn
npx eslint --max-warnings 0 .

echo "== bundles are fresh" >&2
node scripts/bundle.mjs
if git rev-parse --git-dir >/dev/null 2>&1; then
  stale=$(git status --porcelain -- dist)
  if [ -n "$stale" ]; then
    echo "dist/ does not match the sources; run 'npm run build' and commit dist/:" >&2
    echo "$stale" >&2
    exit 1
  fi
fi

results=$(mktemp -d)
trap 'rm -rf "$results"' EXIT
status=0
run_jest() { # run_jest LABEL NODE-BINARY JEST-ARGS...
  local label=$1 node=$2; shift 2
  echo "== $label" >&2
  "$node" node_modules/jest/bin/jest.js --ci --json --outputFile="$results/$label.json" "$@" || status=1
}

run_jest "node-$(node --version)" node --selectProjects unit itg
node24=$(npx -y -p node@24 node -e 'process.stdout.write(process.execPath)')
run_jest "node-$("$node24" --version)" "$node24" --selectProjects unit itg
run_jest e2e node --selectProjects e2e --runInBand

node -e '
  const fs = require("fs"); let p = 0, f = 0, s = 0;
  for (const file of fs.readdirSync(process.argv[1])) {
    const r = JSON.parse(fs.readFileSync(process.argv[1] + "/" + file, "utf8"));
    p += r.numPassedTests; f += r.numFailedTests + r.numRuntimeErrorTestSuites; s += r.numPendingTests;
  }
  console.log(`${p} passed, ${f} failed, ${s} skipped`);
' "$results"
exit $status
