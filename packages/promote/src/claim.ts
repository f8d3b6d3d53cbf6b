import { join } from 'node:path';
import { type Digest, KarooError, type Progress, shortDigest, silentProgress } from '@karoo/common';
import type { Descriptor } from '@karoo/candidate';
import type { Store } from '@karoo/oci';
import type { DeploymentTracker } from './github.js';
import { history } from './history.js';
import { type LockOptions, withLock } from './lock.js';
import {
  environmentTags,
  type PromotionRecord,
  pushArtifact,
  readRecord,
  recordArtifact,
  sequenceTags,
  type StoredRecord,
  tagTarget,
} from './records.js';

/**
 * How the next state of an environment is decided, so that of two promotions started together
 * exactly one is committed:
 *
 * - `lock-file` (an OCI layout): compare-and-swap under a lock file created with link semantics
 *   in the layout (`.karoo-promote/<env>.lock`): read the head, compare it with the head the gate
 *   was checked against, write record and tags, release. No network call happens under the lock.
 * - `github-ref` (a registry, with a GitHub token): the record is pushed first, then its place in
 *   the history is claimed by creating the git ref `refs/karoo/<env>/<n>` through the API, which
 *   GitHub creates only once. The refs are the truth; the store's tags follow them, and every
 *   writer checks the next place after writing so that a slow write cannot leave the tags behind.
 * - `serialized` (a registry, no GitHub): nothing atomic exists, so the caller must say that
 *   promotions to the environment are serialised by something else (a workflow's concurrency
 *   group); karoo checks before and after writing and reports a fork it sees, it cannot prevent it.
 */
export type Decision = 'lock-file' | 'github-ref' | 'serialized';

/** The decision a promotion will use, or a refusal that says how to get one. */
export function decisionFor(
  store: Store,
  tracker: DeploymentTracker | undefined,
  serialized: boolean | undefined,
  environment: string,
): Decision {
  if (store.kind === 'oci-layout') return 'lock-file';
  if (tracker?.claimSequence && tracker.readSequence) return 'github-ref';
  if (serialized) return 'serialized';
  throw new KarooError(
    'refused',
    `${store.ref} is a registry, which cannot decide between two promotions to ${environment} made at the same time; give karoo a GitHub token and repository (GITHUB_TOKEN and GITHUB_REPOSITORY, or the action's token, with contents: write: each promotion claims refs/karoo/${environment}/<n>), or, when promotions to ${environment} are serialised by something else (the release workflow's concurrency group), say so with --serialized`,
    { detail: { store: store.ref, environment } },
  );
}

export interface CommitOptions {
  readonly store: Store;
  readonly environment: string;
  readonly candidate: Digest;
  /** The candidate's descriptor: the record's subject. */
  readonly subject: Descriptor;
  /** The environment's head when the gate was checked (undefined: nothing promoted there yet). */
  readonly base: StoredRecord | undefined;
  /** The record for its place in the history. */
  readonly record: (place: {
    previousRecord: Digest | undefined;
    previousCandidate: Digest | undefined;
    sequence: number;
  }) => PromotionRecord;
  readonly decision: Decision;
  /** For `github-ref`: the tracker that claims refs, and the commit the claim's tag object points at. */
  readonly github?: { readonly tracker: DeploymentTracker; readonly commit: string } | undefined;
  readonly lock?: LockOptions | undefined;
  readonly progress?: Progress | undefined;
}

export interface Committed {
  readonly digest: Digest;
  readonly record: PromotionRecord;
  readonly sequence: number;
  readonly decision: Decision;
}

/** The place of a record in its environment's history (counted along the chain for records written before places were numbered). */
export async function placeOf(store: Store, record: StoredRecord | undefined): Promise<number> {
  if (!record) return 0;
  if (record.sequence !== undefined) return record.sequence;
  const chain = await history(store, record.environment);
  const i = chain.findIndex((r) => r.digest === record.digest);
  if (i < 0) throw new KarooError('integrity', `record ${record.digest} is not in the history of ${record.environment} in ${store.ref}`);
  return chain.length - i;
}

function changed(environment: string, candidate: Digest, base: Digest | undefined, head: string | undefined): KarooError {
  return new KarooError(
    'conflict',
    `another promotion to ${environment} was recorded while this one checked its gate (history head ${base ?? 'none'} → ${head ?? 'none'}); nothing was recorded for ${candidate}; run it again`,
    { detail: { environment, base, head } },
  );
}

async function putTags(store: Store, environment: string, digest: Digest, sequence: number, candidate: Digest): Promise<void> {
  const tags = environmentTags(environment);
  const m = await store.getManifest(digest);
  // The place first (the record is committed), then the head, then what the environment runs.
  await store.putManifest(m.bytes, m.descriptor.mediaType, { tag: tags.sequence(sequence, digest) });
  await store.putManifest(m.bytes, m.descriptor.mediaType, { tag: tags.record });
  const c = await store.getManifest(candidate);
  await store.putManifest(c.bytes, c.descriptor.mediaType, { tag: tags.env });
}

/**
 * Brings the store's tags up to the refs (`github-ref`): while the place after the head is
 * claimed by a record that follows the head, commit that record's tags. Run before a promotion
 * reads the head (a promotion that crashed after winning its ref is completed by the next one)
 * and after a promotion wrote its tags (a later promotion may have written first).
 */
