import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, readFile, rm, unlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, dirname, join, relative, resolve, sep } from 'node:path';
import { hexOf, KarooError, sha256Of, writeFileAtomic } from '@karoo/common';
import { compareVersionStrings, normalizeName } from '@karoo/lock';
import { writeIndex, wheelFile, type IndexFileInput, type IndexProjectInput, type IndexTree } from './tree.js';
import { buildWheel, readWheelMetadata } from './wheel.js';

/** One release of a distribution of the example. */
export interface ExampleRelease {
  readonly version: string;
  readonly requires?: readonly string[];
  readonly extras?: Readonly<Record<string, readonly string[]>>;
  readonly requiresPython?: string;
  /** Reason the file is yanked (PEP 592). */
  readonly yanked?: string;
  /** One wheel per tag; default `['py3-none-any']`. */
  readonly tags?: readonly string[];
  /** PEP 700 upload time of its files; default exampleUploadTime(index, position in `releases`). */
  readonly uploadTime?: string;
}

/** A distribution of the example whose wheels are generated from Python sources in examples/cam. */
export interface ExampleDistribution {
  readonly name: string;
  readonly index: 'private' | 'public';
  readonly summary: string;
  /** Directory under examples/cam holding the importable packages. */
  readonly source: string;
  readonly scripts?: Readonly<Record<string, string>>;
  /** A C extension compiled into every wheel of the distribution (see NativeExtension). */
  readonly native?: NativeExtension;
  readonly releases: readonly ExampleRelease[];
}

/**
 * A C extension module of an example distribution, compiled with the machine's C compiler
 * against the target's Python headers (no setuptools), flags chosen so that the same
 * compiler gives the same bytes. Built once and kept under `<source>/prebuilt/`, keyed by the
 * source's digest, the flags and the ABI, so that the wheels (and so every candidate digest)
 * stay the same on machines with another compiler or without one.
 */
export interface NativeExtension {
  /** C source, relative to the distribution's source directory. */
  readonly source: string;
  /** Module path inside the wheel without suffix, e.g. `cam_signal/_native`. */
  readonly module: string;
  /** Python `X.Y` whose headers it is compiled against. */
  readonly python: string;
  /** Extension suffix tag, e.g. `cpython-311-x86_64-linux-gnu` (→ `_native.cpython-311-x86_64-linux-gnu.so`). */
  readonly soabi: string;
}

const LEAF_PY = '>=3.9';

/**
 * The CAM example: eight leaves of our own (one with a C extension) in the private index, third-party stand-ins and a
 * dependency-confusion decoy in the public one (plus Debian's real pip, setuptools and wheel,
 * see DEBIAN_WHEELS). Versions in `releases` are listed oldest first.
 */
