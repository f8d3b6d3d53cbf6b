export const id = 989;
export const ids = [989];
export const modules = {

/***/ 66520:
/***/ ((__unused_webpack___webpack_module__, __webpack_exports__, __webpack_require__) => {

/* harmony export */ __webpack_require__.d(__webpack_exports__, {
/* harmony export */   EX: () => (/* binding */ IndexClient),
/* harmony export */   PH: () => (/* binding */ stripCredentials),
/* harmony export */   rv: () => (/* binding */ authorizationFor),
/* harmony export */   uy: () => (/* binding */ urlWithCredentials)
/* harmony export */ });
/* harmony import */ var node_fs_promises__WEBPACK_IMPORTED_MODULE_0__ = __webpack_require__(51455);
/* harmony import */ var node_crypto__WEBPACK_IMPORTED_MODULE_1__ = __webpack_require__(77598);
/* harmony import */ var node_url__WEBPACK_IMPORTED_MODULE_2__ = __webpack_require__(73136);
/* harmony import */ var _karoo_common__WEBPACK_IMPORTED_MODULE_3__ = __webpack_require__(46787);
/* harmony import */ var _karoo_lock__WEBPACK_IMPORTED_MODULE_4__ = __webpack_require__(34764);
/* harmony import */ var _karoo_transport__WEBPACK_IMPORTED_MODULE_5__ = __webpack_require__(69794);






const JSON_TYPE = 'application/vnd.pypi.simple.v1+json';
/** Largest project page karoo reads (PyPI's biggest JSON pages are tens of MB). */
const MAX_PAGE = 256 << 20;
/**
 * `Authorization: Basic …` for a request to `url`, when the index has credentials and `url` is
 * on the index's own origin (the decision is @karoo/common's credentialsFor, shared with build).
 */
function authorizationFor(url, ix, env = process.env) {
    const c = ix && (0,_karoo_common__WEBPACK_IMPORTED_MODULE_3__/* .credentialsFor */ .Og)(url, ix, env);
    return c ? (0,_karoo_common__WEBPACK_IMPORTED_MODULE_3__/* .basicAuthHeader */ .mn)(c) : undefined;
}
/**
 * `url` with the index's credentials in it, for a resolver process that needs them, when
 * credentialsFor allows them for that URL; otherwise `url` unchanged. Such a URL goes only to
 * a child process or over loopback, never into anything written.
 */
function urlWithCredentials(url, ix, env = process.env) {
    const c = ix && (0,_karoo_common__WEBPACK_IMPORTED_MODULE_3__/* .credentialsFor */ .Og)(url, ix, env);
    return c ? (0,_karoo_common__WEBPACK_IMPORTED_MODULE_3__/* .urlWithUserinfo */ .j9)(url, c) : url;
}
/** Removes user and password from a URL: nothing karoo writes ever holds credentials. */
function stripCredentials(url) {
    try {
        const u = new URL(url);
        if (!u.username && !u.password)
            return url;
        u.username = '';
        u.password = '';
        return u.href;
    }
    catch {
        return url;
    }
}
/**
 * Reads project pages of PEP 503 (HTML) and PEP 691 (JSON) indexes over http(s) or file://.
 * Pages are cached per client, so one resolve never asks twice.
 */
class IndexClient {
    cache = new Map();
    env;
    transport;
    /** Count of page requests made, for tests and progress. */
    requests = 0;
    constructor(env = process.env, transport = _karoo_transport__WEBPACK_IMPORTED_MODULE_5__/* .transport */ .et) {
        this.env = env;
        this.transport = transport;
    }
    /** The project's page, or undefined when the index does not have the project. */
    page(index, project) {
        const name = (0,_karoo_lock__WEBPACK_IMPORTED_MODULE_4__/* .normalizeName */ .Pc)(project);
        const key = `${index.url}\0${name}`;
        let p = this.cache.get(key);
        if (!p) {
            p = this.fetchPage(index, name);
            this.cache.set(key, p);
        }
        return p;
    }
    async fetchPage(index, name) {
        const pageUrl = new URL(`${name}/`, index.url).href;
        this.requests++;
        if (pageUrl.startsWith('file:'))
            return this.fileUrlPage(index, name, pageUrl);
        let res;
        try {
            // The index's credentials go with each hop on the index's own origin only (redirects included).
            res = await this.transport.request({
                method: 'GET',
                url: pageUrl,
                headers: { accept: `${JSON_TYPE}, text/html;q=0.1` },
                headersFor: (url) => {
                    const auth = authorizationFor(url.href, index, this.env);
                    return auth ? { authorization: auth } : undefined;
                },
                idleTimeoutMs: 30_000,
                what: `index "${index.name}" page ${stripCredentials(pageUrl)}`,
            });
        }
        catch (e) {
            if ((0,_karoo_common__WEBPACK_IMPORTED_MODULE_3__/* .isKarooError */ .ro)(e) && e.kind === 'input')
                throw e;
            // Still answering 429/502/503/504 after the retries: the index is there but not serving.
            if (e.cause?.status !== undefined)
                throw new _karoo_common__WEBPACK_IMPORTED_MODULE_3__/* .KarooError */ .xD('unavailable', `${(0,_karoo_common__WEBPACK_IMPORTED_MODULE_3__/* .errorMessage */ .gJ)(e)}; try again or check the index`, { cause: e });
            // Through a proxy, the transport's message names the proxy: "check the index" would mislead.
            if ((0,_karoo_transport__WEBPACK_IMPORTED_MODULE_5__/* .proxyFor */ .iJ)(new URL(pageUrl), this.env))
                throw new _karoo_common__WEBPACK_IMPORTED_MODULE_3__/* .KarooError */ .xD('unavailable', (0,_karoo_common__WEBPACK_IMPORTED_MODULE_3__/* .errorMessage */ .gJ)(e), { cause: e });
            const cause = (0,_karoo_common__WEBPACK_IMPORTED_MODULE_3__/* .networkCause */ .u6)(e);
            throw new _karoo_common__WEBPACK_IMPORTED_MODULE_3__/* .KarooError */ .xD('unavailable', `index "${index.name}" at ${stripCredentials(index.url)} is unreachable (${cause}); check its URL in karoo.yml and that it is serving`, { cause: e });
        }
        if (res.status === 404) {
            await (0,_karoo_transport__WEBPACK_IMPORTED_MODULE_5__/* .drain */ .Ze)(res);
            return undefined;
        }
        if (res.status === 401 || res.status === 403) {
            await (0,_karoo_transport__WEBPACK_IMPORTED_MODULE_5__/* .drain */ .Ze)(res);
            throw new _karoo_common__WEBPACK_IMPORTED_MODULE_3__/* .KarooError */ .xD('input', (0,_karoo_common__WEBPACK_IMPORTED_MODULE_3__/* .refusedAccessMessage */ .Yf)(index, name, res.status, this.env));
        }
        if (res.status < 200 || res.status > 299) {
            await (0,_karoo_transport__WEBPACK_IMPORTED_MODULE_5__/* .drain */ .Ze)(res);
            throw new _karoo_common__WEBPACK_IMPORTED_MODULE_3__/* .KarooError */ .xD('unavailable', `index "${index.name}" answered HTTP ${res.status} for ${stripCredentials(pageUrl)}; try again or check the index`);
        }
        const body = await (0,_karoo_transport__WEBPACK_IMPORTED_MODULE_5__/* .readBody */ .x8)(res, MAX_PAGE);
        const type = (0,_karoo_transport__WEBPACK_IMPORTED_MODULE_5__/* .header */ .wx)(res, 'content-type') ?? '';
        const base = stripCredentials(res.url.href);
        const format = type.includes(JSON_TYPE) || type.includes('application/json') ? 'json' : 'html';
        return this.build(index, name, base, body, format);
    }
    async fileUrlPage(index, name, pageUrl) {
        const dir = (0,node_url__WEBPACK_IMPORTED_MODULE_2__.fileURLToPath)(pageUrl);
        for (const [file, format] of [
            ['index.json', 'json'],
            ['index.html', 'html'],
        ]) {
            try {
                const body = await (0,node_fs_promises__WEBPACK_IMPORTED_MODULE_0__.readFile)(`${dir}${file}`);
                return this.build(index, name, pageUrl, body, format);
            }
            catch (e) {
                const code = e.code;
                if (code === 'ENOENT' || code === 'ENOTDIR')
                    continue;
                throw new _karoo_common__WEBPACK_IMPORTED_MODULE_3__/* .KarooError */ .xD('unavailable', `index "${index.name}": cannot read ${dir}${file} (${code ?? (0,_karoo_common__WEBPACK_IMPORTED_MODULE_3__/* .errorMessage */ .gJ)(e)})`);
            }
        }
        // No page for the project: tell "the index has no such project" from "there is no index".
        if (!(await (0,node_fs_promises__WEBPACK_IMPORTED_MODULE_0__.stat)((0,node_url__WEBPACK_IMPORTED_MODULE_2__.fileURLToPath)(index.url)).catch(() => undefined))?.isDirectory()) {
            throw new _karoo_common__WEBPACK_IMPORTED_MODULE_3__/* .KarooError */ .xD('unavailable', `index "${index.name}" at ${index.url} does not exist; check its url in karoo.yml`);
        }
        return undefined;
    }
    build(index, project, base, body, format) {
        const files = format === 'json' ? parseJsonPage(body, base, index) : parseHtmlPage(body.toString('utf8'), base);
        return { index, project, files, pageDigest: (0,node_crypto__WEBPACK_IMPORTED_MODULE_1__.createHash)('sha256').update(body).digest('hex'), format };
    }
}
function splitFragment(href, base) {
    const abs = new URL(href, base);
    const frag = abs.hash.slice(1);
    abs.hash = '';
    const m = /(?:^|&)sha256=([0-9a-fA-F]{64})/.exec(frag);
    return { url: stripCredentials(abs.href), ...(m ? { sha256: m[1].toLowerCase() } : {}) };
}
function parseJsonPage(body, base, index) {
    let doc;
    try {
        doc = JSON.parse(body.toString('utf8'));
    }
    catch {
        throw new _karoo_common__WEBPACK_IMPORTED_MODULE_3__/* .KarooError */ .xD('unavailable', `index "${index.name}" served invalid JSON at ${base}`);
    }
    return (doc.files ?? []).map((f) => {
        const { url, sha256: fragHash } = splitFragment(String(f.url), base);
        const hashes = (f.hashes ?? {});
        const sha = hashes.sha256?.toLowerCase() ?? fragHash;
        return {
            filename: String(f.filename),
            url,
            sha256: sha,
            size: typeof f.size === 'number' ? f.size : undefined,
            yanked: f.yanked !== undefined && f.yanked !== false,
            requiresPython: typeof f['requires-python'] === 'string' ? f['requires-python'] : undefined,
            coreMetadata: metadataFlag(f['core-metadata'] ?? f['dist-info-metadata']),
            // Anything but a date-time counts as no upload time: the cutoff then reports the project.
            uploadTime: typeof f['upload-time'] === 'string' && (0,_karoo_lock__WEBPACK_IMPORTED_MODULE_4__/* .parseInstant */ .nV)(f['upload-time']) !== undefined ? f['upload-time'] : undefined,
        };
    });
}
function metadataFlag(v) {
    if (v === undefined || v === false || v === 'false')
        return undefined;
    if (typeof v === 'string') {
        const m = /^sha256=([0-9a-fA-F]{64})$/.exec(v);
        return m ? { sha256: m[1].toLowerCase() } : {};
    }
    if (typeof v === 'object' && v !== null) {
        const sha = v.sha256;
        return typeof sha === 'string' ? { sha256: sha.toLowerCase() } : {};
    }
    return v === true ? {} : undefined;
}
const ANCHOR = /<a\s([^>]*)>([^<]*)<\/a\s*>/gi;
const ATTR = /([a-zA-Z_:][-a-zA-Z0-9_:.]*)\s*(?:=\s*(?:"([^"]*)"|'([^']*)'|([^\s"'=<>`]+)))?/g;
function unescapeHtml(s) {
    return s.replace(/&(#x[0-9a-f]+|#[0-9]+|lt|gt|amp|quot|apos|#39);/gi, (_, e) => {
        const l = e.toLowerCase();
        if (l === 'lt')
            return '<';
        if (l === 'gt')
            return '>';
        if (l === 'amp')
            return '&';
        if (l === 'quot')
            return '"';
        if (l === 'apos' || l === '#39')
            return "'";
        return String.fromCodePoint(l.startsWith('#x') ? parseInt(l.slice(2), 16) : parseInt(l.slice(1), 10));
    });
}
function parseHtmlPage(html, base) {
    const out = [];
    for (const a of html.matchAll(ANCHOR)) {
        const attrs = new Map();
        for (const m of a[1].matchAll(ATTR))
            attrs.set(m[1].toLowerCase(), unescapeHtml(m[2] ?? m[3] ?? m[4] ?? ''));
        const href = attrs.get('href');
        if (!href)
            continue;
        const { url, sha256 } = splitFragment(href, base);
        const filename = decodeURIComponent(new URL(url).pathname.split('/').pop() ?? unescapeHtml(a[2].trim()));
        out.push({
            filename,
            url,
            sha256,
            size: undefined,
            yanked: attrs.has('data-yanked'),
            requiresPython: attrs.get('data-requires-python'),
            coreMetadata: metadataFlag(attrs.get('data-core-metadata') ?? attrs.get('data-dist-info-metadata')),
        });
    }
    return out;
}
//# sourceMappingURL=index-client.js.map

/***/ }),

/***/ 46989:
/***/ ((__unused_webpack___webpack_module__, __webpack_exports__, __webpack_require__) => {


// EXPORTS
__webpack_require__.d(__webpack_exports__, {
  readExistingLock: () => (/* reexport */ readExistingLock),
  resolveLock: () => (/* reexport */ resolveLock),
  writeLockFiles: () => (/* reexport */ writeLockFiles)
});

// UNUSED EXPORTS: IndexClient, PYLOCK, REQUIREMENTS, authorizationFor, findPython, isolatedPipEnv, lastLockKeys, parseDistFilename, pipBackend, pipCacheDir, pipCacheKeys, pipHttpCacheDirs, serveMergedIndex, stripCredentials, urlWithCredentials, wheelFitsTarget

// EXTERNAL MODULE: external "node:fs/promises"
var promises_ = __webpack_require__(51455);
// EXTERNAL MODULE: external "node:os"
var external_node_os_ = __webpack_require__(48161);
// EXTERNAL MODULE: external "node:path"
var external_node_path_ = __webpack_require__(76760);
// EXTERNAL MODULE: external "node:url"
var external_node_url_ = __webpack_require__(73136);
// EXTERNAL MODULE: ./node_modules/p-limit/index.js + 1 modules
var p_limit = __webpack_require__(70370);
// EXTERNAL MODULE: ./packages/common/lib/index.js + 10 modules
var lib = __webpack_require__(46787);
// EXTERNAL MODULE: ./packages/lock/lib/index.js + 22 modules
var lock_lib = __webpack_require__(34764);
// EXTERNAL MODULE: ./packages/transport/lib/index.js + 2 modules
var transport_lib = __webpack_require__(69794);
;// CONCATENATED MODULE: ./packages/resolve/lib/filenames.js

/** Parses `{dist}-{version}(-{build})?-{python}-{abi}-{platform}.whl` or `{name}-{version}.tar.gz|.zip`. */
function parseDistFilename(filename) {
    if (filename.endsWith('.whl')) {
        const parts = filename.slice(0, -4).split('-');
        if (parts.length !== 5 && parts.length !== 6)
            return undefined;
        const [dist, version] = parts;
        const [py, abi, plat] = parts.slice(-3);
        const tags = [];
        for (const p of py.split('.'))
            for (const a of abi.split('.'))
                for (const pl of plat.split('.'))
                    tags.push([p, a, pl]);
        return { kind: 'wheel', name: (0,lock_lib/* normalizeName */.Pc)(dist), version: (0,lock_lib/* normalizeVersion */.Qj)(version), tags };
    }
    const m = /^(.+)-([^-]+)\.(tar\.gz|zip|tar\.bz2)$/.exec(filename);
    if (!m)
        return undefined;
    return { kind: 'sdist', name: (0,lock_lib/* normalizeName */.Pc)(m[1]), version: (0,lock_lib/* normalizeVersion */.Qj)(m[2]), tags: [] };
}
/**
 * Whether a wheel can be installed on the target. Deliberately a subset of packaging.tags:
 * enough to choose a leaf's newest *usable* build; pip makes the final call for the closure.
 */
function wheelFitsTarget(file, target) {
    if (file.kind !== 'wheel')
        return false;
    const [major, minor] = target.python.split('.');
    const impl = target.implementation ?? 'cp';
    const nodot = `${major}${minor}`;
    const pythons = new Set([`py${major}`, `py${nodot}`, `${impl}${major}`, `${impl}${nodot}`]);
    for (let m = 0; m <= Number(minor); m++)
        pythons.add(`${impl}${major}${m}`);
    const platforms = new Set(['any', ...target.platforms, ...expandManylinux(target.platforms)]);
    return file.tags.some(([py, abi, plat]) => {
        if (!pythons.has(py))
            return false;
        if (abi !== 'none' && abi !== 'abi3' && abi !== `${impl}${nodot}`)
            return false;
        return platforms.has(plat);
    });
}
// manylinux_2_28_x86_64 accepts any manylinux_2_Y_x86_64 with Y ≤ 28, and the legacy aliases.
function expandManylinux(platforms) {
    const out = [];
    for (const p of platforms) {
        const m = /^manylinux_2_([0-9]+)_(.+)$/.exec(p);
        if (!m)
            continue;
        const glibc = Number(m[1]);
        const arch = m[2];
        for (let y = 5; y <= glibc; y++)
            out.push(`manylinux_2_${y}_${arch}`);
        if (glibc >= 17)
            out.push(`manylinux2014_${arch}`);
        if (glibc >= 12)
            out.push(`manylinux2010_${arch}`);
        if (glibc >= 5)
            out.push(`manylinux1_${arch}`);
        out.push(`linux_${arch}`);
    }
    return out;
}
//# sourceMappingURL=filenames.js.map
// EXTERNAL MODULE: ./packages/resolve/lib/index-client.js
var index_client = __webpack_require__(66520);
// EXTERNAL MODULE: external "node:crypto"
var external_node_crypto_ = __webpack_require__(77598);
// EXTERNAL MODULE: external "node:http"
var external_node_http_ = __webpack_require__(37067);
;// CONCATENATED MODULE: ./packages/resolve/lib/merged-index.js





/**
 * A private-first view of several indexes, served on 127.0.0.1 for the resolver: a project
 * the private index has is listed with the private files only; other projects with the files
 * of every extra index. So a public package can never shadow a private name, whatever its
 * version (dependency confusion), which pip's `--extra-index-url` alone cannot promise.
 * Pages are PEP 503 HTML with PEP 658 metadata links; file URLs point at the original indexes,
 * with an index's credentials only in URLs on that index's own origin (credentialsFor). Those
 * pages are for the resolver alone: they are served only under a random path, so another
 * process on the machine that finds the port learns nothing.
 */
async function serveMergedIndex(client, indexes, env = process.env, options = {}) {
    const failures = [];
    const asOf = options.asOf;
    const pageFor = async (name) => {
        // The cutoff filters after the private-first choice: a private project whose files are all
        // newer than the cutoff is empty, never replaced by a public one of the same name.
        const out = (await mergedFiles(client, indexes, name)).filter(({ file }) => visibleAt(file, asOf));
        return out.length > 0 ? out : undefined;
    };
    const token = (0,external_node_crypto_.randomBytes)(32).toString('hex');
    const server = (0,external_node_http_.createServer)((req, res) => {
        const m = /^\/([0-9a-f]{64})\/simple\/([^/?#]+)\/?(?:\?.*)?$/.exec(req.url ?? '');
        if (req.method !== 'GET' || !m || !(0,external_node_crypto_.timingSafeEqual)(Buffer.from(m[1]), Buffer.from(token))) {
            res.writeHead(404).end();
            return;
        }
        const name = (0,lock_lib/* normalizeName */.Pc)(decodeURIComponent(m[2]));
        // html() is inside the chain: a refusal to send credentials is a failure like any other.
        pageFor(name)
            .then((files) => files && html(name, files, env))
            .then((page) => {
            if (!page) {
                res.writeHead(404, { 'content-type': 'text/plain' }).end('not found');
                return;
            }
            res.writeHead(200, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store' }).end(page);
        }, (e) => {
            // The resolver only sees a 502; the real cause is rethrown to the caller of close().
            failures.push(e);
            res.writeHead(502, { 'content-type': 'text/plain' }).end((0,lib/* errorMessage */.gJ)(e));
        });
    });
    await new Promise((resolve, reject) => {
        server.once('error', reject);
        server.listen(0, '127.0.0.1', () => resolve());
    });
    const { port } = server.address();
    return {
        url: `http://127.0.0.1:${port}/${token}/simple/`,
        close: async () => {
            server.closeAllConnections();
            await new Promise((resolve) => server.close(() => resolve()));
            if (failures.length > 0)
                throw failures[0];
        },
    };
}
/**
 * The files of `name` in the private-first view: the private index's files when it has the
 * project, else the files of every extra index. What the merged index serves before the cutoff.
 */
async function mergedFiles(client, indexes, name) {
    for (const ix of indexes.filter((x) => x.private)) {
        const page = await client.page(ix, name);
        if (page && page.files.length > 0)
            return page.files.map((file) => ({ ix, file }));
    }
    const out = [];
    for (const ix of indexes.filter((x) => !x.private)) {
        const page = await client.page(ix, name);
        for (const file of page?.files ?? [])
            out.push({ ix, file });
    }
    return out;
}
/** True when `file` is visible under the cutoff: uploaded at or before it, or of unknown upload time. */
function visibleAt(file, asOf) {
    if (asOf === undefined || file.uploadTime === undefined)
        return true;
    const t = (0,lock_lib/* parseInstant */.nV)(file.uploadTime);
    return t === undefined || t <= asOf;
}
const esc = (s) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
function html(name, files, env) {
    const links = files.map(({ ix, file }) => {
        // The resolver downloads files straight from where the index links them: with the index's
        // credentials on the index's own origin only, never on a host the page merely names.
        const href = `${(0,index_client/* urlWithCredentials */.uy)(file.url, ix, env)}${file.sha256 ? `#sha256=${file.sha256}` : ''}`;
        const attrs = [`href="${esc(href)}"`];
        if (file.requiresPython)
            attrs.push(`data-requires-python="${esc(file.requiresPython)}"`);
        if (file.yanked)
            attrs.push('data-yanked=""');
        if (file.coreMetadata) {
            const v = file.coreMetadata.sha256 ? `sha256=${file.coreMetadata.sha256}` : 'true';
            attrs.push(`data-dist-info-metadata="${v}"`, `data-core-metadata="${v}"`);
        }
        return `<a ${attrs.join(' ')}>${esc(file.filename)}</a><br/>`;
    });
    return `<!DOCTYPE html>\n<html><head><meta name="pypi:repository-version" content="1.0"><title>Links for ${esc(name)}</title></head><body>\n${links.join('\n')}\n</body></html>\n`;
}
//# sourceMappingURL=merged-index.js.map
;// CONCATENATED MODULE: ./packages/resolve/lib/resolve.js











/**
 * Resolve: pick the newest allowed build of every leaf from the private index, let the
 * backend resolve the full closure for the target, and turn its answer into a Lock with
 * URL, sha256 and size for every file. A name the private index has is never accepted
 * from another index.
 */
async function resolveLock(options) {
    const { config, previous } = options;
    const progress = options.progress ?? lib/* silentProgress */.RZ;
    const env = options.env ?? process.env;
    const client = options.client ?? new index_client/* IndexClient */.EX(env);
    const backendName = options.backend?.name ?? 'pip';
    const timings = {};
    let t = performance.now();
    const lap = (name) => {
        const now = performance.now();
        timings[name] = Math.round(now - t);
        t = now;
    };
    const privateIndexes = config.indexes.filter((ix) => ix.private);
    const policy = cutoffPolicy(options.asOf ?? config.asOf);
    const given = policy?.policy === 'time' ? policy.ns : undefined;
    // Asked at once; when several leaves fail, the error is the first leaf's in karoo.yml order, not whichever page came back first.
    const settled = await Promise.allSettled(config.leaves.map((leaf) => chooseLeaf(client, privateIndexes, leaf, config.target, given)));
    const chosen = settled.map((r) => {
        if (r.status === 'rejected')
            throw r.reason;
        return r.value;
    });
    const leaves = chosen.map((c) => c.choice);
    // `leaves`: the cutoff is the newest upload among the chosen builds, so the same builds give the same cutoff.
    const asOfNs = policy?.policy === 'leaves' ? newestUpload(chosen.flatMap((c) => c.files)) : given;
    if (policy?.policy === 'leaves' && asOfNs === undefined) {
        progress.warn(`as-of leaves: the private index gives no upload times for the chosen leaf builds (${leaves.map((l) => `${l.name} ${l.version}`).join(', ')}); resolving without a cutoff`);
    }
    lap('leaves');
    const constraintDigests = await Promise.all(config.constraints.map(async (c) => {
        try {
            return (0,lib/* sha256Of */.Bj)(await (0,promises_.readFile)(c));
        }
        catch {
            throw new lib/* KarooError */.xD('input', `constraints file ${c} cannot be read; fix the constraints list in ${config.path}`);
        }
    }));
    const inputs = {
        resolver: backendName,
        target: config.target,
        leaves: leaves.map((l) => ({ name: l.name, version: l.version, extras: l.extras })),
        indexes: config.indexes.map((ix) => ({ url: ix.url, private: ix.private })),
        constraints: constraintDigests,
        // The cutoff decides what the resolver may see: a different cutoff is a different resolution.
        asOf: policy ? { policy: policy.policy, time: asOfNs === undefined ? null : asOfNs.toString() } : null,
    };
    if (previous && !options.force && sameLeaves(previous, leaves)) {
        const digest = await inputsDigest(client, config.indexes, previous.packages.map((p) => p.name), inputs, asOfNs);
        lap('check');
        if (digest === previous.meta.inputsDigest) {
            progress.info(`lock ${previous.digest} is current: leaves and index pages unchanged, nothing to resolve`);
            return { lock: previous, diff: (0,lock_lib/* diffLocks */.Uu)(previous, previous), leaves, resolved: false, timings, asOf: previous.meta.asOf };
        }
    }
    // Only when there is resolving to do, which keeps the no-op path fast: the caller's preparation
    // (the resolve action restores pip's HTTP cache), and pip's backend module.
    await options.beforeResolver?.();
    const backend = options.backend ?? new (await __webpack_require__.e(/* import() */ 567).then(__webpack_require__.bind(__webpack_require__, 45567))).PipBackend();
    const workDir = await (0,promises_.mkdtemp)((0,external_node_path_.join)((0,external_node_os_.tmpdir)(), 'karoo-resolve-'));
    const merged = await serveMergedIndex(client, config.indexes, env, { asOf: asOfNs });
    let dists = [];
    let failure;
    try {
        dists = await backend.resolve({
            requirements: leaves.map((l) => ({ name: l.name, extras: l.extras, version: l.version })),
            constraints: config.constraints,
            // One private-first view of every index: the resolver cannot take a private name from elsewhere.
            indexes: [{ name: 'karoo-merged', url: merged.url, private: true }],
            target: config.target,
            workDir,
            env,
        }, progress);
    }
    catch (e) {
        failure = e;
    }
    try {
        // An index that failed behind the merged view is the real cause of whatever the resolver said.
        await merged.close();
    }
    catch (e) {
        failure = e;
    }
    await (0,promises_.rm)(workDir, { recursive: true, force: true });
    if (failure !== undefined)
        throw failure;
    lap('resolver');
    const limit = (0,p_limit/* default */.A)(16);
    const packages = await Promise.all(dists.map((d) => limit(() => lockEntry(client, config.indexes, d, env))));
    const names = packages.map((p) => p.name);
    const digest = await inputsDigest(client, config.indexes, names, inputs, asOfNs);
    let asOf;
    if (policy) {
        const notApplied = asOfNs === undefined ? [...names].sort() : await untimedProjects(client, config.indexes, names);
        asOf = { policy: policy.policy, ...(asOfNs !== undefined ? { time: (0,lock_lib/* formatInstantExact */.eR)(asOfNs) } : {}), notApplied };
        if (asOfNs !== undefined && notApplied.length > 0) {
            progress.warn(`the upload-time cutoff ${(0,lock_lib/* formatInstantExact */.eR)(asOfNs)} could not apply to ${notApplied.join(', ')}: their index gives no upload times (PEP 503 HTML); any of their files was visible`);
        }
    }
    const lock = lock_lib/* Lock */.c_.create(packages, {
        target: config.target,
        leaves: Object.fromEntries(leaves.map((l) => [l.name, l.version])),
        inputsDigest: digest,
        ...(asOf ? { asOf } : {}),
    });
    lap('lock');
    progress.info(`resolved ${lock.packages.length} packages, lock ${lock.digest}${asOf?.time ? ` (files uploaded at or before ${asOf.time})` : ''}`);
    return { lock, diff: (0,lock_lib/* diffLocks */.Uu)(previous, lock), leaves, resolved: true, timings, asOf };
}
/** `leaves`, `none`/undefined, or an RFC 3339 date-time; anything else is an input error. */
function cutoffPolicy(value) {
    if (value === undefined || value === 'none')
        return undefined;
    if (value === 'leaves')
        return { policy: 'leaves' };
    const ns = (0,lock_lib/* parseInstant */.nV)(value);
    if (ns === undefined) {
        throw new lib/* KarooError */.xD('input', `as-of "${value}" is not an RFC 3339 date-time with an offset (e.g. 2026-01-31T12:00:00Z), "leaves" or "none"`);
    }
    return { policy: 'time', ns };
}
/** The newest upload time among `files` (those of the chosen leaf versions); undefined when none has one. */
function newestUpload(files) {
    let newest;
    for (const f of files) {
        const t = f.uploadTime === undefined ? undefined : (0,lock_lib/* parseInstant */.nV)(f.uploadTime);
        if (t !== undefined && (newest === undefined || t > newest))
            newest = t;
    }
    return newest;
}
/** Locked projects whose private-first files include one without an upload time: the cutoff could not apply to them. */
async function untimedProjects(client, indexes, names) {
    const out = [];
    for (const name of [...new Set(names)].sort()) {
        const files = await mergedFiles(client, indexes, name);
        if (files.some(({ file }) => file.uploadTime === undefined))
            out.push(name);
    }
    return out;
}
function sameLeaves(previous, leaves) {
    const prev = previous.meta.leaves ?? {};
    return Object.keys(prev).length === leaves.length && leaves.every((l) => prev[l.name] === l.version);
}
/**
 * The digest of everything a resolution depends on: the inputs and the bytes of every index
 * page of every locked package on every index. Equal digests mean re-running the resolver
 * would see exactly what it saw before. Under an upload-time cutoff a page counts by the files
 * visible under it (what the merged index serves pip), so an upload after the cutoff leaves the
 * lock current: re-resolving an old commit tomorrow runs no resolver at all.
 */
async function inputsDigest(client, indexes, names, inputs, asOf) {
    const limit = (0,p_limit/* default */.A)(16);
    const pages = await Promise.all([...new Set(names)].sort().flatMap((name) => indexes.map((ix) => limit(async () => {
        const page = await client.page(ix, name);
        const digest = page === undefined ? '-' : asOf === undefined ? page.pageDigest : visibleDigest(page, asOf);
        return `${ix.url} ${name} ${digest}`;
    }))));
    return (0,lib/* sha256Of */.Bj)((0,lib/* canonicalJson */.dj)({ inputs, pages }));
}
/** The digest of what a page lists under the cutoff: every field of every visible file the merged index serves from. */
function visibleDigest(page, asOf) {
    const files = page.files
        .filter((f) => visibleAt(f, asOf))
        .map((f) => ({
        filename: f.filename,
        url: f.url,
        sha256: f.sha256 ?? null,
        size: f.size ?? null,
        yanked: f.yanked,
        requiresPython: f.requiresPython ?? null,
        coreMetadata: f.coreMetadata ? (f.coreMetadata.sha256 ?? true) : null,
        uploadTime: f.uploadTime ?? null,
    }));
    return `visible:${(0,lib/* sha256Of */.Bj)((0,lib/* canonicalJson */.dj)({ format: page.format, files }))}`;
}
/** The leaf version to lock, with the files of that version (the `leaves` cutoff is taken from them). */
async function chooseLeaf(client, privateIndexes, leaf, target, asOf) {
    let page;
    for (const ix of privateIndexes) {
        page = await client.page(ix, leaf.key);
        if (page)
            break;
    }
    const where = privateIndexes.map((ix) => `"${ix.name}" (${ix.url})`).join(', ');
    if (!page || page.files.length === 0) {
        throw new lib/* KarooError */.xD('input', `unknown leaf "${leaf.name}": the private index ${where} has no such project; check the name in karoo.yml or publish it`);
    }
    const byVersion = new Map();
    // Under a cutoff, a build uploaded later does not exist yet.
    const visible = page.files.filter((f) => visibleAt(f, asOf));
    if (visible.length === 0) {
        throw new lib/* KarooError */.xD('input', `leaf "${leaf.name}" has no build uploaded at or before the cutoff ${(0,lock_lib/* formatInstantExact */.eR)(asOf)} in the private index ${where}; choose a later as-of`);
    }
    for (const f of visible) {
        const parsed = parseDistFilename(f.filename);
        const v = parsed && (0,lock_lib/* parseVersion */.ot)(parsed.version);
        if (!parsed || !v || parsed.name !== leaf.key)
            continue;
        const c = byVersion.get(v.text) ?? { version: v, files: [] };
        c.files.push(f);
        byVersion.set(v.text, c);
    }
    const all = [...byVersion.values()].sort((a, b) => (0,lock_lib/* compareVersions */.Zy)(b.version, a.version));
    const base = { name: leaf.key, extras: leaf.extras, index: page.index.name };
    if (leaf.pin !== undefined) {
        const pin = (0,lock_lib/* parseVersion */.ot)(leaf.pin);
        const hit = all.find((c) => (0,lock_lib/* compareVersions */.Zy)(c.version, pin) === 0);
        const uploadedLater = () => page.files.some((f) => {
            const v = (0,lock_lib/* parseVersion */.ot)(parseDistFilename(f.filename)?.version ?? '');
            return v !== undefined && (0,lock_lib/* compareVersions */.Zy)(v, pin) === 0;
        });
        if (!hit && asOf !== undefined && uploadedLater()) {
            throw new lib/* KarooError */.xD('input', `leaf "${leaf.name}" is pinned to ${leaf.pin}, which was uploaded after the cutoff ${(0,lock_lib/* formatInstantExact */.eR)(asOf)}; choose a later as-of or another pin`);
        }
        if (!hit) {
            throw new lib/* KarooError */.xD('input', `leaf "${leaf.name}" is pinned to ${leaf.pin}, which the private index does not have (has: ${all
                .slice(0, 8)
                .map((c) => c.version.text)
                .join(', ')}); change the pin in karoo.yml`);
        }
        return { choice: { ...base, version: hit.version.text, reason: 'pinned' }, files: hit.files };
    }
    const rejected = { yanked: 0, prerelease: 0, target: 0 };
    for (const c of all) {
        const live = c.files.filter((f) => !f.yanked);
        if (live.length === 0) {
            rejected.yanked++;
            continue;
        }
        if ((0,lock_lib/* isPrerelease */.V1)(c.version) && !leaf.allowPrerelease) {
            rejected.prerelease++;
            continue;
        }
        const fits = live.some((f) => {
            const d = parseDistFilename(f.filename);
            return (d !== undefined &&
                wheelFitsTarget(d, target) &&
                (f.requiresPython === undefined || (0,lock_lib/* satisfies */.ib)(target.python, f.requiresPython) !== false));
        });
        if (!fits) {
            rejected.target++;
            continue;
        }
        return { choice: { ...base, version: c.version.text, reason: 'newest' }, files: c.files };
    }
    const why = [
        rejected.prerelease ? `${rejected.prerelease} pre-release/dev (set allow-prerelease: true to use them)` : '',
        rejected.yanked ? `${rejected.yanked} yanked` : '',
        rejected.target ? `${rejected.target} without a wheel for python ${target.python} on ${target.platforms.join('/')}` : '',
    ]
        .filter(Boolean)
        .join(', ');
    throw new lib/* KarooError */.xD('input', `leaf "${leaf.name}" has no allowed build in the private index: ${why || 'no files'}`);
}
async function lockEntry(client, indexes, d, env) {
    const pages = await Promise.all(indexes.map(async (ix) => ({ ix, page: await client.page(ix, d.name) })));
    const source = pages.find((p) => p.page?.files.some((f) => f.url === d.url));
    const privateHolder = pages.find((p) => p.ix.private && p.page && p.page.files.length > 0);
    if (privateHolder && (!source || !source.ix.private)) {
        throw new lib/* KarooError */.xD('integrity', `dependency confusion: "${d.name}" exists in the private index "${privateHolder.ix.name}" but the resolver chose ${d.url} from ${source ? `"${source.ix.name}"` : 'elsewhere'}; a private name is never taken from another index`);
    }
    const listed = source?.page?.files.find((f) => f.url === d.url);
    const filename = decodeURIComponent(new URL(d.url).pathname.split('/').pop() ?? '');
    const sha256 = d.sha256 ?? listed?.sha256;
    if (!sha256) {
        throw new lib/* KarooError */.xD('input', `${d.name} ${d.version}: the index gives no sha256 for ${filename}; karoo locks only hashed files — use an index that publishes hashes`);
    }
    if (listed?.sha256 && listed.sha256 !== sha256) {
        throw new lib/* KarooError */.xD('integrity', `${d.name} ${d.version}: the resolver saw sha256 ${sha256} but the index lists ${listed.sha256} for ${filename}`);
    }
    const size = listed?.size ?? (await sizeOf(d.url, source?.ix, env));
    return {
        name: d.name,
        version: d.version,
        index: source?.ix.url,
        files: [{ name: filename, url: d.url, sha256, size, ...(listed?.uploadTime !== undefined ? { uploadTime: listed.uploadTime } : {}) }],
    };
}
/** Size of a file the index lists without one (PEP 503 HTML has no sizes): stat or HEAD. */
async function sizeOf(url, ix, env) {
    if (url.startsWith('file:'))
        return (await (0,promises_.stat)((0,external_node_url_.fileURLToPath)(url))).size;
    // The index's credentials go only to its own origin: a page may link files on any host.
    // Asked for the URL first, so a refusal (credentials over plain HTTP) is not swallowed below.
    (0,index_client/* authorizationFor */.rv)(url, ix, env);
    try {
        const res = await transport_lib/* transport */.et.request({
            method: 'HEAD',
            url,
            headersFor: (hop) => {
                const auth = (0,index_client/* authorizationFor */.rv)(hop.href, ix, env);
                return auth ? { authorization: auth } : undefined;
            },
            idleTimeoutMs: 30_000,
        });
        await (0,transport_lib/* drain */.Ze)(res);
        const len = (0,transport_lib/* header */.wx)(res, 'content-length');
        return res.status >= 200 && res.status < 300 && len !== undefined ? Number(len) : undefined;
    }
    catch {
        return undefined;
    }
}
//# sourceMappingURL=resolve.js.map
// EXTERNAL MODULE: ./packages/resolve/lib/python.js
var python = __webpack_require__(23062);
;// CONCATENATED MODULE: ./packages/resolve/lib/pip-cache.js


/**
 * pip's own cache directory as the resolver's pip computes it: `--isolated` ignores
 * PIP_CACHE_DIR and pip.conf, so it is XDG's user cache (`$XDG_CACHE_HOME/pip`, else
 * `~/.cache/pip`). Its HTTP cache (`http-v2`; `http` before pip 23.3) holds index pages and the
 * wheels pip fetched for metadata: keeping it between runs is only an accelerator, never a
 * source of truth (every file in a lock is pinned by sha256).
 */
function pipCacheDir(env = process.env) {
    return join(env.XDG_CACHE_HOME || join(env.HOME || homedir(), '.cache'), 'pip');
}
/** The HTTP cache directories inside pip's cache. */
function pipHttpCacheDirs(env = process.env) {
    const dir = pipCacheDir(env);
    return [join(dir, 'http-v2'), join(dir, 'http')];
}
/** Keys `karoo-<kind>-<platform>-<system>-<lock hex>`: saved under a lock's digest, restored by it, else by the newest of the system. */
function lockKeys(kind, system, lockDigest, platform) {
    const prefix = `karoo-${kind}-${platform}-${system}-`;
    return { key: lockDigest ? `${prefix}${lockDigest.replace(/^sha256:/, '')}` : undefined, restoreKeys: [prefix] };
}
/**
 * Actions cache keys for pip's HTTP cache: saved under the digest of the lock the resolution
 * produced, restored by the previous lock's digest, else the newest of the same system.
 */
function pipCacheKeys(system, lockDigest, platform = `${process.platform}-${process.arch}`) {
    return lockKeys('pip', system, lockDigest, platform);
}
/**
 * Actions cache keys for the last lock pip produced (a workflow whose checkout has no lock offers
 * it to resolve's no-op check), an entry of its own: a no-op resolution, most runs, restores this
 * small file and never pip's HTTP cache, which only a resolution that runs pip restores.
 */
function lastLockKeys(system, lockDigest, platform = `${process.platform}-${process.arch}`) {
    return lockKeys('lastlock', system, lockDigest, platform);
}
//# sourceMappingURL=pip-cache.js.map
;// CONCATENATED MODULE: ./packages/resolve/lib/lockfiles.js




const PYLOCK = 'pylock.toml';
const REQUIREMENTS = 'requirements.txt';
/**
 * Writes DIR/pylock.toml and DIR/requirements.txt together: both or neither, never a
 * half-written file, and untouched when their bytes would not change.
 */
async function writeLockFiles(dir, lock) {
    const pylockPath = (0,external_node_path_.join)(dir, PYLOCK);
    const requirementsPath = (0,external_node_path_.join)(dir, REQUIREMENTS);
    const files = [
        { path: pylockPath, data: (0,lock_lib/* writePylock */.e6)(lock) },
        { path: requirementsPath, data: (0,lock_lib/* writeRequirements */.ey)(lock) },
    ];
    const same = await Promise.all(files.map(async (f) => (await (0,promises_.readFile)(f.path, 'utf8').catch(() => undefined)) === f.data));
    if (same.every(Boolean))
        return { pylockPath, requirementsPath, written: false };
    await (0,lib/* writeFilesAtomic */.aV)(files);
    return { pylockPath, requirementsPath, written: true };
}
/** Reads the lock in DIR (pylock.toml) if there is one. */
async function readExistingLock(dir) {
    const path = (0,external_node_path_.join)(dir, PYLOCK);
    try {
        await (0,promises_.readFile)(path);
    }
    catch {
        return undefined;
    }
    return (await (0,lock_lib.readLockFile)(path)).lock;
}
//# sourceMappingURL=lockfiles.js.map
;// CONCATENATED MODULE: ./packages/resolve/lib/index.js







/** The pip backend, loaded on demand (it pulls in @actions/exec). */
async function pipBackend() {
    return new (await __webpack_require__.e(/* import() */ 567).then(__webpack_require__.bind(__webpack_require__, 45567))).PipBackend();
}
//# sourceMappingURL=index.js.map

/***/ }),

/***/ 23062:
/***/ ((__unused_webpack___webpack_module__, __webpack_exports__, __webpack_require__) => {

/* harmony export */ __webpack_require__.d(__webpack_exports__, {
/* harmony export */   Kq: () => (/* binding */ findPython),
/* harmony export */   Sd: () => (/* binding */ isolatedPipEnv)
/* harmony export */ });
/* unused harmony export isRunnerSecretVariable */
/* harmony import */ var node_child_process__WEBPACK_IMPORTED_MODULE_0__ = __webpack_require__(31421);
/* harmony import */ var node_fs_promises__WEBPACK_IMPORTED_MODULE_1__ = __webpack_require__(51455);
/* harmony import */ var node_fs__WEBPACK_IMPORTED_MODULE_2__ = __webpack_require__(73024);
/* harmony import */ var node_os__WEBPACK_IMPORTED_MODULE_3__ = __webpack_require__(48161);
/* harmony import */ var node_path__WEBPACK_IMPORTED_MODULE_4__ = __webpack_require__(76760);
/* harmony import */ var node_util__WEBPACK_IMPORTED_MODULE_5__ = __webpack_require__(57975);
/* harmony import */ var _karoo_common__WEBPACK_IMPORTED_MODULE_6__ = __webpack_require__(46787);
/* harmony import */ var _karoo_transport__WEBPACK_IMPORTED_MODULE_7__ = __webpack_require__(69794);








const run = (0,node_util__WEBPACK_IMPORTED_MODULE_5__.promisify)(node_child_process__WEBPACK_IMPORTED_MODULE_0__.execFile);
/**
 * Finds the Python interpreter to run pip with. A pyenv shim costs ~1.4 s per call, so the
 * real interpreter behind it is looked up once and remembered in karoo's cache directory
 * (keyed by the shim and PYENV_VERSION). `KAROO_PYTHON` overrides everything.
 */
async function findPython(env = process.env) {
    if (env.KAROO_PYTHON)
        return env.KAROO_PYTHON;
    const candidate = await which('python3', env);
    if (!candidate) {
        throw new _karoo_common__WEBPACK_IMPORTED_MODULE_6__/* .KarooError */ .xD('unavailable', 'python3 was not found on PATH; install Python 3 with pip (Debian: apt-get install python3-pip) or set KAROO_PYTHON');
    }
    if (!candidate.includes(`${'/'}shims${'/'}`))
        return candidate;
    const cacheDir = (0,node_path__WEBPACK_IMPORTED_MODULE_4__.join)(env.XDG_CACHE_HOME ?? (0,node_path__WEBPACK_IMPORTED_MODULE_4__.join)((0,node_os__WEBPACK_IMPORTED_MODULE_3__.homedir)(), '.cache'), 'karoo');
    const cacheFile = (0,node_path__WEBPACK_IMPORTED_MODULE_4__.join)(cacheDir, 'python.json');
    const key = `${candidate}\0${env.PYENV_VERSION ?? ''}\0${env.PWD ?? ''}`;
    try {
        const cached = JSON.parse(await (0,node_fs_promises__WEBPACK_IMPORTED_MODULE_1__.readFile)(cacheFile, 'utf8'));
        const hit = cached[key];
        if (hit && (await (0,node_fs_promises__WEBPACK_IMPORTED_MODULE_1__.stat)(hit)).isFile())
            return hit;
    }
    catch {
        // no cache yet
    }
    const { stdout } = await run(candidate, ['-c', 'import sys; print(sys.executable)'], { env });
    const exe = stdout.trim();
    try {
        await (0,node_fs_promises__WEBPACK_IMPORTED_MODULE_1__.mkdir)(cacheDir, { recursive: true });
        let cached = {};
        try {
            cached = JSON.parse(await (0,node_fs_promises__WEBPACK_IMPORTED_MODULE_1__.readFile)(cacheFile, 'utf8'));
        }
        catch {
            // fresh cache
        }
        cached[key] = exe;
        await (0,node_fs_promises__WEBPACK_IMPORTED_MODULE_1__.writeFile)(cacheFile, JSON.stringify(cached));
    }
    catch {
        // a cache we cannot write only costs time
    }
    return exe;
}
async function which(cmd, env) {
    for (const dir of (env.PATH ?? '').split(node_path__WEBPACK_IMPORTED_MODULE_4__.delimiter)) {
        if (!dir)
            continue;
        const p = (0,node_path__WEBPACK_IMPORTED_MODULE_4__.join)(dir, cmd);
        try {
            await (0,node_fs_promises__WEBPACK_IMPORTED_MODULE_1__.access)(p, node_fs__WEBPACK_IMPORTED_MODULE_2__.constants.X_OK);
            return p;
        }
        catch {
            // keep looking
        }
    }
    return undefined;
}
/**
 * Variables of a GitHub Actions step that pip has no use for, so it does not get them (least
 * privilege: pip is a process karoo does not write, and with `--only-binary` it runs no code of
 * the index, but a plug-in or a future option could): a step's inputs (`INPUT_*`: its token,
 * registry password, signing key), the runner's own tokens (`ACTIONS_RUNTIME_TOKEN`, and
 * `ACTIONS_ID_TOKEN_REQUEST_TOKEN`/`_URL`, with which a process can mint an OIDC token for this
 * workflow's identity and sign as it) and a `GITHUB_TOKEN`. The index's credentials reach pip
 * in its index URLs, never through these.
 */
function isRunnerSecretVariable(name) {
    return name.startsWith('INPUT_') || name.startsWith('ACTIONS_') || name === 'GITHUB_TOKEN';
}
/** The environment pip runs in: none of the machine's PIP_* settings, no config files, none of the step's secrets. */
function isolatedPipEnv(env = process.env) {
    const out = {};
    for (const [k, v] of Object.entries(env)) {
        if (v === undefined || k.startsWith('PIP_') || k === 'PYTHONPATH' || k === 'PYTHONHOME' || isRunnerSecretVariable(k))
            continue;
        out[k] = v;
    }
    // --isolated skips environment variables and user configuration, but pip still reads the
    // global files (/etc/pip.conf, /etc/xdg/pip/pip.conf) unless PIP_CONFIG_FILE is os.devnull.
    out.PIP_CONFIG_FILE = '/dev/null';
    // pip sends even loopback requests to the proxy the environment names (requests bypasses only
    // no_proxy's hosts). karoo's merged index on 127.0.0.1 has a secret path and pages carrying
    // the private index's credentials: they must not go to a company's proxy, which cannot reach
    // this machine's loopback anyway. Other hosts keep the proxy.
    const noProxy = (0,_karoo_transport__WEBPACK_IMPORTED_MODULE_7__/* .noProxyWithLoopback */ .XO)(env);
    if (noProxy !== undefined)
        out.no_proxy = out.NO_PROXY = noProxy;
    out.PIP_DISABLE_PIP_VERSION_CHECK = '1';
    out.PIP_NO_INPUT = '1';
    out.PYTHONDONTWRITEBYTECODE = '1';
    return out;
}
//# sourceMappingURL=python.js.map

/***/ })

};