export async function settleHead(
  store: Store,
  environment: string,
  tracker: DeploymentTracker,
  progress: Progress = silentProgress,
): Promise<void> {
  const tags = environmentTags(environment);
  for (;;) {
    const headDigest = await tagTarget(store, tags.record);
    const head = headDigest ? await readRecord(store, headDigest) : undefined;
    const next = (await placeOf(store, head)) + 1;
    const held = await tracker.readSequence!(environment, next);
    if (!held) return;
    if (!held.record)
      throw new KarooError(
        'integrity',
        `refs/karoo/${environment}/${next} does not name a promotion record; remove it or repair it (it must point at a tag object with a "record: sha256:…" line)`,
      );
    let r: StoredRecord;
    try {
      r = await readRecord(store, held.record);
    } catch (e) {
      throw new KarooError(
        'integrity',
        `refs/karoo/${environment}/${next} names record ${held.record}, which ${store.ref} cannot give: ${(e as Error).message.split('\n')[0]}`,
        { cause: e },
      );
    }
    if (r.previousRecord !== headDigest || r.environment !== environment) {
      throw new KarooError(
        'integrity',
        `refs/karoo/${environment}/${next} names record ${held.record}, which does not follow ${environment}'s head ${headDigest ?? 'none'} in ${store.ref}`,
      );
    }
    progress.info(
      `${environment}: place ${next} is taken by ${held.record} (${r.candidate} by ${r.actor}); bringing the store's tags up to it`,
    );
    await putTags(store, environment, held.record, next, r.candidate);
  }
}

/** Writes a promotion's record and moves the environment's tags, decided atomically (see {@link Decision}). */
export async function commitRecord(o: CommitOptions): Promise<Committed> {
  const tags = environmentTags(o.environment);
  const progress = o.progress ?? silentProgress;
  const sequence = (await placeOf(o.store, o.base)) + 1;
  const record = o.record({ previousRecord: o.base?.digest, previousCandidate: o.base?.candidate, sequence });
  const artifact = recordArtifact(o.subject, record);
  const done = (): Committed => ({ digest: artifact.digest, record, sequence, decision: o.decision });

  if (o.decision === 'lock-file') {
    const path = (o.store as Store & { path?: string }).path;
    if (!path) throw new KarooError('internal', `${o.store.ref} has no directory for its lock`);
    await withLock(
      join(path, '.karoo-promote'),
      o.environment,
      `promotion of ${o.candidate} to ${o.environment}`,
      async () => {
        const head = await tagTarget(o.store, tags.record);
        if (head !== o.base?.digest) throw changed(o.environment, o.candidate, o.base?.digest, head);
        await pushArtifact(o.store, artifact);
        await putTags(o.store, o.environment, artifact.digest, sequence, o.candidate);
      },
      o.lock,
    );
    return done();
  }

  const head = await tagTarget(o.store, tags.record);
  if (head !== o.base?.digest) throw changed(o.environment, o.candidate, o.base?.digest, head);

  if (o.decision === 'github-ref') {
    const tracker = o.github!.tracker;
    // The record first: whoever holds the place, its record is in the store.
    await pushArtifact(o.store, artifact);
    const outcome = await tracker.claimSequence!({
      environment: o.environment,
      sequence,
      record: artifact.digest,
      candidate: o.candidate,
      store: o.store.ref,
      commit: o.github!.commit,
    });
    if (!outcome.won) {
      const other = outcome.record ? await readRecord(o.store, outcome.record).catch(() => undefined) : undefined;
      const who = other
        ? `${other.candidate} by ${other.actor}${other.run?.url ? ` (${other.run.url})` : ''}, record ${outcome.record}`
        : `${outcome.ref}`;
      throw new KarooError(
        'conflict',
        `another promotion to ${o.environment} won place ${sequence} of its history (${who}); nothing was recorded for ${o.candidate} (its record ${artifact.digest} stays outside the history); run it again once that one has finished`,
        { detail: { environment: o.environment, sequence, winner: outcome.record, ref: outcome.ref } },
      );
    }
    await putTags(o.store, o.environment, artifact.digest, sequence, o.candidate);
    await settleHead(o.store, o.environment, tracker, progress);
    return done();
  }

  // serialized: nothing atomic; check before and after, and say so loudly when it was not serial.
  const taken = sequenceTags(o.environment, await o.store.listTags()).filter((t) => t.sequence === sequence);
  if (taken.length) throw changed(o.environment, o.candidate, o.base?.digest, `place ${sequence} (${taken.map((t) => t.tag).join(', ')})`);
  await pushArtifact(o.store, artifact, tags.sequence(sequence, artifact.digest));
  const others = sequenceTags(o.environment, await o.store.listTags()).filter(
    (t) => t.sequence === sequence && t.tag !== tags.sequence(sequence, artifact.digest),
  );
  if (others.length) {
    throw new KarooError(
      'conflict',
      `another promotion to ${o.environment} wrote place ${sequence} of its history at the same time (${others.map((t) => t.tag).join(', ')}), although promotions were said to be serialised; the history now forks there (see karoo history ${o.environment}); nothing more was recorded for ${o.candidate}`,
      { detail: { environment: o.environment, sequence, fork: others.map((t) => t.tag) } },
    );
  }
  const m = await o.store.getManifest(artifact.digest);
  await o.store.putManifest(m.bytes, m.descriptor.mediaType, { tag: tags.record });
  const c = await o.store.getManifest(o.candidate);
  await o.store.putManifest(c.bytes, c.descriptor.mediaType, { tag: tags.env });
  progress.info(
    `${o.environment}: recorded without an atomic decision (serialised by the caller): ${shortDigest(artifact.digest)} at place ${sequence}`,
  );
  return done();
}
