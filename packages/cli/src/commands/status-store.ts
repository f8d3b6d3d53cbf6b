import { maybeConfig, openCliStore, storeRef } from '../candidate-options.js';
import { emit, table, type GlobalOptions } from '../output.js';

export interface StoreStatusOptions extends GlobalOptions {
  store?: string;
  config?: string;
}

/**
 * `karoo status --store STORE`: which candidate and system id each environment runs, from
 * the promotion records. With --json a list `[{name, candidate, systemId, since, actor,
 * production, …}]`, the shape the report step's `environments` input reads.
 */
export async function storeStatus(opts: StoreStatusOptions): Promise<void> {
  const config = await maybeConfig(opts);
  const store = await openCliStore(storeRef(opts, config));
  const { environmentStatus } = await import('@karoo/promote');
  const names = config?.environments.map((e) => e.name);
  const last = names?.at(-1);
  const list = (await environmentStatus(store, names && names.length > 0 ? names : undefined)).map((s) => ({
    name: s.environment,
    ...s,
    production: last === undefined ? undefined : s.environment === last,
  }));
  emit(list, opts, (l) => {
    if (l.length === 0) return `no environment has a promotion in ${store.ref}`;
    const rows = l.map((s) => [s.name, s.candidate ?? '(none)', s.systemId ?? '', s.since ?? '', s.actor ?? '']);
    const drift = l.filter((s) => s.drift).map((s) => `warning: ${s.drift}`);
    return [table(rows, ['ENVIRONMENT', 'CANDIDATE', 'SYSTEM ID', 'SINCE', 'BY']), ...drift].join('\n');
  });
}
