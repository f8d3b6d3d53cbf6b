export const id = 683;
export const ids = [683];
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

// EXTERNAL MODULE: ./packages/common/lib/index.js + 10 modules
var lib = __webpack_require__(46787);
;// CONCATENATED MODULE: ./packages/candidate/lib/oci-types.js

/** OCI media types of the documents a candidate is made of (@karoo/common's, one definition). */
const oci_types_OCI = lib/* OCI_MEDIA_TYPES */.vQ;
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
/** The annotation keys karoo uses: the standard ones (@karoo/common's) and its own. */
const media_types_ANNOTATIONS = {
    ...lib/* OCI_ANNOTATIONS */.rs,
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
    const packages = lock.packages.map((p) => ({
        ...p,
        index: undefined,
        files: p.files.map((f) => ({ ...f, url: undefined, uploadTime: undefined })),
    }));
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
        target: target ? { python: target.python, platforms: [...target.platforms], implementation: target.implementation } : undefined,
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
    const malformed = (0,lib/* malformedManifest */.lR)(what);
    if (o.mediaType !== undefined && typeof o.mediaType !== 'string')
        malformed('mediaType is not a string');
    if (o.artifactType !== undefined && typeof o.artifactType !== 'string')
        malformed('artifactType is not a string');
    const annotations = (0,lib/* checkAnnotations */.LO)(o.annotations, malformed);
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
        payloads: [
            { mediaType: KAROO.provenance, content: canonicalJson({ schema: 'karoo.provenance/v1', ...provenance }), title: 'provenance.json' },
        ],
        annotations: { [ANNOTATIONS.created]: provenance.builtAt },
    });
}
//# sourceMappingURL=referrer.js.map
;// CONCATENATED MODULE: ./packages/candidate/lib/index.js




//# sourceMappingURL=index.js.map

/***/ }),

