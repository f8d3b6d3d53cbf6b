import { mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, jest, test } from '@jest/globals';

// deploy's temporary directories (karoo-deploy-* for the staged candidate, karoo-ssh-* for the
// control sockets and known_hosts) go to the system's temporary directory: here one of this
// test's own, so that what is left behind is this test's alone (other suites run at the same time).
const TMP = mkdtempSync('/tmp/kt-');
const realOs = await import('node:os');
jest.unstable_mockModule('node:os', () => ({ ...realOs, default: { ...realOs, tmpdir: () => TMP }, tmpdir: () => TMP }));

const { KarooError, isKarooError } = await import('@karoo/common');
const { parseConfig } = await import('@karoo/config');
const { LayoutStore } = await import('@karoo/oci');
const { deploy } = await import('./deploy.js');

afterAll(() => rmSync(TMP, { recursive: true, force: true }));

const config = () =>
  parseConfig(
    'system: demo\nleaves: [app]\nindexes: [{ url: ./index }]\nnodes: [{ name: n1, role: web }]\nroles:\n  web:\n    leaves: [app]\n    services: [{ name: app, command: [app] }]\n',
    join(TMP, 'karoo.yml'),
  );
const inventory = (host: string) => ({
  version: 1 as const,
  environmentId: 'static-hosts',
  provider: 'static' as const,
  nodes: [{ name: 'n1', role: 'web', address: '10.0.0.2', ssh: { host, port: 22, user: 'root' }, provider: 'static' as const }],
});
const ours = () => readdirSync(TMP).filter((n) => n.startsWith('karoo-'));
const CANDIDATE = `sha256:${'a'.repeat(64)}`;

describe("deploy's temporary directories", () => {
  test('are 0700 while they exist and gone after a failure', async () => {
    const layout = new LayoutStore(join(TMP, 'store'));
    await layout.init();
    const seen: Array<[string, number]> = [];
    // The store fails while deploy holds its directories: look at them then.
    const store = Object.assign(Object.create(layout) as typeof layout, {
      getManifest: async () => {
        for (const n of ours()) seen.push([n.replace(/-[^-]+$/, '-*'), statSync(join(TMP, n)).mode & 0o777]);
        throw new KarooError('unavailable', 'the store is down');
      },
    });
    const e = await deploy({
      config: config(),
      environment: 'default',
      store,
      candidate: CANDIDATE,
      inventory: inventory('127.0.0.1'),
    }).catch((x: unknown) => x);
    expect(isKarooError(e) && e.kind).toBe('unavailable');
    expect(seen.sort()).toEqual([
      ['karoo-deploy-*', 0o700],
      ['karoo-ssh-*', 0o700],
    ]);
    expect(ours()).toEqual([]);
  });

  test('are not left behind when a target is refused before any connection', async () => {
    const e = await deploy({
      config: config(),
      environment: 'default',
      store: new LayoutStore(join(TMP, 'store')),
      candidate: CANDIDATE,
      inventory: inventory('-oProxyCommand=x'),
    }).catch((x: unknown) => x);
    expect(isKarooError(e) && e.kind).toBe('input');
    expect(ours()).toEqual([]);
  });
});
