import { describe, expect, it } from '@jest/globals';
import { type Digest, KarooError, sha256Of } from '@karoo/common';
import { parseConfig } from '@karoo/config';
import {
  environmentTags,
  environmentsInTags,
  evaluateGate,
  formatDuration,
  type GateEvidence,
  gatePolicy,
  type PromotionRecord,
  refusalMessage,
  sequenceTags,
  timeIn,
  trustEvidence,
} from '@karoo/promote';

const base = `system: cam
leaves: [cam-core]
indexes: [{ url: ./index }]
`;
const config = (envs: string) => parseConfig(`${base}environments:\n${envs}`, '/x/karoo.yml');
const C = sha256Of('candidate') as Digest;
const D = sha256Of('other') as Digest;

const record = (environment: string, candidate: Digest, time: string): PromotionRecord => ({
  schema: 'karoo.promotion/v1',
  kind: 'promotion',
  environment,
  candidate,
  actor: 'alice',
  time,
});

describe('gate policy from karoo.yml', () => {
  const cfg = config(`  - name: integration
  - name: qualification
  - name: production
    requires: [integration, qualification]
    soak: 24h
`);
  it('a first environment without requires needs its own evidence', () => {
    expect(gatePolicy(cfg, 'integration')).toEqual({
      environment: 'integration',
      evidenceFrom: ['integration'],
      soakSeconds: undefined,
      soakIn: [],
    });
  });
  it('later environments need the one before, or what requires names, and soak in those', () => {
    expect(gatePolicy(cfg, 'qualification').evidenceFrom).toEqual(['integration']);
    expect(gatePolicy(cfg, 'production')).toEqual({
      environment: 'production',
      evidenceFrom: ['integration', 'qualification'],
      soakSeconds: 86400,
      soakIn: ['integration', 'qualification'],
    });
  });
  it('requires: [] written out means no evidence is needed', () => {
    expect(gatePolicy(config(`  - name: dev\n    requires: []\n`), 'dev').evidenceFrom).toEqual([]);
  });
  it('an unknown environment is an input error naming the known ones', () => {
    expect(() => gatePolicy(cfg, 'staging')).toThrow(
      /environment "staging" is not in \/x\/karoo.yml \(environments: integration, qualification, production\)/,
    );
  });
});

describe('evaluateGate', () => {
  const now = new Date('2025-03-02T12:00:00Z');
  const policy = { environment: 'production', evidenceFrom: ['qualification'], soakSeconds: 3600, soakIn: ['qualification'] };

  it('refuses with every missing piece named', () => {
    const r = evaluateGate(policy, C, [{ digest: D, environment: 'integration', result: 'passed' }], {}, now);
    expect(r.allowed).toBe(false);
    expect(r.checks.map((c) => [c.requirement, c.met])).toEqual([
      ['evidence', false],
      ['soak', false],
    ]);
    const msg = refusalMessage(C, 'production', r.checks);
    expect(msg).toContain(`candidate ${C} may not enter production`);
    expect(msg).toContain('no evidence from qualification');
    expect(msg).toContain('the candidate was never promoted to qualification');
  });

  it('names the tests the passing evidence ran, or says its counts are unknown (never "0 tests")', () => {
    const ev = (over: object) =>
      evaluateGate(
        { ...policy, soakSeconds: undefined, soakIn: [] },
        C,
        [{ digest: D, environment: 'qualification', result: 'passed', passed: 0, ...over }],
        {},
        now,
      ).checks[0]!;
    expect(ev({ passed: 12 })).toMatchObject({ met: true, detail: `passed (12 tests): evidence ${D}` });
    expect(ev({ countsUnknown: true })).toMatchObject({ met: true, detail: `passed (counts unknown): evidence ${D}` });
  });

  it('failed evidence does not count, and says so', () => {
    const r = evaluateGate(
      { ...policy, soakSeconds: undefined, soakIn: [] },
      C,
      [{ digest: D, environment: 'qualification', result: 'failed' }],
      {},
      now,
    );
    expect(r.allowed).toBe(false);
    expect(r.checks[0]!.detail).toMatch(/no passing evidence from qualification: 1 run\(s\), all failed/);
  });

  it('soak counts from the promotion to the next one, or to now', () => {
    const hist = [record('qualification', D, '2025-03-02T11:30:00Z'), record('qualification', C, '2025-03-02T10:00:00Z')];
    // C was replaced after 90 minutes: enough for 1h.
    expect(timeIn(hist, C, now)).toEqual({ seconds: 5400, since: '2025-03-02T10:00:00Z', current: false });
    expect(timeIn(hist, D, now)).toEqual({ seconds: 1800, since: '2025-03-02T11:30:00Z', current: true });
    const evidence = [{ digest: D, environment: 'qualification', result: 'passed' as const, passed: 12 }];
    const ok = evaluateGate(policy, C, evidence, { qualification: hist }, now);
    expect(ok.allowed).toBe(true);
    const short = evaluateGate(policy, D, evidence, { qualification: hist }, now);
    expect(short.allowed).toBe(false);
    expect(short.checks[1]!.detail).toBe('soak 1h in qualification: 30m since 2025-03-02T11:30:00Z, 30m to go');
  });

  it('durations read like karoo.yml writes them', () => {
    expect([
      formatDuration(172800),
      formatDuration(86400),
      formatDuration(7200),
      formatDuration(5400),
      formatDuration(90),
      formatDuration(5),
    ]).toEqual(['2d', '24h', '2h', '1h30m', '1m30s', '5s']);
  });
});

