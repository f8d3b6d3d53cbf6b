// The runner's own libvirtd for the libvirt integration test and bench/libvirt.mjs (plain
// JavaScript so that both jest and a bench run by node import it). On this machine (no systemd
// as init) Debian's libvirt-daemon runs when started directly, once what libvirt-daemon-system
// (and udev) would set up exists (debianHost below); QEMU's output goes
// through virtlogd, which systemd would socket-activate. Started only when nothing answers.
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const answers = (uri) => spawnSync('virsh', ['-c', uri, 'version'], { stdio: 'ignore' }).status === 0;

/**
 * What Debian's libvirt-daemon-system and udev would have set up, made where it is missing (each
 * step idempotent; the second host of the libvirt test shares it): /var/log/libvirt, where
 * virtlogd writes its own log; the libvirt-qemu user, as whom libvirtd runs QEMU; and /dev/kvm
 * open to the kvm group, of which libvirt-qemu is a member. A fresh machine of this kind has a
 * /dev/kvm only root can open and no kvm group: QEMU under libvirt then stops with "Could not
 * access KVM kernel module: Permission denied".
 */
function debianHost() {
  execFileSync('mkdir', ['-p', '/var/log/libvirt', '/var/lib/libvirt']);
  if (spawnSync('getent', ['group', 'libvirt-qemu']).status !== 0) execFileSync('groupadd', ['--system', 'libvirt-qemu']);
  if (spawnSync('id', ['libvirt-qemu'], { stdio: 'ignore' }).status !== 0) {
    const home = ['--home-dir', '/var/lib/libvirt', '--no-create-home', '--shell', '/usr/sbin/nologin'];
    execFileSync('useradd', ['--system', '--gid', 'libvirt-qemu', ...home, 'libvirt-qemu']);
  }
  if (!existsSync('/dev/kvm')) return;
  if (spawnSync('getent', ['group', 'kvm']).status !== 0) execFileSync('groupadd', ['--system', 'kvm']);
  // Each a no-op when already so.
  execFileSync('usermod', ['--append', '--groups', 'kvm', 'libvirt-qemu']);
  execFileSync('chgrp', ['kvm', '/dev/kvm']);
  execFileSync('chmod', ['g+rw', '/dev/kvm']);
}

/** Starts virtlogd and libvirtd where they do not run; returns the pids it started, libvirtd first (stop them in that order). */
export async function startLocalLibvirtd(uri, tag) {
  const started = [];
  debianHost();
  if (!existsSync('/run/libvirt/virtlogd-sock')) {
    execFileSync('virtlogd', ['-d', '-p', `/run/karoo-${tag}-virtlogd.pid`]);
    started.push(Number(readFileSync(`/run/karoo-${tag}-virtlogd.pid`, 'utf8').trim()));
  }
  if (answers(uri)) return started;
  const pidFile = `/run/karoo-${tag}-libvirtd.pid`;
  execFileSync('libvirtd', ['-d', '-p', pidFile]);
  const deadline = Date.now() + 30_000;
  while (!answers(uri)) {
    if (Date.now() > deadline) throw new Error(`libvirtd did not answer on ${uri}; see /var/log/libvirt/libvirtd.log`);
    await sleep(200);
  }
  started.unshift(Number(readFileSync(pidFile, 'utf8').trim()));
  return started;
}

/** Stops what startLocalLibvirtd started, in order, each waited for (up to 10 s). */
export async function stopLocalLibvirtd(pids) {
  for (const pid of pids) {
    try {
      process.kill(pid, 'SIGTERM');
    } catch {
      continue;
    }
    for (let i = 0; i < 100 && spawnSync('kill', ['-0', String(pid)]).status === 0; i++) await sleep(100);
  }
}