export const CAM_DISTRIBUTIONS: readonly ExampleDistribution[] = [
  {
    name: 'cam-core',
    index: 'private',
    summary: 'CAM shared service framework: configuration, HTTP service, versions',
    source: 'packages/cam-core',
    scripts: { 'cam-versions': 'cam_core.metadata:main' },
    releases: ['1.0.0', '1.1.0', '1.2.0', '1.3.0.dev2'].map((version) => ({
      version,
      requiresPython: LEAF_PY,
      requires: ['tomli-compat>=1.0; python_version < "3.11"'],
    })),
  },
  {
    name: 'cam-katcp',
    index: 'private',
    summary: 'CAM KATCP-style message codec',
    source: 'packages/cam-katcp',
    releases: [
      { version: '0.8.0', requiresPython: LEAF_PY, requires: ['cam-core>=1.0'], extras: { speedups: ['fastcrc>=1.0'] } },
      { version: '0.9.0', requiresPython: LEAF_PY, requires: ['cam-core>=1.1'], extras: { speedups: ['fastcrc>=1.0'] } },
      { version: '0.9.1', requiresPython: LEAF_PY, requires: ['cam-core>=1.1'], extras: { speedups: ['fastcrc>=1.0'] } },
      {
        version: '0.9.2',
        requiresPython: LEAF_PY,
        requires: ['cam-core>=1.2'],
        extras: { speedups: ['fastcrc>=1.0'] },
        yanked: 'broken message framing; use 0.9.1',
      },
    ],
  },
  {
    name: 'cam-store',
    index: 'private',
    summary: 'CAM telemetry and key-value store service',
    source: 'packages/cam-store',
    scripts: { 'cam-store': 'cam_store.__main__:main' },
    releases: [
      { version: '1.0.0', requiresPython: LEAF_PY, requires: ['cam-core>=1.0', 'cam-katcp>=0.8'], extras: { client: ['tinyproto>=1.4'] } },
      { version: '1.1.0', requiresPython: LEAF_PY, requires: ['cam-core>=1.1', 'cam-katcp>=0.8'], extras: { client: ['tinyproto>=1.4'] } },
      { version: '2.0.0', requiresPython: LEAF_PY, requires: ['cam-core>=1.2', 'cam-katcp>=0.9'], extras: { client: ['tinyproto>=2.0'] } },
      {
        version: '2.1.0b1',
        requiresPython: LEAF_PY,
        requires: ['cam-core>=1.2', 'cam-katcp>=0.9.1'],
        extras: { client: ['tinyproto>=2.1'] },
      },
    ],
  },
  {
    name: 'cam-proxy',
    index: 'private',
    summary: 'CAM control API service (proxies sensors to the store on another node)',
    source: 'packages/cam-proxy',
    scripts: { 'cam-proxy': 'cam_proxy.__main__:main' },
    releases: [
      { version: '1.0.0', requiresPython: LEAF_PY, requires: ['cam-core>=1.0', 'cam-katcp>=0.8', 'cam-store[client]>=1.0'] },
      { version: '2.0.0', requiresPython: LEAF_PY, requires: ['cam-core>=1.1', 'cam-katcp>=0.9', 'cam-store[client]>=1.1'] },
      { version: '2.1.0', requiresPython: LEAF_PY, requires: ['cam-core>=1.2', 'cam-katcp>=0.9', 'cam-store[client]>=2.0'] },
      { version: '2.2.0.dev3', requiresPython: LEAF_PY, requires: ['cam-core>=1.2', 'cam-katcp>=0.9', 'cam-store[client]>=2.0'] },
    ],
  },
  {
    name: 'cam-monitor',
    index: 'private',
    summary: 'CAM monitor service (polls the proxies, publishes node sensors)',
    source: 'packages/cam-monitor',
    scripts: { 'cam-monitor': 'cam_monitor.__main__:main' },
    releases: [
      { version: '0.1.0', requiresPython: LEAF_PY, requires: ['cam-core>=1.0', 'cam-katcp>=0.8', 'cam-proxy>=1.0'] },
      {
        version: '0.2.0',
        requiresPython: LEAF_PY,
        requires: ['cam-core>=1.1', 'cam-katcp>=0.9', 'cam-proxy>=2.0', 'procstat>=0.3; sys_platform == "linux"'],
      },
      {
        version: '0.3.0',
        requiresPython: LEAF_PY,
        requires: [
          'cam-core>=1.2',
          'cam-katcp>=0.9',
          'cam-proxy>=2.0',
          'procstat>=0.4; sys_platform == "linux"',
          'wincounters>=1.0; sys_platform == "win32"',
        ],
      },
    ],
  },
  {
    name: 'cam-scheduler',
    index: 'private',
    summary: 'CAM observation scheduler service',
    source: 'packages/cam-scheduler',
    scripts: { 'cam-scheduler': 'cam_scheduler.__main__:main' },
    releases: [
      { version: '3.0.0', requiresPython: LEAF_PY, requires: ['cam-core>=1.0', 'cam-katcp>=0.8', 'setuptools>=60', 'pip>=22'] },
      { version: '3.1.0', requiresPython: LEAF_PY, requires: ['cam-core>=1.2', 'cam-katcp>=0.9', 'setuptools>=65', 'pip>=23'] },
      { version: '3.2.0rc1', requiresPython: LEAF_PY, requires: ['cam-core>=1.2', 'cam-katcp>=0.9', 'setuptools>=65', 'pip>=23'] },
    ],
  },
  {
    name: 'cam-portal',
    index: 'private',
    summary: 'CAM status portal service',
    source: 'packages/cam-portal',
    scripts: { 'cam-portal': 'cam_portal.__main__:main' },
    releases: [
      { version: '1.0.0', requiresPython: LEAF_PY, requires: ['cam-core>=1.0', 'cam-proxy>=1.0'] },
      { version: '1.1.0', requiresPython: LEAF_PY, requires: ['cam-core>=1.1', 'cam-proxy>=2.0', 'wheel>=0.37'] },
      { version: '1.2.0', requiresPython: LEAF_PY, requires: ['cam-core>=1.2', 'cam-proxy>=2.0', 'wheel>=0.38'] },
    ],
  },
  {
    name: 'cam-signal',
    index: 'private',
    summary: 'CAM signal helpers with a compiled C extension (RMS, Adler-32)',
    source: 'packages/cam-signal',
    scripts: { 'cam-signal': 'cam_signal:main' },
    native: { source: 'cam_signal/_native.c', module: 'cam_signal/_native', python: '3.11', soabi: 'cpython-311-x86_64-linux-gnu' },
    releases: ['1.0.0', '1.1.0', '1.2.0'].map((version) => ({
      version,
      requiresPython: '>=3.11,<3.12',
      tags: ['cp311-cp311-manylinux_2_17_x86_64.manylinux2014_x86_64'],
    })),
  },
  {
    name: 'tinyproto',
    index: 'public',
    summary: 'Tiny JSON message framing (generated third-party stand-in)',
    source: 'third-party/tinyproto',
    releases: [
      { version: '1.4.0', requiresPython: '>=3.8' },
      { version: '2.0.0', requiresPython: '>=3.8' },
      { version: '2.1.0', requiresPython: '>=3.8' },
      { version: '2.2.0rc1', requiresPython: '>=3.8' },
      { version: '3.0.0', requiresPython: '>=3.12' },
    ],
  },
  {
    name: 'procstat',
    index: 'public',
    summary: 'Linux /proc readings (generated third-party stand-in)',
    source: 'third-party/procstat',
    releases: [
      { version: '0.3.0', requiresPython: '>=3.8' },
      {
        version: '0.4.0',
        requiresPython: '>=3.8',
        tags: ['py3-none-macosx_11_0_arm64', 'py3-none-manylinux_2_17_x86_64.manylinux2014_x86_64', 'py3-none-win_amd64'],
      },
    ],
  },
  {
    name: 'wincounters',
    index: 'public',
    summary: 'Windows performance counters (generated third-party stand-in)',
    source: 'third-party/wincounters',
    releases: [{ version: '1.0.0', requiresPython: '>=3.8', tags: ['py3-none-win_amd64'] }],
  },
  {
    name: 'fastcrc',
    index: 'public',
    summary: 'CRC-32 (generated third-party stand-in)',
    source: 'third-party/fastcrc',
    releases: [{ version: '1.0.0', requiresPython: '>=3.8' }],
  },
  {
    name: 'tomli-compat',
    index: 'public',
    summary: 'TOML reading before Python 3.11 (generated third-party stand-in)',
    source: 'third-party/tomli-compat',
    releases: [{ version: '1.0.0', requiresPython: '>=3.7' }],
  },
  {
    name: 'cam-proxy',
    index: 'public',
    summary: 'Dependency-confusion decoy: a public package named like a private leaf, with a higher version',
    source: 'third-party/cam-proxy-decoy',
    releases: [{ version: '99.0.0', requiresPython: '>=3.8' }],
  },
];

