/**
 * The whole pipeline through the built CLI on the CAM example:
 * resolve → build → up (integration evidence) → promote to integration → up for
 * qualification → promote to qualification — and production refused, first for missing
 * qualification evidence, then for its 24 h soak. Real pip, real machines (systemd-nspawn
 * from @karoo/machines), real deploys and acceptance tests. Needs root and karoo's machine
 * image (built once, cached). A few minutes.
 */
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, jest, test } from '@jest/globals';
import { json, karoo, ROOT } from '../support/cli.js';

jest.setTimeout(600_000);

let work: string;
let cfg: string;
let store: string;
let candidate: string;
// `karoo up` comes from the deploy step (issue 5): without it this pipeline cannot run, and the
// test is reported as skipped (never passed) with that reason.
const hasUp = existsSync(join(ROOT, 'packages/cli/lib/commands/up.js'));

beforeAll(async () => {
  if (!hasUp) return;
  const image = await karoo(['image', 'build']);
  if (image.code !== 0) throw new Error(`karoo image build failed:\n${image.stderr}`);
  work = mkdtempSync(join(tmpdir(), 'karoo-pipeline-e2e-'));
  cpSync(join(ROOT, 'examples', 'cam'), join(work, 'cam'), {
    recursive: true,
    filter: (p) => !p.includes(join('cam', 'reports')) && !p.includes('__pycache__'),
  });
  cfg = join(work, 'cam', 'karoo.yml');
  store = `oci-layout:${join(work, 'store')}`;
}, 600_000);
afterAll(() => {
  if (work) rmSync(work, { recursive: true, force: true });
});

const maybe = hasUp
  ? test
  : (name: string, fn: () => Promise<void>) => test.skip(`${name} (SKIPPED: \`karoo up\` is not in this build)`, fn);

const env = { GITHUB_REPOSITORY: '', GITHUB_TOKEN: '', GITHUB_RUN_ID: '', GITHUB_ACTOR: 'release-manager' };

describe('resolve → build → up → promote through the environments', () => {
  maybe('the candidate moves by digest; production is refused without qualification evidence and before its soak', async () => {
    expect((await karoo(['resolve', '--config', cfg])).code).toBe(0);
    const built = json<{ candidate: string; existed: boolean }>(await karoo(['build', '--config', cfg, '--store', store, '--json']));
    candidate = built.candidate;
    expect(candidate).toMatch(/^sha256:[0-9a-f]{64}$/);
    const promote = (to: string, ...more: string[]) =>
      karoo(['promote', candidate, '--to', to, '--config', cfg, '--store', store, '--json', ...more], { env });

    // No acceptance run yet: integration refuses, naming the missing evidence.
    const early = await promote('integration');
    expect(early.code).toBe(6);
    expect(early.stderr).toContain(`candidate ${candidate} may not enter integration: no evidence from integration`);

    const up1 = json<{ result: string; systemId: string; evidence: string; environment: string }>(
      await karoo(['up', '--config', cfg, '--store', store, '--candidate', candidate, '--environment', 'integration', '--json', '--quiet']),
    );
    expect(up1).toMatchObject({ result: 'passed', environment: 'integration' });
    expect(up1.evidence).toMatch(/^sha256:/);

    const p1 = json<{ status: string; systemId: string; gate: Array<{ detail: string }> }>(
      await promote('integration', '--reason', 'passed acceptance'),
    );
    expect(p1.status).toBe('promoted');
    // The system the environment now runs is exactly the system that was tested.
    expect(p1.systemId).toBe(up1.systemId);
    expect(p1.gate[0]!.detail).toContain(up1.evidence);

    const noEvidence = await promote('production');
    expect(noEvidence.code).toBe(6);
    expect(noEvidence.stderr).toContain('no evidence from qualification');
    expect(noEvidence.stderr).toContain('soak 24h in qualification: the candidate was never promoted to qualification');

    const up2 = json<{ result: string; systemId: string }>(
      await karoo([
        'up',
        '--config',
        cfg,
        '--store',
        store,
        '--candidate',
        candidate,
        '--environment',
        'qualification',
        '--json',
        '--quiet',
      ]),
    );
    expect(up2.result).toBe('passed');
    expect(up2.systemId).not.toBe(up1.systemId); // other values, other system

    const p2 = json<{ status: string; systemId: string }>(await promote('qualification', '--reason', 'integration passed'));
    expect(p2).toMatchObject({ status: 'promoted', systemId: up2.systemId });

    const soak = await promote('production');
    expect(soak.code).toBe(6);
    expect(soak.stderr).not.toContain('no evidence');
    expect(soak.stderr).toMatch(/soak 24h in qualification: \d+s since \S+, (24h|23h5\dm) to go/);

    const status = json<Array<{ name: string; candidate?: string; systemId?: string }>>(
      await karoo(['status', '--config', cfg, '--store', store, '--json']),
    );
    expect(status.map((s) => [s.name, s.candidate ?? null, s.systemId ?? null])).toEqual([
      ['integration', candidate, up1.systemId],
      ['qualification', candidate, up2.systemId],
      ['production', null, null],
    ]);
    const history = json<Array<{ candidate: string; actor: string; reason: string }>>(
      await karoo(['history', 'qualification', '--store', store, '--json']),
    );
    expect(history).toEqual([expect.objectContaining({ candidate, actor: 'release-manager', reason: 'integration passed' })]);

    // Building again reuses the candidate: nothing is rebuilt to be released.
    expect(json(await karoo(['build', '--config', cfg, '--store', store, '--json']))).toMatchObject({ candidate, existed: true });
  });

  maybe('an environment with an inventory: promote hands over to deploy, and the hosts run the promoted system', async () => {
    // "Real hosts" for a staging environment: machines provisioned here and named in an inventory.
    const invDir = join(work, 'staging-hosts');
    const provisioned = await karoo(['provision', '--config', cfg, '--out', invDir, '--json']);
    expect(provisioned.code).toBe(0);
    const inventory = join(invDir, 'inventory.json');
    try {
      const yml = readFileSync(cfg, 'utf8');
      writeFileSync(
        cfg,
        yml.replace('\n\nacceptance:', `\n  - name: staging\n    requires: [integration]\n    inventory: ${inventory}\n\nacceptance:`),
      );
      const r = json<{ status: string; systemId: string; deploy: { status: string; detail: string } }>(
        await karoo(['promote', candidate, '--to', 'staging', '--config', cfg, '--store', store, '--reason', 'stage it', '--json'], {
          env,
        }),
      );
      expect(r.status).toBe('promoted');
      expect(r.deploy.status).toBe('deployed');
      expect(r.deploy.detail).toContain(`4 node(s) run system ${r.systemId}`);
      const hosts = json<{ inSync: boolean; systemIds: string[] }>(
        await karoo(['status', '--inventory', inventory, '--config', cfg, '--json']),
      );
      expect(hosts).toMatchObject({ inSync: true, systemIds: [r.systemId] });
    } finally {
      await karoo(['destroy', '--inventory', inventory]);
    }
  });
});
