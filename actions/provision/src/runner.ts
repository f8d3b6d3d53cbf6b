import { constants, existsSync } from 'node:fs';
import { access, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { KarooError } from '@karoo/common';
import { hasTool, run } from '@karoo/machines';
import { core } from '@karoo/kit';

/** The tools machines need, each with the Debian package that provides it. */
const TOOLS: ReadonlyArray<{ tool: string; pkg: string; when: 'always' | 'nspawn' | 'qemu' | 'libvirt' | 'own-image' }> = [
  { tool: 'systemd-nspawn', pkg: 'systemd-container', when: 'nspawn' },
  { tool: 'qemu-system-x86_64', pkg: 'qemu-system-x86', when: 'qemu' },
  { tool: 'genisoimage', pkg: 'genisoimage', when: 'qemu' },
  // libvirt: the client only; the hosts of karoo.yml's pool run the daemons (qemu:///system on
  // the runner itself is the site's to set up, like any host of the pool).
  { tool: 'virsh', pkg: 'libvirt-clients', when: 'libvirt' },
  { tool: 'qemu-img', pkg: 'qemu-utils', when: 'always' },
  { tool: 'mmdebstrap', pkg: 'mmdebstrap', when: 'own-image' },
  { tool: 'mkfs.ext4', pkg: 'e2fsprogs', when: 'own-image' },
  { tool: 'xz', pkg: 'xz-utils', when: 'own-image' },
  { tool: 'ssh', pkg: 'openssh-client', when: 'always' },
  { tool: 'ssh-keygen', pkg: 'openssh-client', when: 'always' },
  { tool: 'ip', pkg: 'iproute2', when: 'always' },
  { tool: 'python3', pkg: 'python3', when: 'always' },
];

/** GitHub's documented rule that opens /dev/kvm to the runner user on its Linux runners. */
export const KVM_UDEV_RULE = 'KERNEL=="kvm", GROUP="kvm", MODE="0666", OPTIONS+="static_node=kvm"\n';
const KVM_RULE_FILE = '/etc/udev/rules.d/99-karoo-kvm.rules';

/** The Debian packages missing for a provider, sorted, without duplicates. */
export async function missingPackages(
  provider: string,
  ownImage: boolean,
  has: (tool: string) => Promise<boolean> = hasTool,
): Promise<string[]> {
  const wanted = TOOLS.filter((t) => t.when === 'always' || t.when === provider || (t.when === 'own-image' && ownImage));
  const missing = new Set<string>();
  for (const t of wanted) if (!(await has(t.tool))) missing.add(t.pkg);
  return [...missing].sort();
}

/**
 * Whether to prepare this runner: `auto` prepares GitHub-hosted runners only (the runner says
 * so in RUNNER_ENVIRONMENT); a self-hosted runner is the owner's to set up.
 */
export function shouldPrepare(mode: 'auto' | 'true' | 'false', env: NodeJS.ProcessEnv = process.env): boolean {
  return mode === 'true' || (mode === 'auto' && env.RUNNER_ENVIRONMENT === 'github-hosted');
}

/** Where prepareRunner looks and writes; tests point these elsewhere. */
export interface RunnerPaths {
  /** The KVM device. */
  readonly kvm: string;
  /** The udev rule that opens it; written only where its directory exists (udev runs here). */
  readonly rule: string;
  readonly has: (tool: string) => Promise<boolean>;
}
const HOST: RunnerPaths = { kvm: '/dev/kvm', rule: KVM_RULE_FILE, has: hasTool };

/**
 * Prepares the runner for machines (as root): installs the missing Debian packages in one log
 * group, and where /dev/kvm exists, opens it with GitHub's udev rule so QEMU uses KVM. A runner
 * without udev (a container, say: no /etc/udev/rules.d) keeps /dev/kvm as it is, and KVM counts
 * when this process can open it. A failure here is an infrastructure failure with its reason,
 * never a skipped acceptance run.
 */
export async function prepareRunner(
  provider: string,
  ownImage: boolean,
  paths: RunnerPaths = HOST,
): Promise<{ installed: string[]; kvm: boolean }> {
  const packages = await missingPackages(provider, ownImage, paths.has);
  if (packages.length) {
    await core.group(`karoo: installing Debian packages for ${provider} machines: ${packages.join(' ')}`, async () => {
      const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
      for (const args of [
        ['update', '-q'],
        ['install', '-y', '-q', '--no-install-recommends', ...packages],
      ]) {
        core.info(`apt-get ${args.join(' ')}`);
        const r = await run('apt-get', args, { env, allowFailure: true, timeoutMs: 15 * 60_000 });
        if (r.stdout) core.info(r.stdout.trimEnd());
        if (r.code !== 0) {
          const last = `${r.stderr}`.trim().split('\n').at(-1) ?? '';
          throw new KarooError(
            'unavailable',
            `preparing the runner failed: apt-get ${args[0]} exited ${r.code} (${last}); install ${packages.join(' ')} on the runner, or set prepare-runner: false and prepare it yourself`,
          );
        }
      }
    });
  } else core.info('karoo: the runner has every tool the machines need');
  let kvm = false;
  if (existsSync(paths.kvm)) {
    if (existsSync(dirname(paths.rule))) {
      await writeFile(paths.rule, KVM_UDEV_RULE);
      if (await paths.has('udevadm')) {
        await run('udevadm', ['control', '--reload-rules'], { allowFailure: true });
        await run('udevadm', ['trigger', '--name-match=kvm'], { allowFailure: true });
      }
      core.info(`karoo: /dev/kvm is there; opened it with ${paths.rule}`);
    } else core.info(`karoo: /dev/kvm is there and no udev (${dirname(paths.rule)} is missing): used as it is`);
    kvm = await access(paths.kvm, constants.R_OK | constants.W_OK).then(
      () => true,
      () => false,
    );
    if (!kvm && provider === 'qemu') core.info(`karoo: ${paths.kvm} cannot be opened here: QEMU runs under software emulation (slower)`);
  } else if (provider === 'qemu') {
    core.info('karoo: no /dev/kvm on this runner: QEMU runs under software emulation (slower)');
  }
  return { installed: packages, kvm };
}
