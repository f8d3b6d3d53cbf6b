/**
 * A Sigstore instance in miniature, made with the openssl CLI for tests: a Fulcio-like CA (root +
 * intermediate) that issues short-lived leaf certificates carrying Fulcio's workflow-identity
 * extensions (OIDs 1.3.6.1.4.1.57264.1.*), an RFC 3161 timestamp authority, and the Sigstore
 * `trusted_root.json` that names them. Bundles it makes are real: a DSSE signature by the leaf's
 * key over PAE, the leaf certificate, an RFC 3161 timestamp over the signature — the layout
 * GitHub's own Sigstore instance gives `@actions/attest` (no transparency log).
 */
import { execFileSync } from 'node:child_process';
import { createHash, createPrivateKey, generateKeyPairSync, type KeyObject, sign as cryptoSign } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export interface WorkflowCertIdentity {
  /** e.g. https://github.com */
  readonly server: string;
  /** owner/repo */
  readonly repository: string;
  /** .github/workflows/x.yml */
  readonly workflow: string;
  /** refs/heads/main */
  readonly ref: string;
  readonly issuer: string;
  /** The Build Signer URI when it is not the workflow itself: a reusable workflow it called (`SERVER/OWNER/REPO/PATH@REF`). */
  readonly signer?: string;
}

export interface LeafOptions {
  readonly identity: WorkflowCertIdentity;
  /** openssl ca dates (YYYYMMDDHHMMSSZ); default: from an hour ago to an hour ahead. */
  readonly startDate?: string;
  readonly endDate?: string;
}

export interface Leaf {
  readonly certDer: Buffer;
  readonly keyPem: string;
}

export interface TestCa {
  readonly dir: string;
  readonly rootDer: Buffer;
  readonly intermediateDer: Buffer;
  /** The chain a Fulcio returns after the leaf: intermediate, root (PEM). */
  readonly chainPem: readonly string[];
  issue(o: LeafOptions): Leaf;
  /** A leaf for a public key someone else holds (what a Fulcio does with a certificate request), valid for a day; PEM. */
  issueFor(publicKeyPem: string, identity: WorkflowCertIdentity): string;
}

const PAYLOAD_TYPE = 'application/vnd.in-toto+json';

function stamp(d: Date): string {
  return `${d.toISOString().replace(/[-:T]/g, '').slice(0, 14)}Z`;
}

function pem2der(pem: string): Buffer {
  return Buffer.from(pem.replace(/-----[A-Z ]+-----/g, '').replace(/\s+/g, ''), 'base64');
}

