import type { Command } from 'commander';
import { emit, table, type GlobalOptions } from '../output.js';
import { wholeNumber } from '../option-parsers.js';
import { interruptible } from '../signals.js';

interface ProvisionOpts extends GlobalOptions {
  config: string;
  provider?: string;
  out?: string;
  keep?: boolean;
  ttl?: string;
  bootTimeout?: number;
}

export function registerProvision(program: Command): void {
  program
    .command('provision')
    .description('Create an ephemeral environment (one fresh machine per node of the configuration) and print its inventory')
    .option('-c, --config <file>', 'karoo configuration', 'karoo.yml')
    .option(
      '--provider <name>',
      'nspawn (system containers, seconds), qemu (virtual machines on this runner) or libvirt (virtual machines on provision.hosts); default provision.provider, else nspawn',
    )
    .option('--out <dir>', 'directory for inventory.json (and logs on failure); default .karoo/<environment id>')
    .option('--ttl <duration>', 'lifetime, e.g. 30m or 2h; default provision.ttl, else 1h')
    .option('--boot-timeout <seconds>', 'how long each machine may take to answer SSH', wholeNumber('seconds', 1, 86_400))
    .option('--keep', 'keep the machines when provisioning fails (until the TTL), for debugging')
    .option('--json', 'print the inventory JSON itself')
    .action(async (opts: ProvisionOpts) => {
      const { loadConfig, parseDuration } = await import('@karoo/config');
      const { provision, sshCommandLine, libvirtOptions } = await import('@karoo/machines');
      const { stderrProgress } = await import('@karoo/common');
      const config = await loadConfig(opts.config);
      // Interrupted while provisioning, it destroys what it made; once ready, the environment is handed on (TTL).
      const interrupt = interruptible('provisioning');
      const r = await provision({
        nodes: config.nodes.map((n) => ({ name: n.name, role: n.role, cpus: n.cpus, memory: n.memory })),
        provider: opts.provider ?? config.provision.provider,
        ...libvirtOptions(config.provision),
        image: config.provision.image,
        imageSha256: config.provision.imageSha256,
        ttlSeconds: opts.ttl ? parseDuration(opts.ttl) : config.provision.ttlSeconds,
        outDir: opts.out,
        keep: opts.keep,
        bootTimeoutSeconds: opts.bootTimeout,
        // The TTL's watchdog runs this very CLI's reap when the environment expires.
        onExpire: [process.execPath, process.argv[1]!, 'reap', '--env', '{env}'],
        progress: stderrProgress(),
        signal: interrupt.signal,
      }).finally(() => interrupt.exitIfInterrupted());
      interrupt.dispose();
      emit(r.inventory, opts, (inv) => {
        const rows = inv.nodes.map((n) => [n.name, n.role, n.address, `${n.ssh.host}:${n.ssh.port}`, n.machineId ?? '']);
        return [
          table(rows, ['NODE', 'ROLE', 'ADDRESS', 'SSH', 'MACHINE']),
          '',
          `environment ${inv.environmentId} (${inv.provider}${inv.accelerator ? `, ${inv.accelerator}` : ''}), expires ${inv.expiresAt}`,
          `inventory   ${r.inventoryPath}`,
          `ssh         ${sshCommandLine(inv.nodes[0]!.ssh)}`,
          `destroy     karoo destroy --inventory ${r.inventoryPath}`,
        ].join('\n');
      });
    });
}