describe('environment tags', () => {
  it('are env-NAME, with .record (the head) and a tag per place in the history beside it', () => {
    const t = environmentTags('production');
    expect([t.env, t.record]).toEqual(['env-production', 'env-production.record']);
    const d = sha256Of('a record');
    expect(t.sequence(12, d)).toBe(`env-production.record-12-${d.slice(7, 23)}`);
    expect(environmentsInTags(['env-b.record', 'env-a.record', 'env-a', t.sequence(1, d), 'sha256-abc', 'latest'])).toEqual(['a', 'b']);
    // Places of one environment only, in order; look-alikes are not places.
    const tags = [
      t.sequence(12, d),
      t.sequence(2, d),
      environmentTags('production-eu').sequence(1, d),
      'env-production.record-0-0123456789abcdef',
      'env-production.record-3-XYZ',
    ];
    expect(sequenceTags('production', tags).map((x) => [x.sequence, x.prefix])).toEqual([
      [2, d.slice(7, 23)],
      [12, d.slice(7, 23)],
    ]);
  });
  it('refuse names that could collide', () => {
    expect(() => environmentTags('Prod.record')).toThrow(KarooError);
  });
});

describe('trustEvidence with attestations required (pure: the verified results as @karoo/attest returns them)', () => {
  const S = sha256Of('system') as Digest;
  const evidence: GateEvidence = { digest: sha256Of('evidence') as Digest, environment: 'integration', result: 'passed', systemId: S };
  const trust = (results: Array<{ environment?: string; systemId?: string; result: string }>) =>
    trustEvidence([evidence], {
      systemIdFor: async () => S,
      attestations: {
        results: results.map((r, i) => ({ digest: sha256Of(`a${i}`), ...r })),
        rejected: [{ digest: sha256Of('bad'), reason: 'attestation sha256:…: the signature does not verify' }],
      },
    });
  it('counts passing evidence only with a PASSED attestation of the same environment and system', async () => {
    expect((await trust([{ environment: 'integration', systemId: S, result: 'PASSED' }]))[0]!.untrusted).toBeUndefined();
  });
  it.each([
    ['another environment', { environment: 'qualification', systemId: S, result: 'PASSED' }],
    [
      'another system (the configuration changed since it was signed)',
      { environment: 'integration', systemId: sha256Of('other system'), result: 'PASSED' },
    ],
    ['a FAILED result', { environment: 'integration', systemId: S, result: 'FAILED' }],
  ])('does not count it with only an attestation of %s, and names what did not verify', async (_what, r) => {
    const [e] = await trust([r]);
    expect(e!.untrusted).toMatch(
      /attestations\.require is set, and no signed test-result attestation that verifies says system sha256:[0-9a-f]{64} passed in integration \(attestation sha256:…: the signature does not verify\)/,
    );
  });
});
