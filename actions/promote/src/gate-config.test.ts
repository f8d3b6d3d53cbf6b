import { describe, expect, it } from '@jest/globals';
import { parseConfig } from '@karoo/config';
import { gatePolicy } from '@karoo/promote';
import { withGateFrom } from './gate-config.js';

const yml = (envs: string) => `system: cam\nleaves: [a]\nindexes:\n  - url: ./simple\nenvironments:\n${envs}`;
const defaultBranch = parseConfig(
  yml(`  - name: integration
  - name: qualification
    soak: 1h
  - name: production
    requires: [qualification]
    soak: 24h
`),
  '/main/karoo.yml',
);

describe('the gate of a release comes from the default branch', () => {
  it('a branch that drops the soak and the requirement of production does not relax the gate', () => {
    const branch = parseConfig(
      yml(`  - name: integration
  - name: qualification
  - name: production
    requires: []
    inventory: hosts.json
`),
      '/branch/karoo.yml',
    );
    expect(gatePolicy(branch, 'production')).toMatchObject({ evidenceFrom: [], soakSeconds: undefined });
    const gated = withGateFrom(branch, defaultBranch, 'production', 'main@abc');
    expect(gatePolicy(gated, 'production')).toMatchObject({
      evidenceFrom: ['qualification'],
      soakSeconds: 86400,
      soakIn: ['qualification'],
    });
    // Everything else stays the branch's.
    expect(gated.environments.find((e) => e.name === 'production')?.inventory).toBe('/branch/hosts.json');
    expect(gated.path).toBe('/branch/karoo.yml');
  });

  it('an environment the default branch does not know is refused', () => {
    const branch = parseConfig(yml(`  - name: integration\n  - name: staging\n    requires: []\n`), '/branch/karoo.yml');
    expect(() => withGateFrom(branch, defaultBranch, 'staging', 'main@abc')).toThrow(
      /environment "staging" is not in the karoo.yml of main@abc/,
    );
  });
});
