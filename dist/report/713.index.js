export const id = 713;
export const ids = [713];
export const modules = {

/***/ 99713:
/***/ ((__unused_webpack___webpack_module__, __webpack_exports__, __webpack_require__) => {


// EXPORTS
__webpack_require__.d(__webpack_exports__, {
  OP: () => (/* reexport */ util_Hasher),
  kq: () => (/* reexport */ bufferSource),
  Ch: () => (/* reexport */ openStore),
  J: () => (/* reexport */ util_parseManifestInfo),
  mZ: () => (/* reexport */ parseStoreRef),
  yw: () => (/* reexport */ readAll)
});

// UNUSED EXPORTS: DEFAULT_IMPORT_LIMITS, LayoutStore, MANIFEST_ACCEPT, MEDIA_TYPES, REF_NAME_ANNOTATION, RegistryStore, blobsOf, copyArtifact, describeBlob, exportTar, fileSource, importTar, lazySource, manifestMediaType, parseChallenge, parseReferrersList, referrersTag, registryCredentialsFromEnv, verifyBlob, verifyManifest

// EXTERNAL MODULE: ./packages/common/lib/index.js + 10 modules
var lib = __webpack_require__(46787);
;// CONCATENATED MODULE: ./packages/oci/lib/types.js

/** The OCI media types (@karoo/common's, one definition) and Docker's that registries still serve. */
const types_MEDIA_TYPES = {
    ...lib/* OCI_MEDIA_TYPES */.vQ,
    dockerManifest: 'application/vnd.docker.distribution.manifest.v2+json',
    dockerManifestList: 'application/vnd.docker.distribution.manifest.list.v2+json',
};
/** Every manifest media type karoo asks a registry for (the `Accept` header of manifest requests). */
const MANIFEST_ACCEPT = [
    types_MEDIA_TYPES.imageManifest,
    types_MEDIA_TYPES.imageIndex,
    types_MEDIA_TYPES.dockerManifest,
    types_MEDIA_TYPES.dockerManifestList,
].join(', ');
const REF_NAME_ANNOTATION = lib/* OCI_ANNOTATIONS */.rs.refName;
//# sourceMappingURL=types.js.map
// EXTERNAL MODULE: external "node:crypto"
var external_node_crypto_ = __webpack_require__(77598);
// EXTERNAL MODULE: external "node:fs"
var external_node_fs_ = __webpack_require__(73024);
// EXTERNAL MODULE: external "node:stream"
var external_node_stream_ = __webpack_require__(57075);
;// CONCATENATED MODULE: ./packages/oci/lib/util.js





/** A source reading a local file. */
function util_fileSource(path, verified = false) {
    return {
        path,
        verified,
        open: (range) => createReadStream(path, range ? { start: range.start, end: range.end - 1, highWaterMark: 1 << 20 } : { highWaterMark: 1 << 20 }),
    };
}
/** A source holding its bytes in memory (small blobs: configs, lock files, manifests). */
function bufferSource(bytes) {
    const buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    return { open: (range) => external_node_stream_.Readable.from(range ? [buf.subarray(range.start, range.end)] : [buf], { objectMode: false }) };
}
/** A pass-through stream that hashes and counts what flows through it. */
class util_Hasher extends external_node_stream_.Transform {
    limit;
    hash = (0,external_node_crypto_.createHash)('sha256');
    bytes = 0;
    constructor(limit = Number.POSITIVE_INFINITY) {
        super();
        this.limit = limit;
    }
    _transform(chunk, _enc, cb) {
        this.bytes += chunk.length;
        if (this.bytes > this.limit) {
            cb(new util_SizeExceededError(this.limit));
            return;
        }
        this.hash.update(chunk);
        cb(null, chunk);
    }
    result;
    digest() {
        this.result ??= `sha256:${this.hash.digest('hex')}`;
        return this.result;
    }
}
/** Passes on only the bytes [start, end) of what flows through it. */
class ByteSlice extends external_node_stream_.Transform {
    range;
    pos = 0;
    constructor(range) {
        super();
        this.range = range;
    }
    _transform(chunk, _enc, cb) {
        const from = Math.max(this.range.start - this.pos, 0);
        const to = Math.min(this.range.end - this.pos, chunk.length);
        this.pos += chunk.length;
        cb(null, from < to ? chunk.subarray(from, to) : undefined);
    }
}
class util_SizeExceededError extends Error {
    limit;
    name = 'SizeExceededError';
    constructor(limit) {
        super(`more than ${limit} bytes`);
        this.limit = limit;
    }
}
function blobMismatch(what, expected, actual) {
    return new lib/* KarooError */.xD('integrity', `${what}: expected ${expected.digest} (${expected.size} bytes), got ${actual.digest} (${actual.size} bytes)`, { detail: { expected, actual } });
}
/** Stored JSON that must be an object; anything else (not JSON, a list, null) is an integrity error saying `notObject`. */
function jsonObject(bytes, notObject) {
    let v;
    try {
        v = JSON.parse(Buffer.from(bytes).toString('utf8'));
    }
    catch {
        v = undefined;
    }
    if (!v || typeof v !== 'object' || Array.isArray(v))
        throw new lib/* KarooError */.xD('integrity', notObject);
    return v;
}
/**
 * Reads a manifest or an index and checks every descriptor in it (config, layers, manifests,
 * subject) with checkDescriptor: digests `sha256:` + 64 lowercase hex, sizes safe non-negative
 * integers, media types strings. What comes back holds only checked fields, so no digest from
 * stored JSON reaches a path or a URL unchecked. Anything malformed is an integrity error.
 */
function util_parseManifestInfo(bytes, what) {
    const o = jsonObject(bytes, `${what} is not a JSON manifest`);
    const bad = (0,lib/* malformedManifest */.lR)(what);
    if (o.mediaType !== undefined && typeof o.mediaType !== 'string')
        bad('mediaType is not a string');
    if (o.artifactType !== undefined && typeof o.artifactType !== 'string')
        bad('artifactType is not a string');
    const list = (field) => {
        const l = o[field];
        if (l === undefined)
            return undefined;
        if (!Array.isArray(l))
            return bad(`${field} is not a list`);
        return l.map((d, i) => (0,lib/* checkDescriptor */.YW)(d, `${what}: ${field}[${i}]`));
    };
    const annotations = (0,lib/* checkAnnotations */.LO)(o.annotations, bad);
    const layers = list('layers');
    const manifests = list('manifests');
    return {
        ...(o.mediaType !== undefined ? { mediaType: o.mediaType } : {}),
        ...(o.artifactType !== undefined ? { artifactType: o.artifactType } : {}),
        ...(o.config !== undefined ? { config: (0,lib/* checkDescriptor */.YW)(o.config, `${what}: config`) } : {}),
        ...(layers ? { layers } : {}),
        ...(manifests ? { manifests } : {}),
        ...(o.subject !== undefined ? { subject: (0,lib/* checkDescriptor */.YW)(o.subject, `${what}: subject`) } : {}),
        ...(annotations ? { annotations } : {}),
    };
}
/** Only `mediaType` and `artifactType` of a manifest or index (each a string or absent): what a store reports about it. */
function manifestTypes(bytes, what) {
    const o = jsonObject(bytes, `${what} is not a JSON manifest`);
    for (const k of ['mediaType', 'artifactType']) {
        if (o[k] !== undefined && typeof o[k] !== 'string')
            (0,lib/* malformedManifest */.lR)(what)(`${k} is not a string`);
    }
    return {
        ...(typeof o.mediaType === 'string' ? { mediaType: o.mediaType } : {}),
        ...(typeof o.artifactType === 'string' ? { artifactType: o.artifactType } : {}),
    };
}
/**
 * The descriptors of a referrers list (the referrers API's answer or the `sha256-<hex>` fallback
 * index): every entry checked on its own; a malformed one is passed to `onInvalid` and left
 * out, so one bad push cannot hide a subject's other referrers.
 */
function parseReferrersList(bytes, what, onInvalid = () => undefined) {
    const list = jsonObject(bytes, `${what} is not a JSON image index`).manifests;
    if (list === undefined || list === null)
        return [];
    if (!Array.isArray(list))
        throw new lib/* KarooError */.xD('integrity', `${what}: manifests is not a list`);
    const out = [];
    list.forEach((d, i) => {
        try {
            out.push((0,lib/* checkDescriptor */.YW)(d, `${what}: manifests[${i}]`));
        }
        catch (e) {
            onInvalid(e.message);
        }
    });
    return out;
}
/** The media type of a manifest: its own `mediaType`, else guessed from its shape. */
function util_manifestMediaType(info) {
    if (info.mediaType)
        return info.mediaType;
    return info.manifests ? types_MEDIA_TYPES.imageIndex : types_MEDIA_TYPES.imageManifest;
}
/** The blobs a manifest references (config and layers), in manifest order. */
function util_blobsOf(info) {
    return [...(info.config ? [info.config] : []), ...(info.layers ?? [])];
}
/** The descriptor a referrers list holds for a manifest (distribution-spec: artifactType and annotations copied). */
function util_referrerDescriptor(info, digest, size) {
    return {
        mediaType: util_manifestMediaType(info),
        digest,
        size,
        artifactType: info.artifactType ?? info.config?.mediaType,
        annotations: info.annotations && Object.keys(info.annotations).length > 0 ? info.annotations : undefined,
    };
}
/** Tag of the referrers fallback index (distribution-spec "referrers tag schema"): `sha256-<hex>`. */
function referrersTag(subject) {
    return `sha256-${(0,lib/* hexOf */.ZD)(subject)}`;
}
function isDigestRef(reference) {
    return /^sha256:[0-9a-f]{64}$/.test(reference);
}
const TAG_RE = /^[A-Za-z0-9_][A-Za-z0-9._-]{0,127}$/;
function checkTag(tag) {
    if (!TAG_RE.test(tag))
        throw new lib/* KarooError */.xD('input', `tag "${tag}" is not a valid OCI tag (letters, digits, _ . -, at most 128, not starting with . or -)`);
    return tag;
}
function checkReference(reference) {
    if (reference.startsWith('sha256:'))
        return (0,lib/* parseDigest */.m)(reference);
    return checkTag(reference);
}
function sleep(ms) {
    return new Promise((r) => setTimeout(r, ms));
}
/** Reads a whole (small) stream into memory, refusing more than `limit` bytes. */
async function readAll(stream, limit, what) {
    const parts = [];
    let n = 0;
    for await (const c of stream) {
        const b = c;
        n += b.length;
        if (n > limit)
            throw new lib/* KarooError */.xD('integrity', `${what} is larger than ${limit} bytes`);
        parts.push(b);
    }
    return Buffer.concat(parts);
}
//# sourceMappingURL=util.js.map
// EXTERNAL MODULE: ./packages/transport/lib/index.js + 2 modules
var transport_lib = __webpack_require__(69794);
;// CONCATENATED MODULE: ./packages/oci/lib/http.js

// The registry client's HTTP goes through @karoo/transport (one client, one retry policy).

/** True for a registry (`host[:port]`) that may be reached over plain HTTP: a loopback host (@karoo/common's one test). */
function isLoopbackRegistry(registry) {
    try {
        return (0,lib/* isLoopbackHost */.cW)(new URL(`http://${registry}`).hostname);
    }
    catch {
        return false;
    }
}
//# sourceMappingURL=http.js.map
;// CONCATENATED MODULE: ./packages/oci/lib/auth.js



/** Parses a `WWW-Authenticate` header: `Bearer realm="…",service="…",scope="…"` or `Basic realm="…"`. */
function parseChallenge(value) {
    if (!value)
        return undefined;
    const m = /^\s*(\w+)\s*(.*)$/s.exec(value);
    if (!m)
        return undefined;
    const scheme = m[1].toLowerCase();
    if (scheme !== 'basic' && scheme !== 'bearer')
        return undefined;
    const params = {};
    for (const p of m[2].matchAll(/(\w+)\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^\s,]+))/g))
        params[p[1].toLowerCase()] = (p[2] ?? p[3] ?? '').replace(/\\(.)/g, '$1');
    return { scheme, realm: params.realm, service: params.service, scope: params.scope };
}
/**
 * Registry authentication: anonymous until the registry asks; then HTTP basic, or the bearer
 * token flow (distribution token spec, as GHCR and Docker Hub use): GET the challenge's realm
 * with service and scope, with basic credentials when we have some, and send the token.
 * Tokens are cached per set of scopes.
 */
