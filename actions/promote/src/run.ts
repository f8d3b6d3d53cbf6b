import { isKarooError, KarooError } from '@karoo/common';
import { loadConfig } from '@karoo/config';
import {
  deployHandover,
  evidenceRunVerifierFromEnv,
  githubDeployments,
  type GateCheck,
  promote,
  runFromEnv,
  systemIdFromConfig,
} from '@karoo/promote';
import { promoteSummary } from '@karoo/summary';
import { actionProgress, core } from '@karoo/kit';
import { openActionStore, type StoreInputs } from '@karoo/kit/store';
import { countingEvidence, evidenceEnvironment, reportFiles } from '@karoo/kit/evidence';
import { withGateFrom } from './gate-config.js';

/** The promote step's inputs (action.yml's, typed). */
export interface PromoteInputs {
  readonly candidate: string;
  /** Default, the configuration's first environment. */
  readonly environment?: string | undefined;
  readonly config: string;
  readonly store: StoreInputs;
  readonly reason?: string | undefined;
  readonly rollback: boolean;
  /** Check the gate and write the report files only. */
  readonly dryRun: boolean;
  /** Digests of evidence this run produced itself (with dryRun): see PromoteOptions.thisRunEvidence. */
  readonly thisRunEvidence?: readonly string[] | undefined;
  /** Hand over to the environment's deploy workflow. */
  readonly deploy: boolean;
  /** Record a GitHub Deployment. */
  readonly githubDeployment: boolean;
  readonly githubToken?: string | undefined;
  /** Another karoo.yml to read the gate (requires, soak) from, and the ref it was read at. */
  readonly gateConfig?: string | undefined;
  readonly gateConfigRef?: string | undefined;
}

export interface PromoteOutputs {
  readonly environment: string;
  readonly status: string;
  readonly allowed: boolean;
  readonly hasEvidence: boolean;
  readonly passingEvidence: string;
  readonly previous: string;
  readonly record: string;
  readonly tag: string;
  readonly systemId: string;
  readonly evidence: string;
  readonly deploymentId: string;
  readonly gate: string;
  readonly evidencePath: string;
  readonly environmentsPath: string;
}

/** What a refused promotion still tells: the environment and its gate. */
export type RefusedOutputs = Pick<PromoteOutputs, 'environment' | 'allowed' | 'gate'>;

/**
 * Promotes (or, dry, checks) the candidate into the environment and writes the job summary and
 * the report step's files. A refusal calls `refused` with its gate before it is thrown.
 */
export async function runPromote(i: PromoteInputs, refused: (o: RefusedOutputs) => void = () => {}): Promise<PromoteOutputs> {
  const branchConfig = await loadConfig(i.config);
  const environment = evidenceEnvironment(branchConfig, i.environment, 'promote');
  // The gate (requires, soak) from another karoo.yml: release.yml passes the default branch's.
  const gatePath = i.gateConfig;
  const gateLabel = i.gateConfigRef ?? gatePath;
  const gateConfig = gatePath ? await loadConfig(gatePath) : undefined;
  const config = gateConfig ? withGateFrom(branchConfig, gateConfig, environment, gateLabel!) : branchConfig;
  const gateNote = gatePath
    ? `The gate (\`requires\`, \`soak\`) was read from the karoo.yml of **${gateLabel}**, not from the dispatched ref${process.env.GITHUB_REF ? ` (\`${process.env.GITHUB_REF}\`)` : ''}.`
    : `The gate (\`requires\`, \`soak\`) was read from ${branchConfig.path}.`;
  const token = i.githubToken;
  const store = openActionStore(config, i.store, token);
  const dryRun = i.dryRun;
  const ctx = runFromEnv();

  const wantGithub = i.githubDeployment && !dryRun;
  if (wantGithub && !token)
    throw new KarooError(
      'input',
      'input "github-token" is empty; it is needed for the GitHub Deployment (or set github-deployment: false)',
    );
  if (wantGithub && (!ctx.repository || !ctx.sha))
    throw new KarooError(
      'input',
      'GITHUB_REPOSITORY and GITHUB_SHA are not set; run inside GitHub Actions or set github-deployment: false',
    );
  const github = wantGithub
    ? {
        tracker: githubDeployments({
          token: token!,
          repository: ctx.repository!,
          baseUrl: process.env.GITHUB_API_URL,
          progress: actionProgress,
        }),
        ref: ctx.sha!,
      }
    : undefined;

  const candidate = i.candidate;
  const reason = i.reason;
  let gate: readonly GateCheck[] | undefined;
  let outputs: PromoteOutputs;
  try {
    const r = await promote({
      store,
      config,
      candidate,
      environment,
      reason,
      actor: ctx.actor,
      run: ctx.run,
      rollback: i.rollback,
      dryRun,
      systemId: systemIdFromConfig(config),
      // Which runs may produce evidence is part of the gate: read from the gate's karoo.yml (the default branch's) when given.
      evidenceRuns: evidenceRunVerifierFromEnv({ token, config: gateConfig ?? branchConfig, progress: actionProgress }),
      thisRunEvidence: i.thisRunEvidence,
      deploy: i.deploy ? deployHandover() : undefined,
      github,
      progress: actionProgress,
    });
    gate = r.gate;
    const files = await reportFiles(store, config, r.evidence);
    outputs = {
      environment,
      status: r.status,
      allowed: r.allowed,
      hasEvidence: r.passingEvidence.includes(environment),
      passingEvidence: JSON.stringify(r.passingEvidence),
      previous: r.previous ?? '',
      record: r.record ?? '',
      tag: r.tag,
      systemId: r.systemId ?? '',
      evidence: countingEvidence(r.evidence, environment),
      deploymentId: r.deployment ? String(r.deployment.id) : '',
      gate: JSON.stringify(r.gate),
      ...files,
    };
    if (r.status === 'checked') {
      core.info(`${r.allowed ? 'allowed' : 'refused'}: ${r.candidate} → ${environment} (dry run)`);
      if (!r.allowed)
        core.notice(
          `${r.candidate} may not enter ${environment} yet: ${r.gate
            .filter((g) => !g.met)
            .map((g) => g.detail)
            .join('; ')}`,
        );
    }
    if (r.deploy.status === 'skipped' && r.status !== 'checked') core.info(`deploy skipped: ${r.deploy.detail}`);
    await core.summary
      .addRaw(
        promoteSummary({
          candidate: r.candidate,
          to: environment,
          previous: r.previous,
          systemId: r.systemId,
          reason,
          actor: ctx.actor,
          deploymentUrl: r.deployment?.url,
          gate: r.gate,
        }),
      )
      .addRaw(`\n${gateNote}\n`)
      .write();
  } catch (e) {
    // A refusal still gets its gate table in the job summary, so the missing evidence is visible.
    if (isKarooError(e) && e.kind === 'refused' && Array.isArray(e.detail?.gate)) {
      gate = e.detail.gate as GateCheck[];
      refused({ environment, allowed: false, gate: JSON.stringify(gate) });
      await core.summary
        .addRaw(promoteSummary({ candidate, to: environment, actor: ctx.actor, reason, gate }))
        .addRaw(`\n${gateNote}\n`)
        .write();
    }
    throw e;
  }
  return outputs;
}