/** Debian packages whose real wheels (under /usr/share/python-wheels) go into the public index. */
export const DEBIAN_WHEELS: readonly { readonly project: string; readonly debianPackage: string }[] = [
  { project: 'pip', debianPackage: 'python3-pip-whl' },
  { project: 'setuptools', debianPackage: 'python3-setuptools-whl' },
  { project: 'wheel', debianPackage: 'python3-wheel-whl' },
];

export const DEFAULT_DEBIAN_WHEELS_DIR = '/usr/share/python-wheels';

/**
 * The example's deterministic upload times (PEP 700, as PyPI writes them): Debian's wheels on
 * 2024-06-01, the n-th release of a public project n days after 2025-01-01, the n-th build of
 * a leaf n days after 2025-06-01. So every third-party file is older than every leaf build, as
 * when a team builds its leaves on released dependencies, and `as-of: leaves` sees them all.
 */
export function exampleUploadTime(index: 'private' | 'public' | 'debian', n: number): string {
  const base = { debian: Date.UTC(2024, 5, 1), public: Date.UTC(2025, 0, 1), private: Date.UTC(2025, 5, 1) }[index];
  return new Date(base + n * 86_400_000).toISOString().replace(/\.([0-9]{3})Z$/, '.$1000Z');
}

export interface GenerateExampleOptions {
  /** The example's directory (holds packages/ and third-party/), e.g. `examples/cam`. */
  readonly exampleDir: string;
  /** Where the index trees go (default `<exampleDir>/index`): `private/`, `public/`, `catalog.json`. */
  readonly outDir?: string;
  /** Where Debian's wheels are (default /usr/share/python-wheels). */
  readonly debianWheelsDir?: string;
  /** Compile C extensions even when a prebuilt one for the same source is kept (default false). */
  readonly rebuildNative?: boolean;
}

