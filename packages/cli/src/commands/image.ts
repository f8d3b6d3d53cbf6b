import type { Command } from 'commander';
import { emit, type GlobalOptions } from '../output.js';

export function registerImage(program: Command): void {
  const image = program.command('image').description("karoo's machine image (Debian bookworm, systemd, openssh-server, python3)");
  image
    .command('build')
    .description('Build the machine image into the cache (/var/cache/karoo/images, or KAROO_CACHE_DIR) unless it is there')
    .option('--force', 'rebuild even when cached')
    .option('--json', 'print one JSON object')
    .action(async (opts: GlobalOptions & { force?: boolean }) => {
      const { buildImage } = await import('@karoo/machines');
      const { stderrProgress } = await import('@karoo/common');
      const img = await buildImage({ force: opts.force, progress: stderrProgress() });
      emit(
        img,
        opts,
        (i) =>
          `image ${i.id} (kernel ${i.kernelVersion}, built ${i.builtAt} in ${i.buildSeconds} s)\nrootfs ${i.rootfs}\ndisk   ${i.disk}\nkernel ${i.kernel}\ninitrd ${i.initrd}`,
      );
    });
}
