export const id = 956;
export const ids = [956,575];
export const modules = {

/***/ 46399:
/***/ ((__unused_webpack___webpack_module__, __webpack_exports__, __webpack_require__) => {


// EXPORTS
__webpack_require__.d(__webpack_exports__, {
  BC: () => (/* reexport */ media_types_ANNOTATIONS),
  PQ: () => (/* reexport */ media_types_KAROO),
  s6: () => (/* reexport */ oci_types_OCI),
  VZ: () => (/* reexport */ isCandidateManifest),
  Ng: () => (/* reexport */ parseManifest),
  dw: () => (/* reexport */ referrerFor)
});

// UNUSED EXPORTS: CANDIDATE_CONFIG_SCHEMA, EMPTY_CONFIG, assertComplete, candidateDigest, candidateFor, defaultLockRenderers, fileMediaType, inlineBlob, provenanceFor

;// CONCATENATED MODULE: ./packages/candidate/lib/oci-types.js
/** OCI media types of the documents a candidate is made of. */
const oci_types_OCI = {
    imageManifest: 'application/vnd.oci.image.manifest.v1+json',
    imageIndex: 'application/vnd.oci.image.index.v1+json',
    empty: 'application/vnd.oci.empty.v1+json',
};
//# sourceMappingURL=oci-types.js.map
;// CONCATENATED MODULE: ./packages/candidate/lib/media-types.js
/** karoo's own media types. Changing any of them changes every candidate digest. */
const media_types_KAROO = {
    /** `artifactType` of a candidate manifest. */
    candidate: 'application/vnd.karoo.candidate.v1',
    /** The candidate's config blob (canonical JSON). */
    candidateConfig: 'application/vnd.karoo.candidate.config.v1+json',
    wheel: 'application/vnd.karoo.python.wheel.v1',
    sdist: 'application/vnd.karoo.python.sdist.v1',
    /** A locked file that is neither a wheel nor an sdist. */
    file: 'application/vnd.karoo.python.file.v1',
    pylock: 'application/vnd.karoo.lock.pylock.v1+toml',
    requirements: 'application/vnd.karoo.lock.requirements.v1',
    /** `artifactType` of a provenance record referring to a candidate. */
    provenance: 'application/vnd.karoo.provenance.v1+json',
};
/** Standard annotation keys karoo uses. */
const media_types_ANNOTATIONS = {
    title: 'org.opencontainers.image.title',
    created: 'org.opencontainers.image.created',
    refName: 'org.opencontainers.image.ref.name',
    /** `name==version` of the locked package a layer belongs to. */
    package: 'dev.karoo.package',
};
function media_types_fileMediaType(fileName) {
    if (fileName.endsWith('.whl'))
        return media_types_KAROO.wheel;
    if (/\.(tar\.gz|zip|tar\.bz2|tgz)$/.test(fileName))
        return media_types_KAROO.sdist;
    return media_types_KAROO.file;
}
//# sourceMappingURL=media-types.js.map
// EXTERNAL MODULE: ./packages/common/lib/index.js + 10 modules
var lib = __webpack_require__(46787);
// EXTERNAL MODULE: ./packages/lock/lib/index.js + 22 modules
var lock_lib = __webpack_require__(34764);
;// CONCATENATED MODULE: ./packages/candidate/lib/candidate.js




/** Schema name inside the config blob; bump it (and every digest moves) only on purpose. */
const CANDIDATE_CONFIG_SCHEMA = 'karoo.candidate.config/v1';
/**
 * The lock files a candidate embeds: @karoo/lock's writers, applied to the lock without what
 * records where and when it was resolved rather than what was locked: the inputs digest (an
 * unrelated upload to the index must not make a new candidate of the same files), the
 * upload times and the upload-time cutoff, and the index and file URLs (the wheels are the candidate's own layers, so its pylock.toml names
 * them by path; the same files from a mirror, or a file:// index in another clone, give the
 * same candidate).
 */
const defaultLockRenderers = {
    pylock: (lock) => (0,lock_lib/* writePylock */.e6)(forCandidate(lock)),
    requirements: (lock) => (0,lock_lib/* writeRequirements */.ey)(forCandidate(lock)),
};
function forCandidate(lock) {
    // Upload times and the cutoff describe the index's copies and how they were chosen, like the
    // URLs: the same files mirrored into another index (other upload times, or none) give the same candidate.
    const { inputsDigest: _, asOf: _asOf, ...meta } = lock.meta;
    const packages = lock.packages.map((p) => ({ ...p, index: undefined, files: p.files.map((f) => ({ ...f, url: undefined, uploadTime: undefined })) }));
    return lock_lib/* Lock */.c_.create(packages, meta);
}
const SYSTEM_RE = /^[a-z0-9]([a-z0-9-]{0,38}[a-z0-9])?$/;
/**
 * Computes the candidate of a lock: an OCI image manifest whose layers are the locked files
 * (digest = the lock's sha256, size = the lock's size) and the lock files, plus a config blob.
 * Pure: nothing is downloaded, so "was this built already?" is one lookup of the digest.
 *
 * Throws KarooError('input') when the lock cannot give a digest (entries without hashes or sizes).
 */
function candidateFor(lock, input, renderers = defaultLockRenderers) {
    if (!SYSTEM_RE.test(input.system)) {
        throw new KarooError('input', `system name "${input.system}" is not valid; use 1-40 lowercase letters, digits and dashes (karoo.yml "system" or --system)`);
    }
    assertComplete(lock);
    const files = [];
    const seen = new Set();
    const entries = lock
        .files()
        .slice()
        .sort((a, b) => cmp(a.file.name, b.file.name) || cmp(a.file.sha256, b.file.sha256));
    for (const { pkg, file } of entries) {
        if (seen.has(file.sha256))
            continue; // one file locked under two markers is one layer
        seen.add(file.sha256);
        if (file.name === '' || /[/\\]/.test(file.name) || file.name === '.' || file.name === '..') {
            throw new KarooError('input', `lock entry "${pkg.name} ${pkg.version}" has a file name "${file.name}" that is not a plain file name`);
        }
        files.push({
            pkg,
            file,
            descriptor: {
                mediaType: fileMediaType(file.name),
                digest: `sha256:${file.sha256}`,
                size: file.size,
                annotations: { [ANNOTATIONS.title]: file.name, [ANNOTATIONS.package]: `${pkg.name}==${pkg.version}` },
            },
        });
    }
    const config = candidateConfig(lock, input);
    const inline = [
        inlineBlob(KAROO.candidateConfig, canonicalJson(config)),
        inlineBlob(KAROO.pylock, renderers.pylock(lock), 'pylock.toml'),
        inlineBlob(KAROO.requirements, renderers.requirements(lock), 'requirements.txt'),
    ];
    const manifest = {
        schemaVersion: 2,
        mediaType: OCI.imageManifest,
        artifactType: KAROO.candidate,
        config: inline[0].descriptor,
        layers: [...files.map((f) => f.descriptor), inline[1].descriptor, inline[2].descriptor],
    };
    const manifestBytes = new TextEncoder().encode(canonicalJson(manifest));
    const digest = sha256Of(manifestBytes);
    const totalSize = manifestBytes.length + manifest.config.size + manifest.layers.reduce((n, l) => n + l.size, 0);
    return {
        digest,
        descriptor: { mediaType: OCI.imageManifest, digest, size: manifestBytes.length, artifactType: KAROO.candidate },
        manifest,
        manifestBytes,
        config,
        inline,
        files,
        totalSize,
    };
}
/** The candidate digest of a lock, computed without any download. */
function candidateDigest(lock, input, renderers = defaultLockRenderers) {
    return candidateFor(lock, input, renderers).digest;
}
/** Throws one error naming every entry that lacks a hash or a size, and how to get a complete lock. */
function assertComplete(lock) {
    if (lock.packages.length === 0) {
        throw new KarooError('input', 'the lock pins no packages; a candidate needs at least one locked file');
    }
    const bad = lock.incompleteEntries();
    if (bad.length === 0)
        return;
    const shown = bad.slice(0, 5).map((b) => `${b.pkg.name} ${b.pkg.version} (${b.reason})`);
    const more = bad.length > shown.length ? ` and ${bad.length - shown.length} more` : '';
    throw new KarooError('input', `the lock cannot give a candidate digest: ${bad.length} ${bad.length === 1 ? 'entry lacks' : 'entries lack'} a hash or size: ${shown.join(', ')}${more}; ` +
        'run `karoo resolve` to write a complete pylock.toml (with sha256 and size for every file) and build from that', { detail: { incomplete: bad.map((b) => ({ name: b.pkg.name, version: b.pkg.version, reason: b.reason })) } });
}
function candidateConfig(lock, input) {
    const target = lock.meta.target ?? input.target;
    const leafNames = lock.meta.leaves ? Object.keys(lock.meta.leaves) : (input.leaves ?? []);
    const leaves = [...new Set(leafNames.map((n) => normalizeName(n)))].sort(cmp).map((name) => {
        const pkg = lock.get(name);
        if (!pkg)
            throw new KarooError('input', `leaf "${name}" is not in the lock; re-run \`karoo resolve\` so the lock includes every leaf`);
        return { name, version: pkg.version };
    });
    return {
        schema: CANDIDATE_CONFIG_SCHEMA,
        system: input.system,
        target: target
            ? { python: target.python, platforms: [...target.platforms], implementation: target.implementation }
            : undefined,
        leaves,
        lockDigest: lock.digest,
        packages: lock.packages.length,
    };
}
/** A blob made of the given bytes (UTF-8 for strings), with an optional title annotation. */
function inlineBlob(mediaType, content, title) {
    const bytes = typeof content === 'string' ? new TextEncoder().encode(content) : content;
    return {
        bytes,
        descriptor: {
            mediaType,
            digest: (0,lib/* sha256Of */.Bj)(bytes),
            size: bytes.length,
            annotations: title === undefined ? undefined : { [media_types_ANNOTATIONS.title]: title },
        },
    };
}
/** Reads a stored manifest back and says whether it is a karoo candidate. */
function parseManifest(bytes, what = 'manifest') {
    let m;
    try {
        m = JSON.parse(new TextDecoder().decode(bytes));
    }
    catch {
        throw new lib/* KarooError */.xD('integrity', `${what} is not JSON`);
    }
    const o = m;
    if (!o || typeof o !== 'object' || o.schemaVersion !== 2 || !o.config || !Array.isArray(o.layers)) {
        throw new lib/* KarooError */.xD('input', `${what} is not an OCI image manifest (schemaVersion 2 with config and layers)`);
    }
    // Every descriptor is checked here (digest, size, media type): nothing downstream builds a
    // path or a URL from a digest that was not.
    const malformed = (reason) => {
        throw new lib/* KarooError */.xD('integrity', `${what}: ${reason}; the manifest is malformed or crafted`, { detail: { malformed: true } });
    };
    if (o.mediaType !== undefined && typeof o.mediaType !== 'string')
        malformed('mediaType is not a string');
    if (o.artifactType !== undefined && typeof o.artifactType !== 'string')
        malformed('artifactType is not a string');
    let annotations;
    if (o.annotations !== undefined) {
        if (!o.annotations || typeof o.annotations !== 'object' || Array.isArray(o.annotations))
            malformed('annotations is not an object');
        annotations = {};
        for (const [k, v] of Object.entries(o.annotations)) {
            if (typeof v !== 'string')
                malformed(`annotation ${JSON.stringify(k)} is not a string`);
            annotations[k] = v;
        }
    }
    return {
        schemaVersion: 2,
        mediaType: (o.mediaType ?? oci_types_OCI.imageManifest),
        ...(o.artifactType !== undefined ? { artifactType: o.artifactType } : {}),
        config: (0,lib/* checkDescriptor */.YW)(o.config, `${what}: config`),
        layers: o.layers.map((l, i) => (0,lib/* checkDescriptor */.YW)(l, `${what}: layers[${i}]`)),
        ...(o.subject !== undefined ? { subject: (0,lib/* checkDescriptor */.YW)(o.subject, `${what}: subject`) } : {}),
        ...(annotations !== undefined ? { annotations } : {}),
    };
}
function isCandidateManifest(m) {
    return m.artifactType === media_types_KAROO.candidate;
}
function cmp(a, b) {
    return a < b ? -1 : a > b ? 1 : 0;
}
//# sourceMappingURL=candidate.js.map
;// CONCATENATED MODULE: ./packages/candidate/lib/referrer.js




/** The OCI empty config (`{}`), used by artifacts whose config says nothing. */
const EMPTY_CONFIG = {
    bytes: new TextEncoder().encode('{}'),
    descriptor: { mediaType: oci_types_OCI.empty, digest: (0,lib/* sha256Of */.Bj)('{}'), size: 2 },
};
/** Builds an artifact manifest (image manifest, empty config) with `subject`. */
function referrerFor(input) {
    const layers = input.payloads.map((p) => inlineBlob(p.mediaType, p.content, p.title));
    const manifest = {
        schemaVersion: 2,
        mediaType: oci_types_OCI.imageManifest,
        artifactType: input.artifactType,
        config: EMPTY_CONFIG.descriptor,
        layers: layers.map((l) => l.descriptor),
        subject: { mediaType: input.subject.mediaType, digest: input.subject.digest, size: input.subject.size },
        annotations: input.annotations && Object.keys(input.annotations).length > 0 ? { ...input.annotations } : undefined,
    };
    const manifestBytes = new TextEncoder().encode((0,lib/* canonicalJson */.dj)(manifest));
    const digest = (0,lib/* sha256Of */.Bj)(manifestBytes);
    return {
        digest,
        manifest,
        manifestBytes,
        blobs: [EMPTY_CONFIG, ...layers],
        descriptor: {
            mediaType: oci_types_OCI.imageManifest,
            digest,
            size: manifestBytes.length,
            artifactType: input.artifactType,
            annotations: manifest.annotations,
        },
    };
}
/** The provenance artifact of a candidate: one canonical JSON layer, `subject` = the candidate. */
function provenanceFor(candidate, provenance) {
    if (Number.isNaN(Date.parse(provenance.builtAt))) {
        throw new KarooError('input', `provenance time "${provenance.builtAt}" is not an ISO 8601 time`);
    }
    return referrerFor({
        subject: candidate,
        artifactType: KAROO.provenance,
        payloads: [{ mediaType: KAROO.provenance, content: canonicalJson({ schema: 'karoo.provenance/v1', ...provenance }), title: 'provenance.json' }],
        annotations: { [ANNOTATIONS.created]: provenance.builtAt },
    });
}
//# sourceMappingURL=referrer.js.map
;// CONCATENATED MODULE: ./packages/candidate/lib/index.js




//# sourceMappingURL=index.js.map

/***/ }),

/***/ 11575:
/***/ ((__unused_webpack___webpack_module__, __webpack_exports__, __webpack_require__) => {

__webpack_require__.r(__webpack_exports__);
/* harmony export */ __webpack_require__.d(__webpack_exports__, {
/* harmony export */   EVIDENCE_ANNOTATIONS: () => (/* binding */ EVIDENCE_ANNOTATIONS),
/* harmony export */   EVIDENCE_ARTIFACT_TYPE: () => (/* binding */ EVIDENCE_ARTIFACT_TYPE),
/* harmony export */   EVIDENCE_SCHEMA: () => (/* binding */ EVIDENCE_SCHEMA),
/* harmony export */   JUNIT_MEDIA_TYPE: () => (/* binding */ JUNIT_MEDIA_TYPE),
/* harmony export */   countJunit: () => (/* binding */ countJunit),
/* harmony export */   evidenceFor: () => (/* binding */ evidenceFor),
/* harmony export */   formatCounts: () => (/* binding */ formatCounts),
/* harmony export */   latestPassing: () => (/* binding */ latestPassing),
/* harmony export */   listEvidence: () => (/* binding */ listEvidence),
/* harmony export */   pushEvidence: () => (/* binding */ pushEvidence),
/* harmony export */   readEvidence: () => (/* binding */ readEvidence),
/* harmony export */   readJunit: () => (/* binding */ readJunit),
/* harmony export */   scanEvidence: () => (/* binding */ scanEvidence)
/* harmony export */ });
/* harmony import */ var _karoo_common__WEBPACK_IMPORTED_MODULE_0__ = __webpack_require__(46787);
/* harmony import */ var _karoo_candidate__WEBPACK_IMPORTED_MODULE_1__ = __webpack_require__(46399);
/* harmony import */ var _karoo_oci__WEBPACK_IMPORTED_MODULE_2__ = __webpack_require__(99713);



/** `artifactType` of an evidence artifact, and the media type of its JSON layer. */
const EVIDENCE_ARTIFACT_TYPE = 'application/vnd.karoo.evidence.v1+json';
/** Media type of the JUnit XML layer of an evidence artifact. */
const JUNIT_MEDIA_TYPE = 'application/vnd.karoo.evidence.junit.v1+xml';
/** Schema name inside the evidence JSON. */
const EVIDENCE_SCHEMA = 'karoo.evidence/v1';
/** Manifest annotations of an evidence artifact: what a registry's referrers listing shows without reading blobs. */
const EVIDENCE_ANNOTATIONS = {
    environment: 'dev.karoo.environment',
    result: 'dev.karoo.result',
    systemId: 'dev.karoo.system-id',
};
/** Counts for people: `4 passed, 0 failed, 1 skipped`, or `counts unknown`. */
function formatCounts(c) {
    if (c.source === 'unknown')
        return 'counts unknown';
    return `${c.passed} passed, ${c.failed + c.errors} failed, ${c.skipped} skipped`;
}
/**
 * Builds the evidence artifact: an OCI image manifest (empty config) with `subject` = the
 * candidate, a canonical-JSON layer `evidence.json`, and the JUnit XML as a second layer when given.
 */
function evidenceFor(candidate, input, junit) {
    const evidence = { schema: EVIDENCE_SCHEMA, ...input, durationMs: Math.round(input.durationMs) };
    checkEvidence(evidence, 'evidence');
    if (evidence.candidate !== candidate.digest) {
        throw new _karoo_common__WEBPACK_IMPORTED_MODULE_0__/* .KarooError */ .xD('internal', `evidence names candidate ${evidence.candidate} but refers to ${candidate.digest}`);
    }
    const payloads = [
        { mediaType: EVIDENCE_ARTIFACT_TYPE, content: (0,_karoo_common__WEBPACK_IMPORTED_MODULE_0__/* .canonicalJson */ .dj)(evidence), title: 'evidence.json' },
    ];
    if (junit !== undefined)
        payloads.push({ mediaType: JUNIT_MEDIA_TYPE, content: junit, title: 'junit.xml' });
    return (0,_karoo_candidate__WEBPACK_IMPORTED_MODULE_1__/* .referrerFor */ .dw)({
        subject: candidate,
        artifactType: EVIDENCE_ARTIFACT_TYPE,
        payloads,
        annotations: {
            [_karoo_candidate__WEBPACK_IMPORTED_MODULE_1__/* .ANNOTATIONS */ .BC.created]: evidence.finishedAt,
            [EVIDENCE_ANNOTATIONS.environment]: evidence.environment,
            [EVIDENCE_ANNOTATIONS.result]: evidence.result,
            [EVIDENCE_ANNOTATIONS.systemId]: evidence.systemId,
        },
    });
}
/** Pushes an evidence artifact (its blobs, then the manifest) to the candidate's store. */
async function pushEvidence(store, artifact) {
    for (const b of artifact.blobs) {
        if (!(await store.hasBlob(b.descriptor.digest)))
            await store.putBlob(b.descriptor, (0,_karoo_oci__WEBPACK_IMPORTED_MODULE_2__/* .bufferSource */ .kq)(b.bytes));
    }
    await store.putManifest(artifact.manifestBytes, _karoo_candidate__WEBPACK_IMPORTED_MODULE_1__/* .OCI */ .s6.imageManifest);
    return artifact.descriptor;
}
/**
 * Every evidence artifact of a candidate in a store, oldest first (by `finishedAt`, then digest),
 * and every referrer that claims to be evidence but is not readable evidence of this candidate.
 * Each one is read and checked: manifest and blobs against their digests, descriptors, schema
 * and fields, subject and the evidence's own `candidate` against the candidate asked for. A
 * malformed or damaged referrer is listed in `invalid` and skipped — never fatal, so one bad push
 * cannot block the promotion or the report of a candidate, and never counted. A store that
 * cannot be reached still throws.
 */
async function scanEvidence(store, candidate, filter = {}) {
    const subject = (0,_karoo_common__WEBPACK_IMPORTED_MODULE_0__/* .parseDigest */ .m)(candidate, 'candidate');
    const found = await store.referrers(subject, EVIDENCE_ARTIFACT_TYPE);
    const records = [];
    const invalid = [];
    for (const d of found) {
        if (d.artifactType !== undefined && d.artifactType !== EVIDENCE_ARTIFACT_TYPE)
            continue;
        let r;
        try {
            r = await readEvidence(store, d.digest);
            if (r.evidence.candidate !== subject) {
                throw new _karoo_common__WEBPACK_IMPORTED_MODULE_0__/* .KarooError */ .xD('integrity', `evidence ${d.digest} in ${store.ref} is about candidate ${r.evidence.candidate}, not ${subject}`);
            }
        }
        catch (e) {
            if ((0,_karoo_common__WEBPACK_IMPORTED_MODULE_0__/* .isKarooError */ .ro)(e) && (e.kind === 'integrity' || e.kind === 'input')) {
                invalid.push({ digest: d.digest, reason: (0,_karoo_common__WEBPACK_IMPORTED_MODULE_0__/* .errorMessage */ .gJ)(e) });
                continue;
            }
            throw e;
        }
        if (filter.environment !== undefined && r.evidence.environment !== filter.environment)
            continue;
        if (filter.result !== undefined && r.evidence.result !== filter.result)
            continue;
        records.push(r);
    }
    records.sort((a, b) => cmp(a.evidence.finishedAt, b.evidence.finishedAt) || cmp(a.digest, b.digest));
    return { records, invalid: invalid.sort((a, b) => cmp(a.digest, b.digest)) };
}
/**
 * The readable evidence of a candidate (see scanEvidence), oldest first. Malformed referrers are
 * skipped, and passed to `onInvalid` when given.
 */
async function listEvidence(store, candidate, filter = {}) {
    const scan = await scanEvidence(store, candidate, filter);
    for (const i of scan.invalid)
        filter.onInvalid?.(i);
    return scan.records;
}
/** Reads one evidence artifact by its manifest digest, checking every byte against its digest. */
async function readEvidence(store, digest) {
    const d = (0,_karoo_common__WEBPACK_IMPORTED_MODULE_0__/* .parseDigest */ .m)(digest, 'evidence');
    const m = await store.getManifest(d); // checked against its digest by the store
    // Every descriptor (layers, subject) is checked here; nothing unchecked reaches a blob read.
    const manifest = (0,_karoo_oci__WEBPACK_IMPORTED_MODULE_2__/* .parseManifestInfo */ .J)(m.bytes, `evidence manifest ${d} in ${store.ref}`);
    if (manifest.artifactType !== EVIDENCE_ARTIFACT_TYPE) {
        throw new _karoo_common__WEBPACK_IMPORTED_MODULE_0__/* .KarooError */ .xD('input', `${d} in ${store.ref} is not evidence (artifactType ${manifest.artifactType ?? 'none'}, expected ${EVIDENCE_ARTIFACT_TYPE})`);
    }
    const layers = manifest.layers ?? [];
    const json = layers.find((l) => l.mediaType === EVIDENCE_ARTIFACT_TYPE);
    if (!json)
        throw new _karoo_common__WEBPACK_IMPORTED_MODULE_0__/* .KarooError */ .xD('integrity', `evidence ${d} in ${store.ref} has no ${EVIDENCE_ARTIFACT_TYPE} layer`);
    const bytes = await readBlob(store, json, `evidence ${d}`);
    let evidence;
    try {
        evidence = JSON.parse(bytes.toString('utf8'));
    }
    catch {
        throw new _karoo_common__WEBPACK_IMPORTED_MODULE_0__/* .KarooError */ .xD('integrity', `evidence ${d} in ${store.ref}: evidence.json is not JSON`);
    }
    checkEvidence(evidence, `evidence ${d} in ${store.ref}`);
    if (manifest.subject?.digest !== evidence.candidate) {
        throw new _karoo_common__WEBPACK_IMPORTED_MODULE_0__/* .KarooError */ .xD('integrity', `evidence ${d} in ${store.ref}: subject ${manifest.subject?.digest ?? 'none'} is not the candidate it names (${evidence.candidate})`);
    }
    const junit = layers.find((l) => l.mediaType === JUNIT_MEDIA_TYPE);
    return { digest: d, evidence, junit };
}
/** The JUnit XML of an evidence record, checked against its digest; undefined when the run wrote none. */
async function readJunit(store, record) {
    if (!record.junit)
        return undefined;
    return (await readBlob(store, record.junit, `JUnit of evidence ${record.digest}`)).toString('utf8');
}
/**
 * The newest passing evidence for an environment, or undefined: what a promotion gate asks.
 * `records` as listEvidence returns them (oldest first).
 */
function latestPassing(records, environment) {
    return [...records].reverse().find((r) => r.evidence.environment === environment && r.evidence.result === 'passed');
}
/**
 * Counts from a JUnit XML document (one `<testsuite>` or a `<testsuites>` of them): the sum of
 * the testsuite attributes `tests`, `failures`, `errors`, `skipped`; when a suite lacks them,
 * its `<testcase>` elements are counted. Throws an input error when the text holds no test suite.
 */
function countJunit(xml) {
    const suites = [...xml.matchAll(/<testsuite\b([^>]*?)(\/?)>([\s\S]*?)(?:<\/testsuite>|(?=<testsuite\b)|$)/g)];
    if (suites.length === 0)
        throw new _karoo_common__WEBPACK_IMPORTED_MODULE_0__/* .KarooError */ .xD('input', 'the JUnit file has no <testsuite> element');
    let tests = 0;
    let failed = 0;
    let errors = 0;
    let skipped = 0;
    for (const s of suites) {
        const attrs = s[1] ?? '';
        const body = s[2] === '/' ? '' : (s[3] ?? '');
        const attr = (name) => {
            const m = new RegExp(`\\b${name}\\s*=\\s*["']([0-9]+)["']`).exec(attrs);
            return m ? Number(m[1]) : undefined;
        };
        const cases = [...body.matchAll(/<testcase\b[^>]*?(?:\/>|>([\s\S]*?)<\/testcase>)/g)];
        const inCases = (tag) => cases.filter((c) => new RegExp(`<${tag}\\b`).test(c[1] ?? '')).length;
        tests += attr('tests') ?? cases.length;
        failed += attr('failures') ?? inCases('failure');
        errors += attr('errors') ?? inCases('error');
        skipped += attr('skipped') ?? attr('disabled') ?? inCases('skipped');
    }
    return { tests, passed: Math.max(0, tests - failed - errors - skipped), failed, errors, skipped };
}
async function readBlob(store, d, what) {
    if (d.size > 64 << 20)
        throw new _karoo_common__WEBPACK_IMPORTED_MODULE_0__/* .KarooError */ .xD('integrity', `${what}: layer ${d.digest} claims ${d.size} bytes; evidence layers are small`);
    const chunks = [];
    let n = 0;
    for await (const c of await store.getBlob(d.digest)) {
        const b = Buffer.isBuffer(c) ? c : Buffer.from(c);
        n += b.length;
        if (n > d.size)
            throw new _karoo_common__WEBPACK_IMPORTED_MODULE_0__/* .KarooError */ .xD('integrity', `${what}: layer ${d.digest} in ${store.ref} is larger than ${d.size} bytes`);
        chunks.push(b);
    }
    const bytes = Buffer.concat(chunks);
    if (bytes.length !== d.size || (0,_karoo_common__WEBPACK_IMPORTED_MODULE_0__/* .sha256Of */ .Bj)(bytes) !== d.digest) {
        throw new _karoo_common__WEBPACK_IMPORTED_MODULE_0__/* .KarooError */ .xD('integrity', `${what}: layer ${d.digest} in ${store.ref} is damaged (it holds ${(0,_karoo_common__WEBPACK_IMPORTED_MODULE_0__/* .sha256Of */ .Bj)(bytes)}, ${bytes.length} bytes)`);
    }
    return bytes;
}
function checkEvidence(e, what) {
    const bad = (reason) => {
        throw new _karoo_common__WEBPACK_IMPORTED_MODULE_0__/* .KarooError */ .xD('integrity', `${what}: ${reason}`);
    };
    if (!e || typeof e !== 'object')
        bad('not an object');
    if (e.schema !== EVIDENCE_SCHEMA)
        bad(`schema ${JSON.stringify(e.schema)} is not ${EVIDENCE_SCHEMA}`);
    for (const k of ['candidate', 'systemId', 'configDigest'])
        if (!(0,_karoo_common__WEBPACK_IMPORTED_MODULE_0__/* .isDigest */ .Bc)(e[k]))
            bad(`${k} is not a sha256 digest`);
    if (typeof e.environment !== 'string' || e.environment === '')
        bad('environment is missing');
    if (e.result !== 'passed' && e.result !== 'failed')
        bad(`result ${JSON.stringify(e.result)} is neither passed nor failed`);
    const c = e.counts;
    if (!c || ![c.tests, c.passed, c.failed, c.errors, c.skipped].every((n) => Number.isInteger(n) && n >= 0))
        bad('counts are not non-negative integers');
    if (c.source !== undefined && c.source !== 'junit' && c.source !== 'output' && c.source !== 'unknown')
        bad(`counts.source ${JSON.stringify(c.source)} is not junit, output or unknown`);
    if (e.result === 'passed' && (c.failed > 0 || c.errors > 0))
        bad('result is passed but tests failed');
    for (const k of ['startedAt', 'finishedAt'])
        if (typeof e[k] !== 'string' || Number.isNaN(Date.parse(e[k])))
            bad(`${k} is not an ISO 8601 time`);
    if (e.run !== undefined) {
        if (!e.run || typeof e.run !== 'object' || Array.isArray(e.run))
            bad('run is not an object');
        for (const [k, v] of Object.entries(e.run))
            if (v !== undefined && typeof v !== 'string')
                bad(`run.${k} is not a string`);
        if (e.run.runId !== undefined && !/^[0-9]{1,20}$/.test(e.run.runId))
            bad(`run.runId ${JSON.stringify(e.run.runId)} is not a run number`);
    }
}
function cmp(a, b) {
    return a < b ? -1 : a > b ? 1 : 0;
}
//# sourceMappingURL=index.js.map

/***/ })

};
