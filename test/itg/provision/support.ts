import { execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildImage, type KarooImage } from '@karoo/machines';
import { stderrProgress } from '@karoo/common';
import { ROOT } from '../../support/cli.js';

/**
 * Builds karoo's machine image once (cached in /var/cache/karoo/images; the first build takes
 * about 35-70 s with a nearby Debian mirror) and the library the child processes load (the CLI is built by npm test / npx tsc -b).
 */
export async function prepare(): Promise<KarooImage> {
  execFileSync('npx', ['tsc', '-b', 'packages/machines'], { cwd: ROOT, stdio: 'inherit' });
  return buildImage({ progress: stderrProgress('karoo-test') });
}

export function tempDir(prefix: string): string {
  return mkdtempSync(join(tmpdir(), `karoo-${prefix}-`));
}

/** A karoo.yml with just the nodes (and the keys every configuration needs). */
export function configWith(nodes: Array<{ name: string; role: string }>, extra = ''): string {
  const dir = tempDir('cfg');
  const path = join(dir, 'karoo.yml');
  writeFileSync(
    path,
    `system: test\nleaves: [demo]\nindexes:\n  - url: ./index\nnodes:\n${nodes.map((n) => `  - { name: ${n.name}, role: ${n.role} }`).join('\n')}\n${extra}`,
  );
  return path;
}