/** The compiler flags of NativeExtension: position-independent, no debug info, no build id, no source paths. */
export const NATIVE_CFLAGS: readonly string[] = ['-shared', '-fPIC', '-O2', '-g0', '-Wl,--build-id=none'];

/** Where the Python X.Y headers are: $KAROO_PYTHON_INCLUDE, else `pythonX.Y`'s own include directory. */
function pythonInclude(python: string): string {
  const fromEnv = process.env.KAROO_PYTHON_INCLUDE;
  const candidates: string[] = fromEnv ? [fromEnv] : [];
  if (!fromEnv) {
    try {
      candidates.push(
        execFileSync(`python${python}`, ['-c', 'import sysconfig; print(sysconfig.get_paths()["include"])'], {
          encoding: 'utf8',
          stdio: ['ignore', 'pipe', 'ignore'],
        }).trim(),
      );
    } catch {
      /* no such interpreter: reported below */
    }
  }
  const found = candidates.find((d) => existsSync(join(d, 'Python.h')));
  if (!found)
    throw new KarooError(
      'unavailable',
      `no Python ${python} headers (Python.h) found; install python${python}-dev or set KAROO_PYTHON_INCLUDE to the directory holding Python.h`,
    );
  return found;
}

/**
 * The compiled extension of a distribution: the kept build when its key (source digest, flags,
 * ABI) matches, else compiled now with \`cc\` and kept.
 */
export async function buildNative(
  sourceDir: string,
  ext: NativeExtension,
  rebuild = false,
): Promise<{ path: string; name: string; data: Buffer; compiled: boolean }> {
  const src = join(sourceDir, ext.source);
  const code = await readFile(src).catch(() => {
    throw new KarooError('input', `C source ${src} cannot be read`);
  });
  const key = hexOf(
    sha256Of(JSON.stringify({ source: hexOf(sha256Of(code)), flags: NATIVE_CFLAGS, python: ext.python, soabi: ext.soabi })),
  ).slice(0, 16);
  const soName = `${basename(ext.module)}.${ext.soabi}.so`;
  const keptDir = join(sourceDir, 'prebuilt');
  const kept = join(keptDir, `${key}-${soName}`);
  if (!rebuild && existsSync(kept)) return { path: kept, name: soName, data: await readFile(kept), compiled: false };
  const include = pythonInclude(ext.python);
  const tmp = await mkdtemp(join(tmpdir(), 'karoo-native-'));
  try {
    const out = join(tmp, soName);
    try {
      execFileSync('cc', [...NATIVE_CFLAGS, `-I${include}`, `-ffile-prefix-map=${sourceDir}=.`, '-o', out, src], {
        stdio: ['ignore', 'pipe', 'pipe'],
      });
    } catch (e) {
      const err = e as { code?: string; stderr?: Buffer };
      if (err.code === 'ENOENT') throw new KarooError('unavailable', `compiling ${src} needs a C compiler: install gcc (cc)`);
      throw new KarooError('input', `cc failed on ${src}: ${(err.stderr?.toString() ?? '').trim().split('\n').slice(-3).join(' | ')}`);
    }
    const data = await readFile(out);
    await mkdir(keptDir, { recursive: true });
    for (const old of await readdir(keptDir)) if (old.endsWith(`-${soName}`) && old !== basename(kept)) await unlink(join(keptDir, old));
    await writeFileAtomic(kept, data);
    return { path: kept, name: soName, data, compiled: true };
  } finally {
    await rm(tmp, { recursive: true, force: true });
  }
}

export interface CatalogFile {
  readonly index: 'private' | 'public';
  readonly project: string;
  readonly version: string;
  readonly filename: string;
  readonly sha256: string;
  readonly size: number;
  readonly requiresPython: string | undefined;
  readonly requires: readonly string[];
  readonly yanked: string | false;
  readonly origin: 'generated' | 'debian';
}

export interface GeneratedExample {
  readonly private: IndexTree;
  readonly public: IndexTree;
  /** Every file of both indexes, also written as `catalog.json`. */
  readonly catalog: readonly CatalogFile[];
}

async function pythonSources(dir: string): Promise<Record<string, Buffer>> {
  const out: Record<string, Buffer> = {};
  const walk = async (d: string): Promise<void> => {
    const entries = await readdir(d, { withFileTypes: true }).catch((e: NodeJS.ErrnoException) => {
      throw new KarooError('input', `example sources ${d} cannot be read (${e.code ?? e.message})`);
    });
    for (const e of entries.sort((a, b) => (a.name < b.name ? -1 : 1))) {
      if (e.name === '__pycache__' || e.name.startsWith('.')) continue;
      const p = join(d, e.name);
      if (e.isDirectory()) await walk(p);
      else if (e.isFile() && e.name.endsWith('.py')) out[relative(dir, p).split(sep).join('/')] = await readFile(p);
    }
  };
  await walk(dir);
  if (Object.keys(out).length === 0) throw new KarooError('input', `example sources ${dir} hold no Python files`);
  return out;
}

