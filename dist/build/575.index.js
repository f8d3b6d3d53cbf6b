export const id = 575;
export const ids = [575];
export const modules = {

/***/ 11575:
/***/ ((__unused_webpack___webpack_module__, __webpack_exports__, __webpack_require__) => {

/* harmony export */ __webpack_require__.d(__webpack_exports__, {
/* harmony export */   listEvidence: () => (/* binding */ listEvidence)
/* harmony export */ });
/* unused harmony exports EVIDENCE_ARTIFACT_TYPE, JUNIT_MEDIA_TYPE, EVIDENCE_SCHEMA, EVIDENCE_ANNOTATIONS, formatCounts, evidenceFor, pushEvidence, scanEvidence, readEvidence, readJunit, latestPassing, countJunit */
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
        throw new KarooError('internal', `evidence names candidate ${evidence.candidate} but refers to ${candidate.digest}`);
    }
    const payloads = [
        { mediaType: EVIDENCE_ARTIFACT_TYPE, content: canonicalJson(evidence), title: 'evidence.json' },
    ];
    if (junit !== undefined)
        payloads.push({ mediaType: JUNIT_MEDIA_TYPE, content: junit, title: 'junit.xml' });
    return referrerFor({
        subject: candidate,
        artifactType: EVIDENCE_ARTIFACT_TYPE,
        payloads,
        annotations: {
            [ANNOTATIONS.created]: evidence.finishedAt,
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
            await store.putBlob(b.descriptor, bufferSource(b.bytes));
    }
    await store.putManifest(artifact.manifestBytes, OCI.imageManifest);
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
    const bytes = await (0,_karoo_oci__WEBPACK_IMPORTED_MODULE_2__/* .readVerifiedBlob */ .av)(store, json, `evidence ${d}`, EVIDENCE_LAYER_MAX);
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
    return (await readVerifiedBlob(store, record.junit, `JUnit of evidence ${record.digest}`, EVIDENCE_LAYER_MAX)).toString('utf8');
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
        throw new KarooError('input', 'the JUnit file has no <testsuite> element');
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
/** Evidence layers (the JSON, the JUnit report) are small: a descriptor claiming more is refused unread. */
const EVIDENCE_LAYER_MAX = 64 << 20;
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