class RegistryAuth {
    host;
    credentials;
    transport;
    challenge;
    tokens = new Map();
    constructor(host, credentials, transport = transport_lib/* transport */.et) {
        this.host = host;
        this.credentials = credentials;
        this.transport = transport;
    }
    /** The Authorization header for a request needing these scopes, if the registry asked for one. */
    async header(scopes) {
        const c = this.challenge;
        if (!c)
            return undefined;
        if (c.scheme === 'basic')
            return this.credentials ? (0,lib/* basicAuthHeader */.mn)(this.credentials) : undefined;
        const key = scopeKey(scopes);
        // Concurrent requests share one token request.
        let token = this.tokens.get(key);
        if (!token) {
            token = this.fetchToken(scopes);
            this.tokens.set(key, token);
            token.catch(() => this.tokens.delete(key));
        }
        return `Bearer ${await token}`;
    }
    /**
     * Called on a 401. Records the challenge and returns true when retrying with new
     * credentials can help; throws when the registry needs credentials we do not have.
     */
    async unauthorized(res, scopes, hadAuth) {
        await (0,transport_lib/* drain */.Ze)(res);
        const c = parseChallenge((0,transport_lib/* header */.wx)(res, 'www-authenticate'));
        if (!c)
            throw new lib/* KarooError */.xD('input', `registry ${this.host} answered 401 without a usable WWW-Authenticate challenge`);
        const key = scopeKey(scopes);
        if (hadAuth) {
            if (c.scheme === 'basic' || !this.tokens.has(key))
                throw this.refused();
            // A cached token may have expired or lack a scope: fetch one more, then give up.
            this.tokens.delete(key);
        }
        if (c.scheme === 'basic' && !this.credentials)
            throw this.needCredentials();
        if (c.scheme === 'bearer' && c.realm) {
            const realm = new URL(c.realm);
            if (realm.protocol !== 'https:' && !(realm.protocol === 'http:' && (0,lib/* isLoopbackHost */.cW)(realm.hostname))) {
                throw new lib/* KarooError */.xD('input', `registry ${this.host} sends tokens from ${c.realm}; karoo fetches tokens over https only (plain http only on loopback)`);
            }
        }
        this.challenge = c;
        if (c.scheme === 'bearer' && c.scope)
            this.extraScopes.set(key, c.scope);
    }
    extraScopes = new Map();
    async fetchToken(scopes) {
        const c = this.challenge;
        if (!c.realm)
            throw new lib/* KarooError */.xD('input', `registry ${this.host} asked for a bearer token without a realm`);
        const url = new URL(c.realm);
        if (c.service)
            url.searchParams.set('service', c.service);
        const all = new Set(scopes);
        const extra = this.extraScopes.get(scopeKey(scopes));
        if (extra)
            for (const s of extra.split(' '))
                all.add(s);
        for (const s of [...all].sort())
            url.searchParams.append('scope', s);
        const headers = { accept: 'application/json' };
        if (this.credentials)
            headers.authorization = (0,lib/* basicAuthHeader */.mn)(this.credentials);
        let res;
        try {
            res = await this.transport.request({ method: 'GET', url, headers, what: `token endpoint ${url.origin}${url.pathname} of registry ${this.host}` });
        }
        catch (e) {
            throw new lib/* KarooError */.xD('unavailable', `token endpoint ${url.origin}${url.pathname} of registry ${this.host} cannot be reached (${(0,lib/* errorMessage */.gJ)(e)})`, { cause: e });
        }
        if (res.status === 401 || res.status === 403) {
            await (0,transport_lib/* drain */.Ze)(res);
            throw this.credentials ? this.refused() : this.needCredentials();
        }
        if (res.status !== 200) {
            await (0,transport_lib/* drain */.Ze)(res);
            throw new lib/* KarooError */.xD(res.status >= 500 || res.status === 429 ? 'unavailable' : 'input', `token endpoint ${url.origin}${url.pathname} of registry ${this.host} answered ${res.status}`);
        }
        const body = JSON.parse((await (0,transport_lib/* readBody */.x8)(res, 1 << 20)).toString('utf8'));
        const token = body.token ?? body.access_token;
        if (!token)
            throw new lib/* KarooError */.xD('unavailable', `token endpoint of registry ${this.host} answered without a token`);
        return token;
    }
    refused() {
        return new lib/* KarooError */.xD('input', `registry ${this.host} refused the credentials${this.credentials ? ` of user "${this.credentials.username}"` : ''}; check the user name and token (for ghcr.io: GITHUB_TOKEN with packages: write)`);
    }
    needCredentials() {
        return new lib/* KarooError */.xD('input', `registry ${this.host} requires credentials; set KAROO_REGISTRY_USERNAME and KAROO_REGISTRY_PASSWORD (or GITHUB_TOKEN for ghcr.io), or the action's registry-username/registry-password inputs`);
    }
}
function scopeKey(scopes) {
    return [...scopes].sort().join(' ');
}
//# sourceMappingURL=auth.js.map
// EXTERNAL MODULE: external "node:fs/promises"
var promises_ = __webpack_require__(51455);
// EXTERNAL MODULE: external "node:path"
var external_node_path_ = __webpack_require__(76760);
// EXTERNAL MODULE: external "node:stream/promises"
var external_node_stream_promises_ = __webpack_require__(46466);
;// CONCATENATED MODULE: ./packages/oci/lib/layout.js









const LAYOUT_VERSION = (0,lib/* canonicalJson */.dj)({ imageLayoutVersion: '1.0.0' });
/**
 * An OCI image layout directory (image-spec image-layout.md): `oci-layout`, `index.json`,
 * `blobs/sha256/<hex>`. Blobs are written to a temp file, checked, then renamed into place;
 * `index.json` is rewritten atomically under a lock file, so concurrent builds into the same
 * directory are safe. Tags are `org.opencontainers.image.ref.name` annotations; every stored
 * manifest (candidates and their referrers) is listed in `index.json`.
 */
