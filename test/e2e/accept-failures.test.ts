import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { execFileSync } from 'node:child_process';
import { cp, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { json, karoo, ROOT } from '../support/cli.js';

// Acceptance that fails, and acceptance that hangs: both end in failed evidence attached to
// the candidate, a non-zero exit, no machines left, and a gate that refuses the candidate.
let dir: string;
let store: string;
let candidate: string;

const FAILING = `import json, os, sys
inv = json.load(open(os.environ["KAROO_INVENTORY"]))
nodes = inv["nodes"]
os.makedirs("reports", exist_ok=True)
ok = '<testcase classname="cam" name="inventory lists nodes"/>'
bad = '<testcase classname="cam" name="five nodes"><failure message="%d != 5">expected five nodes</failure></testcase>' % len(nodes)
open("reports/failing.xml", "w").write('<testsuite name="cam" tests="2" failures="1">' + ok + bad + '</testsuite>')
sys.exit(1)
`;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'karoo-e2e-accept-'));
  await cp(join(ROOT, 'examples/cam'), join(dir, 'cam'), {
    recursive: true,
    filter: (s) => !s.includes('/.karoo') && !s.includes('/reports'),
  });
  await writeFile(join(dir, 'cam/tests/failing.py'), FAILING);
  const built = json<{ candidate: string; store: string }>(await karoo(['demo', '--example', join(dir, 'cam'), '--no-accept', '--json']));
  candidate = built.candidate;
  store = built.store;
}, 120_000);

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function withAcceptance(name: string, acceptance: string): Promise<string> {
  const text = await readFile(join(dir, 'cam/karoo.yml'), 'utf8');
  const start = text.indexOf('\nacceptance:');
  const end = text.indexOf('\nprovision:');
  const path = join(dir, 'cam', `${name}.yml`);
  await writeFile(path, `${text.slice(0, start)}\n${acceptance}${text.slice(end)}`);
  return path;
}

interface UpJson {
  result: string;
  reason?: string;
  evidence?: string;
  counts?: { passed: number; failed: number };
  environmentId: string;
}

describe('failed acceptance', () => {
  it('records failing tests as failed evidence, exits non-zero, and the gate refuses the candidate', async () => {
    const config = await withAcceptance(
      'failing',
      'acceptance:\n  command: [python3, tests/failing.py]\n  junit: reports/failing.xml\n  timeout: 2m\n',
    );
    const r = await karoo([
      'up',
      '--config',
      config,
      '--store',
      store,
      '--candidate',
      candidate,
      '--environment',
      'integration',
      '--quiet',
      '--json',
    ]);
    expect(r.code).toBe(6);
    const up = json<UpJson>(r);
    expect(up).toMatchObject({ result: 'failed', counts: { passed: 1, failed: 1 } });
    expect(up.evidence).toMatch(/^sha256:[0-9a-f]{64}$/);

    const evidence = json<Array<{ digest: string; result: string; environment: string }>>(
      await karoo(['evidence', '--store', store, candidate, '--json']),
    );
    expect(evidence).toContainEqual(expect.objectContaining({ digest: up.evidence, result: 'failed', environment: 'integration' }));

    const p = await karoo(['promote', candidate, '--to', 'integration', '--config', config, '--store', store, '--no-github']);
    expect(p.code).toBe(6);
    expect(p.stderr).toMatch(/may not enter integration/);

    // Nothing was promoted, and the machines were destroyed although acceptance failed.
    const status = json<Array<{ name: string; candidate?: string }>>(
      await karoo(['status', '--store', store, '--config', config, '--json']),
    );
    expect(status.find((e) => e.name === 'integration')?.candidate).toBeUndefined();
    expect(execFileSync('ip', ['netns', 'list'], { encoding: 'utf8' })).not.toContain(up.environmentId);
  }, 180_000);

  it('kills an acceptance command that outlives its timeout and records why', async () => {
    const config = await withAcceptance(
      'hanging',
      'acceptance:\n  command: [python3, -c, "import time; time.sleep(120)"]\n  timeout: 3s\n',
    );
    const started = Date.now();
    const r = await karoo([
      'up',
      '--config',
      config,
      '--store',
      store,
      '--candidate',
      candidate,
      '--environment',
      'integration',
      '--quiet',
      '--json',
    ]);
    expect(r.code).toBe(6);
    expect(json<UpJson>(r)).toMatchObject({ result: 'failed', reason: 'the acceptance command did not finish within 3 s and was killed' });
    expect(Date.now() - started).toBeLessThan(100_000);
  }, 180_000);
});
