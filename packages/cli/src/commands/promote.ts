import type { Command } from 'commander';
import { KarooError, stderrProgress } from '@karoo/common';
import { maybeConfig, openCliStore, storeRef } from '../candidate-options.js';
import { emit, table, type GlobalOptions } from '../output.js';
import { wholeNumber } from '../option-parsers.js';

interface PromoteCliOptions extends GlobalOptions {
  to: string;
  store?: string;
  config?: string;
  reason?: string;
  actor?: string;
  rollback?: boolean;
  dryRun?: boolean;
  deploy?: boolean;
  github?: boolean;
  githubRepository?: string;
  githubRef?: string;
  serialized?: boolean;
}

export function registerPromote(program: Command): void {
  program
    .command('promote')
    .description('Promote a tested candidate to an environment by its digest: check the gate (evidence, soak), record it, deploy it')
    .argument('<candidate>', 'candidate digest (sha256:…)')
    .requiredOption('--to <environment>', 'target environment (one of karoo.yml environments)')
    .option('--store <ref>', 'oci-layout:PATH or REGISTRY/REPOSITORY (default: karoo.yml store:, else oci-layout:.karoo/store)')
    .option('--config <file>', 'karoo.yml (default: ./karoo.yml)')
    .option('--reason <text>', 'why (kept in the environment history; required for --rollback)')
    .option('--actor <name>', 'who promotes (default: GITHUB_ACTOR, else the local user)')
    .option('--rollback', 'return to a candidate the environment ran before (skips the evidence gate, needs --reason)')
    .option('--dry-run', 'check the candidate and the gate only; record and deploy nothing (exit 6 when refused)')
    .option('--no-deploy', 'record the promotion but do not hand over to deploy')
    .option('--no-github', 'do not create a GitHub Deployment even when GITHUB_TOKEN and GITHUB_REPOSITORY are set')
    .option('--github-repository <owner/repo>', 'repository for the GitHub Deployment (default: GITHUB_REPOSITORY; needs GITHUB_TOKEN)')
    .option('--github-ref <ref>', 'commit or branch the GitHub Deployment names (default: GITHUB_SHA)')
    .option(
      '--serialized',
      'registry store without GitHub: promotions to this environment are serialised by something else (karoo cannot decide between two at once there)',
    )
    .option('--json', 'print one JSON object')
    .action(async (candidate: string, opts: PromoteCliOptions) => {
      const config = await maybeConfig(opts);
      if (!config) throw new KarooError('input', 'promote needs the environments of karoo.yml; pass --config karoo.yml');
      const progress = opts.json ? undefined : stderrProgress();
      const store = await openCliStore(storeRef(opts, config), progress);
      const { promote, runFromEnv, githubDeployments, systemIdFromConfig, deployHandover, evidenceRunVerifierFromEnv } =
        await import('@karoo/promote');
      const ctx = runFromEnv();

      let github: Parameters<typeof promote>[0]['github'];
      const repository = opts.githubRepository ?? ctx.repository;
      if (opts.github !== false && repository && !opts.dryRun) {
        const token = process.env.GITHUB_TOKEN;
        if (!token) {
          if (opts.githubRepository)
            throw new KarooError(
              'input',
              `--github-repository ${repository} needs a token in GITHUB_TOKEN (with deployments: write); or pass --no-github`,
            );
        } else {
          const ref = opts.githubRef ?? ctx.sha;
          if (!ref)
            throw new KarooError('input', `a GitHub Deployment needs a commit: pass --github-ref SHA (or set GITHUB_SHA), or --no-github`);
          github = {
            tracker: githubDeployments({ token, repository, baseUrl: process.env.GITHUB_API_URL, progress }),
            ref,
          };
        }
      }

      const r = await promote({
        store,
        config,
        candidate,
        environment: opts.to,
        reason: opts.reason,
        actor: opts.actor ?? ctx.actor,
        run: ctx.run,
        rollback: opts.rollback,
        dryRun: opts.dryRun,
        serialized: opts.serialized,
        systemId: systemIdFromConfig(config),
        // Inside GitHub Actions, each evidence's run is checked through the API (GITHUB_TOKEN, actions: read).
        evidenceRuns: evidenceRunVerifierFromEnv({ token: process.env.GITHUB_TOKEN, config, progress }),
        deploy: opts.deploy === false ? undefined : deployHandover(),
        github,
        progress,
      });
      if (opts.dryRun && !r.allowed) process.exitCode = 6;
      emit(r, opts, (o) => {
        const gate = o.gate.map((g) => [g.met ? 'ok' : 'MISSING', g.environment, g.requirement, g.detail]);
        const head =
          o.status === 'checked'
            ? `${o.allowed ? 'allowed' : 'refused'}: ${o.candidate} → ${o.environment} (dry run, nothing recorded)`
            : o.status === 'unchanged'
              ? `${o.environment} already runs ${o.candidate}; nothing recorded`
              : `${o.kind === 'rollback' ? 'rolled back' : 'promoted'} ${o.candidate} → ${o.environment}${o.previous ? ` (was ${o.previous})` : ' (first candidate there)'}`;
        return [
          head,
          ...(o.record ? [`record     ${o.record}`] : []),
          `tag        ${o.tag}`,
          ...(o.systemId ? [`system id  ${o.systemId}`] : []),
          ...(o.deployment ? [`deployment ${o.deployment.id} (${o.deployment.url})`] : []),
          ...(o.status !== 'checked' ? [`deploy     ${o.deploy.status}: ${o.deploy.detail}`] : []),
          ...(gate.length ? ['', table(gate, ['GATE', 'ENVIRONMENT', 'REQUIREMENT', 'DETAIL'])] : []),
        ].join('\n');
      });
    });
}