class layout_LayoutStore {
    kind = 'oci-layout';
    ref;
    path;
    constructor(path) {
        this.path = (0,external_node_path_.resolve)(path);
        this.ref = `oci-layout:${path}`;
    }
    refFor(digest) {
        return `oci-layout:${this.path}@${digest}`;
    }
    /** Where a blob lives: `blobs/sha256/<hex>`; anything but a valid digest is refused (never a path outside the layout). */
    blobPath(digest) {
        return (0,external_node_path_.join)(this.path, 'blobs', 'sha256', (0,lib/* blobFileName */.Vz)(digest));
    }
    /** A directory inside the layout for files on their way into it (same file system, so renames and links work). */
    async stagingDir() {
        const dir = (0,external_node_path_.join)(this.path, '.karoo-tmp', (0,external_node_crypto_.randomBytes)(6).toString('hex'));
        await (0,promises_.mkdir)(dir, { recursive: true });
        return dir;
    }
    async init() {
        await (0,promises_.mkdir)((0,external_node_path_.join)(this.path, 'blobs', 'sha256'), { recursive: true });
        if (!(await exists((0,external_node_path_.join)(this.path, 'oci-layout'))))
            await (0,lib/* writeFileAtomic */.Zf)((0,external_node_path_.join)(this.path, 'oci-layout'), LAYOUT_VERSION);
        if (!(await exists((0,external_node_path_.join)(this.path, 'index.json'))))
            await (0,lib/* writeFileAtomic */.Zf)((0,external_node_path_.join)(this.path, 'index.json'), (0,lib/* canonicalJson */.dj)(emptyIndex()));
    }
    async hasBlob(digest) {
        return exists(this.blobPath(digest));
    }
    async putBlob(blob, source) {
        await this.init();
        const final = this.blobPath(blob.digest);
        const tmp = (0,external_node_path_.join)(this.path, 'blobs', 'sha256', `.${(0,lib/* blobFileName */.Vz)(blob.digest).slice(0, 16)}.${(0,external_node_crypto_.randomBytes)(6).toString('hex')}.tmp`);
        try {
            if (source.path && source.verified) {
                // Already checked while it was written: link it (no copy) when on the same file system.
                try {
                    const st = await (0,promises_.stat)(source.path);
                    if (st.size !== blob.size)
                        throw blobMismatch(`blob ${blob.digest} at ${source.path}`, blob, { digest: '(not read)', size: st.size });
                    await (0,promises_.link)(source.path, tmp);
                    await (0,promises_.rename)(tmp, final);
                    return { bytes: blob.size, how: 'linked' };
                }
                catch (e) {
                    if (e.kind === 'integrity')
                        throw e;
                    await (0,promises_.rm)(tmp, { force: true });
                }
            }
            const hasher = new util_Hasher(blob.size);
            try {
                await (0,external_node_stream_promises_.pipeline)(source.open(), hasher, (0,external_node_fs_.createWriteStream)(tmp, { flags: 'wx' }));
            }
            catch (e) {
                if (e instanceof util_SizeExceededError)
                    throw blobMismatch(`blob ${blob.digest}`, blob, { digest: '(not read)', size: `more than ${blob.size}` });
                throw e;
            }
            const digest = hasher.digest();
            if (digest !== blob.digest || hasher.bytes !== blob.size)
                throw blobMismatch(`blob ${blob.digest}`, blob, { digest, size: hasher.bytes });
            await (0,promises_.rename)(tmp, final);
            return { bytes: blob.size, how: 'copied' };
        }
        finally {
            await (0,promises_.rm)(tmp, { force: true });
        }
    }
    async getBlob(digest, range) {
        const p = this.blobPath(digest);
        if (!(await exists(p)))
            throw new lib/* KarooError */.xD('integrity', `blob ${digest} is missing from ${this.ref}`, { detail: { digest, missing: true } });
        return (0,external_node_fs_.createReadStream)(p, range ? { start: range.start, end: range.end - 1, highWaterMark: 1 << 20 } : { highWaterMark: 1 << 20 });
    }
    async mountBlob() {
        return false;
    }
    async hasManifest(reference) {
        checkReference(reference);
        const index = await this.readIndex();
        if (isDigestRef(reference))
            return index.manifests.find((d) => d.digest === reference);
        return index.manifests.find((d) => d.annotations?.[REF_NAME_ANNOTATION] === reference);
    }
    async getManifest(reference) {
        const d = await this.hasManifest(reference);
        if (!d)
            throw new lib/* KarooError */.xD('input', `manifest ${reference} is not in ${this.ref}`, { detail: { reference, notFound: true } });
        const p = this.blobPath(d.digest);
        let bytes;
        try {
            bytes = await (0,promises_.readFile)(p);
        }
        catch {
            throw new lib/* KarooError */.xD('integrity', `manifest ${d.digest} is listed in ${(0,external_node_path_.join)(this.path, 'index.json')} but its blob is missing`);
        }
        const actual = (0,lib/* sha256Of */.Bj)(bytes);
        if (actual !== d.digest || bytes.length !== d.size)
            throw blobMismatch(`manifest ${d.digest} in ${this.ref}`, d, { digest: actual, size: bytes.length });
        const { annotations, ...rest } = d;
        const kept = annotations ? Object.fromEntries(Object.entries(annotations).filter(([k]) => k !== REF_NAME_ANNOTATION)) : {};
        return { descriptor: { ...rest, ...(Object.keys(kept).length ? { annotations: kept } : {}) }, bytes };
    }
    async putManifest(bytes, mediaType, options = {}) {
        if (options.tag !== undefined)
            checkTag(options.tag);
        const digest = (0,lib/* sha256Of */.Bj)(bytes);
        const info = util_parseManifestInfo(bytes, `manifest ${digest}`);
        await this.init();
        for (const b of [...(info.config ? [info.config] : []), ...(info.layers ?? []), ...(info.manifests ?? [])]) {
            if (!(await this.hasBlob(b.digest))) {
                throw new lib/* KarooError */.xD('integrity', `manifest ${digest} references ${b.digest}, which is not in ${this.ref}; push blobs before the manifest`);
            }
        }
        await this.putBlob({ digest, size: bytes.length }, { open: () => bufferReadable(bytes) });
        const entry = {
            mediaType,
            digest,
            size: bytes.length,
            ...(info.artifactType ? { artifactType: info.artifactType } : {}),
            ...(options.tag !== undefined ? { annotations: { [REF_NAME_ANNOTATION]: options.tag } } : {}),
        };
        await this.updateIndex((manifests) => {
            const tag = options.tag;
            let list = manifests;
            if (tag !== undefined)
                list = list.filter((d) => d.annotations?.[REF_NAME_ANNOTATION] !== tag);
            else if (list.some((d) => d.digest === digest))
                return list;
            return [...list, entry];
        });
        return { mediaType, digest, size: bytes.length, artifactType: entry.artifactType };
    }
    async listTags() {
        const index = await this.readIndex();
        return [...new Set(index.manifests.map((d) => d.annotations?.[REF_NAME_ANNOTATION]).filter((t) => !!t))].sort();
    }
    async referrers(subject, artifactType) {
        const index = await this.readIndex();
        const out = new Map();
        for (const d of index.manifests) {
            if (d.mediaType !== types_MEDIA_TYPES.imageManifest && d.mediaType !== types_MEDIA_TYPES.imageIndex)
                continue;
            if (out.has(d.digest))
                continue;
            let info;
            try {
                info = util_parseManifestInfo(await (0,promises_.readFile)(this.blobPath(d.digest)), `manifest ${d.digest} in ${this.ref}`);
            }
            catch {
                // Malformed: still listed when it names this subject (as a registry's referrers list would),
                // so readers report it as invalid; it must not hide the others, nor fail the listing.
                info = await this.looseReferrer(d.digest, subject);
                if (!info)
                    continue;
            }
            if (info.subject?.digest !== subject)
                continue;
            const r = util_referrerDescriptor({ ...info, mediaType: d.mediaType }, d.digest, d.size);
            if (artifactType === undefined || r.artifactType === artifactType)
                out.set(d.digest, r);
        }
        return [...out.values()].sort((a, b) => (a.digest < b.digest ? -1 : 1));
    }
    /** Only `artifactType` and whether `subject.digest` is the given digest, of a manifest that does not parse in full. */
    async looseReferrer(digest, subject) {
        try {
            const v = JSON.parse((await (0,promises_.readFile)(this.blobPath(digest))).toString('utf8'));
            if (v?.subject?.digest !== subject)
                return undefined;
            return { subject: { mediaType: types_MEDIA_TYPES.imageManifest, digest: subject, size: 0 }, ...(typeof v.artifactType === 'string' ? { artifactType: v.artifactType } : {}) };
        }
        catch {
            return undefined;
        }
    }
    /** Removes a staging directory (and the staging root when it is left empty). */
    async releaseStaging(dir) {
        await (0,promises_.rm)(dir, { recursive: true, force: true });
        await (0,promises_.rmdir)((0,external_node_path_.join)(this.path, '.karoo-tmp')).catch(() => undefined);
    }
    async readIndex() {
        let text;
        try {
            text = await (0,promises_.readFile)((0,external_node_path_.join)(this.path, 'index.json'), 'utf8');
        }
        catch (e) {
            if (e.code === 'ENOENT')
                return emptyIndex();
            throw e;
        }
        try {
            const v = JSON.parse(text);
            if (!Array.isArray(v.manifests))
                throw new Error('no manifests array');
            return { ...v, manifests: v.manifests.map((d, i) => (0,lib/* checkDescriptor */.YW)(d, `manifests[${i}]`)) };
        }
        catch (e) {
            throw new lib/* KarooError */.xD('integrity', `${(0,external_node_path_.join)(this.path, 'index.json')} is not an OCI image index (${e.message}); the layout is damaged`);
        }
    }
    async updateIndex(change) {
        const lockPath = (0,external_node_path_.join)(this.path, 'index.json.lock');
        const release = await acquire(lockPath);
        try {
            const index = await this.readIndex();
            const next = change(index.manifests);
            if (next === index.manifests)
                return;
            next.sort((a, b) => cmp(a.annotations?.[REF_NAME_ANNOTATION] ?? '', b.annotations?.[REF_NAME_ANNOTATION] ?? '') || cmp(a.digest, b.digest));
            await (0,lib/* writeFileAtomic */.Zf)((0,external_node_path_.join)(this.path, 'index.json'), (0,lib/* canonicalJson */.dj)({ ...emptyIndex(), manifests: next }));
        }
        finally {
            await release();
        }
    }
}
function emptyIndex() {
    return { schemaVersion: 2, mediaType: types_MEDIA_TYPES.imageIndex, manifests: [] };
}
function bufferReadable(bytes) {
    return external_node_stream_.Readable.from([Buffer.from(bytes)]);
}
async function exists(p) {
    try {
        await (0,promises_.stat)(p);
        return true;
    }
    catch {
        return false;
    }
}
/** A lock file taken with O_EXCL; a lock older than a minute is taken to be left by a crashed writer. */
async function acquire(lockPath) {
    const started = Date.now();
    for (let i = 0;; i++) {
        try {
            const fh = await (0,promises_.open)(lockPath, 'wx');
            await fh.close();
            return () => (0,promises_.rm)(lockPath, { force: true });
        }
        catch (e) {
            if (e.code !== 'EEXIST')
                throw e;
            try {
                const st = await (0,promises_.stat)(lockPath);
                if (Date.now() - st.mtimeMs > 60_000)
                    await (0,promises_.rm)(lockPath, { force: true });
            }
            catch {
                /* gone already */
            }
            if (Date.now() - started > 120_000)
                throw new lib/* KarooError */.xD('unavailable', `${lockPath} is held by another writer; remove it if no karoo process is running`);
            await sleep(Math.min(200, 5 * (i + 1)));
        }
    }
}
function cmp(a, b) {
    return a < b ? -1 : a > b ? 1 : 0;
}
//# sourceMappingURL=layout.js.map
;// CONCATENATED MODULE: ./packages/oci/lib/registry.js







const MAX_MANIFEST = 4 << 20;
/**
 * A store in an OCI registry, over the distribution API (opencontainers/distribution-spec):
 * HEAD/GET/PUT of blobs and manifests (manifests always with an OCI `Accept` header),
 * monolithic (POST + PUT) and chunked (POST + PATCH… + PUT) uploads, cross-repository
 * mount, tag listing, and referrers through the referrers API or the `sha256-<hex>` tag
 * fallback for registries without it. Requests go through @karoo/transport (its one retry
 * policy; an upload that breaks is resumed or started over under the same policy); blobs are
 * streamed, never held whole in memory.
 */