/** A CA with a root and an intermediate; `issue` signs leaf certificates with Fulcio's extensions. */
export function makeCa(dir: string, name: string): TestCa {
  mkdirSync(dir, { recursive: true });
  const ssl = (...args: string[]) => execFileSync('openssl', args, { cwd: dir, stdio: 'pipe' });
  writeFileSync(
    join(dir, 'ca.ext'),
    [
      '[v3_ca]',
      'basicConstraints=critical,CA:TRUE',
      'keyUsage=critical,keyCertSign,cRLSign',
      'subjectKeyIdentifier=hash',
      'authorityKeyIdentifier=keyid:always',
      '',
    ].join('\n'),
  );
  ssl(
    'req',
    '-x509',
    '-newkey',
    'ec',
    '-pkeyopt',
    'ec_paramgen_curve:prime256v1',
    '-nodes',
    '-keyout',
    'root.key',
    '-out',
    'root.pem',
    '-days',
    '30',
    '-subj',
    `/O=karoo test/CN=${name} root`,
    '-addext',
    'basicConstraints=critical,CA:TRUE',
    '-addext',
    'keyUsage=critical,keyCertSign,cRLSign',
  );
  ssl(
    'req',
    '-newkey',
    'ec',
    '-pkeyopt',
    'ec_paramgen_curve:prime256v1',
    '-nodes',
    '-keyout',
    'intermediate.key',
    '-out',
    'intermediate.csr',
    '-subj',
    `/O=karoo test/CN=${name} intermediate`,
  );
  ssl(
    'x509',
    '-req',
    '-in',
    'intermediate.csr',
    '-CA',
    'root.pem',
    '-CAkey',
    'root.key',
    '-CAcreateserial',
    '-out',
    'intermediate.pem',
    '-days',
    '30',
    '-extfile',
    'ca.ext',
    '-extensions',
    'v3_ca',
  );
  // openssl ca (not x509 -req) so that a leaf's validity can be set to any dates.
  writeFileSync(join(dir, 'index.txt'), '');
  writeFileSync(join(dir, 'serial'), '1000\n');
  writeFileSync(
    join(dir, 'ca.cnf'),
    [
      '[ca]',
      'default_ca=leafca',
      '[leafca]',
      `dir=${dir}`,
      'database=$dir/index.txt',
      'serial=$dir/serial',
      'new_certs_dir=$dir',
      'certificate=$dir/intermediate.pem',
      'private_key=$dir/intermediate.key',
      'default_md=sha256',
      'policy=any',
      'unique_subject=no',
      'copy_extensions=none',
      '[any]',
      'organizationName=optional',
      'commonName=optional',
      '',
    ].join('\n'),
  );
  let n = 0;
  const writeExt = (id: string, identity: WorkflowCertIdentity) => {
    const { server, repository, workflow, ref, issuer } = identity;
    const config = `${server}/${repository}/${workflow}@${ref}`;
    const signer = identity.signer ?? config;
    const utf8 = (oid: string, v: string) => `${oid}=ASN1:UTF8String:${v}`;
    writeFileSync(
      join(dir, `${id}.ext`),
      [
        '[leaf]',
        'basicConstraints=critical,CA:FALSE',
        'keyUsage=critical,digitalSignature',
        'extendedKeyUsage=codeSigning',
        'subjectKeyIdentifier=hash',
        'authorityKeyIdentifier=keyid',
        `subjectAltName=critical,URI:${signer}`,
        // The v1 issuer extension is the raw string, not DER (Fulcio's first extensions).
        `1.3.6.1.4.1.57264.1.1=DER:${Buffer.from(issuer)
          .toString('hex')
          .replace(/(..)(?!$)/g, '$1:')}`,
        utf8('1.3.6.1.4.1.57264.1.8', issuer),
        utf8('1.3.6.1.4.1.57264.1.9', signer),
        utf8('1.3.6.1.4.1.57264.1.12', `${server}/${repository}`),
        utf8('1.3.6.1.4.1.57264.1.14', ref),
        utf8('1.3.6.1.4.1.57264.1.18', config),
        '',
      ].join('\n'),
    );
  };
  return {
    dir,
    rootDer: pem2der(readFileSync(join(dir, 'root.pem'), 'utf8')),
    intermediateDer: pem2der(readFileSync(join(dir, 'intermediate.pem'), 'utf8')),
    chainPem: [readFileSync(join(dir, 'intermediate.pem'), 'utf8'), readFileSync(join(dir, 'root.pem'), 'utf8')],
    issue(o) {
      const id = `leaf${++n}`;
      writeExt(id, o.identity);
      ssl(
        'req',
        '-newkey',
        'ec',
        '-pkeyopt',
        'ec_paramgen_curve:prime256v1',
        '-nodes',
        '-keyout',
        `${id}.key`,
        '-out',
        `${id}.csr`,
        '-subj',
        '/O=sigstore.dev',
      );
      const now = Date.now();
      ssl(
        'ca',
        '-batch',
        '-config',
        'ca.cnf',
        '-notext',
        '-in',
        `${id}.csr`,
        '-out',
        `${id}.pem`,
        '-extfile',
        `${id}.ext`,
        '-extensions',
        'leaf',
        '-startdate',
        o.startDate ?? stamp(new Date(now - 3600_000)),
        '-enddate',
        o.endDate ?? stamp(new Date(now + 3600_000)),
      );
      return { certDer: pem2der(readFileSync(join(dir, `${id}.pem`), 'utf8')), keyPem: readFileSync(join(dir, `${id}.key`), 'utf8') };
    },
    issueFor(publicKeyPem, identity) {
      const id = `leaf${++n}`;
      writeExt(id, identity);
      writeFileSync(join(dir, `${id}.pub`), publicKeyPem);
      // Any request will do for its subject: the certificate gets the given key (-force_pubkey).
      ssl(
        'req',
        '-newkey',
        'ec',
        '-pkeyopt',
        'ec_paramgen_curve:prime256v1',
        '-nodes',
        '-keyout',
        `${id}.unused.key`,
        '-out',
        `${id}.csr`,
        '-subj',
        '/O=sigstore.dev',
      );
      ssl(
        'x509',
        '-req',
        '-in',
        `${id}.csr`,
        '-force_pubkey',
        `${id}.pub`,
        '-CA',
        'intermediate.pem',
        '-CAkey',
        'intermediate.key',
        '-CAcreateserial',
        '-out',
        `${id}.pem`,
        '-days',
        '1',
        '-extfile',
        `${id}.ext`,
        '-extensions',
        'leaf',
      );
      return readFileSync(join(dir, `${id}.pem`), 'utf8');
    },
  };
}