/***/ 71683:
/***/ ((__unused_webpack___webpack_module__, __webpack_exports__, __webpack_require__) => {

// ESM COMPAT FLAG
__webpack_require__.r(__webpack_exports__);

// EXPORTS
__webpack_require__.d(__webpack_exports__, {
  ENVIRONMENT_ANNOTATION: () => (/* reexport */ ENVIRONMENT_ANNOTATION),
  PROMOTION: () => (/* reexport */ PROMOTION),
  candidateEvidence: () => (/* reexport */ candidateEvidence),
  currentRecord: () => (/* reexport */ currentRecord),
  deployHandover: () => (/* reexport */ deployHandover),
  describeFork: () => (/* reexport */ describeFork),
  environmentStatus: () => (/* reexport */ environmentStatus),
  environmentTags: () => (/* reexport */ environmentTags),
  environmentsInTags: () => (/* reexport */ environmentsInTags),
  evaluateGate: () => (/* reexport */ evaluateGate),
  evidenceRunVerifierFromEnv: () => (/* reexport */ evidenceRunVerifierFromEnv),
  formatDuration: () => (/* reexport */ formatDuration),
  gatePolicy: () => (/* reexport */ gatePolicy),
  githubDeployments: () => (/* reexport */ githubDeployments),
  githubRunVerifier: () => (/* reexport */ githubRunVerifier),
  history: () => (/* reexport */ history_history),
  promote: () => (/* reexport */ promote),
  readHistory: () => (/* reexport */ readHistory),
  readRecord: () => (/* reexport */ readRecord),
  refusalMessage: () => (/* reexport */ refusalMessage),
  runFromEnv: () => (/* reexport */ runFromEnv),
  sequenceTags: () => (/* reexport */ sequenceTags),
  systemIdFromConfig: () => (/* reexport */ systemIdFromConfig),
  timeIn: () => (/* reexport */ timeIn),
  trustEvidence: () => (/* reexport */ trustEvidence),
  verifyCandidate: () => (/* reexport */ verifyCandidate)
});

// EXTERNAL MODULE: ./packages/common/lib/index.js + 10 modules
var lib = __webpack_require__(46787);
// EXTERNAL MODULE: ./packages/candidate/lib/index.js + 4 modules
var candidate_lib = __webpack_require__(46399);
// EXTERNAL MODULE: ./packages/oci/lib/index.js + 10 modules
var oci_lib = __webpack_require__(99713);
;// CONCATENATED MODULE: ./packages/promote/lib/records.js



/** karoo's media types for promotion bookkeeping. */
const PROMOTION = {
    /** `artifactType` (and payload media type) of a promotion record; `subject` = the candidate. */
    record: 'application/vnd.karoo.promotion.v1+json',
};
/** Manifest annotation naming the environment of a record. */
const ENVIRONMENT_ANNOTATION = 'dev.karoo.environment';
const ENV_NAME = /^[a-z0-9][a-z0-9-]*$/;
/**
 * The tags an environment owns in a store. `env-<name>` is the user-facing one (what the
 * environment runs, a plain OCI tag any client can pull); `.record` is the head of the
 * environment's hash-chained history; `sequence(n, record)` names every committed record by its
 * place in the chain (`env-<name>.record-<n>-<first 16 hex of its digest>`), so that two records
 * committed at the same place — a fork — are both visible in the tag list. Environment names
 * have no dots, so these never collide.
 */
function environmentTags(environment) {
    if (!ENV_NAME.test(environment)) {
        throw new lib/* KarooError */.xD('input', `environment name "${environment}" must be lowercase letters, digits and dashes (as in karoo.yml)`);
    }
    return {
        env: `env-${environment}`,
        record: `env-${environment}.record`,
        sequence: (n, record) => `env-${environment}.record-${n}-${record.slice('sha256:'.length, 'sha256:'.length + 16)}`,
    };
}
/** The sequence tags of one environment among a store's tags: place in the chain and digest prefix. */
function sequenceTags(environment, tags) {
    const out = [];
    const start = `env-${environment}.record-`;
    for (const tag of tags) {
        if (!tag.startsWith(start))
            continue;
        const m = /^([1-9][0-9]{0,9})-([0-9a-f]{16})$/.exec(tag.slice(start.length));
        if (m)
            out.push({ tag, sequence: Number(m[1]), prefix: m[2] });
    }
    return out.sort((a, b) => a.sequence - b.sequence || (a.prefix < b.prefix ? -1 : 1));
}
/** Environments that have a history in a store, from its `env-<name>.record` tags. */
function environmentsInTags(tags) {
    return tags
        .map((t) => /^env-([a-z0-9][a-z0-9-]*)\.record$/.exec(t)?.[1])
        .filter((n) => !!n)
        .sort();
}
function recordArtifact(candidate, record) {
    const r = (0,candidate_lib/* referrerFor */.dw)({
        subject: candidate,
        artifactType: PROMOTION.record,
        payloads: [{ mediaType: PROMOTION.record, content: (0,lib/* canonicalJson */.dj)(record), title: 'promotion.json' }],
        annotations: { [candidate_lib/* ANNOTATIONS */.BC.created]: record.time, [ENVIRONMENT_ANNOTATION]: record.environment },
    });
    return { digest: r.digest, manifestBytes: r.manifestBytes, blobs: r.blobs };
}
/** Pushes blobs the store lacks, then the manifest (under `tag` when given). */
async function pushArtifact(store, artifact, tag) {
    for (const b of artifact.blobs) {
        if (!(await store.hasBlob(b.descriptor.digest)))
            await store.putBlob(b.descriptor, (0,oci_lib/* bufferSource */.kq)(b.bytes));
    }
    // Untagged first: an OCI layout lists a manifest only through index.json, where moving a tag
    // drops the entry it left; the untagged entry keeps the artifact in the store for good.
    if (tag !== undefined && store.kind === 'oci-layout')
        await store.putManifest(artifact.manifestBytes, candidate_lib/* OCI */.s6.imageManifest);
    const d = await store.putManifest(artifact.manifestBytes, candidate_lib/* OCI */.s6.imageManifest, { tag });
    if (d.digest !== artifact.digest)
        throw new lib/* KarooError */.xD('integrity', `${store.ref} stored ${artifact.digest} as ${d.digest}`);
    return artifact.digest;
}
/** The digest a tag points at now, or undefined when the tag does not exist. */
async function tagTarget(store, tag) {
    const d = await store.hasManifest(tag);
    return d?.digest;
}
/** The JSON payload (first layer of `mediaType`) of an artifact, its bytes checked against their digest. */
async function readPayload(store, digest, artifactType) {
    const m = await store.getManifest(digest); // checked against its digest by the store
    // Every descriptor is checked here: no digest from stored JSON reaches a blob read unchecked.
    const manifest = (0,oci_lib/* parseManifestInfo */.J)(m.bytes, `${artifactType} ${digest} in ${store.ref}`);
    if (manifest.artifactType !== artifactType) {
        throw new lib/* KarooError */.xD('integrity', `${digest} in ${store.ref} is a ${manifest.artifactType ?? 'manifest without artifactType'}, not a ${artifactType}`);
    }
    const layer = manifest.layers?.find((l) => l.mediaType === artifactType);
    if (!layer)
        throw new lib/* KarooError */.xD('integrity', `${artifactType} ${digest} in ${store.ref} has no payload layer`);
    const bytes = await (0,oci_lib/* readVerifiedBlob */.av)(store, layer, `payload of ${digest}`, 1 << 20);
    return JSON.parse(bytes.toString('utf8'));
}
async function readRecord(store, digest) {
    const v = (await readPayload(store, digest, PROMOTION.record));
    if (!v ||
        v.schema !== 'karoo.promotion/v1' ||
        typeof v.environment !== 'string' ||
        !(0,lib/* isDigest */.Bc)(v.candidate) ||
        typeof v.time !== 'string') {
        throw new lib/* KarooError */.xD('integrity', `promotion record ${digest} in ${store.ref} is not a karoo.promotion/v1 record`);
    }
    if (v.previousRecord !== undefined && !(0,lib/* isDigest */.Bc)(v.previousRecord))
        throw new lib/* KarooError */.xD('integrity', `promotion record ${digest}: previousRecord is not a digest`);
    if (v.sequence !== undefined && !(Number.isSafeInteger(v.sequence) && v.sequence >= 1))
        throw new lib/* KarooError */.xD('integrity', `promotion record ${digest}: sequence is not a positive integer`);
    return { ...v, digest };
}
//# sourceMappingURL=records.js.map
;// CONCATENATED MODULE: ./packages/promote/lib/history.js


/** The newest promotion record of an environment, or undefined when nothing was ever promoted there. */
async function currentRecord(store, environment) {
    const head = await tagTarget(store, environmentTags(environment).record);
    return head ? readRecord(store, head) : undefined;
}
/**
 * An environment's promotions, newest first, by following the hash chain of records from
 * the `env-<name>.record` tag. A broken chain (a record missing from the store) is an
 * integrity error naming the record.
 */
async function history_history(store, environment, options = {}) {
    const tags = environmentTags(environment);
    const out = [];
    const seen = new Set();
    let next = await tagTarget(store, tags.record);
    while (next && out.length < (options.limit ?? Number.POSITIVE_INFINITY)) {
        if (seen.has(next))
            throw new lib/* KarooError */.xD('integrity', `history of ${environment} in ${store.ref} loops at ${next}`);
        seen.add(next);
        let r;
        try {
            r = await readRecord(store, next);
        }
        catch (e) {
            if (e.detail?.notFound) {
                throw new lib/* KarooError */.xD('integrity', `history of ${environment} in ${store.ref} is broken: record ${next} is missing`, { cause: e });
            }
            throw e;
        }
        if (r.environment !== environment) {
            throw new lib/* KarooError */.xD('integrity', `history of ${environment} in ${store.ref} reaches record ${next}, which belongs to ${r.environment}`);
        }
        out.push(r);
        next = r.previousRecord;
    }
    return out;
}
/**
 * An environment's history with its forks: besides the chain from the head, every record
 * committed at a place (the `env-<name>.record-<n>-<hex>` tags) that is not on the chain is read
 * and reported with the record it shares the place with, never silently dropped.
 */
async function readHistory(store, environment) {
    const records = await history_history(store, environment);
    const places = sequenceTags(environment, await store.listTags());
    const onChain = new Map();
    records.forEach((r, i) => onChain.set(r.sequence ?? records.length - i, r));
    const extra = new Map();
    for (const p of places) {
        const mine = onChain.get(p.sequence);
        if (mine && mine.digest.slice(7, 23) === p.prefix)
            continue;
        const d = await tagTarget(store, p.tag);
        if (!d || d === mine?.digest)
            continue;
        const r = await readRecord(store, d);
        if (r.environment !== environment)
            throw new lib/* KarooError */.xD('integrity', `tag ${p.tag} in ${store.ref} names record ${d} of ${r.environment}`);
        extra.set(p.sequence, [...(extra.get(p.sequence) ?? []), r]);
    }
    const head = records[0];
    const headPlace = head ? (head.sequence ?? records.length) : 0;
    const forks = [...extra.entries()]
        // One record just past the head that follows it is not a fork: its promotion is still moving
        // the tags (or died doing so; the next promotion completes it).
        .filter(([sequence, side]) => !(sequence === headPlace + 1 && side.length === 1 && side[0].previousRecord === head?.digest))
        .sort((a, b) => a[0] - b[0])
        .map(([sequence, side]) => {
        const followed = onChain.get(sequence);
        const all = [...(followed ? [followed] : []), ...side];
        return {
            sequence,
            previousRecord: (followed ?? side[0]).previousRecord,
            followed: followed?.digest,
            records: all,
            open: sequence >= headPlace,
        };
    });
    return { records, forks };
}
/** One line about a fork, for warnings and errors. */
function describeFork(environment, f) {
    const list = f.records.map((r) => `${r.digest} (${r.candidate} by ${r.actor} at ${r.time})`).join(' and ');
    return `the history of ${environment} forks at place ${f.sequence}: ${list} all follow ${f.previousRecord ?? 'nothing (the first place)'}; ${f.open
        ? `${environment}'s tags follow ${f.followed ?? 'none of them'}, but which one holds was never decided: promote the candidate ${environment} should run again to settle it`
        : `the history goes on from ${f.followed ?? 'another record'}`}`;
}
/**
 * What each environment runs. With `environments` (from karoo.yml, in order) every one is
 * listed, also those never promoted to; without, the ones that have a history in the store.
 */
async function environmentStatus(store, environments) {
    const tags = await store.listTags();
    const names = environments ?? environmentsInTags(tags);
    // Each environment's record and tag, read for all of them at once.
    return Promise.all(names.map(async (environment) => {
        const [r, tag] = await Promise.all([currentRecord(store, environment), tagTarget(store, environmentTags(environment).env)]);
        // From the place tags alone (no walk of the history): a second record at the head's place,
        // or a record committed past it.
        const places = sequenceTags(environment, tags);
        const headPlace = r?.sequence ?? (r ? undefined : 0);
        const twins = headPlace ? places.filter((p) => p.sequence === headPlace).length : 0;
        const ahead = headPlace !== undefined ? places.filter((p) => p.sequence > headPlace) : [];
        const drift = r && tag !== r.candidate
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
    }));
}
//# sourceMappingURL=history.js.map
;// CONCATENATED MODULE: ./packages/promote/lib/gate.js

function fromThisRun(e, r) {
    return (!!r &&
        r.evidence.includes(e.digest) &&
        e.run?.runId === r.runId &&
        (e.run.repository ?? '').toLowerCase() === r.repository.toLowerCase() &&
        e.run.commit === r.commit);
}
/** Why passing evidence has no signed attestation behind it, or undefined when it has one. */
function unattested(e, a) {
    const ok = a.results.some((r) => r.result === 'PASSED' && r.environment === e.environment && r.systemId === e.systemId);
    if (ok)
        return undefined;
    const why = a.rejected.length > 0 ? ` (${a.rejected.map((r) => r.reason).join('; ')})` : '';
    return `karoo.yml attestations.require is set, and no signed test-result attestation that verifies says system ${e.systemId ?? 'none'} passed in ${e.environment}${why}; run the acceptance tests with a signing key (--attest-key or attestations.signing-key)`;
}
/**
 * Marks the evidence that must not count (`untrusted`, with the reason): evidence whose system id
 * is not the id of this candidate with that environment's configuration as it is now (forged, or
 * from before the configuration changed: a changed configuration needs new evidence), and — when
 * a RunVerifier is given (promotions inside GitHub Actions) — passing evidence whose run does not
 * exist in this repository, is not a run of the candidate workflow, or did not conclude
 * successfully (except the asking run's own evidence, `thisRun`). Failed evidence is left as it is (it never lets anything in).
 */
async function trustEvidence(evidence, trust) {
    const ids = new Map();
    const runs = new Map();
    const out = [];
    for (const e of evidence) {
        if (e.result !== 'passed' || e.untrusted) {
            out.push(e);
            continue;
        }
        if (!ids.has(e.environment))
            ids.set(e.environment, trust.systemIdFor(e.environment));
        const expected = await ids.get(e.environment);
        let untrusted;
        if (expected === undefined) {
            untrusted = `the configuration describes no system for ${e.environment} (no nodes), so no evidence can be about it`;
        }
        else if (e.systemId !== expected) {
            untrusted = `it is about system ${e.systemId ?? 'none'}, but this candidate with the configuration of ${e.environment} as it is now is system ${expected} (the configuration changed since, or the evidence is forged); run the acceptance tests again`;
        }
        else if (trust.verifyRun && !fromThisRun(e, trust.thisRun)) {
            const key = `${e.run?.repository ?? ''}#${e.run?.runId ?? ''}#${e.run?.commit ?? ''}`;
            if (!runs.has(key))
                runs.set(key, trust.verifyRun(e.run));
            untrusted = await runs.get(key);
        }
        if (untrusted === undefined && trust.attestations)
            untrusted = unattested(e, trust.attestations);
        out.push(untrusted ? { ...e, untrusted } : e);
    }
    return out;
}
/**
 * The gate of an environment, from karoo.yml: `requires` (default: the environment before),
 * `soak`. The first environment, when its `requires` is not written, needs passing evidence of
 * its own (from an acceptance run on ephemeral machines with its values, e.g. `karoo up
 * --environment integration`); `requires: []` written out means no evidence is needed.
 */
