import { execFileSync, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, statSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, jest, test } from '@jest/globals';
import { isKarooError } from '@karoo/common';
import { sshOptions } from '@karoo/machines';
import { type AgentCommand, SshPool, type SshTarget } from './ssh.js';

// What OpenSSH itself makes of the ssh_config karoo gives the tests, and of the options it passes
// on the command line: `ssh -G` parses them exactly as a connection would, without connecting.
let dir: string;
let sentinel: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'karoo-ssh-test-'));
  sentinel = join(dir, 'pwned');
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

function sshG(args: string[]): Map<string, string[]> {
  const out = execFileSync('ssh', ['-G', ...args], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  const m = new Map<string, string[]>();
  for (const line of out.split('\n')) {
    const i = line.indexOf(' ');
    if (i > 0) m.set(line.slice(0, i), [...(m.get(line.slice(0, i)) ?? []), line.slice(i + 1)]);
  }
  return m;
}

/** Opens a pool for one target and returns what ssh makes of its ssh_config entry and of its -o options; or the refusal. */
async function parsed(t: SshTarget): Promise<{ config: Map<string, string[]>; argv: Map<string, string[]> } | Error> {
  let pool: SshPool;
  try {
    pool = await SshPool.open([t]);
  } catch (e) {
    return e as Error;
  }
  try {
    const file = join(dir, 'ssh_config');
    await writeFile(file, pool.configEntry(t.name));
    return { config: sshG(['-F', file, t.name]), argv: sshG(['-F', '/dev/null', ...pool.options(t.name), t.host]) };
  } finally {
    await pool.close();
  }
}

describe('the ssh_config given to the tests', () => {
  test('an inventory host with a newline cannot add ProxyCommand (refused with one clear line)', async () => {
    const r = await parsed({ name: 'n1', host: `x\n  ProxyCommand touch ${sentinel}`, port: 22, user: 'root' });
    if (!(r instanceof Error)) {
      // Without the check the entry carries the attacker's directive: make the failure say so.
      expect(r.config.get('proxycommand')).toBeUndefined();
    }
    expect(r).toBeInstanceOf(Error);
    expect(isKarooError(r) && r.kind).toBe('input');
    expect((r as Error).message).not.toContain('\n');
    expect((r as Error).message).toContain('inventory node "n1" ssh.host');
    expect(existsSync(sentinel)).toBe(false);
  });

  test.each([
    ['a host that ssh would read as an option', { host: `-oProxyCommand=touch ${sentinel}` }],
    ['a user with a newline', { user: `root\nProxyCommand touch ${sentinel}` }],
    ['a key path with a newline', { keyPath: `/k\nMatch exec "touch ${sentinel}"` }],
    ['a key path with a quote', { keyPath: `/k" ProxyCommand "touch ${sentinel}` }],
    ['a known_hosts path with a carriage return', { knownHostsPath: `/kh\rProxyCommand touch ${sentinel}` }],
    ['a host key alias with a space', { knownHostsPath: '/kh', hostKeyAlias: `a ProxyCommand=touch` }],
    ['a host key with a second line', { hostKey: `ssh-ed25519 AAAA\n@cert-authority * ssh-ed25519 BBBB` }],
  ])('%s is refused before anything is written', async (_what, bad) => {
    const r = await parsed({ name: 'n1', host: '127.0.0.1', port: 22, user: 'root', ...bad });
    expect(r).toBeInstanceOf(Error);
    expect(isKarooError(r) && r.kind).toBe('input');
    expect((r as Error).message).not.toContain('\n');
    expect(existsSync(sentinel)).toBe(false);
  });

  test('unusual but harmless values reach ssh exactly, as one value each', async () => {
    const keyPath = join(dir, 'key dir', "it's #1 = key");
    const knownHostsPath = join(dir, 'known hosts');
    const r = await parsed({
      name: 'n1',
      host: 'fd00::2',
      port: 2222,
      user: 'deploy.user',
      keyPath,
      knownHostsPath,
      hostKeyAlias: 'karoo-00000000-n1',
    });
    if (r instanceof Error) throw r;
    for (const m of [r.config, r.argv]) {
      expect(m.get('hostname')).toEqual(['fd00::2']);
      expect(m.get('user')).toEqual(['deploy.user']);
      expect(m.get('port')).toEqual(['2222']);
      expect(m.get('identityfile')).toEqual([keyPath]);
      expect(m.get('userknownhostsfile')).toEqual([knownHostsPath]);
      expect(m.get('hostkeyalias')).toEqual(['karoo-00000000-n1']);
      expect(m.get('stricthostkeychecking')).toEqual(['true']);
      expect(m.get('proxycommand')).toBeUndefined();
    }
  });

  test('the control directory is private and goes away on close', async () => {
    const pool = await SshPool.open([{ name: 'n1', host: '127.0.0.1', hostKey: 'ssh-ed25519 AAAAC3Nz' } as SshTarget]);
    expect(statSync(pool.controlDir).mode & 0o777).toBe(0o700);
    expect(statSync(join(pool.controlDir, 'known_hosts')).mode & 0o777).toBe(0o600);
    await pool.close();
    expect(existsSync(pool.controlDir)).toBe(false);
  });

  test('deploy and the machines lifecycle reach a node with the same options; the pool adds only its run files and the shared connection', async () => {
    const t = {
      name: 'n1',
      host: '192.0.2.7',
      port: 2222,
      user: 'deploy',
      keyPath: join(dir, 'k'),
      knownHostsPath: join(dir, 'kh'),
      hostKeyAlias: 'm1',
    };
    const pool = await SshPool.open([t]);
    try {
      const viaPool = sshG(['-F', '/dev/null', ...pool.options('n1'), t.host]);
      const viaMachines = sshG(['-F', '/dev/null', ...sshOptions(t), t.host]);
      for (const k of ['controlpath', 'controlmaster']) {
        viaPool.delete(k);
        viaMachines.delete(k);
      }
      expect(viaPool).toEqual(viaMachines);
      expect(viaMachines.get('connecttimeout')).toEqual(['15']);
    } finally {
      await pool.close();
    }
  });
});

describe('fetchBlob: the installed tree a builder node packed, fetched by the runner', () => {
  // The node's side is the agent's `send` (the blob's bytes, a newline, then its answer line:
  // agent/tests ShippedTree). Here ssh delivers what a damaged node or connection would.
  const genuine = Buffer.from('a packed installation\n'.repeat(1000));
  const hex = createHash('sha256').update(genuine).digest('hex');
  async function fetchVia(stdout: Buffer, dest: string): Promise<Error | undefined> {
    const pool = await SshPool.open([{ name: 'n1', host: '127.0.0.1', port: 22, user: 'root' }]);
    const run = jest.spyOn(pool, 'run').mockResolvedValue({ code: 0, stdout, stderr: '' });
    try {
      return await pool.fetchBlob('n1', 'demo', hex, genuine.length, dest).then(
        () => undefined,
        (e: Error) => e,
      );
    } finally {
      expect(run).toHaveBeenCalledTimes(1);
      await pool.close();
    }
  }
  const answer = (size: number) => Buffer.from(`${JSON.stringify({ ok: true, size })}\n`);

  test('the bytes the node sent, checked against the digest, are written', async () => {
    const dest = join(dir, 'fetched-genuine');
    expect(await fetchVia(Buffer.concat([genuine, Buffer.from('\n'), answer(genuine.length)]), dest)).toBeUndefined();
    expect((await readFile(dest)).equals(genuine)).toBe(true);
  });

  test('a tampered archive (same size, one byte changed) is refused as an integrity error and not written', async () => {
    const tampered = Buffer.from(genuine);
    tampered[100]! ^= 1;
    const dest = join(dir, 'fetched-tampered');
    const e = await fetchVia(Buffer.concat([tampered, Buffer.from('\n'), answer(genuine.length)]), dest);
    expect(isKarooError(e) && e.kind).toBe('integrity');
    expect(e?.message).toBe(
      `node n1: blob sha256:${hex} arrived damaged (${genuine.length} of ${genuine.length} bytes, or another sha256); refused`,
    );
    expect(existsSync(dest)).toBe(false);
  });

  test("a node's refusal keeps its kind (exit code): the agent's kind, a bug in the agent is internal, none is conflict", async () => {
    const pool = await SshPool.open([{ name: 'n1', host: '127.0.0.1', port: 22, user: 'root' }]);
    try {
      const cases = [
        ['integrity', 'integrity'],
        ['input', 'input'],
        ['unavailable', 'unavailable'],
        ['conflict', 'conflict'],
        ['bug', 'internal'],
        ['nonsense', 'internal'],
        [undefined, 'conflict'],
      ] as const;
      for (const [kind, want] of cases) {
        jest.spyOn(pool, 'run').mockResolvedValueOnce({
          code: 0,
          stdout: Buffer.from(`${JSON.stringify({ ok: false, error: 'blob sha256:… arrived as sha256:…: refused', kind })}\n`),
          stderr: '',
        });
        const e = await pool.agent('n1', 'receive', {}).catch((x: Error) => x);
        expect([kind, isKarooError(e) && e.kind, (e as Error).message]).toEqual([
          kind,
          want,
          'node n1: blob sha256:… arrived as sha256:…: refused',
        ]);
      }
    } finally {
      await pool.close();
    }
  });

  test('a short archive is refused, whatever size the node claims', async () => {
    const short = genuine.subarray(0, genuine.length - 10);
    for (const [i, claimed] of [genuine.length, short.length].entries()) {
      const dest = join(dir, `fetched-short-${i}`);
      const e = await fetchVia(Buffer.concat([short, Buffer.from('\n'), answer(claimed)]), dest);
      expect([claimed, isKarooError(e) && e.kind]).toEqual([claimed, 'integrity']);
      expect(existsSync(dest)).toBe(false);
    }
  });
});

describe('the shipped agent (one file, run as the remote command runs it) and the kinds of its failures', () => {
  // The remote command of agentCall, run here by sh instead of on a node over SSH: the real
  // bootstrap, the real generated agent, the real answer parsing and kind mapping.
  async function callLocally(cmd: string, request: object, where: { cwd?: string; env?: Record<string, string> } = {}): Promise<unknown> {
    const pool = await SshPool.open([{ name: 'n1', host: '127.0.0.1', port: 22, user: 'root' }]);
    try {
      jest.spyOn(pool, 'run').mockImplementationOnce(async (_node, remote, input = []) => {
        const stdin = Buffer.concat(input.map((p) => (p instanceof Uint8Array ? p : Buffer.alloc(0))));
        const r = spawnSync('sh', ['-c', remote], {
          input: stdin,
          cwd: where.cwd,
          env: { ...process.env, PYTHONDONTWRITEBYTECODE: '1', ...where.env },
        });
        return { code: r.status ?? 1, stdout: r.stdout, stderr: r.stderr.toString('utf8') };
      });
      return await pool.agent('n1', cmd as AgentCommand, request).catch((e: unknown) => e);
    } finally {
      await pool.close();
    }
  }

  test('a bad request is input (exit 2)', async () => {
    const e = await callLocally('send', { system: 'karoo-test-absent' });
    expect([isKarooError(e) && e.kind, (e as Error).message]).toEqual(['input', "node n1: agent command send needs 'hex' in its request"]);
  });

  test('an unexpected exception in the agent is a bug (internal, exit 1), not "unavailable, retry may help"', async () => {
    // plan's `blobs` is a list of digests; a number makes the agent fail with a TypeError it does not expect.
    const e = await callLocally('plan', { system: 'karoo-test-absent', blobs: 5 });
    expect(isKarooError(e) && e.kind).toBe('internal');
    expect((e as Error).message).toMatch(
      /^node n1: bug in the karoo node agent: TypeError: 'int' object is not iterable in cmd_plan \(line \d+\); please report it$/,
    );
  });

  test("no file in the login's working directory and no PYTHON* variable decides what code the agent runs as root", async () => {
    // The login's home is the remote command's working directory: with plain `python3 -c` it is
    // first on sys.path, so a json.py there would be imported by the agent (as root under sudo),
    // and PYTHONPATH / PYTHONSTARTUP-like variables a node's profile sets would be read.
    const home = await mkdtemp(join(tmpdir(), 'karoo-agent-home-'));
    try {
      const marker = join(home, 'ran');
      const evil = `open(${JSON.stringify(marker)}, "w").write(__name__)\nraise SystemExit(9)\n`;
      for (const m of ['json.py', 'hashlib.py', 'subprocess.py', 'sitecustomize.py']) await writeFile(join(home, m), evil);
      const answer = (await callLocally(
        'status',
        { system: 'karoo-test-absent' },
        { cwd: home, env: { PYTHONPATH: home, PYTHONHOME: '' } },
      )) as {
        drift: string[];
      };
      expect([existsSync(marker), answer.drift]).toEqual([false, []]);
    } finally {
      await rm(home, { recursive: true, force: true });
    }
  });

  test('a well-formed call answers', async () => {
    const answer = (await callLocally('status', { system: 'karoo-test-absent' })) as { drift: string[]; current: string | null };
    expect([answer.drift, answer.current]).toEqual([[], null]);
  });
});