export function registerHistory(program: Command): void {
  program
    .command('history')
    .description("An environment's promotions, newest first (from the promotion records in the store)")
    .argument('<environment>', 'environment name')
    .option('--store <ref>', 'oci-layout:PATH or REGISTRY/REPOSITORY (default: karoo.yml store:, else oci-layout:.karoo/store)')
    .option('--config <file>', 'karoo.yml, for its store: (default: ./karoo.yml when present)')
    .option('--limit <n>', 'at most this many records', wholeNumber('records'))
    .option('--json', 'print a JSON list')
    .action(async (environment: string, opts: GlobalOptions & { store?: string; config?: string; limit?: number }) => {
      const config = await maybeConfig(opts);
      const store = await openCliStore(storeRef(opts, config));
      const { describeFork, readHistory } = await import('@karoo/promote');
      const report = await readHistory(store, environment);
      const limit = opts.limit;
      // A fork is shown, never resolved by picking a side: every record at a forked place is named.
      const forkAt = new Map(report.forks.map((f) => [f.sequence, f]));
      const records = report.records.slice(0, limit).map((r, i) => {
        const place = r.sequence ?? report.records.length - i;
        const fork = forkAt.get(place);
        return fork ? { ...r, place, forkedWith: fork.records.filter((x) => x.digest !== r.digest).map((x) => x.digest) } : { ...r, place };
      });
      for (const f of report.forks) process.stderr.write(`karoo: warning: ${describeFork(environment, f)}\n`);
      if (report.forks.some((f) => f.open)) process.exitCode = 3;
      emit(records, opts, (list) =>
        list.length === 0 && report.forks.length === 0
          ? `nothing was ever promoted to ${environment} in ${store.ref}`
          : [
              table(
                list.map((r) => [String(r.place), r.time, r.kind, r.candidate, r.actor, r.reason ?? '', r.run?.url ?? '']),
                ['PLACE', 'TIME', 'KIND', 'CANDIDATE', 'ACTOR', 'REASON', 'RUN'],
              ),
              ...report.forks.map(
                (f) =>
                  `\nFORK at place ${f.sequence}${f.open ? ' (open: which one holds was never decided)' : ''}: ${f.records.length} records follow ${f.previousRecord ?? 'nothing'}\n` +
                  table(
                    f.records.map((r) => [r.digest === f.followed ? 'followed' : 'side', r.digest, r.time, r.candidate, r.actor]),
                    ['', 'RECORD', 'TIME', 'CANDIDATE', 'ACTOR'],
                  ),
              ),
            ].join('\n'),
      );
    });
}
