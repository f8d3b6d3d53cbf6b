import { readFileSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { type Digest, sha256Of } from '@karoo/common';
import { loadConfig, parseConfig } from '@karoo/config';
import { configDigest, mergeValues, renderNodeFiles, renderTemplate, startWaitSeconds, systemConfig, systemIdOf } from '@karoo/deploy';
import { AGENT_SOURCE } from './generated/agent.js';
import { agentModule, agentSource } from '../scripts/gen-agent.mjs';

const HERE = fileURLToPath(new URL('.', import.meta.url));
const CAM = join(HERE, '..', '..', '..', 'examples', 'cam', 'karoo.yml');
const C = sha256Of('candidate');

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'karoo-system-'));
  await writeFile(join(dir, 't.json'), '{"node": {{ node.name | json }}, "site": {{ values.site | json }}, "raw": "{{ values.site }}"}\n');
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

function config(extra: string, edit: (text: string) => string = (t) => t) {
  const text = `system: demo\nleaves: [app]\nindexes: [{ url: ./index }]\nnodes:\n  - { name: n1, role: web }\n  - { name: n2, role: web }\nroles:\n  web:\n    leaves: [app]\n    services:\n      - { name: app, command: [app, --config, etc/t.json], port: 8000 }\n    files:\n      - { path: etc/t.json, template: t.json }\n${extra}`;
  return parseConfig(edit(text), join(dir, 'karoo.yml'));
}

describe('templates', () => {
  it('insert values as text or as JSON literals, and nothing else', () => {
    const hostile = `$(rm -rf /); echo "x" 'y' \`id\`\nline2 {{ values.a }}`;
    const out = renderTemplate('{"v": {{ values.h | json }}, "n": {{ values.n }}, "s": "{{ node.name }}", "l": {{values.l.1|json}}}', {
      values: { h: hostile, n: 2.5, l: ['a', 'b'] },
      node: { name: 'n1' },
    });
    expect(JSON.parse(out)).toEqual({ v: hostile, n: 2.5, s: 'n1', l: 'b' });
  });

  it('name the line and the path of an undefined value', () => {
    expect(() => renderTemplate('a\nb {{ values.nope }}', { values: {} })).toThrow(
      expect.objectContaining({ line: 2, message: expect.stringContaining('"values.nope" is not defined') }),
    );
    expect(() => renderTemplate('{{ values.a | upper }}', { values: { a: 'x' } })).toThrow(/unknown filter "upper"/);
  });
});