/** An RFC 3161 timestamp authority whose certificate the CA's root signs (extended key usage timeStamping). */
export interface TestTsa {
  readonly certDer: Buffer;
  /** A TimeStampResp (DER, status and token, as Sigstore bundles carry it) over `data`, at the current time. */
  timestamp(data: Buffer): Buffer;
  /** The same over a sha256 digest (what a TSA is sent: `{ artifactHash, hashAlgorithm }`). */
  timestampDigest(sha256: Buffer): Buffer;
}

export function makeTsa(ca: TestCa): TestTsa {
  const dir = ca.dir;
  const ssl = (...args: string[]) => execFileSync('openssl', args, { cwd: dir, stdio: 'pipe' });
  writeFileSync(
    join(dir, 'tsa.ext'),
    [
      '[tsa]',
      'basicConstraints=critical,CA:FALSE',
      'keyUsage=critical,digitalSignature',
      'extendedKeyUsage=critical,timeStamping',
      'subjectKeyIdentifier=hash',
      'authorityKeyIdentifier=keyid',
      '',
    ].join('\n'),
  );
  ssl(
    'req',
    '-newkey',
    'ec',
    '-pkeyopt',
    'ec_paramgen_curve:prime256v1',
    '-nodes',
    '-keyout',
    'tsa.key',
    '-out',
    'tsa.csr',
    '-subj',
    '/O=karoo test/CN=timestamp authority',
  );
  ssl(
    'x509',
    '-req',
    '-in',
    'tsa.csr',
    '-CA',
    'root.pem',
    '-CAkey',
    'root.key',
    '-CAcreateserial',
    '-out',
    'tsa.pem',
    '-days',
    '30',
    '-extfile',
    'tsa.ext',
    '-extensions',
    'tsa',
  );
  writeFileSync(
    join(dir, 'tsa.cnf'),
    [
      '[tsa]',
      'default_tsa=t',
      '[t]',
      `serial=${dir}/tsaserial`,
      'signer_digest=sha256',
      'default_policy=1.3.6.1.4.1.57264.2',
      'digests=sha256',
      'ess_cert_id_alg=sha256',
      'accuracy=secs:1',
      'ordering=no',
      'tsa_name=no',
      'ess_cert_id_chain=no',
      '',
    ].join('\n'),
  );
  writeFileSync(join(dir, 'tsaserial'), '01\n');
  let n = 0;
  return {
    certDer: pem2der(readFileSync(join(dir, 'tsa.pem'), 'utf8')),
    timestamp(data) {
      return this.timestampDigest(createHash('sha256').update(data).digest());
    },
    timestampDigest(sha256) {
      const id = `ts${++n}`;
      ssl('ts', '-query', '-digest', sha256.toString('hex'), '-sha256', '-cert', '-out', `${id}.tsq`);
      ssl(
        'ts',
        '-reply',
        '-config',
        'tsa.cnf',
        '-section',
        't',
        '-queryfile',
        `${id}.tsq`,
        '-inkey',
        'tsa.key',
        '-signer',
        'tsa.pem',
        '-out',
        `${id}.tst`,
      );
      return readFileSync(join(dir, `${id}.tst`));
    },
  };
}

/**
 * A transparency log in miniature (Rekor's entry format, `dsse` v0.0.1): each entry is the only
 * leaf of its own tree, with a signed entry timestamp (inclusion promise) and an inclusion proof
 * whose checkpoint the log signs — what public-good Sigstore bundles carry.
 */
export interface TestRekor {
  readonly publicKeyDer: Buffer;
  readonly logId: Buffer;
  /** A bundle tlogEntries[] item for a DSSE envelope signed by `certDer`, integrated at `integratedTime` (seconds). */
  entry(envelope: { payload: string; signature: Buffer }, certDer: Buffer, integratedTime: number): Record<string, unknown>;
}

