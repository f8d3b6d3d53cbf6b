#!/usr/bin/env node
// Writes the GitHub Enterprise Server variants of the reusable workflows:
//   .github/workflows/candidate.yml → candidate-ghes.yml, release.yml → release-ghes.yml
// GitHub Enterprise Server has no self-repository references (`uses: $/actions/<step>`), and a
// workflow with a `uses:` its parser does not know is refused when it is loaded — before any
// `if:` could skip the step — so the fallback cannot live in the same file. The variants add
// the inputs `karoo-repository` and `karoo-ref`, check karoo out at that ref into .karoo/karoo
// in every job that runs karoo's steps, and use `./.karoo/karoo/actions/<step>`. Each run uses
// exactly one of the two ways, chosen by the file the caller names.
//
//   node scripts/ghes-workflows.mjs           write the variants
//   node scripts/ghes-workflows.mjs --check   exit 1 when a variant is not what this script writes
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { isMap, isSeq, parseDocument } from 'yaml';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
export const GHES_DIR = '.karoo/karoo';
export const SOURCES = ['candidate', 'release'];

/** The variant of one reusable workflow's text. */
export function ghesVariant(name, text) {
  const doc = parseDocument(text);
  const inputs = doc.getIn(['on', 'workflow_call', 'inputs']);
  if (!isMap(inputs)) throw new Error(`${name}.yml: no on.workflow_call.inputs`);
  inputs.set(
    'karoo-repository',
    doc.createNode({ description: "karoo's repository on this server (owner/name), as mirrored there.", type: 'string', required: true }),
  );
  inputs.set(
    'karoo-ref',
    doc.createNode({
      description: 'The tag or commit of karoo to run (the same as the ref in `uses:`, e.g. v1).',
      type: 'string',
      required: true,
    }),
  );
  const jobs = doc.get('jobs');
  for (const job of jobs.items) {
    const steps = job.value.get('steps');
    if (!isSeq(steps)) continue;
    const usesKaroo = steps.items.some((s) => String(s.get('uses') ?? '').startsWith('$/'));
    if (!usesKaroo) continue;
    for (const s of steps.items) {
      const uses = s.get('uses');
      if (typeof uses === 'string' && uses.startsWith('$/')) s.set('uses', `./${GHES_DIR}/${uses.slice(2)}`);
    }
    const checkout = steps.items.findIndex((s) => String(s.get('uses') ?? '').startsWith('actions/checkout@'));
    const pin = steps.items[checkout]?.get('uses');
    if (checkout < 0) throw new Error(`${name}.yml jobs.${job.key}: karoo's steps but no checkout`);
    const step = doc.createNode({
      name: "karoo's actions, at karoo-ref (GitHub Enterprise Server has no $/ references)",
      uses: pin,
      with: { repository: '${{ inputs.karoo-repository }}', ref: '${{ inputs.karoo-ref }}', path: GHES_DIR, 'persist-credentials': false },
    });
    // Keep the pin's comment (its tag) on the copy.
    step.get('uses', true).comment = steps.items[checkout].get('uses', true).comment;
    // After the caller's checkout (which would clean it away), before the first of karoo's steps.
    steps.items.splice(checkout + 1, 0, step);
  }
  const header =
    `# GENERATED from ${name}.yml by scripts/ghes-workflows.mjs: do not edit, edit ${name}.yml and run the script.\n` +
    `# For GitHub Enterprise Server, which has no \`uses: $/…\`: call it with karoo-repository and\n` +
    `# karoo-ref (the same ref as in \`uses:\`); karoo's steps run from a checkout of karoo at that ref.\n`;
  return header + doc.toString({ lineWidth: 0 });
}

function main() {
  const check = process.argv.includes('--check');
  let stale = 0;
  for (const name of SOURCES) {
    const src = join(ROOT, '.github/workflows', `${name}.yml`);
    const out = join(ROOT, '.github/workflows', `${name}-ghes.yml`);
    const want = ghesVariant(name, readFileSync(src, 'utf8'));
    if (check) {
      let have = '';
      try {
        have = readFileSync(out, 'utf8');
      } catch {
        // not there yet: compared as empty below
      }
      if (have !== want) {
        console.error(`${out} is not what scripts/ghes-workflows.mjs writes from ${name}.yml; run: node scripts/ghes-workflows.mjs`);
        stale++;
      }
    } else writeFileSync(out, want);
  }
  process.exitCode = stale ? 1 : 0;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) main();
