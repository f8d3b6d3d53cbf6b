import { type Digest, KarooError } from '@karoo/common';
import type { Store } from '@karoo/oci';
import { environmentTags, environmentsInTags, readRecord, sequenceTags, type StoredRecord, tagTarget } from './records.js';

/** The newest promotion record of an environment, or undefined when nothing was ever promoted there. */
export async function currentRecord(store: Store, environment: string): Promise<StoredRecord | undefined> {
  const head = await tagTarget(store, environmentTags(environment).record);
  return head ? readRecord(store, head) : undefined;
}

/**
 * An environment's promotions, newest first, by following the hash chain of records from
 * the `env-<name>.record` tag. A broken chain (a record missing from the store) is an
 * integrity error naming the record.
 */
export async function history(store: Store, environment: string, options: { limit?: number } = {}): Promise<StoredRecord[]> {
  const tags = environmentTags(environment);
  const out: StoredRecord[] = [];
  const seen = new Set<string>();
  let next = await tagTarget(store, tags.record);
  while (next && out.length < (options.limit ?? Number.POSITIVE_INFINITY)) {
    if (seen.has(next)) throw new KarooError('integrity', `history of ${environment} in ${store.ref} loops at ${next}`);
    seen.add(next);
    let r: StoredRecord;
    try {
      r = await readRecord(store, next);
    } catch (e) {
      if ((e as KarooError).detail?.notFound) {
        throw new KarooError('integrity', `history of ${environment} in ${store.ref} is broken: record ${next} is missing`, { cause: e });
      }
      throw e;
    }
    if (r.environment !== environment) {
      throw new KarooError(
        'integrity',
        `history of ${environment} in ${store.ref} reaches record ${next}, which belongs to ${r.environment}`,
      );
    }
    out.push(r);
    next = r.previousRecord;
  }
  return out;
}

/** Two or more committed records at one place of a history: a decision that was not atomic. */
export interface Fork {
  /** The place in the history. */
  readonly sequence: number;
  /** The record they all follow (undefined: the environment's first place). */
  readonly previousRecord: Digest | undefined;
  /** The record on the chain from the head (undefined when the head is on none of them). */
  readonly followed: Digest | undefined;
  /** Every record committed at that place, the followed one included. */
  readonly records: readonly StoredRecord[];
  /** True when no promotion was committed after the fork: the environment's state is in doubt. */
  readonly open: boolean;
}

export interface HistoryReport {
  /** The chain from the head, newest first (as {@link history} returns it). */
  readonly records: readonly StoredRecord[];
  readonly forks: readonly Fork[];
}

/**
 * An environment's history with its forks: besides the chain from the head, every record
 * committed at a place (the `env-<name>.record-<n>-<hex>` tags) that is not on the chain is read
 * and reported with the record it shares the place with, never silently dropped.
 */
export async function readHistory(store: Store, environment: string): Promise<HistoryReport> {
  const records = await history(store, environment);
  const places = sequenceTags(environment, await store.listTags());
  const onChain = new Map<number, StoredRecord>();
  records.forEach((r, i) => onChain.set(r.sequence ?? records.length - i, r));
  const extra = new Map<number, StoredRecord[]>();
  for (const p of places) {
    const mine = onChain.get(p.sequence);
    if (mine && mine.digest.slice(7, 23) === p.prefix) continue;
    const d = await tagTarget(store, p.tag);
    if (!d || d === mine?.digest) continue;
    const r = await readRecord(store, d);
    if (r.environment !== environment)
      throw new KarooError('integrity', `tag ${p.tag} in ${store.ref} names record ${d} of ${r.environment}`);
    extra.set(p.sequence, [...(extra.get(p.sequence) ?? []), r]);
  }
  const head = records[0];
  const headPlace = head ? (head.sequence ?? records.length) : 0;
  const forks: Fork[] = [...extra.entries()]
    // One record just past the head that follows it is not a fork: its promotion is still moving
    // the tags (or died doing so; the next promotion completes it).
    .filter(([sequence, side]) => !(sequence === headPlace + 1 && side.length === 1 && side[0]!.previousRecord === head?.digest))
    .sort((a, b) => a[0] - b[0])
    .map(([sequence, side]) => {
      const followed = onChain.get(sequence);
      const all = [...(followed ? [followed] : []), ...side];
      return {
        sequence,
        previousRecord: (followed ?? side[0])!.previousRecord,
        followed: followed?.digest,
        records: all,
        open: sequence >= headPlace,
      };
    });
  return { records, forks };
}

