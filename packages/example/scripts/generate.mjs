#!/usr/bin/env node
// Regenerates examples/cam/index (private and public index trees, catalog.json) from the
// example's Python sources and Debian's wheels. Deterministic: commit the result.
// C extensions are compiled only when their kept build (packages/<leaf>/prebuilt/) does not match
// the source; --rebuild-native compiles them anyway (needs cc and the Python 3.11 headers).
// Usage: npx tsc -b packages/example && node packages/example/scripts/generate.mjs [--rebuild-native] [OUT-DIR]
import { fileURLToPath } from 'node:url';
import { generateExample } from '../lib/index.js';

const exampleDir = fileURLToPath(new URL('../../../examples/cam/', import.meta.url));
const args = process.argv.slice(2);
const rebuildNative = args.includes('--rebuild-native');
const outDir = args.find((a) => !a.startsWith('--'));
try {
  const r = await generateExample({ exampleDir, outDir, rebuildNative });
  const count = (t) => t.projects.reduce((n, p) => n + p.files.length, 0);
  console.log(`private index: ${r.private.dir} (${r.private.projects.length} projects, ${count(r.private)} files)`);
  console.log(`public index:  ${r.public.dir} (${r.public.projects.length} projects, ${count(r.public)} files)`);
} catch (e) {
  console.error(`karoo: ${e instanceof Error ? e.message : String(e)}`);
  process.exit(1);
}
