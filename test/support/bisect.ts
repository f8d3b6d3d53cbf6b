/**
 * The bisect fixture: a copy of the CAM example whose private index then receives newer builds
 * of four leaves, as a team publishes them between two nightly candidates. cam-store 2.1.0 moves
 * the store's write route, so the proxies' cross-node writes (and the monitor's heartbeats)
 * fail; cam-portal 1.2.1 needs cam-proxy 2.2.0, so any intermediate lock that moves the portal
 * without the proxy cannot be resolved. The others are harmless rebuilds.
 */
import { cp, readdir, readFile } from 'node:fs/promises';
import { join, relative, sep } from 'node:path';
import { buildWheel, CAM_DISTRIBUTIONS, publishToIndex, wheelFile } from '@karoo/example';
import { ROOT } from './cli.js';

export interface NewLeaf {
  readonly name: string;
  readonly version: string;
  /** Requirements; default: those of the distribution's newest release. */
  readonly requires?: readonly string[];
  /** Source edits: file inside the wheel → [text to find, replacement]. */
  readonly patch?: Readonly<Record<string, readonly [string, string]>>;
}

/** The leaves that move, in karoo.yml order: the good lock has the older version of each. */
export const MOVED: readonly NewLeaf[] = [
  {
    name: 'cam-store',
    version: '2.1.0',
    patch: { 'cam_store/__main__.py': ['("PUT", "/kv/"): self.put_key', '("PUT", "/v2/kv/"): self.put_key'] },
  },
  { name: 'cam-proxy', version: '2.2.0' },
  { name: 'cam-monitor', version: '0.3.1' },
  { name: 'cam-portal', version: '1.2.1', requires: ['cam-core>=1.2', 'cam-proxy>=2.2.0', 'wheel>=0.38'] },
];

/** Versions in the good lock (karoo.yml as committed). */
export const GOOD_VERSIONS: Readonly<Record<string, string>> = {
  'cam-store': '2.0.0',
  'cam-proxy': '2.2.0.dev3',
  'cam-monitor': '0.3.0',
  'cam-portal': '1.2.0',
};

/** Copies examples/cam into `dir` (without its store and reports); returns the path of its karoo.yml. */
export async function copyExample(dir: string): Promise<string> {
  await cp(join(ROOT, 'examples/cam'), dir, {
    recursive: true,
    filter: (s) => !s.includes('/.karoo') && !s.includes('/reports') && !s.includes('__pycache__'),
  });
  return join(dir, 'karoo.yml');
}

/** Publishes the new leaf builds into the copy's private index (uploaded after every existing build). */
export async function publishNewLeaves(dir: string, leaves: readonly NewLeaf[] = MOVED): Promise<void> {
  const projects = [];
  for (const leaf of leaves) {
    const d = CAM_DISTRIBUTIONS.find((x) => x.name === leaf.name)!;
    const newest = d.releases[d.releases.length - 1]!;
    const files = await pythonFiles(join(dir, d.source));
    for (const [path, [from, to]] of Object.entries(leaf.patch ?? {})) {
      const text = files[path]!.toString('utf8');
      if (!text.includes(from)) throw new Error(`fixture: ${path} of ${leaf.name} has no "${from}"`);
      files[path] = Buffer.from(text.replace(from, to));
    }
    const w = buildWheel({
      name: d.name,
      version: leaf.version,
      summary: d.summary,
      requiresPython: newest.requiresPython,
      requires: leaf.requires ?? newest.requires ?? [],
      extras: newest.extras ?? {},
      entryPoints: d.scripts ? { console_scripts: d.scripts } : {},
      files,
    });
    projects.push({ name: d.name, files: [{ ...wheelFile(w), uploadTime: '2025-07-01T00:00:00.000000Z' }] });
  }
  await publishToIndex(join(dir, 'index/private'), projects);
}

async function pythonFiles(root: string): Promise<Record<string, Buffer>> {
  const out: Record<string, Buffer> = {};
  const walk = async (d: string): Promise<void> => {
    for (const e of (await readdir(d, { withFileTypes: true })).sort((a, b) => (a.name < b.name ? -1 : 1))) {
      const p = join(d, e.name);
      if (e.isDirectory() && e.name !== '__pycache__') await walk(p);
      else if (e.isFile() && e.name.endsWith('.py')) out[relative(root, p).split(sep).join('/')] = await readFile(p);
    }
  };
  await walk(root);
  return out;
}
