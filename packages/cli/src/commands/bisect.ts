import type { Command } from 'commander';
import { ATTEST_KEY_OPTION, ATTEST_KEYLESS_OPTION, signingKeyFrom } from '../attest-key.js';
import { runFromEnv } from '../deploy-options.js';
import { openCliStore, storeRef } from '../candidate-options.js';
import { emit } from '../output.js';
import { interruptible } from '../signals.js';

interface BisectCliOptions {
  good: string;
  bad: string;
  config: string;
  store?: string;
  environment?: string;
  provider?: string;
  out?: string;
  markdown?: string;
  comment?: string;
  attestKey?: string;
  attestKeyless?: boolean;
  quiet?: boolean;
  json?: boolean;
}

/**
 * `karoo bisect --good LOCK|CANDIDATE --bad LOCK|CANDIDATE`: which leaf's move broke acceptance.
 * Exit 0 with the answer; bad input (the same lock twice, nothing moved, an unknown digest, a
 * file that is not a lock, ends that do not pass and fail) is one line and exit 2.
 */
export function registerBisect(program: Command): void {
  program
    .command('bisect')
    .description(
      'Which leaf broke it: bisect the leaf versions that moved between a passing and a failing lock to the smallest set of moves that fails acceptance (each step: resolve with pins, build, up; evidence of the same system reused)',
    )
    .requiredOption(
      '--good <lock|candidate>',
      'what passed: a lock file (pylock.toml, requirements.txt) or a candidate digest sha256:… in the store',
    )
    .requiredOption('--bad <lock|candidate>', 'what failed: a lock file or a candidate digest')
    .option('-c, --config <file>', 'karoo.yml', 'karoo.yml')
    .option('--store <ref>', 'oci-layout:PATH or REGISTRY/REPOSITORY (default: karoo.yml store:, else oci-layout:.karoo/store)')
    .option('--environment <name>', "whose values to deploy with (default: the configuration's first environment)")
    .option('--provider <name>', 'nspawn or qemu (default: provision.provider, else nspawn)')
    .option('--out <dir>', 'keep every intermediate lock here; a later bisect with the same --out resolves none of them again')
    .option('--markdown <file>', 'append the report as markdown (e.g. "$GITHUB_STEP_SUMMARY", or a file for a pull request comment)')
    .option(
      '--comment <pull-request>',
      'post the report as one comment on this pull request of $GITHUB_REPOSITORY (updated in place by later runs; token in $GITHUB_TOKEN, API at $GITHUB_API_URL)',
    )
    .option(...ATTEST_KEY_OPTION)
    .option(...ATTEST_KEYLESS_OPTION)
    .option('--quiet', 'no progress on stderr')
    .option('--json', 'print one JSON object')
    .action(async (opts: BisectCliOptions) => {
      const { KarooError, stderrProgress } = await import('@karoo/common');
      const { loadConfig } = await import('@karoo/config');
      const { bisect, endpointFrom } = await import('@karoo/bisect');
      const { bisectHeadline, renderBisectMarkdown } = await import('@karoo/report');
      const config = await loadConfig(opts.config);
      const progress = opts.quiet ? undefined : stderrProgress();
      const target = opts.comment === undefined ? undefined : commentTarget(opts.comment, KarooError);
      const good = await endpointFrom(opts.good, '--good');
      const bad = await endpointFrom(opts.bad, '--bad');
      if ('candidate' in good && 'candidate' in bad && good.candidate === bad.candidate) {
        throw new KarooError(
          'input',
          `--good and --bad are the same candidate (${good.candidate}); pass the candidate that passed and the one that failed`,
        );
      }
      const store = await openCliStore(storeRef({ store: opts.store }, config), progress);
      // Each step's acceptance result is signed as up signs it.
      const attest = await signingKeyFrom(opts.attestKey, config, opts.attestKeyless);
      const interrupt = interruptible('bisect');
      const r = await bisect({
        config,
        store,
        good,
        bad,
        environment: opts.environment,
        provider: opts.provider,
        lockDir: opts.out,
        attest,
        run: runFromEnv(),
        progress,
        // As for up: the watchdog runs this very CLI's reap when this process is gone or the TTL passes.
        onExpire: [process.execPath, process.argv[1]!, 'reap', '--env', '{env}'],
        signal: interrupt.signal,
      }).finally(() => interrupt.exitIfInterrupted());
      interrupt.dispose();
      if (opts.markdown) {
        const { appendFile } = await import('node:fs/promises');
        await appendFile(opts.markdown, renderBisectMarkdown(r));
      }
      let comment: string | undefined;
      if (target) {
        const { BISECT_MARKER, createGitHubClient, upsertStickyComment } = await import('@karoo/report');
        const gh = createGitHubClient({ token: process.env.GITHUB_TOKEN ?? '', progress });
        comment = (await upsertStickyComment(gh, target, BISECT_MARKER, renderBisectMarkdown(r, { marker: BISECT_MARKER }), progress)).url;
      }
      emit({ ...r, headline: bisectHeadline(r, true), comment }, opts, (o) =>
        [
          o.headline,
          ...o.inseparable.map(
            (g) => `${g.map((m) => m.name).join(', ')} could not be tried apart (no intermediate lock that separates them resolves)`,
          ),
          ...o.steps.map((s) => {
            const what = s.moved.length === 0 ? 'good' : s.moved.length === o.moved.length ? 'bad' : s.moved.join(' + ');
            const verdict =
              s.result === 'unresolvable' ? `cannot be resolved: ${s.reason ?? ''}` : `${s.result}${s.reused ? ' (reused)' : ''}`;
            return `  ${what}: ${verdict}${s.candidate ? ` ${s.candidate}` : ''}`;
          }),
        ].join('\n'),
      );
    });
}

/** The pull request --comment names, in $GITHUB_REPOSITORY; checked before anything runs. */
function commentTarget(
  value: string,
  KarooError: typeof import('@karoo/common').KarooError,
): { owner: string; repo: string; number: number } {
  if (!/^[1-9][0-9]{0,9}$/.test(value))
    throw new KarooError('input', `--comment "${value}" is not a pull request number; pass e.g. --comment 42`);
  const repository = process.env.GITHUB_REPOSITORY ?? '';
  const m = /^([A-Za-z0-9_.-]+)\/([A-Za-z0-9_.-]+)$/.exec(repository);
  if (!m) throw new KarooError('input', `--comment needs the repository as GITHUB_REPOSITORY=owner/name (got "${repository}")`);
  if (!process.env.GITHUB_TOKEN) throw new KarooError('input', '--comment needs a token in GITHUB_TOKEN (pull-requests: write)');
  return { owner: m[1]!, repo: m[2]!, number: Number(value) };
}
