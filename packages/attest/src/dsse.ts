import { createHash, createPrivateKey, createPublicKey, type KeyObject, sign as cryptoSign, verify as cryptoVerify } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { KarooError } from '@karoo/common';
import { isObject } from './statement.js';

/** A DSSE envelope (JSON form: payload and signatures base64). */
export interface Envelope {
  readonly payload: string;
  readonly payloadType: string;
  readonly signatures: ReadonlyArray<{ readonly keyid?: string | undefined; readonly sig: string }>;
}

/** The algorithms karoo signs and verifies with. */
export type KeyAlgorithm = 'ed25519' | 'ecdsa-p256';

/** A private key that signs DSSE envelopes. `keyid` = hex sha256 of the public key's SPKI DER. */
export interface Signer {
  readonly keyid: string;
  readonly algorithm: KeyAlgorithm;
  sign(data: Uint8Array): Buffer;
}

/** A public key that verifies them, with the file it came from (for messages). */
export interface VerificationKey {
  readonly keyid: string;
  readonly algorithm: KeyAlgorithm;
  readonly key: KeyObject;
  readonly source: string;
}

/**
 * DSSE's pre-authentication encoding: `DSSEv1 SP LEN(type) SP type SP LEN(body) SP body`, LEN the
 * byte length in ASCII decimal. The payload type is inside what is signed, so a signature for one
 * type cannot be passed off as one for another.
 */
export function pae(payloadType: string, body: Uint8Array): Buffer {
  const type = Buffer.from(payloadType, 'utf8');
  return Buffer.concat([Buffer.from(`DSSEv1 ${type.length} `, 'ascii'), type, Buffer.from(` ${body.length} `, 'ascii'), body]);
}

/** Signs a payload: an envelope with one signature over PAE(payloadType, payload). */
export function signEnvelope(payload: Uint8Array, payloadType: string, signer: Signer): Envelope {
  const sig = signer.sign(pae(payloadType, payload));
  return {
    payload: Buffer.from(payload).toString('base64'),
    payloadType,
    signatures: [{ keyid: signer.keyid, sig: sig.toString('base64') }],
  };
}

/**
 * Verifies an envelope against trusted keys: returns the payload bytes a trusted key signed (the
 * only bytes a caller may read) and that key. Throws an integrity error naming the reason: no
 * signature, a signature by no trusted key, or one that does not verify (the envelope was changed).
 */
export function verifyEnvelope(
  envelope: unknown,
  keys: readonly VerificationKey[],
  what: string,
): { payload: Buffer; payloadType: string; key: VerificationKey } {
  const bad = (reason: string): never => {
    throw new KarooError('integrity', `${what}: ${reason}`);
  };
  if (!isObject(envelope)) return bad('the DSSE envelope is not a JSON object');
  const { payload, payloadType, signatures } = envelope;
  if (typeof payload !== 'string' || !BASE64.test(payload)) return bad('the DSSE payload is not base64');
  if (typeof payloadType !== 'string' || payloadType === '') return bad('the DSSE payloadType is missing');
  if (!Array.isArray(signatures) || signatures.length === 0) return bad('the DSSE envelope has no signature');
  const body = Buffer.from(payload, 'base64');
  const signed = pae(payloadType, body);
  let byTrustedKey = false;
  for (const s of signatures) {
    if (!isObject(s) || typeof s.sig !== 'string' || !BASE64.test(s.sig)) continue;
    const candidates = keys.filter((k) => s.keyid === undefined || s.keyid === '' || k.keyid === s.keyid);
    for (const k of candidates) {
      byTrustedKey = true;
      if (verifyWith(k, signed, Buffer.from(s.sig, 'base64'))) return { payload: body, payloadType, key: k };
    }
  }
  if (byTrustedKey) return bad('the signature does not verify: the envelope was changed after it was signed, or signed by another key');
  const ids = signatures.map((s) => (isObject(s) && typeof s.keyid === 'string' ? s.keyid : '?')).join(', ');
  return bad(
    `signed by key ${ids}, which is none of the trusted keys (${keys.map((k) => `${k.keyid.slice(0, 16)}… from ${k.source}`).join(', ') || 'none'})`,
  );
}