class RegistryStore {
    kind = 'registry';
    ref;
    registry;
    repository;
    base;
    auth;
    transport;
    chunkThreshold;
    chunkSize;
    progress;
    /** Undefined until known: does the registry answer the referrers API? */
    referrersApi;
    constructor(options) {
        this.registry = options.registry;
        this.repository = options.repository;
        this.ref = `${options.registry}/${options.repository}`;
        this.base = new URL(`${options.scheme}://${options.registry}`);
        this.chunkThreshold = options.chunkThreshold ?? 256 << 20;
        this.chunkSize = options.chunkSize ?? 64 << 20;
        this.progress = options.progress ?? lib/* silentProgress */.RZ;
        this.transport = new transport_lib/* Transport */.oK({ retry: options.retry, onRetry: (m) => this.progress.warn(m) });
        this.auth = new RegistryAuth(options.registry, options.credentials, this.transport);
    }
    refFor(digest) {
        return `${this.ref}@${digest}`;
    }
    get pull() {
        return [`repository:${this.repository}:pull`];
    }
    get push() {
        return [`repository:${this.repository}:pull,push`];
    }
    path(rest) {
        return `/v2/${this.repository}/${rest}`;
    }
    async hasBlob(digest) {
        (0,lib/* blobFileName */.Vz)(digest); // a URL path is built from it: refuse anything but sha256:<64 hex>
        const res = await this.call({ method: 'HEAD', target: this.path(`blobs/${digest}`), scopes: this.pull });
        await (0,transport_lib/* drain */.Ze)(res);
        if (res.status === 200)
            return true;
        if (res.status === 404)
            return false;
        throw await this.failure(res, `HEAD blob ${digest}`);
    }
    async getBlob(digest, range) {
        (0,lib/* blobFileName */.Vz)(digest);
        const headers = {};
        if (range)
            headers.range = `bytes=${range.start}-${range.end - 1}`;
        const res = await this.call({ method: 'GET', target: this.path(`blobs/${digest}`), headers, scopes: this.pull });
        if (range && res.status === 200)
            return res.body.pipe(new ByteSlice(range)); // the server ignored Range
        if (res.status === 200 || (range && res.status === 206))
            return res.body;
        if (res.status === 404) {
            await (0,transport_lib/* drain */.Ze)(res);
            throw new lib/* KarooError */.xD('integrity', `blob ${digest} is missing from ${this.ref}`, { detail: { digest, missing: true } });
        }
        throw await this.failure(res, `GET blob ${digest}`);
    }
    async mountBlob(blob, fromRepository) {
        if (fromRepository === this.repository)
            return false;
        const q = new URLSearchParams({ mount: blob.digest, from: fromRepository });
        const res = await this.call({
            method: 'POST',
            target: `${this.path('blobs/uploads/')}?${q}`,
            headers: { 'content-length': '0' },
            scopes: [...this.push, `repository:${fromRepository}:pull`],
        });
        await (0,transport_lib/* drain */.Ze)(res);
        if (res.status === 201)
            return true;
        if (res.status === 202) {
            // The registry could not mount and opened an upload instead: cancel it.
            const loc = (0,transport_lib/* header */.wx)(res, 'location');
            if (loc)
                await this.call({ method: 'DELETE', target: new URL(loc, this.base), scopes: this.push }).then(transport_lib/* drain */.Ze, () => undefined);
            return false;
        }
        throw await this.failure(res, `mount ${blob.digest} from ${fromRepository}`);
    }
    async putBlob(blob, source) {
        (0,lib/* blobFileName */.Vz)(blob.digest);
        const chunked = blob.size > this.chunkThreshold;
        if (chunked)
            await this.uploadChunked(blob, source);
        // A broken upload body cannot be replayed in place: the whole upload starts over.
        else
            await this.transport.run(() => this.uploadMonolithic(blob, source));
        return { bytes: blob.size, how: chunked ? 'chunked' : 'uploaded' };
    }
    async startUpload() {
        const res = await this.call({ method: 'POST', target: this.path('blobs/uploads/'), headers: { 'content-length': '0' }, scopes: this.push });
        await (0,transport_lib/* drain */.Ze)(res);
        if (res.status !== 202)
            throw await this.failure(res, 'start blob upload');
        const loc = (0,transport_lib/* header */.wx)(res, 'location');
        if (!loc)
            throw new lib/* KarooError */.xD('unavailable', `registry ${this.registry} opened an upload without a Location header`);
        return new URL(loc, this.base);
    }
    async uploadMonolithic(blob, source) {
        const url = await this.startUpload();
        url.searchParams.set('digest', blob.digest);
        const res = await this.call({
            method: 'PUT',
            target: url,
            headers: { 'content-type': 'application/octet-stream', 'content-length': String(blob.size) },
            body: () => source.open(),
            scopes: this.push,
            retry: false,
        });
        await (0,transport_lib/* drain */.Ze)(res);
        if (res.status !== 201)
            throw await this.failure(res, `upload blob ${blob.digest}`);
    }
    /** POST, PATCH per chunk, PUT; an attempt after a break resumes where the registry says the upload stands. */
    async uploadChunked(blob, source) {
        let url;
        let offset = 0;
        await this.transport.run(async () => {
            const resumed = url && (await this.uploadStatus(url).catch(() => undefined));
            if (resumed)
                ({ url, offset } = resumed);
            else
                ({ url, offset } = { url: await this.startUpload(), offset: 0 });
            while (offset < blob.size) {
                const end = Math.min(offset + this.chunkSize, blob.size);
                const res = await this.call({
                    method: 'PATCH',
                    target: url,
                    headers: { 'content-type': 'application/octet-stream', 'content-length': String(end - offset), 'content-range': `${offset}-${end - 1}` },
                    body: () => source.open({ start: offset, end }),
                    scopes: this.push,
                    retry: false,
                });
                await (0,transport_lib/* drain */.Ze)(res);
                if (res.status !== 202)
                    throw await this.failure(res, `upload chunk ${offset}-${end - 1} of ${blob.digest}`);
                url = new URL((0,transport_lib/* header */.wx)(res, 'location') ?? url.href, this.base);
                offset = end;
            }
            const done = new URL(url.href);
            done.searchParams.set('digest', blob.digest);
            const res = await this.call({ method: 'PUT', target: done, headers: { 'content-length': '0' }, scopes: this.push, retry: false });
            await (0,transport_lib/* drain */.Ze)(res);
            if (res.status !== 201)
                throw await this.failure(res, `finish upload of ${blob.digest}`);
        });
    }
    /** Where an interrupted upload stands (GET on its location: `Range: 0-<last>`); undefined when it cannot be resumed. */
    async uploadStatus(url) {
        const res = await this.call({ method: 'GET', target: url, scopes: this.push });
        await (0,transport_lib/* drain */.Ze)(res);
        if (res.status !== 204)
            return undefined;
        const m = /^(?:bytes=)?0-(\d+)$/.exec((0,transport_lib/* header */.wx)(res, 'range') ?? '');
        // "0-0" cannot tell 0 bytes from 1: start again rather than guess.
        if (!m || m[1] === '0')
            return undefined;
        return { url: new URL((0,transport_lib/* header */.wx)(res, 'location') ?? url.href, this.base), offset: Number(m[1]) + 1 };
    }
    async hasManifest(reference) {
        checkReference(reference);
        const res = await this.call({ method: 'HEAD', target: this.path(`manifests/${reference}`), headers: { accept: MANIFEST_ACCEPT }, scopes: this.pull });
        await (0,transport_lib/* drain */.Ze)(res);
        if (res.status === 404)
            return undefined;
        if (res.status !== 200)
            throw await this.failure(res, `HEAD manifest ${reference}`);
        const claimed = (0,transport_lib/* header */.wx)(res, 'docker-content-digest') ?? (isDigestRef(reference) ? reference : undefined);
        // A registry's header is not trusted to be a digest: anything else is read and hashed instead.
        const digest = (0,lib/* isDigest */.Bc)(claimed) ? claimed : undefined;
        if (!digest)
            return (await this.getManifest(reference)).descriptor;
        return { mediaType: ((0,transport_lib/* header */.wx)(res, 'content-type') ?? types_MEDIA_TYPES.imageManifest).split(';')[0].trim(), digest, size: Number((0,transport_lib/* header */.wx)(res, 'content-length') ?? 0) };
    }
    async getManifest(reference) {
        checkReference(reference);
        const res = await this.call({ method: 'GET', target: this.path(`manifests/${reference}`), headers: { accept: MANIFEST_ACCEPT }, scopes: this.pull });
        if (res.status === 404) {
            await (0,transport_lib/* drain */.Ze)(res);
            throw new lib/* KarooError */.xD('input', `manifest ${reference} is not in ${this.ref}`, { detail: { reference, notFound: true } });
        }
        if (res.status !== 200)
            throw await this.failure(res, `GET manifest ${reference}`);
        const bytes = await (0,transport_lib/* readBody */.x8)(res, MAX_MANIFEST);
        const digest = (0,lib/* sha256Of */.Bj)(bytes);
        if (isDigestRef(reference) && digest !== reference) {
            throw new lib/* KarooError */.xD('integrity', `registry ${this.registry} returned manifest bytes with digest ${digest} for ${reference}`);
        }
        // Only the type fields are read here; callers parse (and check) the descriptors they use.
        const info = manifestTypes(bytes, `manifest ${reference} in ${this.ref}`);
        const mediaType = info.mediaType ?? ((0,transport_lib/* header */.wx)(res, 'content-type') ?? types_MEDIA_TYPES.imageManifest).split(';')[0].trim();
        return { descriptor: { mediaType, digest, size: bytes.length, ...(info.artifactType ? { artifactType: info.artifactType } : {}) }, bytes };
    }
    async putManifest(bytes, mediaType, options = {}) {
        if (options.tag !== undefined)
            checkTag(options.tag);
        const digest = (0,lib/* sha256Of */.Bj)(bytes);
        const info = util_parseManifestInfo(bytes, `manifest ${digest}`);
        const res = await this.call({
            method: 'PUT',
            target: this.path(`manifests/${options.tag ?? digest}`),
            headers: { 'content-type': mediaType },
            body: () => bytes,
            scopes: this.push,
        });
        await (0,transport_lib/* drain */.Ze)(res);
        if (res.status !== 201)
            throw await this.failure(res, `PUT manifest ${options.tag ?? digest}`);
        const stored = (0,transport_lib/* header */.wx)(res, 'docker-content-digest');
        if (stored && stored !== digest)
            throw new lib/* KarooError */.xD('integrity', `registry ${this.registry} stored manifest ${digest} as ${stored}`);
        if (info.subject) {
            if ((0,transport_lib/* header */.wx)(res, 'oci-subject'))
                this.referrersApi = true;
            else
                await this.addToReferrersIndex(info.subject.digest, util_referrerDescriptor({ ...info, mediaType }, digest, bytes.length));
        }
        return { mediaType, digest, size: bytes.length, ...(info.artifactType ? { artifactType: info.artifactType } : {}) };
    }
    /** The referrers tag schema: an image index under tag `sha256-<hex>` listing the subject's referrers. */
    async addToReferrersIndex(subject, entry) {
        const tag = referrersTag(subject);
        const current = await this.readReferrersIndex(tag);
        if (current.some((d) => d.digest === entry.digest))
            return;
        const manifests = [...current, entry].sort((a, b) => (a.digest < b.digest ? -1 : 1));
        const index = (0,lib/* canonicalJson */.dj)({ schemaVersion: 2, mediaType: types_MEDIA_TYPES.imageIndex, manifests });
        await this.putManifest(Buffer.from(index), types_MEDIA_TYPES.imageIndex, { tag });
    }
    async readReferrersIndex(tag) {
        try {
            const m = await this.getManifest(tag);
            return parseReferrersList(m.bytes, `referrers index ${tag} in ${this.ref}`, (problem) => this.progress.warn(`${problem}; skipped`));
        }
        catch (e) {
            if (e.detail?.notFound)
                return [];
            throw e;
        }
    }
    async listTags() {
        const tags = [];
        let target = `${this.path('tags/list')}?n=1000`;
        for (let page = 0; page < 10_000; page++) {
            const res = await this.call({ method: 'GET', target, headers: { accept: 'application/json' }, scopes: this.pull });
            if (res.status === 404) {
                await (0,transport_lib/* drain */.Ze)(res);
                return tags;
            }
            if (res.status !== 200)
                throw await this.failure(res, 'list tags');
            const body = JSON.parse((await (0,transport_lib/* readBody */.x8)(res, 64 << 20)).toString('utf8'));
            tags.push(...(body.tags ?? []));
            const next = /<([^>]+)>\s*;\s*rel="?next"?/.exec((0,transport_lib/* header */.wx)(res, 'link') ?? '');
            if (!next)
                break;
            target = new URL(next[1], this.base);
        }
        return [...new Set(tags)].sort();
    }
    async referrers(subject, artifactType) {
        (0,lib/* blobFileName */.Vz)(subject);
        let list;
        if (this.referrersApi !== false) {
            const q = artifactType ? `?${new URLSearchParams({ artifactType })}` : '';
            const res = await this.call({ method: 'GET', target: `${this.path(`referrers/${subject}`)}${q}`, headers: { accept: types_MEDIA_TYPES.imageIndex }, scopes: this.pull });
            const type = ((0,transport_lib/* header */.wx)(res, 'content-type') ?? '').split(';')[0].trim();
            if (res.status === 200 && type === types_MEDIA_TYPES.imageIndex) {
                this.referrersApi = true;
                list = parseReferrersList(await (0,transport_lib/* readBody */.x8)(res, MAX_MANIFEST), `referrers of ${subject} in ${this.ref}`, (problem) => this.progress.warn(`${problem}; skipped`));
            }
            else {
                await (0,transport_lib/* drain */.Ze)(res);
                if (res.status >= 500)
                    throw await this.failure(res, `referrers of ${subject}`);
                this.referrersApi = false;
            }
        }
        list ??= await this.readReferrersIndex(referrersTag(subject));
        return list.filter((d) => artifactType === undefined || d.artifactType === artifactType).sort((a, b) => (a.digest < b.digest ? -1 : 1));
    }
    /**
     * One request with the registry's auth; redirects (GET/HEAD, the token never sent to another
     * origin) and retries are the transport's. A 401 records the registry's challenge and asks again.
     */
    async call(c) {
        const url = typeof c.target === 'string' ? new URL(c.target, this.base) : c.target;
        const sameHost = url.host === this.base.host;
        for (let authTries = 0;; authTries++) {
            const auth = sameHost ? await this.auth.header(c.scopes) : undefined;
            const res = await this.transport.request({
                method: c.method,
                url,
                headers: { ...c.headers, ...(auth ? { authorization: auth } : {}) },
                body: c.body,
                retry: c.retry ?? true,
                what: `${c.method} ${url.pathname} on ${this.registry}`,
            });
            if (res.status === 401 && sameHost && res.url.host === this.base.host && authTries < 2) {
                await this.auth.unauthorized(res, c.scopes, auth !== undefined);
                continue;
            }
            return res;
        }
    }
    async failure(res, what) {
        let detail = '';
        let codes = [];
        try {
            const text = (await (0,transport_lib/* readBody */.x8)(res, 64 << 10)).toString('utf8');
            try {
                const j = JSON.parse(text);
                codes = (j.errors ?? []).map((e) => e.code ?? '');
                detail = (j.errors ?? []).map((e) => [e.code, e.message].filter(Boolean).join(': ')).join('; ');
            }
            catch {
                detail = text.trim().split('\n')[0].slice(0, 200);
            }
        }
        catch {
            /* no body */
        }
        const integrity = codes.some((c) => c === 'DIGEST_INVALID' || c === 'SIZE_INVALID' || c === 'BLOB_UNKNOWN' || c === 'MANIFEST_BLOB_UNKNOWN');
        const kind = integrity ? 'integrity' : res.status === 401 || res.status === 403 || (res.status >= 400 && res.status < 500) ? 'input' : 'unavailable';
        const hint = res.status === 401 || res.status === 403 ? '; check the registry credentials and that they may push to this repository' : '';
        return new lib/* KarooError */.xD(kind, `registry ${this.registry}: ${what} in ${this.repository} failed with ${res.status}${detail ? ` (${detail})` : ''}${hint}`, {
            detail: { status: res.status, codes },
        });
    }
}
//# sourceMappingURL=registry.js.map
;// CONCATENATED MODULE: ./packages/oci/lib/ref.js




