import { type Digest, KarooError } from '@karoo/common';
import type { Store } from '@karoo/oci';
import { environmentTags, environmentsInTags, readRecord, type StoredRecord, tagTarget } from './records.js';

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
      throw new KarooError('integrity', `history of ${environment} in ${store.ref} reaches record ${next}, which belongs to ${r.environment}`);
    }
    out.push(r);
    next = r.previousRecord;
  }
  return out;
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
  const names = environments ?? environmentsInTags(await store.listTags());
  const out: EnvironmentStatus[] = [];
  for (const environment of names) {
    const r = await currentRecord(store, environment);
    const tag = await tagTarget(store, environmentTags(environment).env);
    const drift =
      r && tag !== r.candidate
        ? `env-${environment} points at ${tag ?? 'nothing'}, but the last promotion recorded ${r.candidate}`
        : !r && tag
          ? `env-${environment} points at ${tag}, but no promotion was recorded`
          : undefined;
    out.push({
      environment,
      candidate: r?.candidate,
      systemId: r?.systemId,
      since: r?.time,
      actor: r?.actor,
      kind: r?.kind,
      record: r?.digest,
      tag,
      drift,
    });
  }
  return out;
}
