import { createHash } from 'node:crypto';
import { mkdtemp, readdir, readFile, rm, writeFile, mkdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { negotiate } from './serve.js';
import { SIMPLE_HTML, SIMPLE_JSON, wheelFile, writeIndex, type IndexProjectInput } from './tree.js';
import { buildWheel } from './wheel.js';

const w = (name: string, version: string, extra: Partial<Parameters<typeof buildWheel>[0]> = {}) =>
  buildWheel({
    name,
    version,
    requiresPython: '>=3.9,<4',
    files: { [`${name.replace(/-/g, '_').toLowerCase()}/__init__.py`]: `V = "${version}"\n` },
    ...extra,
  });

const projects = (): IndexProjectInput[] => [
  { name: 'Zeta_Pkg', files: [wheelFile(w('Zeta_Pkg', '1.0'))] },
  {
    name: 'alpha',
    files: [
      wheelFile(w('alpha', '1.10.0')),
      wheelFile(w('alpha', '1.2.0'), { yanked: 'broken <b>"quoted"</b>' }),
      wheelFile(w('alpha', '1.9.0rc1')),
    ],
  },
];

async function treeFiles(dir: string): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  const walk = async (d: string) => {
    for (const e of await readdir(d, { withFileTypes: true })) {
      const p = join(d, e.name);
      if (e.isDirectory()) await walk(p);
      else
        out.set(
          relative(dir, p),
          createHash('sha256')
            .update(await readFile(p))
            .digest('hex'),
        );
    }
  };
  await walk(dir);
  return out;
}

let tmp: string;
beforeAll(async () => {
  tmp = await mkdtemp(join(tmpdir(), 'karoo-tree-'));
});
afterAll(async () => {
  await rm(tmp, { recursive: true, force: true });
});