const REPO_COMPONENT = '[a-z0-9]+(?:(?:\\.|_|__|-+)[a-z0-9]+)*';
const REPO_RE = new RegExp(`^${REPO_COMPONENT}(?:/${REPO_COMPONENT})*$`);
const HOST_RE = /^(?:[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)*|\[[0-9a-fA-F:]+\])(?::\d{1,5})?$/;
/**
 * Parses a store reference: `oci-layout:PATH` (a directory) or `REGISTRY/REPOSITORY`
 * (e.g. `ghcr.io/owner/system`, `127.0.0.1:5000/acme/cam`).
 */
function parseStoreRef(ref) {
    const usage = 'use oci-layout:PATH or REGISTRY/REPOSITORY (e.g. ghcr.io/owner/system or 127.0.0.1:5000/acme/cam)';
    if (ref.startsWith('oci-layout:')) {
        const path = ref.slice('oci-layout:'.length);
        if (path === '')
            throw new lib/* KarooError */.xD('input', `store "${ref}" has no path; ${usage}`);
        return { kind: 'oci-layout', path };
    }
    const slash = ref.indexOf('/');
    const host = slash < 0 ? '' : ref.slice(0, slash);
    const repository = slash < 0 ? '' : ref.slice(slash + 1);
    if (/^[a-z]+:\/\//.test(ref))
        throw new lib/* KarooError */.xD('input', `store "${ref}" must not carry a URL scheme; ${usage}`);
    if (!host || !(host.includes('.') || host.includes(':') || host === 'localhost') || !HOST_RE.test(host)) {
        throw new lib/* KarooError */.xD('input', `store "${ref}" does not start with a registry host; ${usage}`);
    }
    if (!REPO_RE.test(repository)) {
        throw new lib/* KarooError */.xD('input', `store "${ref}": repository "${repository}" is not a valid OCI repository name (lowercase letters, digits, separators . _ - /; no tag or digest); ${usage}`);
    }
    return { kind: 'registry', registry: host, repository };
}
/**
 * Registry credentials from the environment: KAROO_REGISTRY_USERNAME + KAROO_REGISTRY_PASSWORD,
 * else GITHUB_TOKEN (user GITHUB_ACTOR) for ghcr.io.
 */
function registryCredentialsFromEnv(registry, env = process.env) {
    if (env.KAROO_REGISTRY_PASSWORD)
        return { username: env.KAROO_REGISTRY_USERNAME || 'karoo', password: env.KAROO_REGISTRY_PASSWORD };
    if (registry === 'ghcr.io' && env.GITHUB_TOKEN)
        return { username: env.GITHUB_ACTOR || 'x-access-token', password: env.GITHUB_TOKEN };
    return undefined;
}
/** Opens the store a reference names. Plain HTTP is used only for loopback registries. */
function openStore(ref, options = {}) {
    const r = parseStoreRef(ref);
    if (r.kind === 'oci-layout')
        return new layout_LayoutStore(r.path);
    return new RegistryStore({
        registry: r.registry,
        repository: r.repository,
        scheme: isLoopbackRegistry(r.registry) ? 'http' : 'https',
        credentials: options.credentials ?? registryCredentialsFromEnv(r.registry, options.env),
        progress: options.progress,
        retry: options.retry,
        chunkThreshold: options.chunkThreshold,
        chunkSize: options.chunkSize,
    });
}
//# sourceMappingURL=ref.js.map
;// CONCATENATED MODULE: ./packages/oci/lib/verify.js




/** What a descriptor is, for messages: `layer "numpy-1.26.4-….whl"`, `config`. */
function describeBlob(d, role) {
    const title = d.annotations?.[OCI_ANNOTATIONS.title];
    return `${role}${title ? ` "${title}"` : ''} ${d.digest}`;
}
/**
 * Re-reads every blob of a manifest and checks digest and size. Fails on the first bad blob,
 * naming it (integrity error). Manifests that are indexes are checked recursively.
 */
async function verify_verifyManifest(store, reference) {
    const digest = parseDigest(reference, 'candidate');
    const m = await store.getManifest(digest);
    const info = parseManifestInfo(m.bytes, `manifest ${digest}`);
    let bytes = m.bytes.length;
    let blobs = 0;
    for (const child of info.manifests ?? []) {
        const r = await verify_verifyManifest(store, child.digest);
        bytes += r.bytes;
        blobs += r.blobs;
    }
    const list = blobsOf(info);
    for (let i = 0; i < list.length; i++) {
        const d = list[i];
        const role = i === 0 && info.config ? 'config' : `layer ${info.config ? i : i + 1}`;
        await verifyBlob(store, d, `${describeBlob(d, role)} of ${digest}`);
        bytes += d.size;
        blobs++;
    }
    return { digest, mediaType: m.descriptor.mediaType, artifactType: info.artifactType, blobs, bytes };
}
/** Streams one blob from the store through sha256 and checks it against its descriptor. */
async function verifyBlob(store, d, what) {
    const hasher = new Hasher(d.size);
    try {
        await pipeline(await store.getBlob(d.digest), hasher, new Writable({ write: (_c, _e, cb) => cb() }));
    }
    catch (e) {
        if (e instanceof SizeExceededError) {
            throw new KarooError('integrity', `${what} is damaged: more than the expected ${d.size} bytes in ${store.ref}`, { detail: { digest: d.digest } });
        }
        if (isKarooError(e) && e.kind === 'integrity')
            throw new KarooError('integrity', `${what} is missing from ${store.ref}`, { detail: { digest: d.digest, missing: true } });
        throw e;
    }
    const actual = hasher.digest();
    if (actual !== d.digest || hasher.bytes !== d.size) {
        throw new KarooError('integrity', `${what} is damaged in ${store.ref}: it holds ${actual} (${hasher.bytes} bytes), expected ${d.digest} (${d.size} bytes)`, { detail: { digest: d.digest, expected: { digest: d.digest, size: d.size }, actual: { digest: actual, size: hasher.bytes } } });
    }
}
//# sourceMappingURL=verify.js.map
;// CONCATENATED MODULE: ./packages/oci/lib/copy.js




/** A source whose stream comes from an async open (a blob of another store). */
function lazySource(open) {
    return {
        open(range) {
            const out = new PassThrough({ highWaterMark: 1 << 20 });
            open(range).then((s) => {
                s.on('error', (e) => out.destroy(e));
                s.pipe(out);
            }, (e) => out.destroy(e));
            return out;
        },
    };
}
/** Copies a manifest, every blob it references (only those missing) and its referrers from one store to another. */
async function copy_copyArtifact(src, dst, digest, options = {}) {
    const progress = options.progress ?? silentProgress;
    const result = { manifests: [], uploadedBlobs: 0, uploadedBytes: 0, reusedBlobs: 0 };
    const seen = new Set();
    const visit = async (d) => {
        if (seen.has(d))
            return;
        seen.add(d);
        const m = await src.getManifest(d);
        const info = parseManifestInfo(m.bytes, `manifest ${d}`);
        if (!(await dst.hasManifest(d))) {
            for (const child of info.manifests ?? [])
                await visit(child.digest);
            for (const b of blobsOf(info)) {
                if (await dst.hasBlob(b.digest)) {
                    result.reusedBlobs++;
                    continue;
                }
                const source = src instanceof LayoutStore && options.sourceVerified
                    ? fileSource(src.blobPath(b.digest), true)
                    : lazySource((range) => src.getBlob(b.digest, range));
                const r = await dst.putBlob({ digest: b.digest, size: b.size }, source);
                result.uploadedBlobs++;
                result.uploadedBytes += r.bytes;
            }
            await dst.putManifest(m.bytes, manifestMediaType(info));
            result.uploadedBytes += m.bytes.length;
            progress.info(`copied ${d} to ${dst.ref}`);
        }
        result.manifests.push(d);
        if (options.referrers ?? true)
            for (const r of await src.referrers(d))
                await visit(r.digest);
    };
    await visit(digest);
    return result;
}
//# sourceMappingURL=copy.js.map
// EXTERNAL MODULE: ./node_modules/tar-stream/index.js
var tar_stream = __webpack_require__(56118);
;// CONCATENATED MODULE: ./packages/oci/lib/tar.js













/** Fixed header fields of every entry: no times, owners or host-dependent modes. */
const FIXED = { mtime: new Date(0), uid: 0, gid: 0, uname: '', gname: '' };
/**
 * Writes a manifest, its blobs and its referrers as an OCI image layout in a tar whose bytes
 * depend only on the content: entries sorted, mtime 0, uid/gid 0, modes 0644/0755, no pax
 * records. Every blob is checked while it is streamed; the tar appears only when complete.
 */
async function exportTar(store, reference, out, options = {}) {
    const progress = options.progress ?? silentProgress;
    const root = parseDigest(reference, 'candidate');
    const entries = new Map();
    const listed = [];
    const seen = new Set();
    const visit = async (digest, listedAs) => {
        if (seen.has(digest))
            return;
        seen.add(digest);
        const m = await store.getManifest(digest);
        const info = parseManifestInfo(m.bytes, `manifest ${digest}`);
        entries.set(blobFileName(digest), { digest, size: m.bytes.length, bytes: m.bytes, what: `manifest ${digest}` });
        if (listedAs === 'root') {
            listed.push({ mediaType: manifestMediaType(info), digest, size: m.bytes.length, ...(info.artifactType ? { artifactType: info.artifactType } : {}) });
        }
        else if (listedAs === 'referrer')
            listed.push(referrerDescriptor(info, digest, m.bytes.length));
        for (const c of info.manifests ?? [])
            await visit(c.digest, 'child');
        for (const b of blobsOf(info)) {
            const title = b.annotations?.[OCI_ANNOTATIONS.title];
            entries.set(blobFileName(b.digest), { digest: b.digest, size: b.size, what: `blob ${b.digest}${title ? ` ("${title}")` : ''} of ${digest}` });
        }
        for (const r of await store.referrers(digest))
            await visit(r.digest, 'referrer');
    };
    await visit(root, 'root');
    const [first, ...rest] = listed;
    const index = canonicalJson({
        schemaVersion: 2,
        mediaType: MEDIA_TYPES.imageIndex,
        manifests: [first, ...rest.sort((a, b) => (a.digest < b.digest ? -1 : 1))],
    });
    const abs = resolve(out);
    await mkdir(dirname(abs), { recursive: true });
    const tmp = join(dirname(abs), `.${randomBytes(6).toString('hex')}.tar.tmp`);
    const pack = tarPack();
    const written = pipeline(pack, createWriteStream(tmp));
    let bytes = 0;
    try {
        const add = (header, body) => new Promise((res, rej) => {
            const cb = (e) => (e ? rej(e) : res());
            if (body === undefined)
                pack.entry({ ...FIXED, ...header }, cb);
            else
                pack.entry({ ...FIXED, ...header }, body, cb);
        });
        await add({ name: 'blobs/', type: 'directory', mode: 0o755 });
        await add({ name: 'blobs/sha256/', type: 'directory', mode: 0o755 });
        for (const hex of [...entries.keys()].sort()) {
            const e = entries.get(hex);
            const header = { name: `blobs/sha256/${hex}`, type: 'file', mode: 0o644, size: e.size };
            if (e.bytes)
                await add(header, e.bytes);
            else
                await streamEntry(pack, { ...FIXED, ...header }, store, e);
            bytes += e.size;
        }
        await add({ name: 'index.json', type: 'file', mode: 0o644 }, index);
        await add({ name: 'oci-layout', type: 'file', mode: 0o644 }, canonicalJson({ imageLayoutVersion: '1.0.0' }));
        pack.finalize();
        await written;
        await rename(tmp, abs);
    }
    catch (e) {
        pack.destroy();
        await written.catch(() => undefined);
        await rm(tmp, { force: true });
        throw e;
    }
    progress.info(`exported ${root} (${listed.length} manifests, ${entries.size} blobs) to ${out}`);
    return { digest: root, out, manifests: listed.length, blobs: entries.size, bytes };
}
async function streamEntry(pack, header, store, e) {
    const hasher = new Hasher(e.size);
    let entryDone;
    const sink = await new Promise((res) => {
        entryDone = new Promise((ok, fail) => {
            const w = pack.entry(header, (err) => (err ? fail(err) : ok()));
            res(w);
        });
    });
    try {
        await pipeline(await store.getBlob(e.digest), hasher, sink);
    }
    catch (err) {
        if (err instanceof SizeExceededError)
            throw new KarooError('integrity', `${e.what} in ${store.ref} is larger than ${e.size} bytes; export stopped`);
        throw err;
    }
    await entryDone;
    const actual = hasher.digest();
    if (actual !== e.digest || hasher.bytes !== e.size) {
        throw new KarooError('integrity', `${e.what} is damaged in ${store.ref}: it holds ${actual} (${hasher.bytes} bytes); export stopped`);
    }
}
const BLOB_NAME = /^(?:\.\/)?blobs\/sha256\/([0-9a-f]{64})$/;
const DIR_NAME = /^(?:\.\/)?(?:blobs\/?|blobs\/sha256\/?|\.\/?)$/;
const DEFAULT_IMPORT_LIMITS = { maxEntries: 100_000, maxBytes: 64 * 1024 ** 3 };
/**
 * Reads an OCI layout tar (as `exportTar` writes it) into a staging layout, checking every
 * blob against its name, the entry count and the total size against `limits`, and every
 * descriptor of index.json and the manifests. Each listed manifest is verified there (all its
 * blobs present and matching) before anything is copied into `store`; then the manifests
 * (and their blobs) are copied, candidates before referrers, and the candidates verified in
 * `store`. Entries other than an OCI layout's are refused. Nothing of a refused tar reaches `store`.
 */
async function importTar(file, store, options = {}) {
    const progress = options.progress ?? silentProgress;
    const maxEntries = options.limits?.maxEntries ?? DEFAULT_IMPORT_LIMITS.maxEntries;
    const maxBytes = options.limits?.maxBytes ?? DEFAULT_IMPORT_LIMITS.maxBytes;
    const staging = store instanceof LayoutStore ? await store.stagingDir() : join((await Promise.resolve(/* import() */).then(__webpack_require__.t.bind(__webpack_require__, 48161, 19))).tmpdir(), `karoo-import-${randomBytes(6).toString('hex')}`);
    const temp = new LayoutStore(staging);
    try {
        await mkdir(join(staging, 'blobs', 'sha256'), { recursive: true });
        let indexText;
        const extract = tarExtract();
        let readError;
        const reading = pipeline(createReadStream(file), extract).catch((e) => {
            readError = e;
        });
        let entries = 0;
        let total = 0;
        try {
            for await (const entry of extract) {
                const name = entry.header.name;
                const size = entry.header.size ?? 0;
                if (++entries > maxEntries) {
                    throw new KarooError('input', `${file} holds more than ${maxEntries} entries; refused (an exported candidate holds one per blob)`);
                }
                if (!Number.isSafeInteger(size) || size < 0)
                    throw new KarooError('input', `${file}: entry "${name}" has an impossible size (${size}); the tar is damaged`);
                total += size;
                if (total > maxBytes)
                    throw new KarooError('input', `${file} holds more than ${maxBytes} bytes; refused (import limit)`);
                const blob = BLOB_NAME.exec(name);
                if (entry.header.type === 'directory' && DIR_NAME.test(name)) {
                    entry.resume();
                }
                else if (entry.header.type === 'file' && blob) {
                    const digest = `sha256:${blob[1]}`;
                    const hasher = new Hasher(size);
                    await pipeline(entry, hasher, createWriteStream(join(staging, 'blobs', 'sha256', blob[1])));
                    if (hasher.digest() !== digest || hasher.bytes !== size) {
                        throw new KarooError('integrity', `${file}: entry ${name} holds ${hasher.digest()}, not the blob its name says; the tar is damaged`);
                    }
                }
                else if (entry.header.type === 'file' && (name === 'index.json' || name === './index.json')) {
                    indexText = await readEntry(entry);
                }
                else if (entry.header.type === 'file' && (name === 'oci-layout' || name === './oci-layout')) {
                    await readEntry(entry);
                }
                else {
                    throw new KarooError('input', `${file}: unexpected entry "${name}" (${entry.header.type}); an OCI layout tar from karoo export holds only oci-layout, index.json and blobs/sha256/*`);
                }
            }
        }
        catch (e) {
            extract.destroy();
            await reading;
            throw e;
        }
        await reading;
        if (readError)
            throw new KarooError('input', `${file} is not a readable tar (${readError.message})`);
        if (indexText === undefined)
            throw new KarooError('input', `${file} has no index.json; it is not an OCI layout tar`);
        // index.json's descriptors are checked (digest, size, media type) before any is used.
        const listed = parseManifestInfo(Buffer.from(indexText), `${file}: index.json`).manifests ?? [];
        const roots = [];
        const referrers = [];
        for (const d of listed) {
            let bytes;
            try {
                bytes = await readFile(temp.blobPath(d.digest));
            }
            catch {
                throw new KarooError('input', `${file}: index.json lists ${d.digest}, but the tar holds no such blob`);
            }
            if (bytes.length !== d.size)
                throw new KarooError('integrity', `${file}: index.json says ${d.digest} is ${d.size} bytes, the tar holds ${bytes.length}`);
            const info = parseManifestInfo(bytes, `${file}: manifest ${d.digest}`);
            (info.subject ? referrers : roots).push(d.digest);
        }
        await writeFile(join(staging, 'index.json'), canonicalJson({ schemaVersion: 2, mediaType: MEDIA_TYPES.imageIndex, manifests: listed }));
        await writeFile(join(staging, 'oci-layout'), canonicalJson({ imageLayoutVersion: '1.0.0' }));
        // Every manifest is verified in the staging layout (every blob present, digest and size) before the store sees any.
        for (const d of [...roots, ...referrers])
            await verifyManifest(temp, d);
        let manifests = 0;
        let uploadedBlobs = 0;
        let uploadedBytes = 0;
        for (const d of [...roots, ...referrers]) {
            const r = await copyArtifact(temp, store, d, { referrers: false, sourceVerified: true, progress });
            manifests += r.manifests.length;
            uploadedBlobs += r.uploadedBlobs;
            uploadedBytes += r.uploadedBytes;
        }
        for (const d of roots)
            await verifyManifest(store, d);
        return { roots, manifests, uploadedBlobs, uploadedBytes };
    }
    finally {
        if (store instanceof LayoutStore)
            await store.releaseStaging(staging);
        else
            await rm(staging, { recursive: true, force: true });
    }
}
async function readEntry(entry) {
    const parts = [];
    let n = 0;
    for await (const c of entry) {
        n += c.length;
        if (n > 16 << 20)
            throw new KarooError('input', 'index.json in the tar is larger than 16 MiB');
        parts.push(c);
    }
    return Buffer.concat(parts).toString('utf8');
}
//# sourceMappingURL=tar.js.map
;// CONCATENATED MODULE: ./packages/oci/lib/index.js









//# sourceMappingURL=index.js.map

/***/ }),

