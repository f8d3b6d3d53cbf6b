import { randomBytes } from 'node:crypto';
import { link, mkdir, open, readFile, unlink, writeFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { KarooError } from '@karoo/common';

/** Who holds a lock: written into the lock file, read by whoever finds it taken. */
export interface LockHolder {
  readonly pid: number;
  readonly host: string;
  /** Informational only: never compared with another machine's clock. */
  readonly since: string;
  readonly nonce: string;
  readonly what: string;
}

export interface LockOptions {
  /** How long to wait for a live holder to finish (default 10 s, measured on this machine only). */
  readonly waitMs?: number | undefined;
}

const sleepFor = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** Whether a process of this machine is alive (EPERM: it is, and belongs to someone else). */
function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

async function readHolder(path: string): Promise<LockHolder | undefined | 'unreadable'> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw e;
  }
  try {
    const v = JSON.parse(text) as Partial<LockHolder>;
    if (typeof v.pid === 'number' && typeof v.host === 'string' && typeof v.nonce === 'string') return v as LockHolder;
  } catch {
    // fall through
  }
  return 'unreadable';
}

/**
 * Creates `path` holding `holder`, atomically: the content is written to a temp file first and
 * then hard-linked to `path`, which fails with EEXIST when the lock exists (link semantics, safe
 * on NFS too). A reader never sees a half-written lock.
 */
async function tryCreate(path: string, holder: LockHolder): Promise<boolean> {
  const tmp = `${path}.${holder.nonce}.tmp`;
  await writeFile(tmp, `${JSON.stringify(holder)}\n`, { mode: 0o644 });
  try {
    await link(tmp, path);
    return true;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw e;
  } finally {
    await unlink(tmp).catch(() => undefined);
  }
}

/**
 * A lock left by a process of this machine that no longer runs is removed; anything else is
 * left alone. Breakers are serialised by a second lock created with O_EXCL, so that two of them
 * never remove a lock one of them just took. Returns whether the stale lock is gone.
 */
async function breakStale(path: string, stale: LockHolder): Promise<boolean> {
  const breaker = `${path}.break`;
  let fh;
  try {
    fh = await open(breaker, 'wx', 0o644);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw e;
  }
  try {
    await fh.writeFile(JSON.stringify({ pid: process.pid, host: hostname() }));
    await fh.close();
    const now = await readHolder(path);
    if (now && now !== 'unreadable' && now.nonce === stale.nonce && !alive(now.pid)) await unlink(path).catch(() => undefined);
    return true;
  } finally {
    await unlink(breaker).catch(() => undefined);
  }
}

/**
 * Runs `fn` holding the lock file `<dir>/<name>.lock` (a compare-and-swap section: read, compare,
 * write). The lock names its holder's pid and host; a lock of a dead process of this machine is
 * broken, a lock of another machine is never judged by time: after `waitMs` the caller gets a
 * conflict that names the holder and the file to remove once nothing runs there.
 */
export async function withLock<T>(dir: string, name: string, what: string, fn: () => Promise<T>, options: LockOptions = {}): Promise<T> {
  await mkdir(dir, { recursive: true });
  const path = join(dir, `${name}.lock`);
  const holder: LockHolder = {
    pid: process.pid,
    host: hostname(),
    since: new Date().toISOString(),
    nonce: randomBytes(12).toString('hex'),
    what,
  };
  const wait = options.waitMs ?? 10_000;
  const started = performance.now();
  for (let pause = 5; ; pause = Math.min(pause * 2, 100)) {
    if (await tryCreate(path, holder)) break;
    const other = await readHolder(path);
    if (other === undefined) continue; // released between our try and our read
    if (other !== 'unreadable' && other.host === holder.host && !alive(other.pid)) {
      if (await breakStale(path, other)) continue;
    }
    if (performance.now() - started >= wait) {
      const who = other === 'unreadable' ? 'an unreadable lock' : `${other.what} (pid ${other.pid} on ${other.host}, since ${other.since})`;
      throw new KarooError(
        'conflict',
        `${path} is held by ${who}; wait for it to finish and run this again — if no karoo runs there any more, remove ${path} (and ${path}.break if present)${other !== 'unreadable' && other.host === holder.host ? '' : ` (karoo breaks a lock by itself only on the host that took it)`}`,
        { detail: { lock: path, holder: other } },
      );
    }
    await sleepFor(pause);
  }
  try {
    return await fn();
  } finally {
    const now = await readHolder(path).catch(() => undefined);
    if (now && now !== 'unreadable' && now.nonce === holder.nonce) await unlink(path).catch(() => undefined);
  }
}
