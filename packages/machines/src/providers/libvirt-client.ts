import { mkdtemp, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { KarooError } from '@karoo/common';
import { run } from '../run.js';
import { KAROO_XMLNS, parseStamp, type Stamp } from './libvirt-xml.js';

/** One host of a libvirt pool (karoo.yml provision.hosts[]): credentials only as file paths. */
export interface LibvirtHost {
  name: string;
  uri: string;
  /** vCPUs karoo may use there; default: the host's CPUs. */
  cpus?: number;
  /** MiB karoo may use there; default: the host's free memory. */
  memory?: number;
  pool: string;
  /** A libvirt network the site provides; absent: one private network per environment. */
  network?: string;
  sshKey?: string;
  pkiDir?: string;
}

/** The URI virsh connects with: karoo.yml's URI plus the credential files as libvirt's own URI parameters, never prompting. */
export function connectUri(h: Pick<LibvirtHost, 'uri' | 'sshKey' | 'pkiDir'>): string {
  const q: string[] = [];
  if (h.uri.startsWith('qemu+ssh:')) {
    if (h.sshKey) q.push(`keyfile=${encodeURIComponent(h.sshKey)}`);
    q.push('no_tty=1');
  }
  if (h.pkiDir && h.uri.startsWith('qemu+tls:')) q.push(`pkipath=${encodeURIComponent(h.pkiDir)}`);
  return q.length ? `${h.uri}${h.uri.includes('?') ? '&' : '?'}${q.join('&')}` : h.uri;
}

/** libvirt's "not found" errors: the thing is already gone. */
const NOT_FOUND =
  /(failed to get|not found|no (domain|network|storage (vol|pool)) with matching|Domain not found|Network not found|Storage volume not found)/i;
/** Errors that mean the host cannot be reached at all (as opposed to a refused request). */
const UNREACHABLE =
  /(failed to connect to the hypervisor|Cannot recv data|Connection refused|No route to host|Connection reset|Could not resolve|Network is unreachable|timed out|did not finish)/i;

export function isUnreachable(e: unknown): boolean {
  return e instanceof Error && UNREACHABLE.test(e.message);
}

export interface NodeCapacity {
  cpus: number;
  /** MiB of memory the host reports free. */
  freeMemory: number;
  /** vCPUs and MiB of memory of karoo's domains already defined there (every environment). */
  karooCpus: number;
  karooMemory: number;
  /** Whether the host can run KVM domains. */
  kvm: boolean;
}

/**
 * Runs independent steps at once and waits for every one of them, so that nothing is still
 * being made on a host when a failure is reported (and teardown starts); then throws the first
 * failure in the order given (not the first to happen: the message does not depend on timing),
 * or returns every result.
 */
export async function allDone<P extends readonly unknown[] | []>(steps: P): Promise<{ -readonly [K in keyof P]: Awaited<P[K]> }> {
  await Promise.allSettled(steps);
  return Promise.all(steps);
}

/**
 * Whether a host's domains get KVM, from its `virsh capabilities`: a guest of domain type kvm,
 * and a host CPU that lists vmx or svm. A host that is itself a nested sandbox (a microVM with
 * a /dev/kvm but no virtualisation flags) offers kvm domains that stop at their first emulated
 * instruction ("KVM internal error … emulation failure"): such a host runs them under TCG, as
 * the qemu provider does on such a runner (detectAccelerator).
 */
export function kvmUsable(capabilities: string): boolean {
  if (!/<domain type=["']kvm["']/.test(capabilities)) return false;
  const cpu = /<host>[\s\S]*?<cpu>([\s\S]*?)<\/cpu>/.exec(capabilities)?.[1] ?? '';
  return /<feature name=["'](vmx|svm)["']/.test(cpu);
}

/** One libvirt connection through virsh (libvirt's own client: no RPC of karoo's own). */
export class Virsh {
  readonly uri: string;

  constructor(
    readonly host: LibvirtHost,
    private readonly timeoutMs = 60_000,
  ) {
    this.uri = connectUri(host);
  }

  /** Runs `virsh --connect URI ARGS`; errors name the host and virsh's own message. */
  async run(args: readonly string[], opts: { input?: string | Uint8Array; timeoutMs?: number } = {}): Promise<string> {
    const r = await run('virsh', ['--quiet', '--connect', this.uri, ...args], {
      allowFailure: true,
      timeoutMs: opts.timeoutMs ?? this.timeoutMs,
      ...(opts.input !== undefined ? { input: opts.input } : {}),
    }).catch((e: Error) => ({ code: -1, stdout: '', stderr: e.message, signal: null }));
    if (r.code !== 0) {
      const why = (r.stderr.trim() || r.stdout.trim())
        .replace(/^error:\s*/gm, '')
        .split('\n')
        .filter(Boolean)
        .join(' | ');
      const kind = UNREACHABLE.test(why) ? 'unavailable' : 'internal';
      throw new KarooError(kind, `libvirt host ${this.host.name} (${this.host.uri}): virsh ${args[0]} failed: ${why}`);
    }
    return r.stdout;
  }

  /** Like run, but a "not found" answer is undefined. */
  private async maybe(args: readonly string[]): Promise<string | undefined> {
    try {
      return await this.run(args);
    } catch (e) {
      if (NOT_FOUND.test((e as Error).message)) return undefined;
      throw e;
    }
  }

  async capacity(): Promise<NodeCapacity> {
    // Independent questions, asked at once: each is a virsh process and a connection of its own.
    const [info, free, domains, caps] = await allDone([
      this.run(['nodeinfo']),
      this.run(['freecell']),
      this.karooDomains(),
      this.run(['capabilities']),
    ]);
    const cpus = Number(/^CPU\(s\):\s*(\d+)/m.exec(info)?.[1]);
    const kib = Number(/(\d+)\s*KiB/.exec(free)?.[1]);
    if (!(cpus > 0) || !(kib > 0))
      throw new KarooError(
        'unavailable',
        `libvirt host ${this.host.name}: cannot read its CPUs and free memory (nodeinfo: ${info.trim().split('\n')[1] ?? '?'}, freecell: ${free.trim()})`,
      );
    let karooCpus = 0;
    let karooMemory = 0;
    for (const di of await Promise.all(domains.map((d) => this.maybe(['dominfo', d.name])))) {
      if (!di) continue;
      karooCpus += Number(/^CPU\(s\):\s*(\d+)/m.exec(di)?.[1] ?? 0);
      karooMemory += Math.round(Number(/^Max memory:\s*(\d+)/m.exec(di)?.[1] ?? 0) / 1024);
    }
    return { cpus, freeMemory: Math.floor(kib / 1024), karooCpus, karooMemory, kvm: kvmUsable(caps) };
  }

  async poolPath(pool: string): Promise<string> {
    const xml = await this.run(['pool-dumpxml', pool]).catch((e: Error) => {
      throw new KarooError(
        NOT_FOUND.test(e.message) ? 'input' : 'unavailable',
        `libvirt host ${this.host.name}: storage pool "${pool}" cannot be used (${e.message.replace(/^.*failed: /, '')}); name an existing, running pool in provision.hosts[].pool`,
      );
    });
    const p = /<target>\s*<path>([^<]+)<\/path>/.exec(xml)?.[1];
    if (!p)
      throw new KarooError('input', `libvirt host ${this.host.name}: storage pool "${pool}" has no target path; use a directory pool`);
    return p;
  }

  async volExists(pool: string, name: string): Promise<boolean> {
    return (await this.maybe(['vol-info', '--pool', pool, name])) !== undefined;
  }

  /** Bytes allocated to a volume on disk, or undefined when there is no such volume. */
  async volAllocation(pool: string, name: string): Promise<number | undefined> {
    const info = await this.maybe(['vol-info', '--bytes', '--pool', pool, name]);
    return info === undefined ? undefined : Number(/^Allocation:\s*(\d+)/m.exec(info)?.[1] ?? 0);
  }

  async volPath(pool: string, name: string): Promise<string> {
    return (await this.run(['vol-path', '--pool', pool, name])).trim();
  }

  async volCapacity(pool: string, name: string): Promise<number> {
    const info = await this.run(['vol-info', '--bytes', '--pool', pool, name]);
    return Number(/^Capacity:\s*(\d+)/m.exec(info)?.[1] ?? 0);
  }

  /** Creates a volume and fills it with a local file's bytes (streamed over the connection). */
  async upload(pool: string, name: string, file: string): Promise<void> {
    const size = (await stat(file)).size;
    await this.run(['vol-create-as', pool, name, String(Math.max(size, 1)), '--format', 'raw']);
    await this.run(['vol-upload', '--pool', pool, name, file], { timeoutMs: 30 * 60_000 });
  }

  /** An empty raw volume (a marker, or a console file QEMU appends to). */
  async createEmpty(pool: string, name: string): Promise<void> {
    await this.run(['vol-create-as', pool, name, '0', '--format', 'raw']);
  }

  /** A qcow2 overlay whose backing file is `backing` (copy-on-write: instant, shares the base). */
  async createOverlay(pool: string, name: string, backing: string, backingFormat: 'qcow2' | 'raw', capacityBytes: number): Promise<void> {
    await this.run([
      'vol-create-as',
      pool,
      name,
      String(capacityBytes),
      '--format',
      'qcow2',
      '--backing-vol',
      backing,
      '--backing-vol-format',
      backingFormat,
    ]);
  }

  async download(pool: string, name: string, file: string): Promise<void> {
    await this.run(['vol-download', '--pool', pool, name, file]);
  }

  /** Deletes a volume; gone already is fine. */
  async deleteVolume(pool: string, name: string): Promise<void> {
    await this.maybe(['vol-delete', '--pool', pool, name]);
  }

  async listVolumes(pool: string): Promise<string[]> {
    const out = await this.run(['vol-list', '--pool', pool]);
    return out
      .split('\n')
      .map((l) => l.trim().split(/\s+/)[0] ?? '')
      .filter(Boolean);
  }

  /** Defines a persistent domain (or network) from XML. */
  async define(kind: 'domain' | 'network', xml: string): Promise<void> {
    const dir = await mkdtemp(join(tmpdir(), 'karoo-virsh-'));
    try {
      const f = join(dir, `${kind}.xml`);
      await writeFile(f, xml, { mode: 0o600 });
      await this.run([kind === 'domain' ? 'define' : 'net-define', f]);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }

  async start(name: string): Promise<void> {
    await this.run(['start', name], { timeoutMs: 120_000 });
  }

  /** `running`, `shut off`, … or undefined when no such domain exists. */
  async domainState(name: string): Promise<string | undefined> {
    return (await this.maybe(['domstate', name]))?.trim();
  }

  /** The domain's state with libvirt's reason for it (`shut off (crashed)`, `paused (crashed)`), or undefined when there is no such domain. */
  async domainStateReason(name: string): Promise<string | undefined> {
    return (await this.maybe(['domstate', '--reason', name]))?.trim();
  }

  /** Stops (hard) and undefines a domain; gone already is fine. */
  async removeDomain(name: string): Promise<void> {
    const st = await this.domainState(name);
    if (st === undefined) return;
    if (st !== 'shut off') await this.maybe(['destroy', name]);
    await this.maybe(['undefine', name, '--nvram']).catch(() => this.maybe(['undefine', name]));
  }

  async listDomains(): Promise<string[]> {
    return (await this.run(['list', '--all', '--name']))
      .split('\n')
      .map((s) => s.trim())
      .filter(Boolean);
  }

  /** karoo's stamp of a domain, or undefined when it has none (not karoo's, whatever its name). */
  async domainStamp(name: string): Promise<Stamp | undefined> {
    const xml = await this.maybe(['metadata', name, KAROO_XMLNS, '--config']).catch(() => undefined);
    return xml ? parseStamp(xml) : undefined;
  }

  /** Domains named karoo-… that carry karoo's stamp. */
  async karooDomains(): Promise<Array<{ name: string; stamp: Stamp }>> {
    const names = (await this.listDomains()).filter((n) => n.startsWith('karoo-'));
    const stamps = await Promise.all(names.map((n) => this.domainStamp(n)));
    const out: Array<{ name: string; stamp: Stamp }> = [];
    for (const [i, name] of names.entries()) {
      const stamp = stamps[i];
      if (stamp && name.startsWith(`${stamp.environmentId}-`)) out.push({ name, stamp });
    }
    return out;
  }

  async startNetwork(name: string): Promise<void> {
    await this.run(['net-start', name]);
  }

  /** The bridge device of a network, or undefined when there is no such network. */
  async networkBridge(name: string): Promise<string | undefined> {
    const xml = await this.maybe(['net-dumpxml', name]);
    if (xml === undefined) return undefined;
    return /<bridge\s[^>]*name=['"]([^'"]+)['"]/.exec(xml)?.[1];
  }

  async networkStamp(name: string): Promise<Stamp | undefined> {
    const xml = await this.maybe(['net-dumpxml', name]).catch(() => undefined);
    return xml ? parseStamp(xml) : undefined;
  }

  async listNetworks(): Promise<string[]> {
    return (await this.run(['net-list', '--all', '--name']))
      .split('\n')
      .map((s) => s.trim())
      .filter(Boolean);
  }

  async removeNetwork(name: string): Promise<void> {
    await this.maybe(['net-destroy', name]);
    await this.maybe(['net-undefine', name]);
  }
}
