import { randomBytes } from 'node:crypto';
import { type Digest, KarooError } from '@karoo/common';
import type { Store } from '@karoo/oci';
import { type Claim, claimArtifact, environmentTags, pushArtifact, readClaim, type RunInfo, tagTarget } from './records.js';

/**
 * Mutual exclusion of promotions to one environment over a store that has no compare-and-swap
 * (an OCI registry or layout only offers "put tag"): Fischer's protocol on the
 * `env-<name>.claim` tag.
 *
 *   1. read the claim tag, then the history head; an active claim (not released, younger than
 *      the TTL, and built on the current head) means another promotion is deciding: conflict;
 *   2. write our claim (a unique nonce, built on the head we read);
 *   3. wait `settle`, longer than any competitor needs between its step 1 and step 2;
 *   4. read the claim tag again: someone else's claim means they wrote last and win, we fail;
 *      then check the head is still the one we built on.
 *
 * Two promotions that pass step 1 together both write in step 2; the later write wins the tag,
 * and the earlier one sees it in step 4 — exactly one goes on. The wait is at least
 * `minSettleMs` and at least 3× what our own steps 1–2 took, so a slow store lengthens it.
 * Once the winner records its promotion the head moves, which retires the claim; a crashed
 * promotion's claim expires after the TTL, and a failed one releases it.
 */
export interface ClaimOptions {
  readonly store: Store;
  readonly environment: string;
  readonly candidate: Digest;
  readonly actor: string;
  readonly run?: RunInfo | undefined;
  readonly now: () => Date;
  /** Minimum wait between writing the claim and checking it (default 500 ms). */
  readonly minSettleMs?: number | undefined;
  /** A claim older than this is taken to be left by a crashed promotion (default 600 s). */
  readonly ttlSeconds?: number | undefined;
  readonly sleep?: ((ms: number) => Promise<void>) | undefined;
}

export interface HeldClaim {
  readonly digest: Digest;
  readonly claim: Claim;
  /** The head record the promotion builds on (undefined: the environment's first promotion). */
  readonly base: Digest | undefined;
  /** Marks the claim released so that the next promotion need not wait for its TTL. */
  release(): Promise<void>;
}

const who = (c: Claim) => `${c.candidate} by ${c.actor}${c.run?.url ? ` (${c.run.url})` : ''}`;

export async function acquireClaim(o: ClaimOptions): Promise<HeldClaim> {
  const tags = environmentTags(o.environment);
  const sleep = o.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
  const ttl = (o.ttlSeconds ?? 600) * 1000;
  const started = Date.now();

  const existingDigest = await tagTarget(o.store, tags.claim);
  const base = await tagTarget(o.store, tags.record);
  if (existingDigest) {
    const existing = await readClaim(o.store, existingDigest);
    const age = o.now().getTime() - Date.parse(existing.time);
    if (!existing.released && existing.base === base && age < ttl) {
      throw new KarooError(
        'conflict',
        `another promotion to ${o.environment} is in progress (${who(existing)}, since ${existing.time}); wait for it to finish and run this one again`,
        { detail: { environment: o.environment, other: existing } },
      );
    }
  }

  const claim: Claim = {
    schema: 'karoo.promotion.claim/v1',
    environment: o.environment,
    candidate: o.candidate,
    base,
    nonce: randomBytes(16).toString('hex'),
    actor: o.actor,
    run: o.run,
    time: o.now().toISOString(),
  };
  const digest = await pushArtifact(o.store, claimArtifact(claim), tags.claim);
  const settle = Math.max(o.minSettleMs ?? 500, 3 * (Date.now() - started));
  await sleep(settle);

  const now = await tagTarget(o.store, tags.claim);
  if (now !== digest) {
    const other = now ? await readClaim(o.store, now).catch(() => undefined) : undefined;
    throw new KarooError(
      'conflict',
      `another promotion to ${o.environment} started at the same time and won (${other ? who(other) : `claim ${now ?? 'removed'}`}); nothing was recorded for ${o.candidate}; run it again once that one has finished`,
      { detail: { environment: o.environment, other } },
    );
  }
  const head = await tagTarget(o.store, tags.record);
  if (head !== base) {
    throw new KarooError('conflict', `${o.environment} changed while this promotion started (history head ${base ?? 'none'} → ${head ?? 'none'}); nothing was recorded; run it again`, {
      detail: { environment: o.environment },
    });
  }

  return {
    digest,
    claim,
    base,
    release: async () => {
      // Only if it is still ours: never overwrite a competitor's claim.
      if ((await tagTarget(o.store, tags.claim)) !== digest) return;
      await pushArtifact(o.store, claimArtifact({ ...claim, released: true, time: o.now().toISOString() }), tags.claim);
    },
  };
}
