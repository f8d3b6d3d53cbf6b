export const id = 374;
export const ids = [374];
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

/***/ })

};
