import { describe, expect, it } from '@jest/globals';
import { hexOf, sha256Of } from '@karoo/common';
import { Lock, type LockedPackage } from '@karoo/lock';
import { buildReport, parseEvidence, parseReport, renderJson, renderMarkdown } from '@karoo/report';

function pkg(name: string, version: string): LockedPackage {
  const file = `${name.replace(/-/g, '_')}-${version}-py3-none-any.whl`;
  return { name, version, files: [{ name: file, url: `https://pypi.example/${file}`, sha256: hexOf(sha256Of(file)), size: 1 }] };
}

const base = Lock.create([pkg('katcp', '1.2.0'), pkg('tornado', '6.4'), pkg('zope-interface', '6.0')], { leaves: { katcp: '1.2.0' } });
const head = Lock.create([pkg('katcp', '1.10.0.dev3'), pkg('tornado', '6.3.3'), pkg('attrs', '24.2.0')], {
  leaves: { katcp: '1.10.0.dev3' },
  target: { python: '3.11', platforms: ['manylinux_2_28_x86_64', 'linux_x86_64'] },
});
const full = buildReport({
  head,
  base,
  baseLabel: 'origin/main',
  lockPath: 'system/pylock.toml',
  store: 'ghcr.io/acme/cam',
  candidate: { digest: sha256Of('c'), existed: false },
  evidence: [
    {
      result: 'passed',
      passed: 3,
      failed: 0,
      skipped: 0,
      durationMs: 1200,
      runUrl: 'https://github.com/acme/cam/actions/runs/1',
      environment: 'ephemeral',
      digest: sha256Of('e'),
    },
  ],
  environments: [{ name: 'integration' }, { name: 'production', candidate: sha256Of('p'), systemId: sha256Of('s'), lock: base }],
});

describe('parseReport', () => {
  it('reads back everything buildReport writes, rendering the same markdown', () => {
    const again = parseReport(JSON.parse(renderJson(full)), 'report.json');
    expect(again).toEqual(JSON.parse(renderJson(full)));
    expect(renderMarkdown(again).markdown).toBe(renderMarkdown(full).markdown);
  });

  it('keeps unknown counts unknown through the JSON (the comment step renders what the report step wrote)', () => {
    const r = buildReport({
      head,
      base,
      evidence: [{ result: 'passed', passed: 0, failed: 0, skipped: 0, countsUnknown: true, durationMs: 1, environment: 'ephemeral' }],
    });
    const again = parseReport(JSON.parse(renderJson(r)), 'report.json');
    expect(again.evidence[0]!.countsUnknown).toBe(true);
    expect(renderMarkdown(again).markdown).toContain('counts unknown');
  });

  it('reads unknown counts from the evidence file the promote step writes, and refuses anything but true or false', () => {
    const e = { result: 'passed', passed: 0, failed: 0, skipped: 0, durationMs: 1, countsUnknown: true };
    expect(parseEvidence([e], 'evidence.json')[0]!.countsUnknown).toBe(true);
    expect(parseEvidence({ ...e, countsUnknown: undefined }, 'evidence.json')[0]!.countsUnknown).toBeUndefined();
    expect(() => parseEvidence({ ...e, countsUnknown: 'yes' }, 'evidence.json')).toThrow(
      'evidence.json: evidence: "countsUnknown" must be true or false',
    );
  });

  it.each([
    [
      'unknown counts that are not true or false',
      (r: any) => (r.evidence[0].countsUnknown = 'yes'),
      /evidence\[0\]\.countsUnknown: not true or false/,
    ],
    [
      'a package name carrying markup',
      (r: any) => (r.diff.changes[0].name = 'x | <b>'),
      /diff\.changes\[0\]\.name: not a normalised package name/,
    ],
    [
      'a version breaking out of code',
      (r: any) => (r.diff.changes[0].new = '1.0` <script>'),
      /diff\.changes\[0\]\.new: not a PEP 440 version/,
    ],
    ['a javascript: link', (r: any) => (r.evidence[0].runUrl = 'javascript:alert(1)'), /evidence\[0\]\.runUrl: not an https URL/],
    [
      'a command with a shell payload',
      (r: any) => (r.reproduce.command = 'karoo build --lock x;rm --store y'),
      /reproduce\.command word 4/,
    ],
    ['a fence break in the command', (r: any) => (r.reproduce.command = 'karoo build --lock ``` --store y'), /reproduce\.command word 4/],
    ['a forged digest', (r: any) => (r.candidate.digest = 'sha256:abc'), /candidate\.digest: not sha256/],
    ['another schema', (r: any) => (r.schema = 'karoo.report/v0'), /schema: is "karoo.report\/v0"/],
    ['a bad environment name', (r: any) => (r.environments[0].name = '<img>'), /environments\[0\]\.name/],
  ])('refuses %s', (_what, tamper, message) => {
    const r = JSON.parse(renderJson(full));
    tamper(r);
    expect(() => parseReport(r, 'report.json')).toThrow(message);
  });
});