describe('writeIndex', () => {
  it('lays out PEP 503 pages, PEP 691 JSON and PEP 658 metadata files', async () => {
    const dir = join(tmp, 'a');
    const tree = await writeIndex(dir, projects());
    expect(tree.projects.map((p) => p.name)).toEqual(['alpha', 'zeta-pkg']);
    expect([...(await treeFiles(dir)).keys()].sort()).toEqual([
      'files/alpha-1.10.0-py3-none-any.whl',
      'files/alpha-1.10.0-py3-none-any.whl.metadata',
      'files/alpha-1.2.0-py3-none-any.whl',
      'files/alpha-1.2.0-py3-none-any.whl.metadata',
      'files/alpha-1.9.0rc1-py3-none-any.whl',
      'files/alpha-1.9.0rc1-py3-none-any.whl.metadata',
      'files/zeta_pkg-1.0-py3-none-any.whl',
      'files/zeta_pkg-1.0-py3-none-any.whl.metadata',
      'simple/alpha/index.html',
      'simple/alpha/index.json',
      'simple/index.html',
      'simple/index.json',
      'simple/zeta-pkg/index.html',
      'simple/zeta-pkg/index.json',
    ]);
    const html = await readFile(join(dir, 'simple/alpha/index.html'), 'utf8');
    const wheel = await readFile(join(dir, 'files/alpha-1.2.0-py3-none-any.whl'));
    const meta = await readFile(join(dir, 'files/alpha-1.2.0-py3-none-any.whl.metadata'));
    const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');
    expect(html).toContain('<meta name="pypi:repository-version" content="1.1">');
    expect(html).toContain(
      `<a href="../../files/alpha-1.2.0-py3-none-any.whl#sha256=${sha(wheel)}" data-requires-python="&gt;=3.9,&lt;4" ` +
        `data-yanked="broken &lt;b&gt;&quot;quoted&quot;&lt;/b&gt;" data-dist-info-metadata="sha256=${sha(meta)}" ` +
        `data-core-metadata="sha256=${sha(meta)}">alpha-1.2.0-py3-none-any.whl</a>`,
    );
    expect(meta.toString()).toMatch(/^Metadata-Version: 2.1\nName: alpha\nVersion: 1.2.0\n/);
    // Files in PEP 440 order, not string order.
    expect([...html.matchAll(/>(alpha-[^<]+)</g)].map((m) => m[1])).toEqual([
      'alpha-1.2.0-py3-none-any.whl',
      'alpha-1.9.0rc1-py3-none-any.whl',
      'alpha-1.10.0-py3-none-any.whl',
    ]);

    const json = JSON.parse(await readFile(join(dir, 'simple/alpha/index.json'), 'utf8'));
    expect(json.meta).toEqual({ 'api-version': '1.1' });
    expect(json.name).toBe('alpha');
    expect(json.versions).toEqual(['1.2.0', '1.9.0rc1', '1.10.0']);
    expect(json.files[0]).toEqual({
      filename: 'alpha-1.2.0-py3-none-any.whl',
      url: '../../files/alpha-1.2.0-py3-none-any.whl',
      hashes: { sha256: sha(wheel) },
      'requires-python': '>=3.9,<4',
      size: wheel.length,
      yanked: 'broken <b>"quoted"</b>',
      'core-metadata': { sha256: sha(meta) },
    });
    expect(json.files[1].yanked).toBe(false);
    expect(JSON.stringify(json)).not.toMatch(/upload-time/);

    expect(JSON.parse(await readFile(join(dir, 'simple/index.json'), 'utf8'))).toEqual({
      meta: { 'api-version': '1.1' },
      projects: [{ name: 'alpha' }, { name: 'zeta-pkg' }],
    });
    expect(await readFile(join(dir, 'simple/index.html'), 'utf8')).toContain('<a href="zeta-pkg/">zeta-pkg</a>');
  });

  it('is deterministic and replaces the previous tree whole', async () => {
    const a = join(tmp, 'b1');
    const b = join(tmp, 'b2');
    await writeIndex(a, projects());
    await writeIndex(b, [...projects()].reverse());
    expect(await treeFiles(b)).toEqual(await treeFiles(a));
    await mkdir(join(a, 'simple/stale'), { recursive: true });
    await writeFile(join(a, 'simple/stale/index.html'), 'old');
    await writeIndex(a, projects().slice(1));
    const after = await treeFiles(a);
    expect([...after.keys()].some((k) => k.includes('stale') || k.includes('zeta'))).toBe(false);
    expect((await readdir(tmp)).filter((n) => n.startsWith('.'))).toEqual([]);
  });

  it('reads metadata from wheels given without it, and checks their names', async () => {
    const built = w('beta', '1.0');
    const tree = await writeIndex(join(tmp, 'c'), [{ name: 'beta', files: [{ filename: built.filename, data: built.data }] }]);
    expect(tree.projects[0]!.files[0]).toMatchObject({ requiresPython: '>=3.9,<4', yanked: false, size: built.size, sha256: built.sha256 });
    await expect(writeIndex(join(tmp, 'd'), [{ name: 'gamma', files: [{ filename: built.filename, data: built.data }] }])).rejects.toThrow(
      /wheel beta-1.0-py3-none-any.whl is named "beta" in its METADATA, not "gamma"/,
    );
    await expect(writeIndex(join(tmp, 'e'), [{ name: 'beta', files: [wheelFile(built), wheelFile(built)] }])).rejects.toThrow(
      /given twice/,
    );
  });
});

describe('negotiate (PEP 691)', () => {
  const both = ['json', 'html'] as const;
  it('gives pip JSON: it prefers it', () => {
    const pip = 'application/vnd.pypi.simple.v1+json, application/vnd.pypi.simple.v1+html; q=0.1, text/html; q=0.01';
    expect(negotiate(pip, both)).toEqual({ format: 'json', contentType: SIMPLE_JSON });
    expect(negotiate(pip, ['html'])).toEqual({ format: 'html', contentType: SIMPLE_HTML });
  });
  it('gives browsers and clients without Accept plain HTML', () => {
    expect(negotiate(undefined, both)).toEqual({ format: 'html', contentType: 'text/html; charset=utf-8' });
    expect(negotiate('text/html,application/xhtml+xml,*/*;q=0.8', both)!.contentType).toBe('text/html; charset=utf-8');
    expect(negotiate('*/*', both)!.format).toBe('html');
    expect(negotiate('application/vnd.pypi.simple.latest+json', both)!.contentType).toBe(SIMPLE_JSON);
  });
  it('answers nothing (406) when nothing acceptable is offered', () => {
    expect(negotiate('application/vnd.pypi.simple.v1+json', ['html'])).toBeUndefined();
    expect(negotiate('text/html;q=0', ['html'])).toBeUndefined();
  });
});