/** One line about a fork, for warnings and errors. */
export function describeFork(environment: string, f: Fork): string {
  const list = f.records.map((r) => `${r.digest} (${r.candidate} by ${r.actor} at ${r.time})`).join(' and ');
  return `the history of ${environment} forks at place ${f.sequence}: ${list} all follow ${f.previousRecord ?? 'nothing (the first place)'}; ${
    f.open
      ? `${environment}'s tags follow ${f.followed ?? 'none of them'}, but which one holds was never decided: promote the candidate ${environment} should run again to settle it`
      : `the history goes on from ${f.followed ?? 'another record'}`
  }`;
}

/** What an environment runs now, from its history, and whether its `env-<name>` tag agrees. */
export interface EnvironmentStatus {
  readonly environment: string;
  readonly candidate?: Digest | undefined;
  readonly systemId?: Digest | undefined;
  readonly since?: string | undefined;
  readonly actor?: string | undefined;
  readonly kind?: 'promotion' | 'rollback' | undefined;
  readonly record?: Digest | undefined;
  /** Where `env-<name>` points (normally the same as candidate). */
  readonly tag?: Digest | undefined;
  /** Set when the tag and the record disagree: someone moved the tag outside karoo. */
  readonly drift?: string | undefined;
}

/**
 * What each environment runs. With `environments` (from karoo.yml, in order) every one is
 * listed, also those never promoted to; without, the ones that have a history in the store.
 */
export async function environmentStatus(store: Store, environments?: readonly string[]): Promise<EnvironmentStatus[]> {
  const tags = await store.listTags();
  const names = environments ?? environmentsInTags(tags);
  // Each environment's record and tag, read for all of them at once.
  return Promise.all(
    names.map(async (environment): Promise<EnvironmentStatus> => {
      const [r, tag] = await Promise.all([currentRecord(store, environment), tagTarget(store, environmentTags(environment).env)]);
      // From the place tags alone (no walk of the history): a second record at the head's place,
      // or a record committed past it.
      const places = sequenceTags(environment, tags);
      const headPlace = r?.sequence ?? (r ? undefined : 0);
      const twins = headPlace ? places.filter((p) => p.sequence === headPlace).length : 0;
      const ahead = headPlace !== undefined ? places.filter((p) => p.sequence > headPlace) : [];
      const drift =
        r && tag !== r.candidate
          ? `env-${environment} points at ${tag ?? 'nothing'}, but the last promotion recorded ${r.candidate}`
          : !r && tag
            ? `env-${environment} points at ${tag}, but no promotion was recorded`
            : twins > 1
              ? `the history of ${environment} forks at place ${headPlace} (${twins} records there); see karoo history ${environment}`
              : ahead.length
                ? `place ${ahead.map((p) => p.sequence).join(', ')} of ${environment}'s history is taken (${ahead.map((p) => p.tag).join(', ')}) but its tags are at place ${headPlace}: a promotion is still moving them, or died doing so (the next promotion completes it); see karoo history ${environment}`
                : undefined;
      return {
        environment,
        candidate: r?.candidate,
        systemId: r?.systemId,
        since: r?.time,
        actor: r?.actor,
        kind: r?.kind,
        record: r?.digest,
        tag,
        drift,
      };
    }),
  );
}