describe('configuration digest and system id', () => {
  it('values merge deeply; the environment wins', () => {
    expect(mergeValues({ a: 1, m: { x: 1, y: 2 }, l: [1, 2] }, { m: { y: 3 }, l: [9] })).toEqual({ a: 1, m: { x: 1, y: 3 }, l: [9] });
  });

  it('is the same for the same configuration written differently, and moves with anything that changes the system', async () => {
    const base = await systemConfig(
      config('values: { site: lab, port: 1 }\nenvironments:\n  - { name: int, values: { site: int-lab } }\n  - { name: prod }\n'),
    );
    const reordered = await systemConfig(
      config('environments:\n  - { name: int, values: { site: int-lab } }\n  - { name: prod }\nvalues: { port: 1, site: lab }\n'),
    );
    expect(base.environment).toBe('int');
    expect(base.values).toEqual({ site: 'int-lab', port: 1 });
    expect(configDigest(reordered)).toBe(configDigest(base));

    const prod = await systemConfig(
      config('values: { site: lab, port: 1 }\nenvironments:\n  - { name: int, values: { site: int-lab } }\n  - { name: prod }\n'),
      'prod',
    );
    expect(configDigest(prod)).not.toBe(configDigest(base));
    const fractional = await systemConfig(
      config('values: { site: lab, port: 1.5 }\nenvironments:\n  - { name: int, values: { site: int-lab } }\n'),
    );
    expect(configDigest(fractional)).not.toBe(configDigest(base));

    await writeFile(
      join(dir, 't.json'),
      '{"node": {{ node.name | json }}, "site": {{ values.site | json }}, "raw": "{{ values.site }}"}\n\n',
    );
    const template = await systemConfig(
      config('values: { site: lab, port: 1 }\nenvironments:\n  - { name: int, values: { site: int-lab } }\n  - { name: prod }\n'),
    );
    expect(configDigest(template)).not.toBe(configDigest(base));
  });

  it("a service's start-timeout sets how long its node waits, and is not part of the system", async () => {
    const plain = config('');
    const patient = config('', (t) =>
      t.replace('port: 8000 }', 'port: 8000, start-timeout: 5m }\n      - { name: side, command: [side], start-timeout: 20s }'),
    );
    const quick = config('', (t) => t.replace('port: 8000 }', 'port: 8000, start-timeout: 15s }'));
    // A node waits as long as its slowest service may take; 60 s where karoo.yml says nothing.
    expect([startWaitSeconds(plain, 'web'), startWaitSeconds(patient, 'web'), startWaitSeconds(quick, 'web')]).toEqual([60, 300, 15]);
    // How patient a deploy is does not make another system: same config digest, same releases.
    expect(configDigest(await systemConfig(quick))).toBe(configDigest(await systemConfig(plain)));
  });

  it('system id = sha256 of the canonical JSON of candidate and config digest', () => {
    const k = sha256Of('config') as Digest;
    expect(systemIdOf(C, k)).toBe(sha256Of(`{"candidate":"${C}","config":"${k}","schema":"karoo.system/v1"}`));
    expect(systemIdOf(C, k)).not.toBe(systemIdOf(sha256Of('other'), k));
  });

  it('renders each node its own files', async () => {
    const sc = await systemConfig(config('values: { site: "a; $(b)" }\n'));
    const files = renderNodeFiles(sc, { name: 'n2', role: 'web' }, { systemId: C, candidate: C }, dir);
    expect(JSON.parse(new TextDecoder().decode(files[0]!.bytes))).toMatchObject({ node: 'n2', site: 'a; $(b)', raw: 'a; $(b)' });
    expect(files[0]!.sha256).toBe(sha256Of(files[0]!.bytes).slice(7));
  });

  it('refuses what cannot be deployed, before any machine is involved', async () => {
    await expect(systemConfig(config(''), 'staging')).rejects.toThrow(/environment "staging" is not in/);
    const cam = await loadConfig(CAM);
    const sc = await systemConfig(cam);
    expect(sc.environment).toBe('integration');
    expect(Object.keys(sc.roles)).toEqual(['control', 'monitor', 'store']);
    await writeFile(join(dir, 'u.json'), '{{ values.missing }}');
    const bad = parseConfig(
      `system: demo\nleaves: [app]\nindexes: [{ url: ./index }]\nnodes: [{ name: n1, role: web }]\nroles:\n  web:\n    files: [{ path: etc/u.json, template: u.json }]\n`,
      join(dir, 'karoo.yml'),
    );
    const bsc = await systemConfig(bad);
    expect(() => renderNodeFiles(bsc, { name: 'n1', role: 'web' }, { systemId: C, candidate: C }, dir)).toThrow(
      /u\.json:1: "values\.missing" is not defined/,
    );
    const escape = parseConfig(
      `system: demo\nleaves: [app]\nindexes: [{ url: ./index }]\nnodes: [{ name: n1, role: web }]\nroles:\n  web:\n    files: [{ path: ../etc/x, content: x }]\n`,
      join(dir, 'karoo.yml'),
    );
    await expect(systemConfig(escape)).rejects.toThrow(/file path "\.\.\/etc\/x" must be relative to the release/);
  });
});

describe('node agent', () => {
  it('the embedded agent is the one file built from agent/karoo_node/ (run node packages/deploy/scripts/gen-agent.mjs after editing it)', () => {
    expect(readFileSync(join(HERE, 'generated', 'agent.ts'), 'utf8')).toBe(agentModule());
    expect(agentSource()).toBe(AGENT_SOURCE);
    expect(agentSource()).toBe(agentSource()); // deterministic: the same modules give the same bytes
  });
});
