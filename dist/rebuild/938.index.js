export const id = 938;
export const ids = [938];
export const modules = {

/***/ 93122:
/***/ ((__unused_webpack___webpack_module__, __webpack_exports__, __webpack_require__) => {

/* harmony export */ __webpack_require__.d(__webpack_exports__, {
/* harmony export */   Yj: () => (/* binding */ signEnvelope),
/* harmony export */   loadSigningKey: () => (/* binding */ loadSigningKey),
/* harmony export */   signerFromPem: () => (/* binding */ signerFromPem)
/* harmony export */ });
/* unused harmony exports pae, verifyEnvelope, keyIdOf, signerFor, loadVerificationKey, verificationKeyFor */
/* harmony import */ var node_crypto__WEBPACK_IMPORTED_MODULE_0__ = __webpack_require__(77598);
/* harmony import */ var node_fs_promises__WEBPACK_IMPORTED_MODULE_1__ = __webpack_require__(51455);
/* harmony import */ var _karoo_common__WEBPACK_IMPORTED_MODULE_2__ = __webpack_require__(46787);
/* harmony import */ var _statement_js__WEBPACK_IMPORTED_MODULE_3__ = __webpack_require__(47330);




/**
 * DSSE's pre-authentication encoding: `DSSEv1 SP LEN(type) SP type SP LEN(body) SP body`, LEN the
 * byte length in ASCII decimal. The payload type is inside what is signed, so a signature for one
 * type cannot be passed off as one for another.
 */
function pae(payloadType, body) {
    const type = Buffer.from(payloadType, 'utf8');
    return Buffer.concat([Buffer.from(`DSSEv1 ${type.length} `, 'ascii'), type, Buffer.from(` ${body.length} `, 'ascii'), body]);
}
/** Signs a payload: an envelope with one signature over PAE(payloadType, payload). */
function signEnvelope(payload, payloadType, signer) {
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
function verifyEnvelope(envelope, keys, what) {
    const bad = (reason) => {
        throw new KarooError('integrity', `${what}: ${reason}`);
    };
    if (!isObject(envelope))
        return bad('the DSSE envelope is not a JSON object');
    const { payload, payloadType, signatures } = envelope;
    if (typeof payload !== 'string' || !BASE64.test(payload))
        return bad('the DSSE payload is not base64');
    if (typeof payloadType !== 'string' || payloadType === '')
        return bad('the DSSE payloadType is missing');
    if (!Array.isArray(signatures) || signatures.length === 0)
        return bad('the DSSE envelope has no signature');
    const body = Buffer.from(payload, 'base64');
    const signed = pae(payloadType, body);
    let byTrustedKey = false;
    for (const s of signatures) {
        if (!isObject(s) || typeof s.sig !== 'string' || !BASE64.test(s.sig))
            continue;
        const candidates = keys.filter((k) => s.keyid === undefined || s.keyid === '' || k.keyid === s.keyid);
        for (const k of candidates) {
            byTrustedKey = true;
            if (verifyWith(k, signed, Buffer.from(s.sig, 'base64')))
                return { payload: body, payloadType, key: k };
        }
    }
    if (byTrustedKey)
        return bad('the signature does not verify: the envelope was changed after it was signed, or signed by another key');
    const ids = signatures.map((s) => (isObject(s) && typeof s.keyid === 'string' ? s.keyid : '?')).join(', ');
    return bad(`signed by key ${ids}, which is none of the trusted keys (${keys.map((k) => `${k.keyid.slice(0, 16)}… from ${k.source}`).join(', ') || 'none'})`);
}
const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;
function verifyWith(k, data, sig) {
    try {
        return cryptoVerify(k.algorithm === 'ed25519' ? null : 'sha256', data, k.key, sig);
    }
    catch {
        return false;
    }
}
/** hex sha256 of a public key's SubjectPublicKeyInfo (DER): the DSSE `keyid` and the Sigstore bundle's public key hint. */
function keyIdOf(publicKey) {
    return (0,node_crypto__WEBPACK_IMPORTED_MODULE_0__.createHash)('sha256')
        .update(publicKey.export({ type: 'spki', format: 'der' }))
        .digest('hex');
}
function algorithmOf(key, source) {
    if (key.asymmetricKeyType === 'ed25519')
        return 'ed25519';
    if (key.asymmetricKeyType === 'ec' && key.asymmetricKeyDetails?.namedCurve === 'prime256v1')
        return 'ecdsa-p256';
    const curve = key.asymmetricKeyDetails?.namedCurve;
    throw new _karoo_common__WEBPACK_IMPORTED_MODULE_2__/* .KarooError */ .xD('input', `${source} is a ${key.asymmetricKeyType}${curve ? ` (${curve})` : ''} key; attestations are signed with Ed25519 or ECDSA P-256 keys (openssl genpkey -algorithm ed25519)`);
}
/** Reads a PEM private key (PKCS#8 or SEC1, unencrypted) into a Signer. */
async function loadSigningKey(path) {
    return signerFromPem(await readKeyFile(path, 'attestation signing key'), `attestation signing key ${path}`);
}
/**
 * A Signer for a PEM private key given as text (e.g. a secret an action received as an input),
 * kept in memory: nothing is written to disk. `source` names the key in messages, which never
 * quote the text.
 */
function signerFromPem(text, source = 'the attestation signing key') {
    let key;
    try {
        key = (0,node_crypto__WEBPACK_IMPORTED_MODULE_0__.createPrivateKey)({ key: text, format: 'pem' });
    }
    catch (e) {
        throw new _karoo_common__WEBPACK_IMPORTED_MODULE_2__/* .KarooError */ .xD('input', `${source} is not an unencrypted PEM private key (${e.message.split('\n')[0]}); create one with openssl genpkey -algorithm ed25519 -out FILE`);
    }
    return signerFor(key, source);
}
/** A Signer for a private KeyObject (Ed25519 or ECDSA P-256). */
function signerFor(key, source = 'the signing key') {
    const algorithm = algorithmOf(key, source);
    const keyid = keyIdOf((0,node_crypto__WEBPACK_IMPORTED_MODULE_0__.createPublicKey)(key));
    return { keyid, algorithm, sign: (data) => (0,node_crypto__WEBPACK_IMPORTED_MODULE_0__.sign)(algorithm === 'ed25519' ? null : 'sha256', data, key) };
}
/** Reads a PEM public key (SPKI) a gate trusts; a private key file is refused (it must not sit where karoo.yml points). */
async function loadVerificationKey(path) {
    const text = await readKeyFile(path, 'attestation key');
    if (/PRIVATE KEY-----/.test(text)) {
        throw new KarooError('input', `attestation key ${path} holds a private key; attestations.keys names public keys (openssl pkey -in KEY -pubout -out KEY.pub)`);
    }
    let key;
    try {
        key = createPublicKey({ key: text, format: 'pem' });
    }
    catch (e) {
        throw new KarooError('input', `attestation key ${path} is not a PEM public key (${e.message.split('\n')[0]}); export one with openssl pkey -in KEY -pubout`);
    }
    return verificationKeyFor(key, path);
}
function verificationKeyFor(key, source) {
    return { keyid: keyIdOf(key), algorithm: algorithmOf(key, source), key, source };
}
async function readKeyFile(path, what) {
    try {
        return await (0,node_fs_promises__WEBPACK_IMPORTED_MODULE_1__.readFile)(path, 'utf8');
    }
    catch (e) {
        throw new _karoo_common__WEBPACK_IMPORTED_MODULE_2__/* .KarooError */ .xD('input', `${what} ${path} cannot be read (${e.code ?? e.message}); check the path`);
    }
}
//# sourceMappingURL=dsse.js.map

/***/ }),

/***/ 74938:
/***/ ((__unused_webpack___webpack_module__, __webpack_exports__, __webpack_require__) => {


// EXPORTS
__webpack_require__.d(__webpack_exports__, {
  attestationReferrer: () => (/* reexport */ attestationReferrer),
  provenanceStatement: () => (/* reexport */ lib_statement/* provenanceStatement */.D2),
  pushAttestation: () => (/* reexport */ pushAttestation),
  signAttestation: () => (/* reexport */ signAttestation)
});

// UNUSED EXPORTS: BUNDLE_ANNOTATIONS, FULCIO_OID, GITHUB_ACTIONS_ISSUER, IN_TOTO_PAYLOAD_TYPE, IN_TOTO_STATEMENT, KAROO_BUILD_TYPE, KAROO_LOCAL_BUILDER, SIGSTORE_BUNDLE, SLSA_PROVENANCE, TEST_CONFIGURATION, TEST_RESULT, attest, certificateIdentity, describeSigner, identityProblems, inspectAttestations, keyIdOf, keylessSignerFromEnv, loadSigningKey, loadTrustedRoot, loadVerificationKey, pae, parseWorkflowIdentity, readBundles, signEnvelope, signKeyless, signStatement, signerFor, signerFrom, signerFromPem, statementBytes, statementProblem, testResultStatement, verificationKeyFor, verifiedTestResults, verifyBundle, verifyEnvelope, verifyKeylessBundle, workflowIdentity

// EXTERNAL MODULE: ./packages/attest/lib/statement.js
var lib_statement = __webpack_require__(47330);
// EXTERNAL MODULE: ./packages/attest/lib/dsse.js
var dsse = __webpack_require__(93122);
// EXTERNAL MODULE: ./packages/common/lib/index.js + 10 modules
var lib = __webpack_require__(46787);
;// CONCATENATED MODULE: ./packages/attest/lib/keyless.js

/**
 * The keyless signer when this process may sign keylessly: inside GitHub Actions with an OIDC
 * token request URL (the job has `id-token: write`) and a token. Throws an input error naming
 * the missing permission or token otherwise.
 */
function keylessSignerFromEnv(token, env = process.env) {
    if (env.GITHUB_ACTIONS !== 'true')
        throw new KarooError('input', 'keyless attestations are signed inside GitHub Actions only; outside it, give a key (--attest-key FILE or karoo.yml attestations.signing-key)');
    if (!env.ACTIONS_ID_TOKEN_REQUEST_URL || !env.ACTIONS_ID_TOKEN_REQUEST_TOKEN) {
        throw new KarooError('input', "keyless attestations need the job's OIDC token: give the job `permissions: id-token: write` (and `attestations: write`)");
    }
    if (!token)
        throw new KarooError('input', "keyless attestations are stored through GitHub's attestations API: pass the job's token (GITHUB_TOKEN, with `attestations: write`)");
    const s = env.KAROO_SIGSTORE;
    return { kind: 'keyless', token, sigstore: s === 'public-good' || s === 'github' ? s : undefined };
}
/**
 * Signs a statement keylessly with `@actions/attest` and returns the Sigstore bundle (JSON, v0.3:
 * DSSE envelope, Fulcio certificate, transparency-log entry or timestamp). `@actions/attest`
 * serialises the statement itself from the same subject, predicate type and predicate.
 * Sigstore or the API unreachable, or refusing, is an `unavailable` error naming the step.
 */
async function signKeyless(statement, signer) {
    const { attest } = await Promise.all(/* import() */[__webpack_require__.e(654), __webpack_require__.e(917), __webpack_require__.e(842)]).then(__webpack_require__.bind(__webpack_require__, 49842));
    let bundle;
    try {
        const a = await attest({
            subjects: statement.subject.map((s) => ({ name: s.name ?? '', digest: { ...(s.digest ?? {}) } })),
            predicateType: statement.predicateType,
            predicate: statement.predicate,
            token: signer.token,
            sigstore: signer.sigstore,
        });
        bundle = a.bundle;
    }
    catch (e) {
        const why = e instanceof Error ? e.message : String(e);
        throw new lib/* KarooError */.xD('unavailable', `keyless signing of the ${statement.predicateType} attestation failed (@actions/attest: Sigstore or GitHub's attestations API): ${why.split('\n')[0]}; check the job's permissions (id-token: write, attestations: write) or sign with a key (--attest-key)`, { cause: e });
    }
    return new TextEncoder().encode(JSON.stringify(bundle));
}
/**
 * How karoo signs, from what a step was given (one reading for the CLI and the actions):
 * keyless when asked (inside GitHub Actions), else the key's PEM text given (kept in memory),
 * else the key file given, else karoo.yml `attestations.signing-key`; undefined when none
 * (nothing is signed).
 */
async function signerFrom(o, env = process.env) {
    if (o.keyless)
        return keylessSignerFromEnv(o.token, env);
    const { loadSigningKey, signerFromPem } = await Promise.resolve(/* import() */).then(__webpack_require__.bind(__webpack_require__, 93122));
    if (o.keyText)
        return signerFromPem(o.keyText);
    const path = o.key ?? o.configKey;
    if (!path)
        return undefined;
    return loadSigningKey(path);
}
//# sourceMappingURL=keyless.js.map
// EXTERNAL MODULE: external "node:crypto"
var external_node_crypto_ = __webpack_require__(77598);
// EXTERNAL MODULE: external "node:fs/promises"
var promises_ = __webpack_require__(51455);
;// CONCATENATED MODULE: ./packages/attest/lib/keyless-verify.js



/** The OIDC issuer of GitHub Actions' tokens on github.com (Fulcio extension 1.3.6.1.4.1.57264.1.8). */
const GITHUB_ACTIONS_ISSUER = 'https://token.actions.githubusercontent.com';
const GITHUB_SERVER_URL = 'https://github.com';
/** Fulcio's certificate extensions karoo reads (https://github.com/sigstore/fulcio/blob/main/docs/oid-info.md). */
const FULCIO_OID = {
    issuerV1: '1.3.6.1.4.1.57264.1.1',
    issuer: '1.3.6.1.4.1.57264.1.8',
    buildSignerUri: '1.3.6.1.4.1.57264.1.9',
    sourceRepositoryUri: '1.3.6.1.4.1.57264.1.12',
    sourceRepositoryRef: '1.3.6.1.4.1.57264.1.14',
    buildConfigUri: '1.3.6.1.4.1.57264.1.18',
};
/**
 * Reads a Sigstore `trusted_root.json` (the protobuf-specs TrustedRoot in JSON: Fulcio CAs,
 * Rekor logs, timestamp authorities, CT logs). Nothing is fetched: the file is the whole trust.
 * An unreadable or malformed file is an input error naming it.
 */
async function loadTrustedRoot(path) {
    let text;
    try {
        text = await readFile(path, 'utf8');
    }
    catch (e) {
        throw new KarooError('input', `attestations.trusted-root ${path} cannot be read (${e.code ?? e.message}); check the path`);
    }
    const { TrustedRoot } = await __webpack_require__.e(/* import() */ 654).then(__webpack_require__.t.bind(__webpack_require__, 19654, 19));
    const { toTrustMaterial, Verifier, toSignedEntity } = await Promise.all(/* import() */[__webpack_require__.e(654), __webpack_require__.e(917), __webpack_require__.e(187)]).then(__webpack_require__.t.bind(__webpack_require__, 54187, 19));
    const { bundleFromJSON } = await Promise.all(/* import() */[__webpack_require__.e(654), __webpack_require__.e(40)]).then(__webpack_require__.t.bind(__webpack_require__, 61040, 19));
    try {
        const root = TrustedRoot.fromJSON(JSON.parse(text));
        if (root.certificateAuthorities.length === 0)
            throw new Error('it names no certificate authority');
        return { source: path, material: toTrustMaterial(root), ctlogs: root.ctlogs.length, lib: { bundleFromJSON, Verifier, toSignedEntity } };
    }
    catch (e) {
        throw new KarooError('input', `attestations.trusted-root ${path} is not a Sigstore trusted_root.json (${e.message.split('\n')[0]}); give the trusted root of the Sigstore instance that signs your workflows`);
    }
}
/**
 * Verifies a keyless Sigstore bundle (JSON) with @sigstore/verify against a configured trusted
 * root, offline: the certificate chains to one of the root's Fulcio CAs and was valid at a
 * verified signing time (a transparency-log entry's integrated time, or an RFC 3161 timestamp,
 * each verified against the root; a bundle with neither is refused, since nothing else says when
 * a short-lived certificate signed), an SCT when the root names CT logs, and the DSSE signature
 * by the certificate's key over PAE. Then the certificate's Fulcio extensions must name the
 * issuer, repository, workflow and ref of `want`. Throws one line (no prefix) on failure.
 */
function keyless_verify_verifyKeylessBundle(bundleJson, trust, want) {
    if (!want.repository) {
        throw new Error("it is signed keylessly, and karoo.yml attestations.identity names no repository: set attestations.identity (repository, workflow, ref) so only your workflows' certificates count");
    }
    const { bundleFromJSON, Verifier, toSignedEntity } = trust.lib;
    let bundle;
    try {
        bundle = bundleFromJSON(bundleJson);
    }
    catch (e) {
        throw new Error(`not a valid Sigstore bundle (${firstLine(e)})`, { cause: e });
    }
    if (bundle.content.$case !== 'dsseEnvelope')
        throw new Error('the bundle holds no DSSE envelope');
    const entity = toSignedEntity(bundle);
    if (entity.key.$case !== 'certificate')
        throw new Error('the bundle carries no certificate');
    // @sigstore/verify checks the chain once per verified timestamp: with none, nothing would be checked.
    if (entity.timestamps.length === 0) {
        throw new Error('it has no transparency-log entry and no RFC 3161 timestamp, so nothing verifies when its short-lived certificate signed; re-sign with a Sigstore instance that logs or timestamps');
    }
    const timestamps = [];
    try {
        const verifier = new Verifier(trust.material, { ctlogThreshold: trust.ctlogs > 0 ? 1 : 0, tlogThreshold: 0, tsaThreshold: 0 });
        verifier.verify(entity);
    }
    catch (e) {
        throw new Error(`Sigstore verification against ${trust.source} failed: ${describe(e)}`, { cause: e });
    }
    for (const t of entity.timestamps) {
        if (t.$case === 'transparency-log')
            timestamps.push(new Date(Number(t.tlogEntry.integratedTime) * 1000));
        else
            timestamps.push(t.timestamp.signingTime);
    }
    const cert = entity.key.certificate;
    const identity = certificateIdentity(cert);
    const problems = identityProblems(identity, want);
    if (problems.length > 0)
        throw new Error(`its certificate was issued to ${identity.buildConfigUri ?? 'no workflow'} (signer ${identity.buildSignerUri ?? '?'}, repository ${identity.sourceRepositoryUri ?? '?'}, ref ${identity.sourceRepositoryRef ?? '?'}, issuer ${identity.issuer ?? '?'}), not to what karoo.yml attestations.identity allows: ${problems.join('; ')}`);
    const env = bundle.content.dsseEnvelope;
    return {
        payload: Buffer.from(env.payload),
        payloadType: env.payloadType,
        keyid: createHash('sha256').update(cert.publicKey).digest('hex'),
        identity,
        signedAt: timestamps,
    };
}
/** Reads the Fulcio extensions of a certificate; v2 extensions are DER UTF8Strings, the v1 issuer raw bytes. */
function certificateIdentity(cert) {
    const utf8 = (oid) => {
        const inner = cert.extension(oid)?.valueObj.subs[0];
        return inner && inner.tag.isUniversal() && inner.tag.number === 12 ? inner.value.toString('utf8') : undefined;
    };
    return {
        issuer: utf8(FULCIO_OID.issuer) ?? cert.extension(FULCIO_OID.issuerV1)?.value.toString('utf8'),
        buildSignerUri: utf8(FULCIO_OID.buildSignerUri),
        sourceRepositoryUri: utf8(FULCIO_OID.sourceRepositoryUri),
        sourceRepositoryRef: utf8(FULCIO_OID.sourceRepositoryRef),
        buildConfigUri: utf8(FULCIO_OID.buildConfigUri),
    };
}
/**
 * What does not match: the issuer; the repository (Source Repository URI = SERVER/OWNER/REPO,
 * compared whole with the server, so a same-named repository on another forge does not match);
 * the workflow (Build Config URI = SERVER/OWNER/REPO/WORKFLOW@REF: the run's top-level workflow,
 * in that repository — what karoo.yml `identity.workflow` names for keyed attestations too; the
 * Build Signer URI differs from it only when that workflow called a reusable one, such as
 * karoo's own `candidate.yml`, which the top-level workflow at that ref chose); the ref (Source
 * Repository Ref, and the Build Config URI's ref).
 */
function identityProblems(id, want) {
    const server = want.serverUrl ?? GITHUB_SERVER_URL;
    const issuer = want.issuer ?? GITHUB_ACTIONS_ISSUER;
    const out = [];
    if (id.issuer !== issuer)
        out.push(`issuer ${id.issuer ?? 'none'} is not ${issuer}`);
    const repoUri = `${server}/${want.repository}`;
    if (id.sourceRepositoryUri !== repoUri)
        out.push(`repository ${id.sourceRepositoryUri ?? 'none'} is not ${repoUri}`);
    const config = id.buildConfigUri ?? '';
    const at = config.lastIndexOf('@');
    const configPath = at < 0 ? config : config.slice(0, at);
    const configRef = at < 0 ? undefined : config.slice(at + 1);
    if (!configPath.startsWith(`${repoUri}/`))
        out.push(`workflow ${config || 'none'} is not in ${repoUri}`);
    else if (want.workflow !== undefined && configPath !== `${repoUri}/${want.workflow}`)
        out.push(`workflow ${configPath.slice(repoUri.length + 1)} is not ${want.workflow}`);
    if (want.ref !== undefined) {
        if (id.sourceRepositoryRef !== want.ref)
            out.push(`ref ${id.sourceRepositoryRef ?? 'none'} is not ${want.ref}`);
        else if (configRef !== want.ref)
            out.push(`the workflow ran at ${configRef ?? 'no ref'}, not ${want.ref}`);
    }
    return out;
}
function firstLine(e) {
    return (e instanceof Error ? e.message : String(e)).split('\n')[0];
}
/** @sigstore/verify's errors carry a code and, for a chain failure, the cause: name both. */
function describe(e) {
    const code = e.code;
    const cause = e.cause;
    const base = `${typeof code === 'string' ? `${code}: ` : ''}${firstLine(e)}`;
    return cause instanceof Error ? `${base} (${firstLine(cause)})` : base;
}
//# sourceMappingURL=keyless-verify.js.map
// EXTERNAL MODULE: ./packages/candidate/lib/index.js + 4 modules
var candidate_lib = __webpack_require__(46399);
// EXTERNAL MODULE: ./packages/oci/lib/index.js + 10 modules
var oci_lib = __webpack_require__(99713);
;// CONCATENATED MODULE: ./packages/attest/lib/store.js







/** Media type of a Sigstore bundle v0.3: the artifactType and the layer of an attestation referrer. */
const SIGSTORE_BUNDLE = 'application/vnd.dev.sigstore.bundle.v0.3+json';
/** The manifest annotations cosign and GitHub's attest action write on a bundle referrer. */
const BUNDLE_ANNOTATIONS = {
    content: 'dev.sigstore.bundle.content',
    predicateType: 'dev.sigstore.bundle.predicateType',
};
/**
 * Signs a statement with a key: a DSSE envelope over its canonical bytes, in a Sigstore bundle
 * whose verification material is the key's hint (its keyid). No transparency-log entry: a keyed
 * bundle is verified with the public key, as `cosign verify-attestation --key` does.
 */
function signStatement(statement, signer) {
    return {
        mediaType: SIGSTORE_BUNDLE,
        verificationMaterial: { publicKey: { hint: signer.keyid }, tlogEntries: [] },
        dsseEnvelope: (0,dsse/* signEnvelope */.Yj)((0,lib_statement/* statementBytes */.Tp)(statement), lib_statement/* IN_TOTO_PAYLOAD_TYPE */.T4, signer),
    };
}
/**
 * The OCI referrer of a candidate that carries one bundle, laid out as cosign's bundle
 * specification and GitHub's attest action do: image manifest, empty config, `artifactType`
 * and the one layer the bundle media type, annotations content `dsse-envelope` and the predicate type.
 */
function attestationReferrer(candidate, bundle, predicateType, created) {
    const bytes = bundle instanceof Uint8Array ? bundle : new TextEncoder().encode((0,lib/* canonicalJson */.dj)(bundle));
    return (0,candidate_lib/* referrerFor */.dw)({
        subject: candidate,
        artifactType: SIGSTORE_BUNDLE,
        payloads: [{ mediaType: SIGSTORE_BUNDLE, content: bytes }],
        annotations: {
            [BUNDLE_ANNOTATIONS.content]: 'dsse-envelope',
            [BUNDLE_ANNOTATIONS.predicateType]: predicateType,
            ...(created ? { [candidate_lib/* ANNOTATIONS */.BC.created]: created } : {}),
        },
    });
}
/** Pushes an attestation referrer (blobs, then the manifest) to the candidate's store. */
async function pushAttestation(store, artifact) {
    for (const b of artifact.blobs) {
        if (!(await store.hasBlob(b.descriptor.digest)))
            await store.putBlob(b.descriptor, (0,oci_lib/* bufferSource */.kq)(b.bytes));
    }
    await store.putManifest(artifact.manifestBytes, candidate_lib/* OCI */.s6.imageManifest);
    return artifact.descriptor;
}
/** A line naming how a statement is signed, for progress messages. */
function describeSigner(signer) {
    return 'kind' in signer ? 'keyless (Sigstore, through @actions/attest)' : `key ${signer.keyid.slice(0, 16)}…`;
}
/**
 * Signs a statement and attaches it to the candidate: what the build (provenance) and
 * acceptance (test result) call. With a key: a keyed bundle (signStatement); keyless: the
 * bundle @actions/attest returns (also stored with GitHub's attestations API).
 */
async function attest(store, candidate, statement, signer, created) {
    const problem = statementProblem(statement);
    if (problem)
        throw new KarooError('internal', `the ${statement.predicateType} statement karoo built is not valid: ${problem}`);
    if (!statement.subject.some((s) => s.digest?.sha256 === hexOf(candidate.digest))) {
        throw new KarooError('internal', `the statement is not about candidate ${candidate.digest}`);
    }
    return pushAttestation(store, attestationReferrer(candidate, await signAttestation(statement, signer), statement.predicateType, created));
}
/** Signs a statement (keyed or keyless) into the bundle attestationReferrer carries; nothing is pushed. */
async function signAttestation(statement, signer) {
    const problem = (0,lib_statement/* statementProblem */.hy)(statement);
    if (problem)
        throw new lib/* KarooError */.xD('internal', `the ${statement.predicateType} statement karoo built is not valid: ${problem}`);
    return 'kind' in signer ? signKeyless(statement, signer) : signStatement(statement, signer);
}
/** Every Sigstore bundle referring to the candidate, read back byte-checked; unreadable ones listed with a reason. */
async function readBundles(store, candidate) {
    const subject = parseDigest(candidate, 'candidate');
    const bundles = [];
    const invalid = [];
    for (const d of await store.referrers(subject, SIGSTORE_BUNDLE)) {
        if (d.artifactType !== undefined && d.artifactType !== SIGSTORE_BUNDLE)
            continue;
        try {
            const m = await store.getManifest(d.digest);
            const manifest = parseManifestInfo(m.bytes, `attestation ${d.digest} in ${store.ref}`);
            if (manifest.artifactType !== SIGSTORE_BUNDLE)
                continue;
            if (manifest.subject?.digest !== subject)
                throw new KarooError('integrity', `attestation ${d.digest} refers to ${manifest.subject?.digest ?? 'nothing'}, not ${subject}`);
            const layer = (manifest.layers ?? []).find((l) => l.mediaType === SIGSTORE_BUNDLE);
            if (!layer)
                throw new KarooError('integrity', `attestation ${d.digest} has no ${SIGSTORE_BUNDLE} layer`);
            const bytes = await readVerifiedBlob(store, layer, `attestation ${d.digest}`, BUNDLE_MAX);
            let bundle;
            try {
                bundle = JSON.parse(bytes.toString('utf8'));
            }
            catch {
                throw new KarooError('integrity', `attestation ${d.digest}: the bundle is not JSON`);
            }
            bundles.push({ digest: parseDigest(d.digest), predicateType: manifest.annotations?.[BUNDLE_ANNOTATIONS.predicateType], bundle });
        }
        catch (e) {
            if (isKarooError(e) && (e.kind === 'integrity' || e.kind === 'input'))
                invalid.push({ digest: d.digest, reason: errorMessage(e) });
            else
                throw e;
        }
    }
    return { bundles: bundles.sort((a, b) => cmp(a.digest, b.digest)), invalid };
}
/**
 * Verifies one stored bundle for a candidate: the bundle's form, the DSSE signature by one of the
 * trusted keys over the exact payload (nothing is read from the payload before that), the payload
 * type, the statement's form, its subject (this candidate), and the workflow identity it names.
 * Throws an integrity error with the reason.
 */
function verifyBundle(stored, candidate, policy) {
    const what = `attestation ${stored.digest}`;
    const bad = (reason) => {
        throw new KarooError('integrity', `${what}: ${reason}`);
    };
    const b = stored.bundle;
    if (!isObject(b) || b.mediaType !== SIGSTORE_BUNDLE)
        bad(`not a ${SIGSTORE_BUNDLE} bundle`);
    const bundle = b;
    if (!isObject(bundle.verificationMaterial))
        bad('the bundle has no verificationMaterial');
    if (!isObject(bundle.dsseEnvelope))
        bad('the bundle holds no DSSE envelope');
    const vm = bundle.verificationMaterial;
    let signed;
    if ('certificate' in vm || 'x509CertificateChain' in vm) {
        // Keyless: the certificate and its Fulcio identity are what is trusted, never a claim in the statement.
        if (!policy.trustedRoot)
            bad('it is signed keylessly (a Sigstore certificate) and no trusted root is configured: set karoo.yml attestations.trusted-root to the trusted_root.json of the Sigstore instance your workflows sign with');
        try {
            const k = verifyKeylessBundle(bundle, policy.trustedRoot, policy.identity ?? {});
            signed = { payload: k.payload, payloadType: k.payloadType, keyid: k.keyid, signer: k.identity.buildConfigUri };
        }
        catch (e) {
            return bad(errorMessage(e));
        }
    }
    else {
        if (policy.keys.length === 0)
            bad('no attestation keys are configured (karoo.yml attestations.keys), so no signature can be trusted');
        const v = verifyEnvelope(bundle.dsseEnvelope, policy.keys, what);
        signed = { payload: v.payload, payloadType: v.payloadType, keyid: v.key.keyid };
    }
    const { payload, payloadType } = signed;
    if (payloadType !== IN_TOTO_PAYLOAD_TYPE)
        bad(`payloadType ${payloadType} is not ${IN_TOTO_PAYLOAD_TYPE}`);
    let statement;
    try {
        statement = JSON.parse(payload.toString('utf8'));
    }
    catch {
        return bad('the signed payload is not JSON');
    }
    const problem = statementProblem(statement);
    if (problem)
        bad(`not an in-toto Statement v1: ${problem}`);
    const s = statement;
    const hex = hexOf(candidate);
    if (!s.subject.some((x) => x.digest?.sha256 === hex)) {
        bad(`its subject is ${s.subject.map((x) => (x.digest?.sha256 ? `sha256:${x.digest.sha256}` : '?')).join(', ')}, not candidate ${candidate}: a statement about another candidate`);
    }
    if (signed.signer === undefined &&
        policy.identity &&
        [policy.identity.repository, policy.identity.workflow, policy.identity.ref].some((v) => v !== undefined)) {
        const uri = configurationOf(s, TEST_CONFIGURATION.workflow)?.uri ?? builderOf(s);
        const id = uri ? parseWorkflowIdentity(uri) : undefined;
        if (!id)
            bad('it names no workflow identity, and karoo.yml attestations.identity requires one');
        const want = policy.identity;
        const wrong = ['repository', 'workflow', 'ref'].filter((k) => want[k] !== undefined && want[k] !== id[k]);
        if (wrong.length > 0) {
            bad(`it was made by ${uri}, not by the workflow karoo.yml attestations.identity allows (${wrong.map((k) => `${k} ${want[k]}`).join(', ')})`);
        }
    }
    return { digest: stored.digest, keyid: signed.keyid, statement: s, ...(signed.signer !== undefined ? { signer: signed.signer } : {}) };
}
/**
 * The verified test-result attestations of a candidate (see verifyBundle), and every bundle that
 * does not verify, with the reason. Provenance and other predicate types are left out.
 */
async function verifiedTestResults(store, candidate, policy) {
    const subject = parseDigest(candidate, 'candidate');
    const { bundles, invalid } = await readBundles(store, subject);
    const rejected = [...invalid];
    const results = [];
    for (const b of bundles) {
        if (b.predicateType !== undefined && b.predicateType !== TEST_RESULT)
            continue;
        let v;
        try {
            v = verifyBundle(b, subject, policy);
        }
        catch (e) {
            if (isKarooError(e) && e.kind === 'integrity') {
                rejected.push({ digest: b.digest, reason: errorMessage(e) });
                continue;
            }
            throw e;
        }
        if (v.statement.predicateType !== TEST_RESULT)
            continue;
        const p = v.statement.predicate;
        const system = configurationOf(v.statement, TEST_CONFIGURATION.system);
        const env = system?.annotations?.environment;
        results.push({
            digest: v.digest,
            environment: typeof env === 'string' ? env : undefined,
            systemId: system?.digest?.sha256 ? parseDigest(system.digest.sha256) : undefined,
            result: p.result,
            keyid: v.keyid,
        });
    }
    return { results, rejected };
}
/**
 * Every attestation referring to a candidate, each verified against the policy (keys and
 * identity) — provenance and test results alike. Nothing is thrown for a bundle that does not
 * verify; it is listed with the reason.
 */
async function inspectAttestations(store, candidate, policy) {
    const subject = parseDigest(candidate, 'candidate');
    const { bundles, invalid } = await readBundles(store, subject);
    const out = invalid.map((i) => ({ digest: i.digest, verified: false, reason: i.reason }));
    for (const b of bundles) {
        const vm = isObject(b.bundle) && isObject(b.bundle.verificationMaterial) ? b.bundle.verificationMaterial : {};
        const signing = 'publicKey' in vm ? 'keyed' : 'certificate' in vm || 'x509CertificateChain' in vm ? 'keyless' : undefined;
        try {
            const v = verifyBundle(b, subject, policy);
            const p = v.statement.predicate;
            const env = configurationOf(v.statement, TEST_CONFIGURATION.system)?.annotations?.environment;
            out.push({
                digest: b.digest,
                predicateType: v.statement.predicateType,
                signing,
                verified: true,
                keyid: v.keyid,
                signer: v.signer,
                result: typeof p.result === 'string' ? p.result : undefined,
                environment: typeof env === 'string' ? env : undefined,
            });
        }
        catch (e) {
            if (!(isKarooError(e) && e.kind === 'integrity'))
                throw e;
            out.push({ digest: b.digest, predicateType: b.predicateType, signing, verified: false, reason: errorMessage(e) });
        }
    }
    return out.sort((a, b) => cmp(a.digest, b.digest));
}
function configurationOf(s, name) {
    const c = s.predicate.configuration;
    return Array.isArray(c) ? c.find((x) => x.name === name) : undefined;
}
function builderOf(s) {
    const id = s.predicate.runDetails?.builder?.id;
    return typeof id === 'string' ? id : undefined;
}
/** Sigstore bundles are small: a descriptor claiming more is refused unread. */
const BUNDLE_MAX = (/* unused pure expression or super */ null && (16 << 20));
function cmp(a, b) {
    return a < b ? -1 : a > b ? 1 : 0;
}
//# sourceMappingURL=store.js.map
;// CONCATENATED MODULE: ./packages/attest/lib/index.js





//# sourceMappingURL=index.js.map

/***/ }),

/***/ 47330:
/***/ ((__unused_webpack___webpack_module__, __webpack_exports__, __webpack_require__) => {

/* harmony export */ __webpack_require__.d(__webpack_exports__, {
/* harmony export */   D2: () => (/* binding */ provenanceStatement),
/* harmony export */   T4: () => (/* binding */ IN_TOTO_PAYLOAD_TYPE),
/* harmony export */   Tp: () => (/* binding */ statementBytes),
/* harmony export */   hy: () => (/* binding */ statementProblem)
/* harmony export */ });
/* unused harmony exports IN_TOTO_STATEMENT, SLSA_PROVENANCE, TEST_RESULT, KAROO_BUILD_TYPE, KAROO_LOCAL_BUILDER, TEST_CONFIGURATION, workflowIdentity, parseWorkflowIdentity, testResultStatement, isObject */
/* harmony import */ var _karoo_common__WEBPACK_IMPORTED_MODULE_0__ = __webpack_require__(46787);

/** `_type` of an in-toto Statement v1. */
const IN_TOTO_STATEMENT = 'https://in-toto.io/Statement/v1';
/** DSSE `payloadType` of an in-toto Statement (any version). */
const IN_TOTO_PAYLOAD_TYPE = 'application/vnd.in-toto+json';
/** `predicateType` of SLSA Provenance v1. */
const SLSA_PROVENANCE = 'https://slsa.dev/provenance/v1';
/** `predicateType` of the in-toto test-result predicate. */
const TEST_RESULT = 'https://in-toto.io/attestation/test-result/v0.1';
/** SLSA `buildType` of a karoo candidate build: the candidate is a pure function of `externalParameters.lock`. */
const KAROO_BUILD_TYPE = 'https://karoo.dev/attestations/build/candidate/v1';
/** `runDetails.builder.id` of a build outside GitHub Actions (a person's or a server's `karoo build`). */
const KAROO_LOCAL_BUILDER = 'https://karoo.dev/attestations/builder/local/v1';
/** Names of the test-result `configuration` entries karoo writes (ResourceDescriptor `name`). */
const TEST_CONFIGURATION = {
    /** digest.sha256 = the system id (candidate + environment configuration); annotations: environment, system. */
    system: 'karoo:system',
    /** digest.sha256 = the environment's configuration digest. */
    configuration: 'karoo:configuration',
    /** uri = the workflow that ran the tests (`https://github.com/OWNER/REPO/PATH@REF`, the form of a Sigstore certificate's identity); digest.gitCommit. */
    workflow: 'karoo:workflow',
};
/** The identity URI of a GitHub workflow run (`https://github.com/OWNER/REPO/.github/workflows/x.yml@refs/heads/main`), from GITHUB_WORKFLOW_REF. */
function workflowIdentity(run) {
    const w = run?.workflow;
    if (!w || !/^[^/@\s]+\/[^/@\s]+\/[^@\s]+@\S+$/.test(w))
        return undefined; // a bare workflow name is no identity
    const server = run.runUrl ? new URL(run.runUrl).origin : 'https://github.com';
    return `${server}/${w}`;
}
/** The parts of a workflow identity URI; undefined when it is not one. */
function parseWorkflowIdentity(uri) {
    const m = /^https:\/\/[^/]+\/([^/@\s]+\/[^/@\s]+)\/([^@\s]+)@(\S+)$/.exec(uri);
    return m ? { repository: m[1], workflow: m[2], ref: m[3] } : undefined;
}
function subjectOf(c) {
    return [{ name: c.name, digest: { sha256: (0,_karoo_common__WEBPACK_IMPORTED_MODULE_0__/* .hexOf */ .ZD)(c.digest) } }];
}
/**
 * The SLSA Provenance v1 statement of a candidate build. Everything in it comes from the
 * inputs (no clock, no host), and resolved dependencies are sorted by digest, so the same
 * inputs give the same bytes (statementBytes).
 */
function provenanceStatement(p) {
    if (Number.isNaN(Date.parse(p.builtAt)))
        throw new _karoo_common__WEBPACK_IMPORTED_MODULE_0__/* .KarooError */ .xD('input', `provenance time "${p.builtAt}" is not an ISO 8601 time`);
    const identity = workflowIdentity(p.run);
    const deps = [...p.files]
        .sort((a, b) => cmp(a.sha256, b.sha256) || cmp(a.name, b.name))
        .map((f) => ({ name: f.name, uri: f.url, digest: { sha256: f.sha256 }, annotations: f.package ? { package: f.package } : undefined }));
    const version = /^karoo\s+(\S+)$/.exec(p.builder)?.[1];
    return {
        _type: IN_TOTO_STATEMENT,
        subject: subjectOf(p.candidate),
        predicateType: SLSA_PROVENANCE,
        predicate: {
            buildDefinition: {
                buildType: KAROO_BUILD_TYPE,
                externalParameters: { lock: { digest: { sha256: (0,_karoo_common__WEBPACK_IMPORTED_MODULE_0__/* .hexOf */ .ZD)(p.lockDigest) } }, system: p.system },
                internalParameters: p.target ? { target: p.target } : undefined,
                resolvedDependencies: deps,
            },
            runDetails: {
                builder: { id: identity ?? KAROO_LOCAL_BUILDER, version: version ? { karoo: version } : undefined },
                metadata: {
                    invocationId: p.run?.runUrl ? `${p.run.runUrl}/attempts/${p.run.runAttempt ?? '1'}` : undefined,
                    startedOn: new Date(Date.parse(p.builtAt)).toISOString(),
                },
            },
        },
    };
}
/**
 * The in-toto test-result statement of one acceptance run: `result` PASSED or FAILED, the
 * system (candidate + environment configuration) and configuration digests as `configuration`,
 * the workflow identity when the run was in GitHub Actions, the run's URL as `url`.
 */
function testResultStatement(t) {
    const identity = workflowIdentity(t.run);
    const configuration = [
        {
            name: TEST_CONFIGURATION.system,
            digest: { sha256: hexOf(t.systemId) },
            annotations: { environment: t.environment, system: t.candidate.name },
        },
        { name: TEST_CONFIGURATION.configuration, digest: { sha256: hexOf(t.configDigest) } },
    ];
    if (identity)
        configuration.push({
            name: TEST_CONFIGURATION.workflow,
            uri: identity,
            digest: t.run?.commit ? { gitCommit: t.run.commit } : undefined,
        });
    return {
        _type: IN_TOTO_STATEMENT,
        subject: subjectOf(t.candidate),
        predicateType: TEST_RESULT,
        predicate: {
            result: t.result === 'passed' ? 'PASSED' : 'FAILED',
            configuration,
            url: t.run?.runUrl,
            passedTests: [...(t.passedTests ?? [])].sort(),
            warnedTests: [],
            failedTests: [...(t.failedTests ?? [])].sort(),
        },
    };
}
/** The bytes that get signed: canonical JSON (sorted keys, no whitespace, absent fields left out). */
function statementBytes(s) {
    return Buffer.from((0,_karoo_common__WEBPACK_IMPORTED_MODULE_0__/* .canonicalJson */ .dj)(s), 'utf8');
}
/**
 * Checks a parsed statement against the in-toto Statement v1 rules (and, for the two predicate
 * types karoo writes, their required fields): one line naming the first problem, or undefined.
 */
function statementProblem(s) {
    if (!isObject(s))
        return 'the statement is not a JSON object';
    if (s._type !== IN_TOTO_STATEMENT)
        return `_type ${JSON.stringify(s._type)} is not ${IN_TOTO_STATEMENT}`;
    if (!Array.isArray(s.subject) || s.subject.length === 0)
        return 'subject is not a non-empty list';
    for (const [i, d] of s.subject.entries()) {
        const p = descriptorProblem(d, `subject[${i}]`);
        if (p)
            return p;
        if (!isObject(d) || !isObject(d.digest) || Object.keys(d.digest).length === 0)
            return `subject[${i}] has no digest`;
    }
    if (typeof s.predicateType !== 'string' || !isUri(s.predicateType))
        return 'predicateType is not a URI';
    if (s.predicate !== undefined && !isObject(s.predicate))
        return 'predicate is not an object';
    const p = s.predicate;
    if (s.predicateType === TEST_RESULT) {
        if (!p)
            return 'the test-result predicate is missing';
        if (p.result !== 'PASSED' && p.result !== 'WARNED' && p.result !== 'FAILED')
            return `predicate.result ${JSON.stringify(p.result)} is not PASSED, WARNED or FAILED`;
        if (!Array.isArray(p.configuration))
            return 'predicate.configuration is not a list';
        for (const [i, d] of p.configuration.entries()) {
            const q = descriptorProblem(d, `predicate.configuration[${i}]`);
            if (q)
                return q;
        }
        if (p.url !== undefined && (typeof p.url !== 'string' || !isUri(p.url)))
            return 'predicate.url is not a URI';
        for (const k of ['passedTests', 'warnedTests', 'failedTests']) {
            if (p[k] !== undefined && !(Array.isArray(p[k]) && p[k].every((x) => typeof x === 'string')))
                return `predicate.${k} is not a list of strings`;
        }
    }
    else if (s.predicateType === SLSA_PROVENANCE) {
        if (!p)
            return 'the provenance predicate is missing';
        const b = p.buildDefinition;
        if (!isObject(b))
            return 'predicate.buildDefinition is not an object';
        if (typeof b.buildType !== 'string' || !isUri(b.buildType))
            return 'predicate.buildDefinition.buildType is not a URI';
        if (!isObject(b.externalParameters))
            return 'predicate.buildDefinition.externalParameters is not an object';
        if (b.internalParameters !== undefined && !isObject(b.internalParameters))
            return 'predicate.buildDefinition.internalParameters is not an object';
        if (b.resolvedDependencies !== undefined) {
            if (!Array.isArray(b.resolvedDependencies))
                return 'predicate.buildDefinition.resolvedDependencies is not a list';
            for (const [i, d] of b.resolvedDependencies.entries()) {
                const q = descriptorProblem(d, `predicate.buildDefinition.resolvedDependencies[${i}]`);
                if (q)
                    return q;
            }
        }
        const r = p.runDetails;
        if (!isObject(r) || !isObject(r.builder) || typeof r.builder.id !== 'string' || !isUri(r.builder.id))
            return 'predicate.runDetails.builder.id is not a URI';
        if (r.metadata !== undefined) {
            if (!isObject(r.metadata))
                return 'predicate.runDetails.metadata is not an object';
            for (const k of ['startedOn', 'finishedOn']) {
                const v = r.metadata[k];
                if (v !== undefined && (typeof v !== 'string' || !RFC3339.test(v)))
                    return `predicate.runDetails.metadata.${k} is not an RFC 3339 time`;
            }
        }
    }
    return undefined;
}
const RFC3339 = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/;
function descriptorProblem(d, what) {
    if (!isObject(d))
        return `${what} is not a ResourceDescriptor object`;
    if (d.uri === undefined && d.digest === undefined && d.content === undefined)
        return `${what} has none of uri, digest, content`;
    if (d.uri !== undefined && (typeof d.uri !== 'string' || !isUri(d.uri)))
        return `${what}.uri is not a URI`;
    if (d.digest !== undefined) {
        if (!isObject(d.digest))
            return `${what}.digest is not a map`;
        for (const [alg, v] of Object.entries(d.digest)) {
            if (typeof v !== 'string' || !/^[0-9a-f]+$/.test(v))
                return `${what}.digest.${alg} is not lowercase hex`;
        }
    }
    for (const k of ['name', 'downloadLocation', 'mediaType'])
        if (d[k] !== undefined && typeof d[k] !== 'string')
            return `${what}.${k} is not a string`;
    if (d.annotations !== undefined && !isObject(d.annotations))
        return `${what}.annotations is not an object`;
    return undefined;
}
function isUri(s) {
    return /^[A-Za-z][A-Za-z0-9+.-]*:\S+$/.test(s);
}
function isObject(x) {
    return typeof x === 'object' && x !== null && !Array.isArray(x);
}
function cmp(a, b) {
    return a < b ? -1 : a > b ? 1 : 0;
}
//# sourceMappingURL=statement.js.map

/***/ })

};
