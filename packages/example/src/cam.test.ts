import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { CAM_DISTRIBUTIONS, DEBIAN_WHEELS, DEFAULT_DEBIAN_WHEELS_DIR, generateExample, type CatalogFile } from './cam.js';

const exampleDir = fileURLToPath(new URL('../../../examples/cam/', import.meta.url));
const committed = join(exampleDir, 'index');

async function files(dir: string): Promise<Map<string, Buffer>> {
  const out = new Map<string, Buffer>();
  const walk = async (d: string) => {
    for (const e of await readdir(d, { withFileTypes: true })) {
      const p = join(d, e.name);
      if (e.isDirectory()) await walk(p);
      else out.set(relative(dir, p), await readFile(p));
    }
  };
  await walk(dir);
  return out;
}

let tmp: string;
beforeAll(async () => {
  tmp = await mkdtemp(join(tmpdir(), 'karoo-cam-'));
});
afterAll(async () => {
  await rm(tmp, { recursive: true, force: true });
});

describe('the CAM example', () => {
  it('regenerates byte for byte into the committed examples/cam/index', async () => {
    const out = join(tmp, 'index');
    await generateExample({ exampleDir, outDir: out });
    const want = await files(committed);
    const got = await files(out);
    // Debian's wheels are copied from this machine: compare them only where it has the committed versions.
    const catalog = JSON.parse(want.get('catalog.json')!.toString()) as { files: CatalogFile[] };
    const debian = catalog.files.filter((f) => f.origin === 'debian');
    const machine = new Set(await readdir(DEFAULT_DEBIAN_WHEELS_DIR).catch(() => [] as string[]));
    const differing = debian.filter((f) => !machine.has(f.filename)).map((f) => f.project);
    if (differing.length > 0) {
      console.warn(
        `skipping ${differing.join(', ')}: this machine's Debian wheels are not the committed versions (${DEFAULT_DEBIAN_WHEELS_DIR})`,
      );
    }
    const skip = (path: string) =>
      differing.some(
        (p) => path.startsWith(`public/simple/${p}/`) || (path.startsWith(`public/files/${p}-`) && !path.startsWith(`public/files/${p}_`)),
      ) || path === 'catalog.json';
    const keys = (m: Map<string, Buffer>) => [...m.keys()].filter((k) => !skip(k)).sort();
    const changed = [...new Set([...keys(got), ...keys(want)])].filter((k) => !got.get(k)?.equals(want.get(k) ?? Buffer.alloc(0)));
    if (changed.length > 0) {
      throw new Error(
        `examples/cam/index is stale (${changed.length} files differ, e.g. ${changed.slice(0, 3).join(', ')}); ` +
          'regenerate it with: npx tsc -b packages/example && node packages/example/scripts/generate.mjs',
      );
    }
    const strip = (c: { files: CatalogFile[] }) => c.files.filter((f) => !differing.includes(f.project));
    expect(strip(JSON.parse(got.get('catalog.json')!.toString()))).toEqual(strip(catalog));
  });

  it('has what the resolver tests rely on', async () => {
    const catalog = (JSON.parse(await readFile(join(committed, 'catalog.json'), 'utf8')) as { files: CatalogFile[] }).files;
    const priv = catalog.filter((f) => f.index === 'private');
    const leaves = [...new Set(priv.map((f) => f.project))];
    expect(leaves.length).toBeGreaterThanOrEqual(6);
    for (const leaf of leaves) expect(priv.filter((f) => f.project === leaf).length).toBeGreaterThanOrEqual(3);
    // Pre/dev builds newer than the newest final release, and one yanked file.
    expect(priv.map((f) => f.version)).toEqual(expect.arrayContaining(['1.3.0.dev2', '2.2.0.dev3', '2.1.0b1', '3.2.0rc1']));
    expect(priv.filter((f) => f.yanked !== false).map((f) => f.filename)).toEqual(['cam_katcp-0.9.2-py3-none-any.whl']);
    // Markers and an extra used by another leaf.
    expect(priv.flatMap((f) => f.requires)).toEqual(
      expect.arrayContaining([
        'tomli-compat>=1.0; python_version < "3.11"',
        'procstat>=0.4; sys_platform == "linux"',
        'cam-store[client]>=2.0',
      ]),
    );
    // The decoy: a public cam-proxy with a higher version than any private one.
    const decoy = catalog.filter((f) => f.index === 'public' && f.project === 'cam-proxy');
    expect(decoy.map((f) => f.version)).toEqual(['99.0.0']);
    // Debian's real wheels.
    expect(catalog.filter((f) => f.origin === 'debian').map((f) => f.project)).toEqual(DEBIAN_WHEELS.map((d) => d.project));
    // Every distribution of the spec is in the catalog.
    for (const d of CAM_DISTRIBUTIONS)
      for (const r of d.releases) expect(catalog.some((f) => f.project === d.name && f.version === r.version)).toBe(true);
  });

  it('fails with the Debian package to install when a real wheel is missing', async () => {
    await expect(generateExample({ exampleDir, outDir: join(tmp, 'x'), debianWheelsDir: join(tmp, 'nowhere') })).rejects.toThrow(
      `no pip wheel in ${join(tmp, 'nowhere')}; install Debian's python3-pip-whl (scripts/ensure-deps.sh does)`,
    );
  });

  it('commits small files: the whole tree is under 4 MB', async () => {
    let total = 0;
    for (const b of (await files(committed)).values()) total += b.length;
    expect(total).toBeLessThan(4 * 1024 * 1024);
  });
});