function gatePolicy(config, environment) {
    const index = config.environments.findIndex((e) => e.name === environment);
    const env = config.environments[index];
    if (!env) {
        const known = config.environments.map((e) => e.name).join(', ') || 'none';
        throw new lib/* KarooError */.xD('input', `environment "${environment}" is not in ${config.path} (environments: ${known}); add it under environments:`);
    }
    const raw = config.raw.environments?.[index];
    const explicit = raw !== undefined && raw.requires !== undefined;
    const evidenceFrom = env.requires.length > 0 || explicit ? env.requires : [env.name];
    return { environment, evidenceFrom, soakSeconds: env.soakSeconds, soakIn: env.soakSeconds ? env.requires : [] };
}
/** The seconds a candidate spent in an environment in its latest stay there, or undefined when it never was. */
function timeIn(records, candidate, now) {
    // records: newest first (as history() returns them).
    const i = records.findIndex((r) => r.candidate === candidate);
    if (i < 0)
        return undefined;
    const start = Date.parse(records[i].time);
    const end = i === 0 ? now.getTime() : Date.parse(records[i - 1].time);
    return { seconds: Math.max(0, Math.floor((end - start) / 1000)), since: records[i].time, current: i === 0 };
}
function formatDuration(seconds) {
    if (seconds % 86400 === 0 && seconds >= 2 * 86400)
        return `${seconds / 86400}d`;
    if (seconds % 3600 === 0 && seconds > 0)
        return `${seconds / 3600}h`;
    if (seconds >= 3600)
        return `${Math.floor(seconds / 3600)}h${Math.floor((seconds % 3600) / 60)}m`;
    if (seconds >= 60)
        return `${Math.floor(seconds / 60)}m${seconds % 60 ? `${seconds % 60}s` : ''}`;
    return `${seconds}s`;
}
/**
 * Evaluates a gate: pure, no I/O. `evidence` is every evidence record of the candidate,
 * `histories` the records (newest first) of each environment named in `policy.soakIn`.
 */
function evaluateGate(policy, candidate, evidence, histories, now) {
    const checks = [];
    for (const env of policy.evidenceFrom) {
        const mine = evidence.filter((e) => e.environment === env);
        const passing = mine.filter((e) => e.result === 'passed' && !e.untrusted);
        const refused = mine.filter((e) => e.result === 'passed' && e.untrusted);
        const latest = [...passing].sort((a, b) => cmp(a.finishedAt ?? '', b.finishedAt ?? '') || cmp(a.digest, b.digest)).at(-1);
        checks.push(latest
            ? {
                environment: env,
                requirement: 'evidence',
                met: true,
                detail: `passed${latest.countsUnknown ? ' (counts unknown)' : latest.passed !== undefined ? ` (${latest.passed} tests)` : ''}: evidence ${latest.digest}${latest.finishedAt ? ` at ${latest.finishedAt}` : ''}`,
            }
            : {
                environment: env,
                requirement: 'evidence',
                met: false,
                detail: refused.length > 0
                    ? `no passing evidence from ${env} that counts: ${refused.map((e) => `evidence ${e.digest} does not count: ${e.untrusted}`).join('; ')}`
                    : mine.length > 0
                        ? `no passing evidence from ${env}: ${mine.length} run(s), all failed (latest ${mine.at(-1).digest})`
                        : `no evidence from ${env}; run the acceptance tests for ${env} (karoo up --environment ${env})`,
            });
    }
    if (policy.soakSeconds) {
        for (const env of policy.soakIn) {
            const stay = timeIn(histories[env] ?? [], candidate, now);
            const need = formatDuration(policy.soakSeconds);
            if (!stay) {
                checks.push({
                    environment: env,
                    requirement: 'soak',
                    met: false,
                    detail: `soak ${need} in ${env}: the candidate was never promoted to ${env}`,
                });
            }
            else {
                const met = stay.seconds >= policy.soakSeconds;
                checks.push({
                    environment: env,
                    requirement: 'soak',
                    met,
                    detail: `soak ${need} in ${env}: ${formatDuration(stay.seconds)} since ${stay.since}${stay.current ? '' : ' (replaced since)'}${met ? '' : `, ${formatDuration(policy.soakSeconds - stay.seconds)} to go`}`,
                });
            }
        }
    }
    return { allowed: checks.every((c) => c.met), checks };
}
/** The one-line refusal: every unmet check, named. */
function refusalMessage(candidate, environment, checks) {
    const missing = checks.filter((c) => !c.met).map((c) => c.detail);
    return `candidate ${candidate} may not enter ${environment}: ${missing.join('; ')}`;
}
function cmp(a, b) {
    return a < b ? -1 : a > b ? 1 : 0;
}
//# sourceMappingURL=gate.js.map
// EXTERNAL MODULE: ./packages/config/lib/src/index.js + 3 modules
var src = __webpack_require__(71706);
// EXTERNAL MODULE: ./packages/report/lib/index.js + 10 modules
var report_lib = __webpack_require__(61430);
;// CONCATENATED MODULE: ./packages/promote/lib/evidence-runs.js



/**
 * Checks an evidence record's run through the REST API (`GET /repos/{owner}/{repo}/actions/runs/{run_id}`):
 * the run must exist in this repository, be a run of one of the candidate workflows (its `path`),
 * run this repository's code (not a fork's), have concluded with `success`, and be on the commit
 * the evidence names. The token needs `actions: read` (without it no evidence counts, and the
 * refusal says so). Answers are cached per run; an API that cannot be reached throws.
 */
