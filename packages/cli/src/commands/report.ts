import { Option, type Command } from 'commander';
import type { GlobalOptions } from '../output.js';

interface ReportCliOptions extends GlobalOptions {
  head: string;
  base?: string;
  baseRef?: string;
  candidate?: string;
  existed?: boolean;
  store?: string;
  evidence?: string;
  environments?: string;
  format: 'markdown' | 'json';
}

export function registerReport(program: Command): void {
  program
    .command('report')
    .description('Print the pull request report: candidate, lock diff against the base, evidence, environments, how to rebuild')
    .requiredOption('--head <lock>', 'the lock of this change (any file `karoo lock` reads)')
    .option('--base <lock>', 'the base branch lock to diff against')
    .option('--base-ref <ref>', 'or read the base lock from git: `git show REF:<head path>`')
    .option('--candidate <digest>', 'candidate digest (sha256:…) built from the head lock')
    .option('--existed', 'the candidate was already in the store')
    .option('--store <store>', 'candidate store (oci-layout:PATH or REGISTRY/REPOSITORY)')
    .option('--evidence <file>', 'acceptance evidence JSON')
    .option('--environments <file>', 'environments JSON: [{name, candidate, systemId, lock}]')
    .addOption(new Option('--format <format>', 'output format').choices(['markdown', 'json']).default('markdown'))
    .option('--json', 'same as --format json')
    .action(async (opts: ReportCliOptions) => {
      const [{ reportFromFiles, renderMarkdown, renderJson }, { stderrProgress }] = await Promise.all([
        import('@karoo/report'),
        import('@karoo/common'),
      ]);
      const progress = stderrProgress();
      const report = await reportFromFiles(
        {
          head: opts.head,
          base: opts.base,
          baseRef: opts.baseRef,
          candidate: opts.candidate,
          existed: opts.candidate ? (opts.existed ?? undefined) : undefined,
          store: opts.store,
          evidence: opts.evidence,
          environments: opts.environments,
        },
        (m) => progress.warn(m),
      );
      process.stdout.write(opts.json || opts.format === 'json' ? renderJson(report) : renderMarkdown(report).markdown);
    });
}
