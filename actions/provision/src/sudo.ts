import { spawn, spawnSync } from 'node:child_process';
import { core } from '@karoo/kit';

/**
 * Machines need root (mounts, network namespaces, taps). GitHub's runners run actions as an
 * unprivileged user with password-less sudo: then this step runs itself again through
 * `sudo -n -E` (keeping INPUT_*, GITHUB_* and STATE_* variables) and exits with its code.
 * Returns false when already root, so the caller does the work itself.
 */
export async function rerunAsRoot(): Promise<boolean> {
  if (process.getuid?.() === 0) return false;
  if (spawnSync('sudo', ['-n', 'true'], { stdio: 'ignore' }).status !== 0) {
    throw new Error(
      'provisioning machines needs root, and sudo -n is not available to this user; run the job as root or give the runner user password-less sudo',
    );
  }
  core.info('re-running this step through sudo (machines need root)');
  const code = await new Promise<number>((resolve, reject) => {
    const child = spawn('sudo', ['-n', '-E', process.execPath, ...process.argv.slice(1)], { stdio: 'inherit' });
    child.on('error', reject);
    child.on('close', (c) => resolve(c ?? 1));
  });
  process.exitCode = code;
  return true;
}