/***/ 69794:
/***/ ((__unused_webpack___webpack_module__, __webpack_exports__, __webpack_require__) => {


// EXPORTS
__webpack_require__.d(__webpack_exports__, {
  oK: () => (/* reexport */ Transport),
  Ze: () => (/* reexport */ drain),
  wx: () => (/* reexport */ header),
  x8: () => (/* reexport */ readBody),
  et: () => (/* reexport */ transport)
});

// UNUSED EXPORTS: DEFAULT_RETRY, NETWORK_ERROR_CODES, RETRY_STATUS, RetryableError, USER_AGENT, backoffMs, indexCredentials, isRetryable, isTransientNetworkError, parseRetryAfter, redact, sleep, withRetry

// EXTERNAL MODULE: external "node:stream"
var external_node_stream_ = __webpack_require__(57075);
// EXTERNAL MODULE: ./packages/common/lib/index.js + 10 modules
var lib = __webpack_require__(46787);
;// CONCATENATED MODULE: ./packages/transport/lib/retry.js

/** HTTP statuses that say "not now": the one list every karoo request retries on. */
const RETRY_STATUS = new Set([429, 502, 503, 504]);
/**
 * Error codes of a connection that broke or could not be made (Node's and undici's): a later
 * attempt may succeed. The one list every karoo request retries on.
 */
const NETWORK_ERROR_CODES = new Set([
    'ECONNRESET',
    'ECONNREFUSED',
    'ECONNABORTED',
    'EPIPE',
    'ETIMEDOUT',
    'EAI_AGAIN',
    'ENOTFOUND',
    'EHOSTUNREACH',
    'ENETUNREACH',
    'ENETDOWN',
    'UND_ERR_SOCKET',
    'UND_ERR_CLOSED',
    'UND_ERR_CONNECT_TIMEOUT',
    'UND_ERR_HEADERS_TIMEOUT',
    'UND_ERR_BODY_TIMEOUT',
]);
const DEFAULT_RETRY = { attempts: 5, baseMs: 250, maxMs: 8000, maxRetryAfterMs: 60_000 };
/**
 * One attempt failed in a way a later attempt may not (a retryable status, a broken
 * connection). Carries the wait the server asked for, if any. Kind `unavailable`.
 */
class RetryableError extends lib/* KarooError */.xD {
    name = 'RetryableError';
    retryAfterMs;
    status;
    constructor(message, options = {}) {
        super('unavailable', message, { cause: options.cause, detail: { status: options.status, retryAfterMs: options.retryAfterMs } });
        this.retryAfterMs = options.retryAfterMs;
        this.status = options.status;
    }
}
/** True for an error from a connection that broke or could not be made (the cause chain is searched). */
function isTransientNetworkError(e) {
    let cur = e;
    for (let depth = 0; depth < 6 && cur; depth++) {
        const c = cur;
        if (c.name === 'AbortError')
            return false;
        if (typeof c.code === 'string' && NETWORK_ERROR_CODES.has(c.code))
            return true;
        if (c.name === 'TimeoutError' || (typeof c.message === 'string' && /socket hang up|other side closed|premature close/i.test(c.message)))
            return true;
        cur = Array.isArray(c.errors) && c.errors.length > 0 ? c.errors[0] : c.cause;
    }
    return false;
}
/** True when a later attempt may succeed: a RetryableError (compared by name) or a broken connection. */
function isRetryable(e) {
    return (e instanceof Error && e.name === 'RetryableError') || isTransientNetworkError(e);
}
/**
 * A `Retry-After` value in milliseconds from `now`: delta-seconds (`120`) or an HTTP-date
 * (`Wed, 21 Oct 2026 07:28:00 GMT`, a date in the past meaning 0). Undefined when absent or unreadable.
 */
function parseRetryAfter(value, now = Date.now()) {
    if (value === undefined)
        return undefined;
    const v = value.trim();
    if (/^\d+$/.test(v))
        return Number(v) * 1000;
    if (!/[a-z]/i.test(v))
        return undefined;
    const at = Date.parse(v);
    return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}
/** Backoff before attempt `attempt + 1` when the server named no time: exponential, capped, half of it jitter. */
function backoffMs(attempt, policy) {
    const exp = Math.min(policy.baseMs * 2 ** (attempt - 1), policy.maxMs);
    return exp / 2 + Math.random() * (exp / 2);
}
/**
 * Runs `attempt` until it succeeds, throws something not retryable (see isRetryable), or the
 * policy's attempts are spent; waits between attempts as the server asked (`Retry-After`,
 * up to the cap) or with backoff. Gives up with a KarooError `unavailable` (exit 4) saying
 * after how many attempts, or that the server asked for a longer wait than the cap.
 */
async function withRetry(attempt, options = {}) {
    const policy = { ...DEFAULT_RETRY, ...options.policy };
    for (let n = 1;; n++) {
        try {
            return await attempt(n);
        }
        catch (e) {
            if (!isRetryable(e))
                throw e;
            const what = e instanceof Error && e.name === 'RetryableError' ? e.message : `${(0,lib/* errorMessage */.gJ)(e)} (${(0,lib/* networkCause */.u6)(e)})`;
            if (n >= policy.attempts)
                throw new lib/* KarooError */.xD('unavailable', `${what} (gave up after ${n} attempts)`, { cause: e, detail: { attempts: n } });
            const asked = e.retryAfterMs;
            if (asked !== undefined && asked > policy.maxRetryAfterMs) {
                throw new lib/* KarooError */.xD('unavailable', `${what} and asked to retry after ${Math.ceil(asked / 1000)} s, longer than karoo waits (${policy.maxRetryAfterMs / 1000} s); try again later`, {
                    cause: e,
                    detail: { attempts: n, retryAfterMs: asked },
                });
            }
            const wait = asked ?? backoffMs(n, policy);
            options.onRetry?.(`${what}; retrying in ${wait >= 1000 ? `${(wait / 1000).toFixed(wait % 1000 ? 1 : 0)} s` : `${Math.round(wait)} ms`} (attempt ${n + 1} of ${policy.attempts})`);
            await sleep(wait, options.signal);
        }
    }
}
function sleep(ms, signal) {
    return new Promise((resolve, reject) => {
        if (signal?.aborted) {
            reject(signal.reason);
            return;
        }
        const t = setTimeout(() => {
            signal?.removeEventListener('abort', onAbort);
            resolve();
        }, ms);
        const onAbort = () => {
            clearTimeout(t);
            reject(signal.reason);
        };
        signal?.addEventListener('abort', onAbort, { once: true });
    });
}
//# sourceMappingURL=retry.js.map
;// CONCATENATED MODULE: ./packages/transport/lib/transport.js



/** What every karoo request says it is. */
const USER_AGENT = `karoo/${lib/* KAROO_VERSION */.iE}`;
const REDIRECTS = new Set([301, 302, 303, 307, 308]);
// undici is loaded on the first request: it is large, and most karoo commands that link this
// package (digest, a build into a layout that has the candidate) never send one.
let undici;
const loadUndici = () => (undici ??= __webpack_require__.e(/* import() */ 752).then(__webpack_require__.t.bind(__webpack_require__, 24371, 19)));
let sharedAgent;
/** One connection pool per process (keep-alive), shared by every transport with the default connect timeout. */
function agent(connectTimeoutMs) {
    const make = async (timeout) => new (await loadUndici()).Agent({ connect: { timeout }, keepAliveTimeout: 10_000 });
    if (connectTimeoutMs !== undefined)
        return make(connectTimeoutMs);
    sharedAgent ??= make(30_000);
    return sharedAgent;
}
/** `url` without user info, for messages. */
function redact(url) {
    try {
        const u = new URL(String(url));
        u.username = '';
        u.password = '';
        return u.href;
    }
    catch {
        return String(url).replace(/\/\/[^/@]*@/, '//');
    }
}
/**
 * karoo's one HTTP client, on undici: every request carries karoo's user agent, times out when
 * idle, follows redirects (GET/HEAD) without carrying credentials to another origin, and is
 * retried through one policy (RETRY_STATUS and broken connections; `Retry-After` in seconds or
 * as an HTTP-date honoured up to a cap; backoff otherwise). Credentials are attached in one
 * place, by the origin of each hop (`headersFor`, e.g. indexCredentials), and user info in a URL
 * becomes an Authorization header for that URL's origin only. Giving up is a KarooError
 * `unavailable`; other answers (4xx, 500…) are returned for the caller to judge.
 */
class Transport {
    retry;
    options;
    dispatcherPromise;
    /** The transport whose connection pool this one shares (see with()). */
    poolOf;
    constructor(options = {}) {
        this.options = options;
        this.retry = options.retry ?? {};
    }
    dispatcher() {
        if (this.poolOf)
            return this.poolOf.dispatcher();
        this.dispatcherPromise ??= this.options.dispatcher ? Promise.resolve(this.options.dispatcher) : agent(this.options.connectTimeoutMs);
        return this.dispatcherPromise;
    }
    /** A transport with these options changed, sharing the connection pool. */
    with(options) {
        const t = new Transport({ ...this.options, ...options });
        if (!options.dispatcher && options.connectTimeoutMs === undefined)
            t.poolOf = this;
        return t;
    }
    /** One request, with redirects and (unless `retry: false` or the body is a stream) retries. */
    request(req) {
        const replayable = req.body === undefined || typeof req.body === 'function' || req.body instanceof Uint8Array;
        if (req.retry === false || !replayable)
            return this.once(req);
        return withRetry(() => this.once(req), { policy: this.retry, onRetry: this.options.onRetry, signal: req.signal });
    }
    /** Runs a whole operation (e.g. an upload started over) under this transport's retry policy. */
    run(attempt, signal) {
        return withRetry(attempt, { policy: this.retry, onRetry: this.options.onRetry, signal });
    }
    /** One attempt: follows redirects, throws RetryableError on a retryable status or a broken connection. */
    async once(req) {
        const start = new URL(String(req.url));
        let url = start;
        let method = req.method.toUpperCase();
        let body = req.body;
        const follow = req.followRedirects ?? (method === 'GET' || method === 'HEAD');
        const maxRedirects = this.options.maxRedirects ?? 5;
        const idle = req.idleTimeoutMs ?? this.options.idleTimeoutMs ?? 120_000;
        for (let hop = 0;; hop++) {
            const headers = this.headersFor(req, url, start);
            const target = new URL(url.href);
            target.username = '';
            target.password = '';
            const what = req.what ?? `${method} ${target.origin}${target.pathname}`;
            const payload = typeof body === 'function' ? body() : body;
            if (payload instanceof Uint8Array && headers['content-length'] === undefined)
                headers['content-length'] = String(payload.length);
            let res;
            try {
                const [{ request }, dispatcher] = await Promise.all([loadUndici(), this.dispatcher()]);
                res = await request(target, {
                    method: method,
                    headers,
                    body: payload ?? null,
                    dispatcher,
                    headersTimeout: idle,
                    bodyTimeout: idle,
                    signal: req.signal ?? null,
                });
            }
            catch (e) {
                if (payload instanceof external_node_stream_.Readable)
                    payload.destroy();
                if (e.name === 'AbortError' || req.signal?.aborted)
                    throw e;
                const message = `${what}: ${(0,lib/* networkCause */.u6)(e)}`;
                if (isTransientNetworkError(e))
                    throw new RetryableError(message, { cause: e });
                throw new lib/* KarooError */.xD('unavailable', message, { cause: e });
            }
            const status = res.statusCode;
            if (payload instanceof external_node_stream_.Readable && !payload.readableEnded) {
                // The server answered before reading everything (e.g. 401): stop sending.
                payload.destroy();
            }
            if (RETRY_STATUS.has(status)) {
                await drainBody(res.body);
                const retryAfter = res.headers['retry-after'];
                throw new RetryableError(`${what} answered ${status}`, { status, retryAfterMs: parseRetryAfter(Array.isArray(retryAfter) ? retryAfter[0] : retryAfter) });
            }
            const location = res.headers.location;
            if (follow && REDIRECTS.has(status) && location !== undefined) {
                await drainBody(res.body);
                if (hop >= maxRedirects)
                    throw new lib/* KarooError */.xD('unavailable', `${what}: more than ${maxRedirects} redirects`);
                url = new URL(Array.isArray(location) ? location[0] : location, target);
                if (url.protocol !== 'http:' && url.protocol !== 'https:')
                    throw new lib/* KarooError */.xD('input', `${what} redirected to ${redact(url)}, which is not http(s)`);
                if (status === 303 || ((status === 301 || status === 302) && method === 'POST')) {
                    method = method === 'HEAD' ? 'HEAD' : 'GET';
                    body = undefined;
                }
                continue;
            }
            return { status, headers: res.headers, body: res.body, url: target };
        }
    }
    /**
     * The headers of one hop: karoo's user agent, the caller's headers (its Authorization and
     * Cookie only on the first URL's origin), then credentials for this hop's own origin
     * (the transport's and the request's headersFor, or the URL's user info).
     */
    headersFor(req, url, start) {
        const headers = { 'user-agent': USER_AGENT };
        const sameOrigin = url.origin === start.origin;
        for (const [k, v] of Object.entries(req.headers ?? {})) {
            const name = k.toLowerCase();
            if (!sameOrigin && (name === 'authorization' || name === 'cookie' || name === 'proxy-authorization'))
                continue;
            headers[name] = v;
        }
        for (const decide of [this.options.headersFor, req.headersFor]) {
            for (const [k, v] of Object.entries(decide?.(url) ?? {}))
                headers[k.toLowerCase()] = v;
        }
        if (url.username || url.password) {
            headers.authorization = (0,lib/* basicAuthHeader */.mn)({ username: decodeURIComponent(url.username), password: decodeURIComponent(url.password) });
        }
        return headers;
    }
}
/**
 * Credentials of private indexes, by origin: for a URL on an index's own origin, that index's
 * Authorization header; for any other URL, none. The decision is @karoo/common's
 * credentialsForAny (plain HTTP only to loopback), asked again for every redirect hop.
 */
function indexCredentials(indexes, env = process.env) {
    if (indexes.length === 0)
        return undefined;
    return (url) => {
        const match = credentialsForAny(url, indexes, env);
        return match ? { authorization: basicAuthHeader(match.credentials) } : undefined;
    };
}
async function drainBody(body) {
    try {
        for await (const _ of body) {
            /* discard */
        }
    }
    catch {
        /* the connection is gone anyway */
    }
}
/** Reads and discards a response body so the connection can be reused. */
function drain(res) {
    return drainBody(res.body);
}
/** The whole body, refusing more than `limit` bytes. */
async function readBody(res, limit) {
    const parts = [];
    let n = 0;
    for await (const c of res.body) {
        const b = c;
        n += b.length;
        if (n > limit) {
            res.body.destroy();
            throw new lib/* KarooError */.xD('unavailable', `response from ${res.url.host} is larger than ${limit} bytes`);
        }
        parts.push(b);
    }
    return Buffer.concat(parts);
}
/** A response header's (first) value. */
function header(res, name) {
    const v = res.headers[name.toLowerCase()];
    return Array.isArray(v) ? v[0] : v;
}
/** The transport with the default policy, for code that has no options of its own. */
const transport = new Transport();
//# sourceMappingURL=transport.js.map
;// CONCATENATED MODULE: ./packages/transport/lib/index.js


//# sourceMappingURL=index.js.map

/***/ })

};