async function findDebianWheel(dir: string, project: string, debianPackage: string): Promise<string> {
  const names = await readdir(dir).catch(() => [] as string[]);
  const re = new RegExp(`^${project}-([^-]+)-py3-none-any\\.whl$`);
  const found = names
    .map((n) => ({ n, m: re.exec(n) }))
    .filter((x) => x.m)
    .sort((a, b) => compareVersionStrings(a.m![1]!, b.m![1]!));
  if (found.length === 0) {
    throw new KarooError('unavailable', `no ${project} wheel in ${dir}; install Debian's ${debianPackage} (scripts/ensure-deps.sh does)`);
  }
  return join(dir, found[found.length - 1]!.n);
}

/**
 * Generates the example system's indexes from its Python sources: every wheel built by
 * buildWheel, Debian's real wheels copied in. Deterministic: the same sources and the same
 * Debian wheels give byte-identical trees.
 */
export async function generateExample(options: GenerateExampleOptions): Promise<GeneratedExample> {
  const exampleDir = resolve(options.exampleDir);
  const outDir = resolve(options.outDir ?? join(exampleDir, 'index'));
  const debianDir = options.debianWheelsDir ?? DEFAULT_DEBIAN_WHEELS_DIR;
  const projects: Record<'private' | 'public', IndexProjectInput[]> = { private: [], public: [] };
  const catalog: CatalogFile[] = [];

  for (const d of CAM_DISTRIBUTIONS) {
    const files: Record<string, Buffer> = await pythonSources(join(exampleDir, d.source));
    if (d.native) {
      const so = await buildNative(join(exampleDir, d.source), d.native, options.rebuildNative);
      files[`${dirname(d.native.module)}/${so.name}`] = so.data;
    }
    const out: IndexFileInput[] = [];
    for (const [n, r] of d.releases.entries()) {
      for (const tag of r.tags ?? ['py3-none-any']) {
        const w = buildWheel({
          name: d.name,
          version: r.version,
          summary: d.summary,
          headers: { Author: 'karoo example', License: 'Apache-2.0' },
          requiresPython: r.requiresPython,
          requires: r.requires ?? [],
          extras: r.extras ?? {},
          entryPoints: d.scripts ? { console_scripts: d.scripts } : {},
          files,
          tag,
        });
        out.push({ ...wheelFile(w, { yanked: r.yanked }), uploadTime: r.uploadTime ?? exampleUploadTime(d.index, n) });
        catalog.push({
          index: d.index,
          project: normalizeName(d.name),
          version: w.version,
          filename: w.filename,
          sha256: w.sha256,
          size: w.size,
          requiresPython: w.requiresPython,
          requires: [
            ...(r.requires ?? []),
            ...Object.entries(r.extras ?? {}).flatMap(([x, reqs]) => reqs.map((q) => `${q}; extra == "${x}"`)),
          ],
          yanked: r.yanked ?? false,
          origin: 'generated',
        });
      }
    }
    projects[d.index].push({ name: d.name, files: out });
  }

  for (const { project, debianPackage } of DEBIAN_WHEELS) {
    const path = await findDebianWheel(debianDir, project, debianPackage);
    const data = await readFile(path);
    const filename = path.slice(path.lastIndexOf('/') + 1);
    const info = readWheelMetadata(data, filename);
    projects.public.push({
      name: project,
      files: [{ filename, data, metadata: info.metadata, requiresPython: info.requiresPython, uploadTime: exampleUploadTime('debian', 0) }],
    });
    catalog.push({
      index: 'public',
      project,
      version: info.version,
      filename,
      sha256: hexOf(sha256Of(data)),
      size: data.length,
      requiresPython: info.requiresPython,
      requires: info.requires,
      yanked: false,
      origin: 'debian',
    });
  }

  const priv = await writeIndex(join(outDir, 'private'), projects.private);
  const pub = await writeIndex(join(outDir, 'public'), projects.public);
  const key = (c: CatalogFile) => `${c.index}\0${c.project}\0${c.filename}`;
  catalog.sort((a, b) => (key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0));
  await writeFileAtomic(join(outDir, 'catalog.json'), `${JSON.stringify({ files: catalog }, null, 2)}\n`);
  return { private: priv, public: pub, catalog };
}
