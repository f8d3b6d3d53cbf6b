export const id = 739;
export const ids = [739,374];
export const modules = {

/***/ 28374:
/***/ ((__unused_webpack___webpack_module__, __webpack_exports__, __webpack_require__) => {


// EXPORTS
__webpack_require__.d(__webpack_exports__, {
  build: () => (/* reexport */ build)
});

// UNUSED EXPORTS: downloadLockedFile, fillDownloadDir, indexAuthHeaders, pruneDownloadDir, wheelCacheKeys

// EXTERNAL MODULE: external "node:events"
var external_node_events_ = __webpack_require__(78474);
// EXTERNAL MODULE: external "node:fs/promises"
var promises_ = __webpack_require__(51455);
// EXTERNAL MODULE: external "node:os"
var external_node_os_ = __webpack_require__(48161);
// EXTERNAL MODULE: external "node:path"
var external_node_path_ = __webpack_require__(76760);
// EXTERNAL MODULE: ./packages/candidate/lib/index.js + 4 modules
var lib = __webpack_require__(46399);
// EXTERNAL MODULE: ./packages/common/lib/index.js + 10 modules
var common_lib = __webpack_require__(46787);
// EXTERNAL MODULE: ./packages/oci/lib/index.js + 10 modules
var oci_lib = __webpack_require__(99713);
// EXTERNAL MODULE: ./node_modules/p-limit/index.js + 1 modules
var p_limit = __webpack_require__(70370);
// EXTERNAL MODULE: external "node:fs"
var external_node_fs_ = __webpack_require__(73024);
// EXTERNAL MODULE: external "node:stream/promises"
var external_node_stream_promises_ = __webpack_require__(46466);
// EXTERNAL MODULE: external "node:url"
var external_node_url_ = __webpack_require__(73136);
// EXTERNAL MODULE: external "node:crypto"
var external_node_crypto_ = __webpack_require__(77598);
// EXTERNAL MODULE: ./packages/transport/lib/index.js + 2 modules
var transport_lib = __webpack_require__(69794);
;// CONCATENATED MODULE: ./packages/build/lib/download.js









/**
 * Request headers that carry the credentials of a private index, for `DownloadOptions.headersFor`:
 * only for URLs on that index's own origin, never over plain HTTP except to loopback (the one
 * decision, @karoo/common's credentialsFor, that resolve uses too). Re-asked after every redirect.
 */
function indexAuthHeaders(indexes, env = process.env) {
    return (0,transport_lib/* indexCredentials */.B9)(indexes, env);
}
/**
 * Fetches one locked file into `dir/<sha256>` (http(s), file:// or an absolute path), streamed to
 * disk through sha256; the file appears only when its hash and size match the lock. A file already
 * there is re-hashed and reused.
 */
async function downloadLockedFile(pkg, file, dir, options = {}) {
    const expected = `sha256:${file.sha256}`;
    const path = (0,external_node_path_.join)(dir, file.sha256);
    if (await exists(path)) {
        const have = await (0,common_lib/* sha256File */.Q3)(path);
        if (have.digest === expected && have.size === file.size)
            return { path, fetched: 0 };
        await (0,promises_.rm)(path, { force: true });
    }
    if (!file.url) {
        throw new common_lib/* KarooError */.xD('input', `lock entry "${pkg.name} ${pkg.version}" has no URL for ${file.name}; re-run \`karoo resolve\` so every file has a URL`);
    }
    const url = file.url;
    const what = `${pkg.name} ${pkg.version} (${file.name})`;
    const base = options.transport ?? transport_lib/* transport */.et;
    const transport = base.with({
        headersFor: options.headersFor,
        ...(options.attempts !== undefined ? { retry: { ...base.retry, attempts: options.attempts } } : {}),
    });
    // A body that breaks half-way is fetched again from the start, under the transport's one policy.
    const attempt = async () => {
        const tmp = `${path}.${(0,external_node_crypto_.randomBytes)(6).toString('hex')}.part`;
        try {
            const source = await download_open(url, transport, options.signal, (u, status) => {
                const ix = options.logins && (0,common_lib/* indexForUrl */.RR)(u, options.logins.indexes);
                return ix && (0,common_lib/* refusedAccessMessage */.Yf)(ix, what, status, options.logins.env);
            });
            const hasher = new oci_lib/* Hasher */.OP(file.size ?? Number.POSITIVE_INFINITY);
            try {
                await (0,external_node_stream_promises_.pipeline)(source, hasher, (0,external_node_fs_.createWriteStream)(tmp), { signal: options.signal });
            }
            catch (e) {
                if (e.name === 'SizeExceededError') {
                    throw integrity(what, file, expected, `more than ${file.size} bytes`);
                }
                throw e;
            }
            const actual = hasher.digest();
            if (actual !== expected || (file.size !== undefined && hasher.bytes !== file.size)) {
                throw integrity(what, file, expected, `${actual} (${hasher.bytes} bytes)`);
            }
            await (0,promises_.rename)(tmp, path);
            return { path, fetched: hasher.bytes };
        }
        finally {
            await (0,promises_.rm)(tmp, { force: true });
        }
    };
    try {
        return await transport.run(attempt, options.signal);
    }
    catch (e) {
        if (e.name === 'AbortError' || (e instanceof common_lib/* KarooError */.xD && e.kind !== 'unavailable'))
            throw e;
        throw new common_lib/* KarooError */.xD('unavailable', `cannot download ${what} from ${(0,transport_lib/* redact */.E$)(url)}: ${e.message}`, { cause: e });
    }
}
function integrity(what, file, expected, actual) {
    return new common_lib/* KarooError */.xD('integrity', `${what} from ${(0,transport_lib/* redact */.E$)(file.url ?? '')} does not match the lock: expected ${expected}${file.size !== undefined ? ` (${file.size} bytes)` : ''}, got ${actual}; the candidate was not pushed`, { detail: { file: file.name, url: (0,transport_lib/* redact */.E$)(file.url ?? ''), expected, actual } });
}
async function download_open(url, transport, signal, refused) {
    if ((0,external_node_path_.isAbsolute)(url))
        return (0,external_node_fs_.createReadStream)(url, { highWaterMark: 1 << 20 });
    const u = new URL(url);
    if (u.protocol === 'file:')
        return (0,external_node_fs_.createReadStream)((0,external_node_url_.fileURLToPath)(u), { highWaterMark: 1 << 20 });
    if (u.protocol !== 'http:' && u.protocol !== 'https:')
        throw new common_lib/* KarooError */.xD('input', `cannot download ${(0,transport_lib/* redact */.E$)(url)}: only http(s) and file URLs are supported`);
    const res = await transport.request({ method: 'GET', url: u, signal, what: `GET ${(0,transport_lib/* redact */.E$)(u)}` });
    if (res.status !== 200) {
        await (0,transport_lib/* drain */.Ze)(res);
        const status = res.status;
        const kind = status >= 500 ? 'unavailable' : 'input';
        const login = status === 401 || status === 403 ? refused(u, status) : undefined;
        throw new common_lib/* KarooError */.xD(kind, login ??
            `${(0,transport_lib/* redact */.E$)(u)} answered ${status}${status === 401 || status === 403 ? '; set the index credentials (karoo.yml username-env/password-env)' : ''}`, {
            detail: { url: (0,transport_lib/* redact */.E$)(u), status },
        });
    }
    return res.body;
}
async function exists(p) {
    try {
        return (await (0,promises_.stat)(p)).isFile();
    }
    catch {
        return false;
    }
}
//# sourceMappingURL=download.js.map
;// CONCATENATED MODULE: ./packages/build/lib/build.js









/**
 * Builds the candidate of a lock into a store. The digest is computed first, from the lock
 * alone: if the store has it, nothing is downloaded or uploaded. Otherwise every locked file
 * the store lacks is downloaded (bounded parallel, streamed, checked against the lock's sha256
 * and size) and, once checked, uploaded while the other files are still downloading; the
 * config and lock files go up alongside. The manifest goes last, only when every file was
 * checked and every blob is in: a candidate is never visible half-pushed, a file that does not
 * match the lock stops the build before it, and no blob reaches the store unchecked.
 */
async function build(options) {
    const { lock, store } = options;
    const progress = options.progress ?? common_lib/* silentProgress */.RZ;
    const c = (0,lib/* candidateFor */.hE)(lock, options, options.renderers);
    const base = {
        candidate: c.digest,
        candidateRef: store.refFor(c.digest),
        size: c.totalSize,
        layers: c.manifest.layers.length,
        system: options.system,
        lockDigest: lock.digest,
    };
    if (await store.hasManifest(c.digest)) {
        progress.info(`candidate ${c.digest} is already in ${store.ref}; nothing to do`);
        if (options.tag !== undefined)
            await store.putManifest(c.manifestBytes, lib/* OCI */.s6.imageManifest, { tag: options.tag });
        return {
            ...base,
            existed: true,
            pushedBytes: 0,
            downloadedBytes: 0,
            blobs: { uploaded: 0, reused: c.manifest.layers.length + 1, mounted: 0 },
        };
    }
    const limit = (0,p_limit/* default */.A)(options.concurrency ?? 8);
    const present = await Promise.all([...c.files.map((f) => f.descriptor), ...c.inline.map((b) => b.descriptor)].map((d) => limit(() => store.hasBlob(d.digest))));
    let missing = c.files.filter((_, i) => !present[i]);
    const missingInline = c.inline.filter((_, i) => !present[c.files.length + i]);
    let reused = present.filter(Boolean).length;
    let mounted = 0;
    for (const from of options.mountFrom ?? []) {
        if (missing.length === 0)
            break;
        const ok = await Promise.all(missing.map((f) => limit(() => store.mountBlob(f.descriptor, from))));
        mounted += ok.filter(Boolean).length;
        missing = missing.filter((_, i) => !ok[i]);
    }
    progress.info(`candidate ${c.digest}: ${c.files.length} files, ${reused} blobs already in ${store.ref}${mounted ? `, ${mounted} mounted` : ''}, ${missing.length} to download`);
    const ownDir = options.downloadDir === undefined;
    const dir = options.downloadDir
        ? (0,external_node_path_.resolve)(options.downloadDir)
        : store instanceof oci_lib/* LayoutStore */.K_
            ? await store.stagingDir()
            : await (0,promises_.mkdtemp)((0,external_node_path_.join)((0,external_node_os_.tmpdir)(), 'karoo-build-'));
    await (0,promises_.mkdir)(dir, { recursive: true });
    let downloadedBytes = 0;
    let pushedBytes = 0;
    let uploaded = 0;
    try {
        // Each file is downloaded and checked, then uploaded while others still download: the
        // download, the hashing and the upload overlap across files. One bad file stops the rest.
        const logins = { indexes: options.indexes ?? [], env: options.env ?? process.env };
        const headersFor = options.headersFor ?? indexAuthHeaders(logins.indexes, logins.env);
        const abort = new AbortController();
        (0,external_node_events_.setMaxListeners)(0, abort.signal);
        const stopped = () => new common_lib/* KarooError */.xD('internal', 'skipped after an earlier failure');
        const settled = await Promise.allSettled([
            ...missing.map((f) => limit(async () => {
                if (abort.signal.aborted)
                    throw stopped();
                try {
                    const checked = options.verifiedFiles?.get(f.file.sha256);
                    const d = checked !== undefined
                        ? { path: checked, fetched: 0 }
                        : await downloadLockedFile(f.pkg, f.file, dir, { headersFor, signal: abort.signal, logins });
                    downloadedBytes += d.fetched;
                    if (abort.signal.aborted)
                        throw stopped();
                    // Our own temp files (and files the caller checked) may be linked into a layout store;
                    // files in a directory the caller keeps are copied (and re-checked), so the store
                    // never shares their inode.
                    const r = await store.putBlob({ digest: f.descriptor.digest, size: f.descriptor.size }, (0,oci_lib/* fileSource */.IO)(d.path, ownDir || checked !== undefined));
                    pushedBytes += r.bytes;
                    uploaded++;
                }
                catch (e) {
                    abort.abort();
                    throw e;
                }
            })),
            ...missingInline.map((b) => limit(async () => {
                if (abort.signal.aborted)
                    throw stopped();
                const r = await store.putBlob({ digest: b.descriptor.digest, size: b.descriptor.size }, (0,oci_lib/* bufferSource */.kq)(b.bytes));
                pushedBytes += r.bytes;
                uploaded++;
            })),
        ]);
        // Report the failure that caused the others to stop, not an abort it caused.
        const failures = settled.filter((s) => s.status === 'rejected').map((s) => s.reason);
        if (failures.length)
            throw (failures.find((e) => e instanceof common_lib/* KarooError */.xD && e.kind !== 'internal') ??
                failures.find((e) => e.name !== 'AbortError') ??
                failures[0]);
        if (missing.length)
            progress.info(`downloaded, checked and uploaded ${missing.length} files (${downloadedBytes} bytes fetched)`);
        // Signed before the candidate becomes visible: a signing failure (keyless: Sigstore unreachable) leaves nothing half-done.
        const signed = options.attest ? await signProvenance(c, options, options.attest) : undefined;
        // Every file checked and every blob in: only now does the candidate become visible.
        await store.putManifest(c.manifestBytes, lib/* OCI */.s6.imageManifest, { tag: options.tag });
        pushedBytes += c.manifestBytes.length;
        reused = c.manifest.layers.length + 1 - uploaded - mounted;
        progress.info(`pushed candidate ${c.digest} to ${store.ref} (${uploaded} blobs, ${pushedBytes} bytes)`);
        let provenance;
        if (options.provenance) {
            const p = (0,lib/* provenanceFor */.x6)(c.descriptor, { ...options.provenance, lockDigest: lock.digest });
            for (const b of p.blobs) {
                if (!(await store.hasBlob(b.descriptor.digest)))
                    await store.putBlob(b.descriptor, (0,oci_lib/* bufferSource */.kq)(b.bytes));
            }
            await store.putManifest(p.manifestBytes, lib/* OCI */.s6.imageManifest);
            provenance = p.digest;
        }
        let attestation;
        if (signed) {
            const { attestationReferrer, pushAttestation } = await Promise.resolve(/* import() */).then(__webpack_require__.bind(__webpack_require__, 74938));
            attestation = (await pushAttestation(store, attestationReferrer(c.descriptor, signed.bundle, signed.predicateType, signed.builtAt)))
                .digest;
        }
        if (attestation)
            progress.info(`signed SLSA provenance ${attestation} pushed to ${store.ref}`);
        return { ...base, existed: false, pushedBytes, downloadedBytes, blobs: { uploaded, reused, mounted }, provenance, attestation };
    }
    finally {
        if (ownDir && store instanceof oci_lib/* LayoutStore */.K_)
            await store.releaseStaging(dir);
        else if (ownDir)
            await (0,promises_.rm)(dir, { recursive: true, force: true });
    }
}
/** The signed SLSA provenance of a new candidate: every locked file by sha256, the lock digest and system as external parameters. */
async function signProvenance(c, options, signer) {
    const { provenanceStatement, signAttestation } = await Promise.resolve(/* import() */).then(__webpack_require__.bind(__webpack_require__, 74938));
    const { lock } = options;
    const p = options.provenance;
    const builtAt = p?.builtAt ?? new Date().toISOString();
    const statement = provenanceStatement({
        candidate: { name: options.system, digest: c.digest },
        lockDigest: lock.digest,
        system: options.system,
        target: (lock.meta.target ?? options.target),
        files: lock.packages.flatMap((pkg) => pkg.files.map((f) => ({ name: f.name, url: f.url, sha256: f.sha256, package: `${pkg.name}==${pkg.version}` }))),
        builder: p?.builder ?? `karoo ${common_lib/* KAROO_VERSION */.iE}`,
        builtAt,
        run: p,
    });
    return { bundle: await signAttestation(statement, signer), predicateType: statement.predicateType, builtAt };
}
//# sourceMappingURL=build.js.map
;// CONCATENATED MODULE: ./packages/build/lib/download-cache.js






/**
 * Actions cache keys for the directory of downloaded wheels: saved under the lock's digest,
 * restored by the system's prefix (the newest download of an earlier lock shares most files).
 */
function wheelCacheKeys(system, lockDigest) {
    const prefix = `karoo-wheels-${system}-`;
    return { key: `${prefix}${lockDigest.replace(/^sha256:/, '')}`, restoreKeys: [prefix] };
}
/**
 * Leaves in a download directory (files named by their sha256) only what the lock references,
 * so a cache saved from it does not grow with every lock. Returns the names removed. The files
 * kept are re-hashed when the build reuses them: the cache is never the store of record.
 */
async function pruneDownloadDir(dir, lock) {
    const wanted = new Set(lock.packages.flatMap((p) => p.files.map((f) => f.sha256)));
    const removed = [];
    let names;
    try {
        names = await readdir(dir);
    }
    catch {
        return removed;
    }
    for (const name of names) {
        if (wanted.has(name))
            continue;
        await rm(join(dir, name), { recursive: true, force: true });
        removed.push(name);
    }
    return removed;
}
/**
 * Puts the lock's files into a download directory (files named by their sha256) from a store that
 * holds them, as the candidate's blobs: each streamed through sha256 into a temporary file,
 * checked against the lock's digest and size, then renamed into place; files already there are
 * left as they are. Four at a time. Returns how many files it fetched and their bytes.
 *
 * For the default branch: its builds find their candidate already in the store (the pull request
 * built it) and so download nothing, and the Actions cache that pull requests restore from (their
 * own, and their base branch's) would never hold the wheels of what was merged.
 */
async function fillDownloadDir(store, lock, dir) {
    await mkdir(dir, { recursive: true });
    const present = new Set(await readdir(dir));
    const byHash = new Map();
    for (const p of lock.packages)
        for (const f of p.files)
            if (!present.has(f.sha256))
                byHash.set(f.sha256, f);
    const queue = [...byHash.values()].sort((a, b) => (a.sha256 < b.sha256 ? -1 : 1));
    let files = 0;
    let bytes = 0;
    const one = async (f) => {
        const digest = parseDigest(`sha256:${f.sha256}`, `${f.name}'s sha256`);
        const path = join(dir, f.sha256);
        const tmp = `${path}.part-${process.pid}`;
        const hasher = new Hasher(f.size);
        try {
            await pipeline(await store.getBlob(digest), hasher, createWriteStream(tmp));
            const actual = hasher.digest();
            if (actual !== digest || (f.size !== undefined && hasher.bytes !== f.size)) {
                throw new KarooError('integrity', `${f.name} in ${store.ref} holds ${actual} (${hasher.bytes} bytes), not the lock's sha256:${f.sha256}`);
            }
            await rename(tmp, path);
        }
        finally {
            await rm(tmp, { force: true });
        }
        files++;
        bytes += hasher.bytes;
    };
    // The first failure stops every worker at its next file; all are waited for before it is thrown.
    let failed;
    await Promise.all(Array.from({ length: Math.min(4, queue.length) }, async () => {
        for (let f = queue.shift(); f && failed === undefined; f = queue.shift())
            await one(f).catch((e) => void (failed ??= e));
    }));
    if (failed !== undefined)
        throw failed;
    return { files, bytes };
}
//# sourceMappingURL=download-cache.js.map
;// CONCATENATED MODULE: ./packages/build/lib/index.js



//# sourceMappingURL=index.js.map

/***/ }),

/***/ 65739:
/***/ ((__unused_webpack___webpack_module__, __webpack_exports__, __webpack_require__) => {


// EXPORTS
__webpack_require__.d(__webpack_exports__, {
  readStoredCandidate: () => (/* reexport */ readStoredCandidate)
});

// UNUSED EXPORTS: REBUILD_ISSUE_LABEL, REBUILD_ISSUE_MARKER, challenge, publishRebuildIssue, rebuild, rebuildCheck, renderCheckMarkdown

// EXTERNAL MODULE: external "node:fs/promises"
var promises_ = __webpack_require__(51455);
// EXTERNAL MODULE: external "node:os"
var external_node_os_ = __webpack_require__(48161);
// EXTERNAL MODULE: external "node:path"
var external_node_path_ = __webpack_require__(76760);
// EXTERNAL MODULE: ./packages/build/lib/index.js + 3 modules
var lib = __webpack_require__(28374);
// EXTERNAL MODULE: ./packages/candidate/lib/index.js + 4 modules
var candidate_lib = __webpack_require__(46399);
// EXTERNAL MODULE: ./packages/common/lib/index.js + 10 modules
var common_lib = __webpack_require__(46787);
// EXTERNAL MODULE: ./packages/lock/lib/index.js + 22 modules
var lock_lib = __webpack_require__(34764);
// EXTERNAL MODULE: ./packages/oci/lib/index.js + 10 modules
var oci_lib = __webpack_require__(99713);
// EXTERNAL MODULE: ./packages/resolve/lib/index.js + 5 modules
var resolve_lib = __webpack_require__(46989);
;// CONCATENATED MODULE: ./packages/rebuild/lib/rebuild.js










/** Reads a candidate's manifest, config and embedded pylock.toml (or requirements.txt) from a store. */
async function readStoredCandidate(store, candidate) {
    const digest = (0,common_lib/* parseDigest */.m)(candidate, 'candidate');
    const m = await store.getManifest(digest);
    const manifest = (0,candidate_lib/* parseManifest */.Ng)(m.bytes, `candidate ${digest}`);
    if (!(0,candidate_lib/* isCandidateManifest */.VZ)(manifest)) {
        throw new common_lib/* KarooError */.xD('input', `${digest} in ${store.ref} is not a karoo candidate (artifactType ${manifest.artifactType ?? 'none'}); pass a candidate digest (karoo status, karoo build)`);
    }
    const configBytes = await (0,oci_lib/* readVerifiedBlob */.av)(store, manifest.config, `config of ${digest}`, CANDIDATE_META_MAX);
    let config;
    try {
        config = JSON.parse(configBytes.toString('utf8'));
    }
    catch {
        throw new common_lib/* KarooError */.xD('integrity', `config of ${digest} in ${store.ref} is not JSON`);
    }
    const layer = manifest.layers.find((l) => l.mediaType === candidate_lib/* KAROO */.PQ.pylock) ?? manifest.layers.find((l) => l.mediaType === candidate_lib/* KAROO */.PQ.requirements);
    if (!layer)
        throw new common_lib/* KarooError */.xD('integrity', `candidate ${digest} in ${store.ref} embeds no lock (neither a pylock.toml nor a requirements.txt layer)`);
    const name = layer.mediaType === candidate_lib/* KAROO */.PQ.pylock ? 'pylock.toml' : 'requirements.txt';
    const text = (await (0,oci_lib/* readVerifiedBlob */.av)(store, layer, `${name} of ${digest}`, CANDIDATE_META_MAX)).toString('utf8');
    // The reader chooses the format by file name; the digest goes into errors below.
    const { lock } = (0,lock_lib/* readLockText */.tm)(text, name);
    if (lock.digest !== config.lockDigest) {
        throw new common_lib/* KarooError */.xD('integrity', `the ${name} embedded in ${digest} has lock digest ${lock.digest}, but its config names ${config.lockDigest}; the candidate is damaged or crafted`);
    }
    return { digest, manifest, config, lock };
}
/** A candidate's config and lock layer are small: a descriptor claiming more is refused unread. */
const CANDIDATE_META_MAX = 16 << 20;
/**
 * Rebuilds a stored candidate from its own lock against the world as it is now: every locked
 * file is looked up again (on `mirror`, or the lock's own index and the configured indexes, by
 * file name), downloaded again (from the given lock's URL, else from the index's link), checked
 * against the locked sha256 and size, and, when every file came back the same, the candidate
 * is built from them into a scratch OCI layout (removed afterwards) and its digest compared.
 * Never throws for what changed: the result names every file that did; throws only when the
 * candidate cannot be read or there is nowhere to look for its files.
 */
async function rebuild_rebuild(options) {
    const progress = options.progress ?? silentProgress;
    const env = options.env ?? process.env;
    const wanted = parseDigest(options.candidate, 'candidate');
    const stored = options.stored?.digest === wanted ? options.stored : await readStoredCandidate(options.store, wanted);
    const { digest, config } = stored;
    if (options.lock && options.lock.digest !== stored.lock.digest) {
        throw new KarooError('input', `the lock given has digest ${options.lock.digest}, but candidate ${digest} was built from ${stored.lock.digest}; pass the lock it was built from (or none)`);
    }
    const lockUrls = new Map();
    if (options.lock && !options.mirror) {
        for (const { pkg, file } of options.lock.files())
            lockUrls.set(file.sha256, { url: file.url, index: pkg.index });
    }
    const indexes = options.indexes ?? [];
    if (!options.mirror && indexes.length === 0 && ![...lockUrls.values()].some((u) => u.url)) {
        throw new KarooError('input', `candidate ${digest} names no file URLs (a candidate's own lock never does); pass --mirror INDEX_URL, --config karoo.yml (its indexes), or --lock with the lock it was built from`);
    }
    const source = options.mirror ? 'mirror' : lockUrls.size > 0 ? 'lock' : 'indexes';
    // Downloads carry credentials by origin: the configured indexes' and the mirror's, each only to its own origin.
    const headersFor = indexAuthHeaders([...indexes, ...(options.mirror ? [options.mirror] : [])], env);
    const client = new IndexClient(env);
    const limit = pLimit(options.concurrency ?? 8);
    const scratch = await mkdtemp(join(options.tmpDir ?? tmpdir(), 'karoo-rebuild-'));
    try {
        const downloads = join(scratch, 'files');
        await mkdir(downloads);
        const entries = uniqueFiles(stored.lock);
        const checked = new Map();
        progress.info(`rebuild ${digest}: ${entries.length} files, looked up ${options.mirror ? `on ${stripCredentials(options.mirror.url)}` : source === 'lock' ? "at the lock's URLs" : `on ${indexes.map((i) => i.name).join(', ')}`}`);
        const files = await Promise.all(entries.map(({ pkg, file }) => limit(() => checkFile(pkg, file, {
            mirror: options.mirror,
            indexes,
            lockUrl: lockUrls.get(file.sha256),
            client,
            headersFor,
            dir: downloads,
            checked,
        }))));
        const problems = [];
        for (const f of files) {
            if (f.status !== 'same')
                problems.push(`${f.name}: ${f.reason}`);
            if (f.yanked)
                problems.push(`${f.name}: yanked on ${f.index}${f.status === 'same' ? ' (still downloadable, same bytes)' : ''}`);
        }
        const count = (s) => files.filter((f) => f.status === s).length;
        const counts = {
            same: count('same'),
            changed: count('changed'),
            missing: count('missing'),
            unavailable: count('unavailable'),
            yanked: files.filter((f) => f.yanked).length,
        };
        let rebuilt;
        let digestDiffers = false;
        if (counts.same === files.length) {
            const scratchStore = new LayoutStore(join(scratch, 'store'));
            const input = { system: config.system, target: config.target, leaves: config.leaves.map((l) => l.name) };
            // Every file was just downloaded and checked: the build uses them as they are (no third hash).
            const r = await build({
                lock: stored.lock,
                store: scratchStore,
                ...input,
                verifiedFiles: checked,
                headersFor,
                concurrency: options.concurrency,
                progress,
            });
            rebuilt = r.candidate;
            if (rebuilt !== digest) {
                digestDiffers = true;
                problems.push(...manifestDifferences(stored.manifest, candidateFor(stored.lock, input).manifest, digest, rebuilt));
            }
        }
        const kind = counts.changed > 0 || digestDiffers
            ? 'integrity'
            : counts.missing + counts.unavailable > 0
                ? 'unavailable'
                : counts.yanked > 0
                    ? 'conflict'
                    : undefined;
        const rebuildable = rebuilt === digest;
        progress.info(rebuildable
            ? `rebuilt ${digest}: the same digest${counts.yanked ? ` (but ${counts.yanked} file${counts.yanked === 1 ? ' is' : 's are'} yanked)` : ''}`
            : `${digest} cannot be rebuilt: ${counts.changed} changed, ${counts.missing} missing, ${counts.unavailable} unavailable, ${counts.yanked} yanked`);
        return { candidate: digest, store: options.store.ref, rebuildable, rebuilt, source, files, counts, problems, kind };
    }
    finally {
        await rm(scratch, { recursive: true, force: true });
    }
}
function uniqueFiles(lock) {
    const seen = new Set();
    return lock
        .files()
        .filter(({ file }) => (seen.has(file.sha256) ? false : (seen.add(file.sha256), true)))
        .sort((a, b) => (a.file.name < b.file.name ? -1 : a.file.name > b.file.name ? 1 : 0));
}
async function checkFile(pkg, file, ctx) {
    const base = { name: file.name, package: pkg.name, version: pkg.version, expected: { sha256: file.sha256, size: file.size } };
    // Which index lists the file now: the mirror alone, else the lock's own index of the package first.
    const candidates = ctx.mirror ? [ctx.mirror] : [...ctx.indexes];
    const lockIndex = ctx.lockUrl?.index;
    if (!ctx.mirror && lockIndex && !candidates.some((i) => sameIndex(i.url, lockIndex))) {
        const known = ctx.indexes.find((i) => new URL(i.url).origin === safeOrigin(lockIndex));
        candidates.unshift({
            name: stripCredentials(lockIndex),
            url: lockIndex,
            private: false,
            usernameEnv: known?.usernameEnv,
            passwordEnv: known?.passwordEnv,
        });
    }
    let listed;
    const pageErrors = [];
    for (const ix of candidates) {
        try {
            const page = await ctx.client.page(ix, pkg.name);
            const entry = page?.files.find((f) => f.filename === file.name);
            if (entry) {
                listed = { index: ix, entry };
                break;
            }
        }
        catch (e) {
            pageErrors.push(`index "${ix.name}": ${errorMessage(e)}`);
        }
    }
    const index = listed ? listed.index.name : undefined;
    const yanked = listed ? listed.entry.yanked : undefined;
    const url = (ctx.mirror ? undefined : ctx.lockUrl?.url) ?? listed?.entry.url;
    const where = candidates.map((i) => `"${i.name}"`).join(', ');
    if (!url) {
        if (pageErrors.length > 0)
            return { ...base, status: 'unavailable', yanked, reason: `could not look it up: ${pageErrors.join('; ')}` };
        return { ...base, status: 'missing', yanked, reason: `deleted: no index lists it any more (asked ${where || 'none'})` };
    }
    const shown = stripCredentials(url);
    const common = { ...base, url: shown, index, yanked };
    let path;
    try {
        ({ path } = await downloadLockedFile(pkg, { ...file, url }, ctx.dir, { headersFor: ctx.headersFor }));
    }
    catch (e) {
        if (isKarooError(e) && e.kind === 'integrity') {
            const got = String(e.detail?.actual ?? '');
            const m = /^(sha256:[0-9a-f]{64}) \((\d+) bytes\)$/.exec(got);
            // A file that grew stops the download at the locked size: then the index page says what it is now.
            const fromPage = !m && listed?.entry.sha256 && listed.entry.sha256 !== file.sha256
                ? { sha256: listed.entry.sha256, size: listed.entry.size, text: `${got}; index "${index}" lists sha256:${listed.entry.sha256}` }
                : undefined;
            const actual = m ? { sha256: m[1].slice('sha256:'.length), size: Number(m[2]) } : (fromPage ?? { text: got });
            const sizeChanged = file.size !== undefined && (actual.size !== undefined ? actual.size !== file.size : got.startsWith('more than'));
            return {
                ...common,
                status: 'changed',
                actual,
                reason: `replaced: ${shown} serves ${fromPage?.text ?? (got || 'other bytes')}, the lock has sha256:${file.sha256}${file.size !== undefined ? ` (${file.size} bytes)` : ''}${sizeChanged ? '; its size changed too' : ''}`,
            };
        }
        const status = isKarooError(e) ? e.detail?.status : undefined;
        const code = (e.cause?.code ?? e.code);
        if (code === 'ENOENT')
            return { ...common, status: 'missing', reason: `deleted: ${shown} does not exist` };
        if (status === 404 || status === 410) {
            return {
                ...common,
                status: 'missing',
                reason: `deleted: ${shown} answered ${status}${listed ? ` (still listed on "${index}")` : ''}`,
            };
        }
        return { ...common, status: 'unavailable', reason: `could not download: ${errorMessage(e)}` };
    }
    // The bytes match the lock; an index that declares another hash for the name would be a second story.
    if (listed?.entry.sha256 && listed.entry.sha256 !== file.sha256) {
        return {
            ...common,
            status: 'changed',
            actual: { sha256: listed.entry.sha256, size: listed.entry.size },
            reason: `index "${index}" lists it with sha256:${listed.entry.sha256}, the lock has sha256:${file.sha256}`,
        };
    }
    ctx.checked.set(file.sha256, path);
    return { ...common, status: 'same' };
}
function safeOrigin(url) {
    try {
        return new URL(url).origin;
    }
    catch {
        return undefined;
    }
}
function sameIndex(a, b) {
    const norm = (u) => stripCredentials(u).replace(/\/+$/, '');
    return norm(a) === norm(b);
}
/** Which blobs of the rebuilt manifest differ from the stored one (when the files are the same but the digest is not). */
function manifestDifferences(stored, rebuilt, digest, rebuiltDigest) {
    const out = [`the rebuild gives ${rebuiltDigest}, not ${digest}, from the same files`];
    if (stored.config.digest !== rebuilt.config.digest)
        out.push(`config: stored ${stored.config.digest}, rebuilt ${rebuilt.config.digest}`);
    const title = (d) => d.annotations?.[ANNOTATIONS.title] ?? d.digest;
    const have = new Set(rebuilt.layers.map((l) => l.digest));
    for (const l of stored.layers)
        if (!have.has(l.digest))
            out.push(`layer ${title(l)}: stored ${l.digest} has no equal in the rebuild`);
    return out;
}
//# sourceMappingURL=rebuild.js.map
;// CONCATENATED MODULE: ./packages/rebuild/lib/challenge.js




/**
 * Compares the copies of a candidate in two (or more) stores blob by blob — the manifest, the
 * config and every layer — re-hashing each copy: present in each store, and the same bytes?
 * In the spirit of `guix challenge`: an air-gapped site checks its copy against the origin.
 * Never throws for a difference (the result names each); throws when no store holds an intact
 * manifest of the candidate, since then there is no list of blobs to compare.
 */
async function challenge(candidate, stores, options = {}) {
    const digest = parseDigest(candidate, 'candidate');
    if (stores.length < 2)
        throw new KarooError('input', `challenge needs at least two stores (got ${stores.length}); pass --store twice`);
    const progress = options.progress ?? silentProgress;
    const limit = pLimit(options.concurrency ?? 4);
    const manifests = await Promise.all(stores.map((s) => readManifestCopy(s, digest)));
    const intact = manifests.find((m) => m.bytes !== undefined);
    if (!intact?.bytes) {
        throw new KarooError('integrity', `no store holds an intact manifest of ${digest}: ${manifests.map((m) => `${m.copy.store}: ${m.copy.reason ?? m.copy.status}`).join('; ')}`);
    }
    const manifest = parseManifest(intact.bytes, `manifest ${digest}`);
    const blobs = [
        {
            role: 'manifest',
            digest,
            size: intact.bytes.length,
            copies: manifests.map((m) => m.copy),
            same: manifests.every((m) => m.copy.status === 'ok'),
        },
    ];
    const list = [
        { role: 'config', d: manifest.config },
        ...manifest.layers.map((d) => ({ role: 'layer', d })),
    ];
    progress.info(`challenge ${digest}: ${list.length + 1} blobs in ${stores.length} stores`);
    for (const { role, d } of list) {
        const copies = await Promise.all(stores.map((s) => limit(() => blobCopy(s, d))));
        blobs.push({
            role,
            title: d.annotations?.[ANNOTATIONS.title],
            digest: d.digest,
            size: d.size,
            copies,
            same: copies.every((c) => c.status === 'ok'),
        });
    }
    const problems = [];
    for (const b of blobs) {
        for (const c of b.copies) {
            if (c.status === 'ok')
                continue;
            problems.push(`${b.role}${b.title ? ` "${b.title}"` : ''} ${b.digest}: ${c.status} in ${c.store}${c.reason ? ` (${c.reason})` : ''}`);
        }
    }
    const differences = blobs.filter((b) => !b.same).length;
    progress.info(differences === 0
        ? `every blob of ${digest} is the same in ${stores.map((s) => s.ref).join(' and ')}`
        : `${differences} of ${blobs.length} blobs of ${digest} differ`);
    return { candidate: digest, stores: stores.map((s) => s.ref), blobs, differences, identical: differences === 0, problems };
}
async function readManifestCopy(store, digest) {
    try {
        // Asked by digest, the store checks the bytes against it.
        const m = await store.getManifest(digest);
        return { copy: { store: store.ref, status: 'ok' }, bytes: m.bytes };
    }
    catch (e) {
        if (isKarooError(e) && e.kind === 'input' && e.detail?.notFound)
            return { copy: { store: store.ref, status: 'missing', reason: 'not in the store' } };
        if (isKarooError(e) && e.kind === 'integrity') {
            const actual = e.detail?.actual;
            return { copy: { store: store.ref, status: 'damaged', actual, reason: errorMessage(e) } };
        }
        if (isKarooError(e) && e.kind === 'input')
            return { copy: { store: store.ref, status: 'missing', reason: errorMessage(e) } };
        throw e;
    }
}
async function blobCopy(store, d) {
    if (!(await store.hasBlob(d.digest)))
        return { store: store.ref, status: 'missing', reason: 'not in the store' };
    try {
        await verifyBlob(store, d, `blob ${d.digest}`);
        return { store: store.ref, status: 'ok' };
    }
    catch (e) {
        if (!isKarooError(e) || e.kind !== 'integrity')
            throw e;
        if (e.detail?.missing)
            return { store: store.ref, status: 'missing', reason: 'not in the store' };
        const actual = e.detail?.actual;
        return {
            store: store.ref,
            status: 'damaged',
            actual: actual ?? { size: `more than ${d.size}` },
            reason: actual ? `holds ${actual.digest} (${actual.size} bytes)` : `holds more than ${d.size} bytes`,
        };
    }
}
//# sourceMappingURL=challenge.js.map
;// CONCATENATED MODULE: ./packages/rebuild/lib/check.js


/**
 * Rebuild-checks the candidates the given environments run, each distinct candidate once
 * (`rebuild` for each; one that cannot be read is reported, not thrown).
 */
async function rebuildCheck(running, options) {
    const byCandidate = new Map();
    for (const r of running)
        byCandidate.set(r.candidate, [...(byCandidate.get(r.candidate) ?? []), r.environment]);
    const checked = [];
    for (const [candidate, environments] of byCandidate) {
        try {
            checked.push({ candidate, environments, result: await rebuild({ ...options, candidate }) });
        }
        catch (e) {
            if (!isKarooError(e))
                throw e;
            checked.push({ candidate, environments, error: errorMessage(e) });
        }
    }
    return { checked, ok: checked.every((c) => c.result !== undefined && c.result.kind === undefined) };
}
/** The first line of the issue body: how the check finds its one issue again. */
const REBUILD_ISSUE_MARKER = '<!-- karoo:rebuild-check -->';
/** The label the issue carries (lets the check list only its own issues). */
const REBUILD_ISSUE_LABEL = 'karoo-rebuild';
const cell = (s) => s.replace(/\|/g, '\\|').replace(/\n/g, ' ');
/** The issue body / job summary: one section per candidate, a table of every file that changed. */
function renderCheckMarkdown(check, options = {}) {
    const lines = [REBUILD_ISSUE_MARKER, ''];
    lines.push(check.ok
        ? '**Every running candidate can still be rebuilt from its lock.**'
        : '**A running candidate can no longer be rebuilt from its lock.**', '');
    for (const c of check.checked) {
        const envs = c.environments.join(', ');
        if (c.error) {
            lines.push(`### ${envs}: \`${c.candidate}\` could not be checked`, '', cell(c.error), '');
            continue;
        }
        const r = c.result;
        const verdict = r.kind === undefined ? 'rebuildable' : r.kind === 'conflict' ? 'rebuildable, but yanked files' : 'not rebuildable';
        lines.push(`### ${envs}: \`${c.candidate}\` — ${verdict}`, '');
        const bad = r.files.filter((f) => f.status !== 'same' || f.yanked);
        if (bad.length) {
            lines.push('| file | status | what changed |', '| --- | --- | --- |');
            for (const f of bad)
                lines.push(`| \`${cell(f.name)}\` | ${f.status}${f.yanked ? ', yanked' : ''} | ${cell(f.reason ?? `yanked on ${f.index}`)} |`);
            lines.push('');
        }
        for (const p of r.problems.filter((p) => !r.files.some((f) => p.startsWith(`${f.name}: `))))
            lines.push(`- ${cell(p)}`);
        lines.push(`Check it yourself: \`karoo rebuild ${c.candidate} --store ${r.store}\``, '');
    }
    if (options.runUrl)
        lines.push(`Checked by ${options.runUrl}.`);
    return `${lines.join('\n').trimEnd()}\n`;
}
/**
 * Keeps ONE issue about rebuilds: when the check failed, the open issue carrying the marker
 * (label `karoo-rebuild`) is updated, or created; when it passed, an open one is updated and
 * closed, and none is created.
 */
async function publishRebuildIssue(gh, repo, check, options = {}) {
    const progress = options.progress ?? silentProgress;
    const title = options.title ?? 'karoo: a running candidate can no longer be rebuilt';
    const body = renderCheckMarkdown(check, { runUrl: options.runUrl });
    const open = await gh.paginate(gh.rest.issues.listForRepo, { ...repo, state: 'open', labels: REBUILD_ISSUE_LABEL, per_page: 100 });
    const mine = open
        .filter((i) => !i.pull_request &&
        typeof i.body === 'string' &&
        (i.body === REBUILD_ISSUE_MARKER || i.body.startsWith(`${REBUILD_ISSUE_MARKER}\n`)))
        .sort((a, b) => a.number - b.number)[0];
    if (check.ok) {
        if (!mine)
            return { number: 0, url: '', action: 'none' };
        const r = await gh.rest.issues.update({ ...repo, issue_number: mine.number, body, state: 'closed' });
        progress.info(`every candidate is rebuildable again: closed ${r.data.html_url}`);
        return { number: mine.number, url: r.data.html_url, action: 'closed' };
    }
    if (mine) {
        if (mine.body === body && mine.title === title)
            return { number: mine.number, url: mine.html_url, action: 'unchanged' };
        const r = await gh.rest.issues.update({ ...repo, issue_number: mine.number, title, body });
        progress.info(`updated ${r.data.html_url}`);
        return { number: mine.number, url: r.data.html_url, action: 'updated' };
    }
    const r = await gh.rest.issues.create({ ...repo, title, body, labels: [REBUILD_ISSUE_LABEL] });
    progress.info(`opened ${r.data.html_url}`);
    return { number: r.data.number, url: r.data.html_url, action: 'created' };
}
//# sourceMappingURL=check.js.map
;// CONCATENATED MODULE: ./packages/rebuild/lib/index.js



//# sourceMappingURL=index.js.map

/***/ })

};
