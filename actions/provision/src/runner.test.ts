import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from '@jest/globals';
import { imageCacheKey } from './image-cache.js';
import { KVM_UDEV_RULE, missingPackages, prepareRunner, shouldPrepare } from './runner.js';

describe('preparing a GitHub-hosted runner', () => {
  it('installs only what the provider needs and the runner lacks, each package once', async () => {
    const bare = async () => false;
    expect(await missingPackages('nspawn', true, bare)).toEqual([
      'e2fsprogs',
      'iproute2',
      'mmdebstrap',
      'openssh-client',
      'python3',
      'qemu-utils',
      'systemd-container',
      'xz-utils',
    ]);
    expect(await missingPackages('qemu', false, bare)).toEqual([
      'genisoimage',
      'iproute2',
      'openssh-client',
      'python3',
      'qemu-system-x86',
      'qemu-utils',
    ]);
    // libvirt: virsh to reach the pool's hosts, and the image tools (the image is built here).
    expect(await missingPackages('libvirt', true, bare)).toEqual([
      'e2fsprogs',
      'iproute2',
      'libvirt-clients',
      'mmdebstrap',
      'openssh-client',
      'python3',
      'qemu-utils',
      'xz-utils',
    ]);
    // ubuntu-24.04 has ssh, ip, python3, mkfs.ext4 and xz; it lacks the rest.
    const hosted = new Set(['ssh', 'ssh-keygen', 'ip', 'python3', 'mkfs.ext4', 'xz']);
    expect(await missingPackages('qemu', true, async (t) => hosted.has(t))).toEqual([
      'genisoimage',
      'mmdebstrap',
      'qemu-system-x86',
      'qemu-utils',
    ]);
  });

  it('prepares GitHub-hosted runners by default, self-hosted ones only when asked', () => {
    expect(shouldPrepare('auto', { RUNNER_ENVIRONMENT: 'github-hosted' })).toBe(true);
    expect(shouldPrepare('auto', { RUNNER_ENVIRONMENT: 'self-hosted' })).toBe(false);
    expect(shouldPrepare('auto', {})).toBe(false);
    expect(shouldPrepare('true', {})).toBe(true);
    expect(shouldPrepare('false', { RUNNER_ENVIRONMENT: 'github-hosted' })).toBe(false);
  });

  it("opens /dev/kvm with GitHub's documented rule", () => {
    expect(KVM_UDEV_RULE).toContain('KERNEL=="kvm", GROUP="kvm", MODE="0666"');
  });

  it('writes the rule where udev is, and uses /dev/kvm as it is where it is not (a container: no /etc/udev)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'karoo-kvm-'));
    try {
      const kvm = join(dir, 'kvm');
      writeFileSync(kvm, '');
      // Every tool there but udevadm: nothing to install, nothing to reload.
      const has = async (t: string) => t !== 'udevadm';
      const noUdev = join(dir, 'etc/udev/rules.d/99-karoo-kvm.rules');
      expect(await prepareRunner('qemu', true, { kvm, rule: noUdev, has })).toEqual({ installed: [], kvm: true });
      expect(existsSync(noUdev)).toBe(false);
      mkdirSync(join(dir, 'etc/udev/rules.d'), { recursive: true });
      expect(await prepareRunner('qemu', true, { kvm, rule: noUdev, has })).toEqual({ installed: [], kvm: true });
      expect(readFileSync(noUdev, 'utf8')).toBe(KVM_UDEV_RULE);
      // No device: no rule, no KVM.
      rmSync(noUdev);
      expect(await prepareRunner('nspawn', true, { kvm: join(dir, 'none'), rule: noUdev, has })).toEqual({ installed: [], kvm: false });
      expect(existsSync(noUdev)).toBe(false);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('keys the cached machine image by recipe and architecture', () => {
    expect(imageCacheKey('0123456789abcdef', 'x64')).toBe('karoo-machine-image-x64-0123456789abcdef');
    expect(imageCacheKey('0123456789abcdef', 'arm64')).not.toBe(imageCacheKey('0123456789abcdef', 'x64'));
  });
});
