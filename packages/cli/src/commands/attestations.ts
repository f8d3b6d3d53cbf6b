import type { Command } from 'commander';
import { openCliStore, storeRef } from '../candidate-options.js';
import { emit, table } from '../output.js';

interface AttestationsCliOptions {
  store?: string;
  config?: string;
  key?: string[];
  json?: boolean;
}

export function registerAttestations(program: Command): void {
  program
    .command('attestations')
    .description(
      'List the signed attestations (SLSA provenance, test results) attached to a candidate, each verified with the public keys, Sigstore trusted root and workflow identity of karoo.yml attestations (or --key)',
    )
    .argument('<candidate>', 'candidate digest sha256:…')
    .option('--store <ref>', 'oci-layout:PATH or REGISTRY/REPOSITORY (default: karoo.yml store:, else oci-layout:.karoo/store)')
    .option('--config <file>', 'karoo.yml, for its store: and attestations: (default: ./karoo.yml when present)')
    .option('--key <file...>', 'PEM public keys to verify with (default: karoo.yml attestations.keys)')
    .option('--json', 'print a JSON list')
    .action(async (candidate: string, opts: AttestationsCliOptions) => {
      const { maybeConfig } = await import('../candidate-options.js');
      const config = await maybeConfig({ config: opts.config });
      const store = await openCliStore(storeRef({ store: opts.store }, config));
      const { inspectAttestations, loadTrustedRoot, loadVerificationKey } = await import('@karoo/attest');
      const keys = await Promise.all((opts.key ?? config?.attestations?.keys ?? []).map((k) => loadVerificationKey(k)));
      // Keyless (Sigstore) bundles verify against the site's trusted root, as the gate does.
      const trustedRoot = config?.attestations?.trustedRoot ? await loadTrustedRoot(config.attestations.trustedRoot) : undefined;
      const list = await inspectAttestations(store, candidate, { keys, identity: config?.attestations?.identity, trustedRoot });
      emit(list, opts, (l) =>
        l.length === 0
          ? `no attestations for ${candidate} in ${store.ref}`
          : table(
              l.map((a) => [
                a.predicateType ?? '?',
                a.signing ?? '?',
                a.verified
                  ? a.signing === 'keyless'
                    ? `verified (keyless${a.signer ? `, ${a.signer}` : ''})`
                    : `verified (key ${a.keyid!.slice(0, 16)}…)`
                  : `NOT verified: ${a.reason}`,
                [a.environment, a.result].filter(Boolean).join(' ') || '-',
                a.digest,
              ]),
              ['PREDICATE', 'SIGNING', 'VERIFICATION', 'RESULT', 'ATTESTATION'],
            ),
      );
    });
}