const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;

function verifyWith(k: VerificationKey, data: Buffer, sig: Buffer): boolean {
  try {
    return cryptoVerify(k.algorithm === 'ed25519' ? null : 'sha256', data, k.key, sig);
  } catch {
    return false;
  }
}

/** hex sha256 of a public key's SubjectPublicKeyInfo (DER): the DSSE `keyid` and the Sigstore bundle's public key hint. */
export function keyIdOf(publicKey: KeyObject): string {
  return createHash('sha256')
    .update(publicKey.export({ type: 'spki', format: 'der' }))
    .digest('hex');
}

function algorithmOf(key: KeyObject, source: string): KeyAlgorithm {
  if (key.asymmetricKeyType === 'ed25519') return 'ed25519';
  if (key.asymmetricKeyType === 'ec' && key.asymmetricKeyDetails?.namedCurve === 'prime256v1') return 'ecdsa-p256';
  const curve = key.asymmetricKeyDetails?.namedCurve;
  throw new KarooError(
    'input',
    `${source} is a ${key.asymmetricKeyType}${curve ? ` (${curve})` : ''} key; attestations are signed with Ed25519 or ECDSA P-256 keys (openssl genpkey -algorithm ed25519)`,
  );
}

/** Reads a PEM private key (PKCS#8 or SEC1, unencrypted) into a Signer. */
export async function loadSigningKey(path: string): Promise<Signer> {
  return signerFromPem(await readKeyFile(path, 'attestation signing key'), `attestation signing key ${path}`);
}

/**
 * A Signer for a PEM private key given as text (e.g. a secret an action received as an input),
 * kept in memory: nothing is written to disk. `source` names the key in messages, which never
 * quote the text.
 */
export function signerFromPem(text: string, source = 'the attestation signing key'): Signer {
  let key: KeyObject;
  try {
    key = createPrivateKey({ key: text, format: 'pem' });
  } catch (e) {
    throw new KarooError(
      'input',
      `${source} is not an unencrypted PEM private key (${(e as Error).message.split('\n')[0]}); create one with openssl genpkey -algorithm ed25519 -out FILE`,
    );
  }
  return signerFor(key, source);
}

/** A Signer for a private KeyObject (Ed25519 or ECDSA P-256). */
export function signerFor(key: KeyObject, source = 'the signing key'): Signer {
  const algorithm = algorithmOf(key, source);
  const keyid = keyIdOf(createPublicKey(key));
  return { keyid, algorithm, sign: (data) => cryptoSign(algorithm === 'ed25519' ? null : 'sha256', data, key) };
}

/** Reads a PEM public key (SPKI) a gate trusts; a private key file is refused (it must not sit where karoo.yml points). */
export async function loadVerificationKey(path: string): Promise<VerificationKey> {
  const text = await readKeyFile(path, 'attestation key');
  if (/PRIVATE KEY-----/.test(text)) {
    throw new KarooError(
      'input',
      `attestation key ${path} holds a private key; attestations.keys names public keys (openssl pkey -in KEY -pubout -out KEY.pub)`,
    );
  }
  let key: KeyObject;
  try {
    key = createPublicKey({ key: text, format: 'pem' });
  } catch (e) {
    throw new KarooError(
      'input',
      `attestation key ${path} is not a PEM public key (${(e as Error).message.split('\n')[0]}); export one with openssl pkey -in KEY -pubout`,
    );
  }
  return verificationKeyFor(key, path);
}

export function verificationKeyFor(key: KeyObject, source: string): VerificationKey {
  return { keyid: keyIdOf(key), algorithm: algorithmOf(key, source), key, source };
}

async function readKeyFile(path: string, what: string): Promise<string> {
  try {
    return await readFile(path, 'utf8');
  } catch (e) {
    throw new KarooError(
      'input',
      `${what} ${path} cannot be read (${(e as NodeJS.ErrnoException).code ?? (e as Error).message}); check the path`,
    );
  }
}