function githubRunVerifier(options) {
    const parts = options.repository.split('/');
    const [owner, repo] = parts;
    if (parts.length !== 2 || !owner || !repo)
        throw new lib/* KarooError */.xD('input', `GitHub repository "${options.repository}" is not OWNER/REPO`);
    const workflows = options.workflows.map((w) => w.replace(/^\.?\//, ''));
    let gh = options.client;
    return async (run) => {
        if (!run?.runId) {
            return `it names no GitHub Actions run (made outside GitHub Actions); a promotion inside GitHub Actions counts only evidence from a run of ${workflows.join(' or ')}`;
        }
        if (!/^[0-9]{1,20}$/.test(run.runId))
            return `its run id "${run.runId}" is not a run number`;
        if (run.repository && run.repository.toLowerCase() !== options.repository.toLowerCase()) {
            return `its run ${run.runId} belongs to ${run.repository}, not ${options.repository}`;
        }
        gh ??= (0,report_lib/* createGitHubClient */.LX)({ token: options.token, baseUrl: options.baseUrl, progress: options.progress });
        let data;
        try {
            data = (await gh.rest.actions.getWorkflowRun({ owner, repo, run_id: Number(run.runId) })).data;
        }
        catch (e) {
            const status = e.status;
            if (status === 404)
                return `its run ${run.runId} does not exist in ${options.repository}`;
            // Unverifiable is not verified: the evidence does not count, and the reason says what to grant.
            if (status === 401 || status === 403) {
                return `GitHub refused to show its run ${run.runId} (${status}); give the job \`permissions: actions: read\` so karoo can check where evidence came from`;
            }
            throw new lib/* KarooError */.xD('unavailable', `could not read run ${run.runId} of ${options.repository}: ${e.message?.split('\n')[0] ?? String(e)}`, { cause: e });
        }
        const path = (data.path ?? '').split('@')[0];
        if (!workflows.includes(path)) {
            return `its run ${run.runId} is a run of ${path || 'an unknown workflow'}, not of the candidate workflow (${workflows.join(', ')}; karoo.yml acceptance.workflows)`;
        }
        const head = data.head_repository?.full_name;
        if (!head || head.toLowerCase() !== options.repository.toLowerCase()) {
            return `its run ${run.runId} ran the code of ${head ?? 'an unknown repository'} (a fork), not of ${options.repository}`;
        }
        if (data.status !== 'completed')
            return `its run ${run.runId} has not completed (${data.status ?? 'unknown'})`;
        if (data.conclusion !== 'success')
            return `its run ${run.runId} concluded ${data.conclusion ?? 'without a conclusion'}, not success`;
        // GitHub reports a pull_request run's head commit as its head_sha, not the merge commit
        // (GITHUB_SHA) the run tested: the evidence names both for such a run.
        const claimed = run.headCommit ?? run.commit;
        if (claimed && data.head_sha && claimed !== data.head_sha) {
            return `it says its run was on ${claimed}, but run ${run.runId} ran ${data.head_sha}`;
        }
        return undefined;
    };
}
/**
 * The run check of a promotion, from the runner's environment: inside GitHub Actions
 * (`GITHUB_ACTIONS=true`) a githubRunVerifier for GITHUB_REPOSITORY with `token`, accepting runs
 * of `config`'s `acceptance.workflows` (default `.github/workflows/karoo-candidate.yml`; pass the
 * default branch's karoo.yml, which a branch cannot change); elsewhere undefined (a local
 * promotion trusts the store it was given). Without a token or repository inside Actions, the
 * verifier refuses to guess: it fails when asked, naming what is missing.
 */
function evidenceRunVerifierFromEnv(options) {
    const env = options.env ?? process.env;
    if (env.GITHUB_ACTIONS !== 'true')
        return undefined;
    const repository = env.GITHUB_REPOSITORY;
    const missing = !repository ? 'GITHUB_REPOSITORY is not set' : !options.token ? 'no GitHub token was given' : undefined;
    if (missing) {
        return async () => {
            throw new lib/* KarooError */.xD('input', `inside GitHub Actions a promotion asks the API which run produced its evidence, but ${missing}; pass the github-token (GITHUB_TOKEN for the CLI) with actions: read`);
        };
    }
    return githubRunVerifier({
        token: options.token,
        repository: repository,
        baseUrl: env.GITHUB_API_URL,
        workflows: options.config.acceptance?.workflows ?? [src.DEFAULT_EVIDENCE_WORKFLOW],
        progress: options.progress,
    });
}
//# sourceMappingURL=evidence-runs.js.map
// EXTERNAL MODULE: external "node:crypto"
var external_node_crypto_ = __webpack_require__(77598);
// EXTERNAL MODULE: external "node:fs/promises"
var promises_ = __webpack_require__(51455);
// EXTERNAL MODULE: external "node:os"
var external_node_os_ = __webpack_require__(48161);
// EXTERNAL MODULE: external "node:path"
var external_node_path_ = __webpack_require__(76760);
;// CONCATENATED MODULE: ./packages/promote/lib/lock.js





const sleepFor = (ms) => new Promise((r) => setTimeout(r, ms));
/** Whether a process of this machine is alive (EPERM: it is, and belongs to someone else). */
function alive(pid) {
    try {
        process.kill(pid, 0);
        return true;
    }
    catch (e) {
        return e.code === 'EPERM';
    }
}
async function readHolder(path) {
    let text;
    try {
        text = await (0,promises_.readFile)(path, 'utf8');
    }
    catch (e) {
        if (e.code === 'ENOENT')
            return undefined;
        throw e;
    }
    try {
        const v = JSON.parse(text);
        if (typeof v.pid === 'number' && typeof v.host === 'string' && typeof v.nonce === 'string')
            return v;
    }
    catch {
        // fall through
    }
    return 'unreadable';
}
/**
 * Creates `path` holding `holder`, atomically: the content is written to a temp file first and
 * then hard-linked to `path`, which fails with EEXIST when the lock exists (link semantics, safe
 * on NFS too). A reader never sees a half-written lock.
 */
async function tryCreate(path, holder) {
    const tmp = `${path}.${holder.nonce}.tmp`;
    await (0,promises_.writeFile)(tmp, `${JSON.stringify(holder)}\n`, { mode: 0o644 });
    try {
        await (0,promises_.link)(tmp, path);
        return true;
    }
    catch (e) {
        if (e.code === 'EEXIST')
            return false;
        throw e;
    }
    finally {
        await (0,promises_.unlink)(tmp).catch(() => undefined);
    }
}
/**
 * A lock left by a process of this machine that no longer runs is removed; anything else is
 * left alone. Breakers are serialised by a second lock created with O_EXCL, so that two of them
 * never remove a lock one of them just took. Returns whether the stale lock is gone.
 */
async function breakStale(path, stale) {
    const breaker = `${path}.break`;
    let fh;
    try {
        fh = await (0,promises_.open)(breaker, 'wx', 0o644);
    }
    catch (e) {
        if (e.code === 'EEXIST')
            return false;
        throw e;
    }
    try {
        await fh.writeFile(JSON.stringify({ pid: process.pid, host: (0,external_node_os_.hostname)() }));
        await fh.close();
        const now = await readHolder(path);
        if (now && now !== 'unreadable' && now.nonce === stale.nonce && !alive(now.pid))
            await (0,promises_.unlink)(path).catch(() => undefined);
        return true;
    }
    finally {
        await (0,promises_.unlink)(breaker).catch(() => undefined);
    }
}
/**
 * Runs `fn` holding the lock file `<dir>/<name>.lock` (a compare-and-swap section: read, compare,
 * write). The lock names its holder's pid and host; a lock of a dead process of this machine is
 * broken, a lock of another machine is never judged by time: after `waitMs` the caller gets a
 * conflict that names the holder and the file to remove once nothing runs there.
 */
async function withLock(dir, name, what, fn, options = {}) {
    await (0,promises_.mkdir)(dir, { recursive: true });
    const path = (0,external_node_path_.join)(dir, `${name}.lock`);
    const holder = {
        pid: process.pid,
        host: (0,external_node_os_.hostname)(),
        since: new Date().toISOString(),
        nonce: (0,external_node_crypto_.randomBytes)(12).toString('hex'),
        what,
    };
    const wait = options.waitMs ?? 10_000;
    const started = performance.now();
    for (let pause = 5;; pause = Math.min(pause * 2, 100)) {
        if (await tryCreate(path, holder))
            break;
        const other = await readHolder(path);
        if (other === undefined)
            continue; // released between our try and our read
        if (other !== 'unreadable' && other.host === holder.host && !alive(other.pid)) {
            if (await breakStale(path, other))
                continue;
        }
        if (performance.now() - started >= wait) {
            const who = other === 'unreadable' ? 'an unreadable lock' : `${other.what} (pid ${other.pid} on ${other.host}, since ${other.since})`;
            throw new lib/* KarooError */.xD('conflict', `${path} is held by ${who}; wait for it to finish and run this again — if no karoo runs there any more, remove ${path} (and ${path}.break if present)${other !== 'unreadable' && other.host === holder.host ? '' : ` (karoo breaks a lock by itself only on the host that took it)`}`, { detail: { lock: path, holder: other } });
        }
        await sleepFor(pause);
    }
    try {
        return await fn();
    }
    finally {
        const now = await readHolder(path).catch(() => undefined);
        if (now && now !== 'unreadable' && now.nonce === holder.nonce)
            await (0,promises_.unlink)(path).catch(() => undefined);
    }
}
//# sourceMappingURL=lock.js.map
;// CONCATENATED MODULE: ./packages/promote/lib/github.js


/** The git ref that holds place `sequence` of an environment's history. */
function sequenceRef(environment, sequence) {
    return `refs/karoo/${environment}/${sequence}`;
}
const RECORD_LINE = /^record: (sha256:[0-9a-f]{64})$/m;
function explain(e, what, repository, permission = 'deployments: write', why = '') {
    const status = e.status;
    const message = (e.response?.data?.message ??
        e.message ??
        String(e)).split('\n')[0];
    if (status === 401 || status === 403) {
        return new lib/* KarooError */.xD('input', `GitHub refused to ${what} in ${repository} (${status}: ${message}); the job needs \`permissions: ${permission}\`${why}`, { cause: e });
    }
    if (status === 404)
        return new lib/* KarooError */.xD('input', `GitHub cannot find ${repository} to ${what} (404); check the repository and that the token can see it`, { cause: e });
    if (status === 422)
        return new lib/* KarooError */.xD('input', `GitHub rejected the request to ${what} in ${repository}: ${message}`, { cause: e });
    return new lib/* KarooError */.xD('unavailable', `could not ${what} in ${repository}: ${message}`, { cause: e });
}
/** Deployments through the REST API (`@actions/github`), with GitHub's rate limits waited out. */
function githubDeployments(options) {
    const [owner, repo] = options.repository.split('/');
    if (!owner || !repo || options.repository.split('/').length !== 2) {
        throw new lib/* KarooError */.xD('input', `GitHub repository "${options.repository}" is not OWNER/REPO`);
    }
    const [o, r] = [owner, repo];
    const gh = options.client ?? (0,report_lib/* createGitHubClient */.LX)({ token: options.token, baseUrl: options.baseUrl, progress: options.progress });
    return {
        async create(r) {
            let res;
            try {
                res = await gh.rest.repos.createDeployment({
                    owner,
                    repo,
                    ref: r.ref,
                    environment: r.environment,
                    payload: r.payload,
                    description: r.description.slice(0, 140),
                    // The gate is karoo's evidence, not commit statuses; and nothing may be merged to deploy.
                    auto_merge: false,
                    required_contexts: [],
                    production_environment: r.production,
                    transient_environment: false,
                });
            }
            catch (e) {
                throw explain(e, `create a deployment for ${r.environment}`, options.repository);
            }
            if (res.status !== 201 || !('id' in res.data)) {
                throw new lib/* KarooError */.xD('unavailable', `GitHub did not create a deployment for ${r.environment} (${res.status}: ${JSON.stringify(res.data).slice(0, 200)})`);
            }
            return { id: res.data.id, url: res.data.url };
        },
        async status(d, state, detail) {
            try {
                await gh.rest.repos.createDeploymentStatus({
                    owner,
                    repo,
                    deployment_id: d.id,
                    state,
                    description: detail.description.slice(0, 140),
                    ...(detail.logUrl ? { log_url: detail.logUrl } : {}),
                    ...(detail.environmentUrl ? { environment_url: detail.environmentUrl } : {}),
                });
            }
            catch (e) {
                throw explain(e, `set deployment ${d.id} to ${state}`, options.repository);
            }
        },
        async claimSequence(c) {
            const ref = sequenceRef(c.environment, c.sequence);
            const what = `create ${ref} (karoo's lock on place ${c.sequence} of ${c.environment}'s history)`;
            const permission = 'contents: write';
            const why = ' (karoo claims each place in a history as a git ref: a registry has no compare-and-swap)';
            let commit = c.commit;
            if (!/^[0-9a-f]{40}$/.test(commit)) {
                try {
                    commit = (await gh.rest.git.getRef({ owner, repo, ref: `heads/${commit}` })).data.object.sha;
                }
                catch (e) {
                    throw explain(e, `find branch ${c.commit} for ${ref}`, options.repository, permission, why);
                }
            }
            let tagSha;
            try {
                const message = [
                    `karoo promotion: place ${c.sequence} of ${c.environment}`,
                    '',
                    `environment: ${c.environment}`,
                    `sequence: ${c.sequence}`,
                    `record: ${c.record}`,
                    `candidate: ${c.candidate}`,
                    `store: ${c.store}`,
                    '',
                ].join('\n');
                tagSha = (await gh.rest.git.createTag({ owner, repo, tag: `karoo/${c.environment}/${c.sequence}`, message, object: commit, type: 'commit' })).data.sha;
            }
            catch (e) {
                throw explain(e, what, options.repository, permission, why);
            }
            try {
                await gh.rest.git.createRef({ owner, repo, ref, sha: tagSha });
                return { won: true };
            }
            catch (e) {
                if (e.status !== 422)
                    throw explain(e, what, options.repository, permission, why);
                // 422: the ref exists (or the request was bad). Read who holds the place; it may be
                // this very claim, when an earlier attempt was created but its answer lost.
                const holder = await readClaim(ref).catch(() => undefined);
                if (!holder)
                    throw explain(e, what, options.repository, permission, why);
                if (holder.record === c.record)
                    return { won: true };
                return { won: false, record: holder.record, ref };
            }
        },
        async readSequence(environment, sequence) {
            const ref = sequenceRef(environment, sequence);
            try {
                return await readClaim(ref);
            }
            catch (e) {
                throw explain(e, `read ${ref}`, options.repository, 'contents: read');
            }
        },
    };
    async function readClaim(ref) {
        let found;
        try {
            found = await gh.rest.git.getRef({ owner: o, repo: r, ref: ref.replace(/^refs\//, '') });
        }
        catch (e) {
            if (e.status === 404)
                return undefined;
            throw e;
        }
        const object = found.data.object;
        if (object.type !== 'tag')
            return { record: undefined };
        const tag = await gh.rest.git.getTag({ owner: o, repo: r, tag_sha: object.sha });
        return { record: RECORD_LINE.exec(tag.data.message)?.[1] };
    }
}
//# sourceMappingURL=github.js.map
;// CONCATENATED MODULE: ./packages/promote/lib/claim.js





/** The decision a promotion will use, or a refusal that says how to get one. */
function decisionFor(store, tracker, serialized, environment) {
    if (store.kind === 'oci-layout')
        return 'lock-file';
    if (tracker?.claimSequence && tracker.readSequence)
        return 'github-ref';
    if (serialized)
        return 'serialized';
    throw new lib/* KarooError */.xD('refused', `${store.ref} is a registry, which cannot decide between two promotions to ${environment} made at the same time; give karoo a GitHub token and repository (GITHUB_TOKEN and GITHUB_REPOSITORY, or the action's token, with contents: write: each promotion claims refs/karoo/${environment}/<n>), or, when promotions to ${environment} are serialised by something else (the release workflow's concurrency group), say so with --serialized`, { detail: { store: store.ref, environment } });
}
/** The place of a record in its environment's history (counted along the chain for records written before places were numbered). */
async function placeOf(store, record) {
    if (!record)
        return 0;
    if (record.sequence !== undefined)
        return record.sequence;
    const chain = await history_history(store, record.environment);
    const i = chain.findIndex((r) => r.digest === record.digest);
    if (i < 0)
        throw new lib/* KarooError */.xD('integrity', `record ${record.digest} is not in the history of ${record.environment} in ${store.ref}`);
    return chain.length - i;
}
function changed(environment, candidate, base, head) {
    return new lib/* KarooError */.xD('conflict', `another promotion to ${environment} was recorded while this one checked its gate (history head ${base ?? 'none'} → ${head ?? 'none'}); nothing was recorded for ${candidate}; run it again`, { detail: { environment, base, head } });
}
async function putTags(store, environment, digest, sequence, candidate) {
    const tags = environmentTags(environment);
    const m = await store.getManifest(digest);
    // The place first (the record is committed), then the head, then what the environment runs.
    await store.putManifest(m.bytes, m.descriptor.mediaType, { tag: tags.sequence(sequence, digest) });
    await store.putManifest(m.bytes, m.descriptor.mediaType, { tag: tags.record });
    const c = await store.getManifest(candidate);
    await store.putManifest(c.bytes, c.descriptor.mediaType, { tag: tags.env });
}
/**
 * Brings the store's tags up to the refs (`github-ref`): while the place after the head is
 * claimed by a record that follows the head, commit that record's tags. Run before a promotion
 * reads the head (a promotion that crashed after winning its ref is completed by the next one)
 * and after a promotion wrote its tags (a later promotion may have written first).
 */
async function settleHead(store, environment, tracker, progress = lib/* silentProgress */.RZ) {
    const tags = environmentTags(environment);
    for (;;) {
        const headDigest = await tagTarget(store, tags.record);
        const head = headDigest ? await readRecord(store, headDigest) : undefined;
        const next = (await placeOf(store, head)) + 1;
        const held = await tracker.readSequence(environment, next);
        if (!held)
            return;
        if (!held.record)
            throw new lib/* KarooError */.xD('integrity', `refs/karoo/${environment}/${next} does not name a promotion record; remove it or repair it (it must point at a tag object with a "record: sha256:…" line)`);
        let r;
        try {
            r = await readRecord(store, held.record);
        }
        catch (e) {
            throw new lib/* KarooError */.xD('integrity', `refs/karoo/${environment}/${next} names record ${held.record}, which ${store.ref} cannot give: ${e.message.split('\n')[0]}`, { cause: e });
        }
        if (r.previousRecord !== headDigest || r.environment !== environment) {
            throw new lib/* KarooError */.xD('integrity', `refs/karoo/${environment}/${next} names record ${held.record}, which does not follow ${environment}'s head ${headDigest ?? 'none'} in ${store.ref}`);
        }
        progress.info(`${environment}: place ${next} is taken by ${held.record} (${r.candidate} by ${r.actor}); bringing the store's tags up to it`);
        await putTags(store, environment, held.record, next, r.candidate);
    }
}
/** Writes a promotion's record and moves the environment's tags, decided atomically (see {@link Decision}). */
async function commitRecord(o) {
    const tags = environmentTags(o.environment);
    const progress = o.progress ?? lib/* silentProgress */.RZ;
    const sequence = (await placeOf(o.store, o.base)) + 1;
    const record = o.record({ previousRecord: o.base?.digest, previousCandidate: o.base?.candidate, sequence });
    const artifact = recordArtifact(o.subject, record);
    const done = () => ({ digest: artifact.digest, record, sequence, decision: o.decision });
    if (o.decision === 'lock-file') {
        const path = o.store.path;
        if (!path)
            throw new lib/* KarooError */.xD('internal', `${o.store.ref} has no directory for its lock`);
        await withLock((0,external_node_path_.join)(path, '.karoo-promote'), o.environment, `promotion of ${o.candidate} to ${o.environment}`, async () => {
            const head = await tagTarget(o.store, tags.record);
            if (head !== o.base?.digest)
                throw changed(o.environment, o.candidate, o.base?.digest, head);
            await pushArtifact(o.store, artifact);
            await putTags(o.store, o.environment, artifact.digest, sequence, o.candidate);
        }, o.lock);
        return done();
    }
    const head = await tagTarget(o.store, tags.record);
    if (head !== o.base?.digest)
        throw changed(o.environment, o.candidate, o.base?.digest, head);
    if (o.decision === 'github-ref') {
        const tracker = o.github.tracker;
        // The record first: whoever holds the place, its record is in the store.
        await pushArtifact(o.store, artifact);
        const outcome = await tracker.claimSequence({
            environment: o.environment,
            sequence,
            record: artifact.digest,
            candidate: o.candidate,
            store: o.store.ref,
            commit: o.github.commit,
        });
        if (!outcome.won) {
            const other = outcome.record ? await readRecord(o.store, outcome.record).catch(() => undefined) : undefined;
            const who = other
                ? `${other.candidate} by ${other.actor}${other.run?.url ? ` (${other.run.url})` : ''}, record ${outcome.record}`
                : `${outcome.ref}`;
            throw new lib/* KarooError */.xD('conflict', `another promotion to ${o.environment} won place ${sequence} of its history (${who}); nothing was recorded for ${o.candidate} (its record ${artifact.digest} stays outside the history); run it again once that one has finished`, { detail: { environment: o.environment, sequence, winner: outcome.record, ref: outcome.ref } });
        }
        await putTags(o.store, o.environment, artifact.digest, sequence, o.candidate);
        await settleHead(o.store, o.environment, tracker, progress);
        return done();
    }
    // serialized: nothing atomic; check before and after, and say so loudly when it was not serial.
    const taken = sequenceTags(o.environment, await o.store.listTags()).filter((t) => t.sequence === sequence);
    if (taken.length)
        throw changed(o.environment, o.candidate, o.base?.digest, `place ${sequence} (${taken.map((t) => t.tag).join(', ')})`);
    await pushArtifact(o.store, artifact, tags.sequence(sequence, artifact.digest));
    const others = sequenceTags(o.environment, await o.store.listTags()).filter((t) => t.sequence === sequence && t.tag !== tags.sequence(sequence, artifact.digest));
    if (others.length) {
        throw new lib/* KarooError */.xD('conflict', `another promotion to ${o.environment} wrote place ${sequence} of its history at the same time (${others.map((t) => t.tag).join(', ')}), although promotions were said to be serialised; the history now forks there (see karoo history ${o.environment}); nothing more was recorded for ${o.candidate}`, { detail: { environment: o.environment, sequence, fork: others.map((t) => t.tag) } });
    }
    const m = await o.store.getManifest(artifact.digest);
    await o.store.putManifest(m.bytes, m.descriptor.mediaType, { tag: tags.record });
    const c = await o.store.getManifest(o.candidate);
    await o.store.putManifest(c.bytes, c.descriptor.mediaType, { tag: tags.env });
    progress.info(`${o.environment}: recorded without an atomic decision (serialised by the caller): ${(0,lib/* shortDigest */.VK)(artifact.digest)} at place ${sequence}`);
    return done();
}
//# sourceMappingURL=claim.js.map
;// CONCATENATED MODULE: ./packages/promote/lib/seams.js
/**
 * The candidate's signed test results, verified with the public keys (keyed) or the Sigstore
 * trusted root (keyless) and the workflow identity of karoo.yml `attestations` (@karoo/attest
 * verifiedTestResults); each bundle that does not
 * verify is named in a warning and never counts.
 */
async function attestedResults(store, candidate, config, progress) {
    const { loadTrustedRoot, loadVerificationKey, verifiedTestResults } = await __webpack_require__.e(/* import() */ 557).then(__webpack_require__.bind(__webpack_require__, 74938));
    const keys = await Promise.all(config.keys.map((k) => loadVerificationKey(k)));
    // Keyless bundles verify against the site's Sigstore trusted root only; without one they are refused.
    const trustedRoot = config.trustedRoot ? await loadTrustedRoot(config.trustedRoot) : undefined;
    const r = await verifiedTestResults(store, candidate, { keys, identity: config.identity, trustedRoot });
    for (const x of r.rejected)
        progress.warn(`attestation ${x.digest} does not count: ${x.reason}`);
    return r;
}
/**
 * The system id of a candidate with one environment's configuration, as @karoo/deploy
 * computes it (sha256 over the candidate digest and the environment's configuration digest),
 * for promotion records and GitHub Deployments. Undefined for a configuration without nodes,
 * which describes no deployable system.
 */
function systemIdFromConfig(config) {
    return async (candidate, environment) => {
        if (config.nodes.length === 0)
            return undefined;
        const { configDigest, systemConfig, systemIdOf } = await Promise.all(/* import() */[__webpack_require__.e(744), __webpack_require__.e(494), __webpack_require__.e(455)]).then(__webpack_require__.bind(__webpack_require__, 52455));
        return systemIdOf(candidate, configDigest(await systemConfig(config, environment.name)));
    };
}
/**
 * The hand-over to @karoo/deploy: the environment's inventory (real hosts, karoo.yml
 * `inventory`) converges to the candidate with the environment's values — the same code path
 * as the ephemeral acceptance runs. A node that fails fails the promotion's deploy.
 */
function deployHandover() {
    return async (r) => {
        const { readInventory } = await Promise.all(/* import() */[__webpack_require__.e(744), __webpack_require__.e(494)]).then(__webpack_require__.bind(__webpack_require__, 46494));
        const { assertDeployed, deploy } = await Promise.all(/* import() */[__webpack_require__.e(744), __webpack_require__.e(494), __webpack_require__.e(455)]).then(__webpack_require__.bind(__webpack_require__, 52455));
        const result = await deploy({
            config: r.config,
            environment: r.environment.name,
            store: r.store,
            candidate: r.candidate,
            inventory: await readInventory(r.inventory),
            progress: r.progress,
        });
        assertDeployed(result);
        const changed = result.nodes.filter((n) => n.changed).length;
        return { systemId: result.systemId, detail: `${result.nodes.length} node(s) run system ${result.systemId} (${changed} changed)` };
    };
}
//# sourceMappingURL=seams.js.map
;// CONCATENATED MODULE: ./packages/promote/lib/promote.js







/** The candidate's manifest, read back and checked: present, its bytes hashing to the digest, a karoo candidate. */
async function verifyCandidate(store, candidate) {
    const found = await store.hasManifest(candidate);
    if (!found) {
        throw new lib/* KarooError */.xD('input', `candidate ${candidate} is not in ${store.ref}; build it there first (karoo build --store ${store.ref}) or check the digest`, {
            detail: { candidate, store: store.ref },
        });
    }
    const m = await store.getManifest(candidate);
    const actual = (0,lib/* sha256Of */.Bj)(m.bytes);
    if (actual !== candidate)
        throw new lib/* KarooError */.xD('integrity', `manifest ${candidate} in ${store.ref} hashes to ${actual}; the store is damaged`);
    let artifactType;
    try {
        artifactType = JSON.parse(m.bytes.toString('utf8')).artifactType;
    }
    catch {
        throw new lib/* KarooError */.xD('integrity', `manifest ${candidate} in ${store.ref} is not JSON`);
    }
    if (artifactType !== candidate_lib/* KAROO */.PQ.candidate) {
        throw new lib/* KarooError */.xD('input', `${candidate} in ${store.ref} is not a karoo candidate (artifactType ${String(artifactType ?? 'none')}); promote the candidate digest that karoo build printed`);
    }
    return { mediaType: m.descriptor.mediaType, digest: candidate, size: m.bytes.length };
}
/**
 * A candidate's acceptance evidence as the gate (and whatever shows it) reads it: @karoo/evidence's
 * records, oldest first, malformed referrers skipped with a warning. Not yet judged: pass it
 * through trustEvidence before counting or showing any of it as passing.
 */
async function candidateEvidence(store, candidate, progress = lib/* silentProgress */.RZ) {
    const { listEvidence } = await __webpack_require__.e(/* import() */ 575).then(__webpack_require__.bind(__webpack_require__, 11575));
    const onInvalid = (i) => progress.warn(`evidence ${i.digest} is invalid and does not count: ${i.reason}`);
    return (await listEvidence(store, candidate, { onInvalid })).map((r) => ({
        digest: r.digest,
        environment: r.evidence.environment,
        result: r.evidence.result,
        finishedAt: r.evidence.finishedAt,
        systemId: r.evidence.systemId,
        passed: r.evidence.counts.passed,
        failed: r.evidence.counts.failed + r.evidence.counts.errors,
        skipped: r.evidence.counts.skipped,
        ...(r.evidence.counts.source === 'unknown' ? { countsUnknown: true } : {}),
        durationMs: r.evidence.durationMs,
        runUrl: r.evidence.run?.runUrl,
        run: r.evidence.run && {
            repository: r.evidence.run.repository,
            runId: r.evidence.run.runId,
            workflow: r.evidence.run.workflow,
            commit: r.evidence.run.commit,
            headCommit: r.evidence.run.headCommit,
        },
    }));
}
/**
 * Promotes a candidate to an environment: (1) the candidate must be in the store and its
 * manifest must hash to its digest; (2) the gate (passing evidence from the required
 * environments, soak time) must let it in — otherwise a `refused` error names every missing
 * piece; (3) the promotion is recorded — a hash-chained promotion record (subject = the
 * candidate) and the `env-<name>` tag, committed exactly once even when two promotions race
 * (an atomic decision, see claim.ts), and only then a GitHub Deployment naming the record, with
 * statuses; (4) deploy takes over for the environment's inventory. Nothing is built: the environment gets the very digest that was tested.
 *
 * Read from the top: check the request → verify the candidate → judge its evidence → the gate
 * → how the decision is made, and the environment's current record → (dry run, or already
 * there: stop) → commit the record → GitHub Deployment → deploy, with its statuses.
 */
async function promote(o) {
    const now = o.now ?? (() => new Date());
    const progress = o.progress ?? lib/* silentProgress */.RZ;
    const { policy, candidate, env, kind, thisRun } = checkRequest(o);
    const subject = await verifyCandidate(o.store, candidate);
    progress.info(`candidate ${candidate} is in ${o.store.ref} (manifest verified)`);
    // Evidence counts only for this candidate with each environment's configuration as it is now, and (in GitHub Actions) from a run that checks out.
    const systemIdOf = o.systemId ?? systemIdFromConfig(o.config);
    const evidence = await judgeEvidence(o, candidate, systemIdOf, thisRun, progress);
    const passingEvidence = [...new Set(evidence.filter((e) => e.result === 'passed' && !e.untrusted).map((e) => e.environment))].sort();
    const { checks, allowed } = o.rollback ? await rollbackGate(o, candidate) : await promotionGate(o, policy, candidate, evidence, now);
    if (!o.dryRun && !allowed) {
        throw new lib/* KarooError */.xD('refused', refusalMessage(candidate, o.environment, checks), {
            detail: { candidate, environment: o.environment, gate: checks },
        });
    }
    const { decision, undecidable, current } = await decideAndReadCurrent(o, progress);
    const base = {
        candidate,
        environment: o.environment,
        kind,
        allowed,
        previous: current?.candidate,
        tag: environmentTags(o.environment).env,
        gate: checks,
        passingEvidence,
        evidence,
    };
    if (o.dryRun) {
        // The system id the evidence was checked against: a workflow that skips acceptance because of that evidence reports it.
        return {
            ...base,
            status: 'checked',
            systemId: await systemIdOf(candidate, env),
            time: now().toISOString(),
            deploy: { status: 'skipped', detail: 'dry run' },
        };
    }
    const systemId = await o.systemId?.(candidate, env);
    if (current?.candidate === candidate) {
        progress.info(`${o.environment} already runs ${candidate} (since ${current.time}); nothing recorded`);
        const deploy = await handOver(o, env, candidate, systemId ?? current.systemId, progress);
        return { ...base, status: 'unchanged', record: current.digest, systemId: systemId ?? current.systemId, time: current.time, deploy };
    }
    if (undecidable)
        throw undecidable;
    await warnOfOpenForks(o, current, progress);
    const time = now().toISOString();
    const committed = await commitPromotion(o, { candidate, subject, kind, systemId, checks, time, current, decision: decision }, progress);
    const deployment = await createDeployment(o, env, { candidate, kind, systemId, current, committed });
    const deploy = await deployWithStatuses(o, env, { candidate, systemId, record: committed.digest, deployment }, progress);
    return { ...base, previous: current?.candidate, status: 'promoted', record: committed.digest, systemId, time, deployment, deploy };
}
/** The request, checked before the store is read: the environment (and its gate), the candidate's digest, a rollback's reason. */
function checkRequest(o) {
    const policy = gatePolicy(o.config, o.environment);
    const env = o.config.environments.find((e) => e.name === o.environment);
    const candidate = (0,lib/* parseDigest */.m)(o.candidate, 'candidate');
    const kind = o.rollback ? 'rollback' : 'promotion';
    if (o.rollback && !o.reason?.trim()) {
        throw new lib/* KarooError */.xD('input', `a rollback of ${o.environment} needs a reason; pass --reason "…" (it is kept in the environment's history)`);
    }
    return { policy, candidate, env, kind, thisRun: thisRunOf(o) };
}
/** `thisRunEvidence` with the run it came from, checked: only for a dry run inside a run. */
function thisRunOf(o) {
    if (!o.thisRunEvidence?.length)
        return undefined;
    if (!o.dryRun)
        throw new lib/* KarooError */.xD('input', "this run's evidence counts before its run has completed only for a dry run (a report); a promotion counts evidence of completed runs, so leave it out");
    const { id, repository, sha } = o.run ?? {};
    if (!id || !repository || !sha)
        throw new lib/* KarooError */.xD('input', "this run's evidence needs the run it came from (GITHUB_RUN_ID, GITHUB_REPOSITORY, GITHUB_SHA); pass it inside GitHub Actions only");
    return { runId: id, repository, commit: sha, evidence: o.thisRunEvidence.map((d) => (0,lib/* parseDigest */.m)(d, "this run's evidence")) };
}
/** The candidate's evidence, each record judged (system id, the run it names, attestations when karoo.yml requires them). */
async function judgeEvidence(o, candidate, systemIdOf, thisRun, progress) {
    const list = o.evidence ?? candidateEvidence;
    return trustEvidence(await list(o.store, candidate, progress), {
        systemIdFor: async (name) => {
            const e = o.config.environments.find((x) => x.name === name);
            return e ? systemIdOf(candidate, e) : undefined;
        },
        // A rollback skips the evidence gate: it must not wait on the API for evidence it ignores.
        verifyRun: o.rollback ? undefined : o.evidenceRuns,
        thisRun,
        // karoo.yml attestations.require: evidence counts only with a signed test-result attestation that verifies.
        attestations: o.rollback || !o.config.attestations?.require
            ? undefined
            : await attestedResults(o.store, candidate, o.config.attestations, progress),
    });
}
/** A rollback's gate: the candidate must have run in the environment before. */
async function rollbackGate(o, candidate) {
    const past = await history_history(o.store, o.environment);
    const stay = past.find((r) => r.candidate === candidate);
    const check = stay
        ? {
            environment: o.environment,
            requirement: 'history',
            met: true,
            detail: `ran in ${o.environment} from ${stay.time} (record ${stay.digest})`,
        }
        : {
            environment: o.environment,
            requirement: 'history',
            met: false,
            detail: `${candidate} never ran in ${o.environment}; a rollback can only return to an earlier candidate of ${o.environment} (see karoo history ${o.environment})`,
        };
    return { checks: [check], allowed: !!stay };
}
/** A promotion's gate: passing evidence from the required environments, soak time in them. */
async function promotionGate(o, policy, candidate, evidence, now) {
    const histories = {};
    for (const e of policy.soakIn)
        histories[e] = await history_history(o.store, e);
    const g = evaluateGate(policy, candidate, evidence, histories, now());
    return { checks: [...g.checks], allowed: g.allowed };
}
/**
 * How the environment's next state is decided, and its current record. A registry without an
 * atomic decision is refused (`undecidable`), but only later, when something would be written.
 * A promotion that won its place but crashed before moving the tags is completed first.
 */
async function decideAndReadCurrent(o, progress) {
    let decision;
    let undecidable;
    try {
        decision = o.dryRun ? undefined : decisionFor(o.store, o.github?.tracker, o.serialized, o.environment);
    }
    catch (e) {
        undecidable = e;
    }
    if (decision === 'github-ref')
        await settleHead(o.store, o.environment, o.github.tracker, progress);
    const current = await currentRecord(o.store, o.environment);
    return { decision, undecidable, current };
}
/** An open fork in the environment's history is settled by this promotion: it says so. */
async function warnOfOpenForks(o, current, progress) {
    for (const f of (await readHistory(o.store, o.environment)).forks.filter((x) => x.open)) {
        progress.warn(`${describeFork(o.environment, f)}; this promotion follows ${current?.digest ?? 'nothing'} and settles it`);
    }
}
/** The record, committed by an atomic decision (GitHub hears of it only afterwards). */
async function commitPromotion(o, p, progress) {
    const committed = await commitRecord({
        store: o.store,
        environment: o.environment,
        candidate: p.candidate,
        subject: p.subject,
        base: p.current,
        decision: p.decision,
        github: o.github ? { tracker: o.github.tracker, commit: o.github.ref } : undefined,
        lock: o.lock,
        progress,
        record: (place) => ({
            schema: 'karoo.promotion/v1',
            kind: p.kind,
            environment: o.environment,
            candidate: p.candidate,
            system: o.config.system,
            systemId: p.systemId,
            previousCandidate: place.previousCandidate,
            previousRecord: place.previousRecord,
            sequence: place.sequence,
            actor: o.actor,
            reason: o.reason,
            run: o.run,
            time: p.time,
            gate: p.checks,
        }),
    });
    progress.info(`${o.environment} now runs ${p.candidate} (${environmentTags(o.environment).env}; record ${committed.digest}, place ${committed.sequence})`);
    return committed;
}
/** With `github`: the GitHub Deployment naming the committed record; when it cannot be made, nothing is deployed. */
async function createDeployment(o, env, p) {
    if (!o.github)
        return undefined;
    const record = p.committed.digest;
    try {
        return await o.github.tracker.create({
            environment: env.githubEnvironment ?? env.name,
            ref: o.github.ref,
            payload: {
                karoo: 'karoo.promotion/v1',
                candidate: p.candidate,
                systemId: p.systemId,
                system: o.config.system,
                store: o.store.ref,
                environment: o.environment,
                kind: p.kind,
                previous: p.current?.candidate,
                record,
                sequence: p.committed.sequence,
                reason: o.reason,
            },
            description: `${p.kind === 'rollback' ? 'roll back' : 'promote'} ${(0,lib/* shortDigest */.VK)(p.candidate)} to ${o.environment}`,
            production: o.config.environments.at(-1)?.name === o.environment,
        });
    }
    catch (e) {
        throw new lib/* KarooError */.xD((0,lib/* isKarooError */.ro)(e) ? e.kind : 'unavailable', `${p.candidate} is recorded in ${o.environment} (record ${record}) but no GitHub Deployment was created and nothing was deployed: ${messageOf(e)}; fix it and run karoo deploy, or promote again`, { cause: e, detail: { record } });
    }
}
/** Deploy takes over, with the Deployment's statuses (in_progress, then success or failure) when there is one. */
async function deployWithStatuses(o, env, p, progress) {
    const { candidate, record, deployment } = p;
    const logUrl = o.run?.url;
    let deploy;
    try {
        if (deployment)
            await o.github.tracker.status(deployment, 'in_progress', {
                description: `deploying ${(0,lib/* shortDigest */.VK)(candidate)} to ${o.environment}`,
                logUrl,
            });
        deploy = await handOver(o, env, candidate, p.systemId, progress);
    }
    catch (e) {
        // Best effort: the deploy's failure is what is reported; a status that cannot be posted must not hide it.
        if (deployment)
            await o
                .github.tracker.status(deployment, 'failure', { description: `deploy failed: ${messageOf(e)}`, logUrl })
                .catch(() => undefined);
        const kindOf = (0,lib/* isKarooError */.ro)(e) ? e.kind : 'internal';
        throw new lib/* KarooError */.xD(kindOf, `${candidate} is recorded in ${o.environment} (record ${record}) but deploy failed: ${messageOf(e)}; fix it and run karoo deploy, or roll back`, {
            cause: e,
            detail: { record },
        });
    }
    if (deployment) {
        await o.github.tracker.status(deployment, 'success', {
            description: `${o.environment} runs ${(0,lib/* shortDigest */.VK)(candidate)}`,
            logUrl,
            environmentUrl: o.github.environmentUrl,
        });
    }
    return deploy;
}
async function handOver(o, env, candidate, systemId, progress) {
    if (!env.inventory)
        return { status: 'skipped', detail: `${env.name} has no inventory in karoo.yml (an ephemeral environment): nothing to deploy` };
    if (!o.deploy)
        return { status: 'skipped', detail: `deploy was not requested for ${env.name}` };
    progress.info(`handing ${candidate} over to deploy for ${env.name} (${env.inventory})`);
    const r = await o.deploy({ candidate, environment: env, inventory: env.inventory, store: o.store, config: o.config, systemId, progress });
    return { status: 'deployed', detail: r.detail };
}
function messageOf(e) {
    return (e instanceof Error ? e.message : String(e)).split('\n')[0];
}
//# sourceMappingURL=promote.js.map
;// CONCATENATED MODULE: ./packages/promote/lib/run.js

/** The run as a promotion record stores it (field names of records already written). */
function runInfoOf(run) {
    return { id: run.runId, attempt: run.runAttempt, url: run.runUrl, repository: run.repository, workflow: run.workflow, sha: run.commit };
}
function runFromEnv(env = process.env) {
    const c = (0,lib/* runContextFromEnv */.wX)(env);
    return { actor: c.actor, run: c.run && runInfoOf(c.run), sha: c.sha, repository: c.repository };
}
//# sourceMappingURL=run.js.map
;// CONCATENATED MODULE: ./packages/promote/lib/index.js









//# sourceMappingURL=index.js.map

/***/ })

};