export function makeRekor(): TestRekor {
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
  const publicKeyDer = publicKey.export({ type: 'spki', format: 'der' });
  const logId = createHash('sha256').update(publicKeyDer).digest();
  const key: KeyObject = privateKey;
  return {
    publicKeyDer,
    logId,
    entry(envelope, certDer, integratedTime) {
      const pem = `-----BEGIN CERTIFICATE-----\n${certDer
        .toString('base64')
        .replace(/(.{64})/g, '$1\n')
        .replace(/\n$/, '')}\n-----END CERTIFICATE-----\n`;
      const payload = Buffer.from(envelope.payload, 'base64');
      const body = Buffer.from(
        canonical({
          apiVersion: '0.0.1',
          kind: 'dsse',
          spec: {
            payloadHash: { algorithm: 'sha256', value: createHash('sha256').update(payload).digest('hex') },
            signatures: [{ signature: envelope.signature.toString('base64'), verifier: Buffer.from(pem).toString('base64') }],
          },
        }),
      );
      const set = cryptoSign(
        'sha256',
        Buffer.from(canonical({ body: body.toString('base64'), integratedTime, logIndex: 0, logID: logId.toString('hex') })),
        key,
      );
      const root = createHash('sha256')
        .update(Buffer.concat([Buffer.from([0]), body]))
        .digest();
      const note = `karoo.test/rekor\n1\n${root.toString('base64')}\n`;
      const noteSig = Buffer.concat([logId.subarray(0, 4), cryptoSign('sha256', Buffer.from(note), key)]);
      return {
        logIndex: '0',
        logId: { keyId: logId.toString('base64') },
        kindVersion: { kind: 'dsse', version: '0.0.1' },
        integratedTime: String(integratedTime),
        inclusionPromise: { signedEntryTimestamp: set.toString('base64') },
        inclusionProof: {
          logIndex: '0',
          rootHash: root.toString('base64'),
          treeSize: '1',
          hashes: [],
          checkpoint: { envelope: `${note}\n\u2014 karoo.test/rekor ${noteSig.toString('base64')}\n` },
        },
        canonicalizedBody: body.toString('base64'),
      };
    },
  };
}

function canonical(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(canonical).join(',')}]`;
  if (v !== null && typeof v === 'object') {
    return `{${Object.keys(v)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${canonical((v as Record<string, unknown>)[k])}`)
      .join(',')}}`;
  }
  return JSON.stringify(v);
}

/** The trusted_root.json naming the CA (intermediate, root), the TSA (its certificate, root) and, given one, the log. */
export function trustedRootJson(ca: TestCa, tsa: TestTsa, rekor?: TestRekor): Record<string, unknown> {
  const b64 = (b: Buffer) => b.toString('base64');
  return {
    mediaType: 'application/vnd.dev.sigstore.trustedroot+json;version=0.1',
    tlogs: rekor
      ? [
          {
            baseUrl: 'https://rekor.karoo.test',
            hashAlgorithm: 'SHA2_256',
            publicKey: {
              rawBytes: b64(rekor.publicKeyDer),
              keyDetails: 'PKIX_ECDSA_P256_SHA_256',
              validFor: { start: '2020-01-01T00:00:00Z' },
            },
            logId: { keyId: b64(rekor.logId) },
          },
        ]
      : [],
    certificateAuthorities: [
      {
        subject: { organization: 'karoo test', commonName: 'fulcio' },
        uri: 'https://fulcio.karoo.test',
        certChain: { certificates: [{ rawBytes: b64(ca.intermediateDer) }, { rawBytes: b64(ca.rootDer) }] },
        validFor: { start: '2020-01-01T00:00:00Z' },
      },
    ],
    ctlogs: [],
    timestampAuthorities: [
      {
        subject: { organization: 'karoo test', commonName: 'tsa' },
        uri: 'https://timestamp.karoo.test',
        certChain: { certificates: [{ rawBytes: b64(tsa.certDer) }, { rawBytes: b64(ca.rootDer) }] },
        validFor: { start: '2020-01-01T00:00:00Z' },
      },
    ],
  };
}

function pae(type: string, body: Buffer): Buffer {
  return Buffer.concat([Buffer.from(`DSSEv1 ${Buffer.byteLength(type)} ${type} ${body.length} `), body]);
}

/**
 * A keyless Sigstore bundle v0.3 (JSON): the payload signed by the leaf's key in a DSSE envelope,
 * the leaf certificate, (unless `tsa` is undefined) an RFC 3161 timestamp over the signature, and
 * (given `log`) a transparency-log entry integrated at `log.integratedTime`.
 */
export function keylessBundle(
  payload: Buffer,
  leaf: Leaf,
  tsa: TestTsa | undefined,
  log?: { rekor: TestRekor; integratedTime: number },
): Record<string, unknown> {
  const sig = cryptoSign('sha256', pae(PAYLOAD_TYPE, payload), createPrivateKey(leaf.keyPem));
  return {
    mediaType: 'application/vnd.dev.sigstore.bundle.v0.3+json',
    verificationMaterial: {
      certificate: { rawBytes: leaf.certDer.toString('base64') },
      tlogEntries: log ? [log.rekor.entry({ payload: payload.toString('base64'), signature: sig }, leaf.certDer, log.integratedTime)] : [],
      timestampVerificationData: { rfc3161Timestamps: tsa ? [{ signedTimestamp: tsa.timestamp(sig).toString('base64') }] : [] },
    },
    dsseEnvelope: {
      payload: payload.toString('base64'),
      payloadType: PAYLOAD_TYPE,
      signatures: [{ sig: sig.toString('base64'), keyid: '' }],
    },
  };
}

export { stamp as opensslDate };
