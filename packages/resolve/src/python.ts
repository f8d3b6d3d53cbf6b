import { execFile } from 'node:child_process';
import { access, mkdir, readFile, stat, writeFile } from 'node:fs/promises';
import { constants } from 'node:fs';
import { homedir } from 'node:os';
import { delimiter, join } from 'node:path';
import { promisify } from 'node:util';
import { KarooError } from '@karoo/common';
import { noProxyWithLoopback } from '@karoo/transport';

const run = promisify(execFile);

/**
 * Finds the Python interpreter to run pip with. A pyenv shim costs ~1.4 s per call, so the
 * real interpreter behind it is looked up once and remembered in karoo's cache directory
 * (keyed by the shim and PYENV_VERSION). `KAROO_PYTHON` overrides everything.
 */
export async function findPython(env: NodeJS.ProcessEnv = process.env): Promise<string> {
  if (env.KAROO_PYTHON) return env.KAROO_PYTHON;
  const candidate = await which('python3', env);
  if (!candidate) {
    throw new KarooError(
      'unavailable',
      'python3 was not found on PATH; install Python 3 with pip (Debian: apt-get install python3-pip) or set KAROO_PYTHON',
    );
  }
  if (!candidate.includes(`${'/'}shims${'/'}`)) return candidate;
  const cacheDir = join(env.XDG_CACHE_HOME ?? join(homedir(), '.cache'), 'karoo');
  const cacheFile = join(cacheDir, 'python.json');
  const key = `${candidate}\0${env.PYENV_VERSION ?? ''}\0${env.PWD ?? ''}`;
  try {
    const cached = JSON.parse(await readFile(cacheFile, 'utf8')) as Record<string, string>;
    const hit = cached[key];
    if (hit && (await stat(hit)).isFile()) return hit;
  } catch {
    // no cache yet
  }
  const { stdout } = await run(candidate, ['-c', 'import sys; print(sys.executable)'], { env });
  const exe = stdout.trim();
  try {
    await mkdir(cacheDir, { recursive: true });
    let cached: Record<string, string> = {};
    try {
      cached = JSON.parse(await readFile(cacheFile, 'utf8')) as Record<string, string>;
    } catch {
      // fresh cache
    }
    cached[key] = exe;
    await writeFile(cacheFile, JSON.stringify(cached));
  } catch {
    // a cache we cannot write only costs time
  }
  return exe;
}

async function which(cmd: string, env: NodeJS.ProcessEnv): Promise<string | undefined> {
  for (const dir of (env.PATH ?? '').split(delimiter)) {
    if (!dir) continue;
    const p = join(dir, cmd);
    try {
      await access(p, constants.X_OK);
      return p;
    } catch {
      // keep looking
    }
  }
  return undefined;
}

/**
 * Variables of a GitHub Actions step that pip has no use for, so it does not get them (least
 * privilege: pip is a process karoo does not write, and with `--only-binary` it runs no code of
 * the index, but a plug-in or a future option could): a step's inputs (`INPUT_*`: its token,
 * registry password, signing key), the runner's own tokens (`ACTIONS_RUNTIME_TOKEN`, and
 * `ACTIONS_ID_TOKEN_REQUEST_TOKEN`/`_URL`, with which a process can mint an OIDC token for this
 * workflow's identity and sign as it) and a `GITHUB_TOKEN`. The index's credentials reach pip
 * in its index URLs, never through these.
 */
export function isRunnerSecretVariable(name: string): boolean {
  return name.startsWith('INPUT_') || name.startsWith('ACTIONS_') || name === 'GITHUB_TOKEN';
}

/** The environment pip runs in: none of the machine's PIP_* settings, no config files, none of the step's secrets. */
export function isolatedPipEnv(env: NodeJS.ProcessEnv = process.env): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(env)) {
    if (v === undefined || k.startsWith('PIP_') || k === 'PYTHONPATH' || k === 'PYTHONHOME' || isRunnerSecretVariable(k)) continue;
    out[k] = v;
  }
  // --isolated skips environment variables and user configuration, but pip still reads the
  // global files (/etc/pip.conf, /etc/xdg/pip/pip.conf) unless PIP_CONFIG_FILE is os.devnull.
  out.PIP_CONFIG_FILE = '/dev/null';
  // pip sends even loopback requests to the proxy the environment names (requests bypasses only
  // no_proxy's hosts). karoo's merged index on 127.0.0.1 has a secret path and pages carrying
  // the private index's credentials: they must not go to a company's proxy, which cannot reach
  // this machine's loopback anyway. Other hosts keep the proxy.
  const noProxy = noProxyWithLoopback(env);
  if (noProxy !== undefined) out.no_proxy = out.NO_PROXY = noProxy;
  out.PIP_DISABLE_PIP_VERSION_CHECK = '1';
  out.PIP_NO_INPUT = '1';
  out.PYTHONDONTWRITEBYTECODE = '1';
  return out;
}
