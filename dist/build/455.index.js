export const id = 455;
export const ids = [455,575];
export const modules = {

/***/ 52455:
/***/ ((__unused_webpack___webpack_module__, __webpack_exports__, __webpack_require__) => {


// EXPORTS
__webpack_require__.d(__webpack_exports__, {
  assertDeployed: () => (/* reexport */ assertDeployed),
  configDigest: () => (/* reexport */ system_configDigest),
  deploy: () => (/* reexport */ deploy_deploy),
  systemConfig: () => (/* reexport */ system_systemConfig),
  systemIdOf: () => (/* reexport */ system_systemIdOf)
});

// UNUSED EXPORTS: AGENT_SHA256, CONFIG_SCHEMA, SYSTEM_SCHEMA, SshPool, TemplateError, accept, environmentName, matchInventory, mergeValues, planDeploy, precheck, renderNodeFiles, renderTemplate, rollback, stageCandidate, startWaitSeconds, status, unitName, up

// EXTERNAL MODULE: external "node:fs/promises"
var promises_ = __webpack_require__(51455);
// EXTERNAL MODULE: external "node:path"
var external_node_path_ = __webpack_require__(76760);
// EXTERNAL MODULE: ./packages/common/lib/index.js + 10 modules
var lib = __webpack_require__(46787);
;// CONCATENATED MODULE: ./packages/deploy/lib/template.js
/**
 * Configuration file templates: `{{ path }}` inserts a value as text (strings as they are,
 * anything else as JSON), `{{ path | json }}` as a JSON literal (safe for any string in a JSON
 * file). `path` is dotted (`values.store_url`, `values.proxy_urls.0`, `node.name`). Nothing else
 * is interpreted: values are data, whatever characters they hold.
 */
class TemplateError extends Error {
    line;
    name = 'TemplateError';
    constructor(message, line) {
        super(message);
        this.line = line;
    }
}
const TAG = /\{\{\s*([^{}|]*?)\s*(?:\|\s*([a-z]+)\s*)?\}\}/g;
const PATH = /^[A-Za-z_][A-Za-z0-9_-]*(\.[A-Za-z0-9_-]+)*$/;
function renderTemplate(text, context) {
    return text.replace(TAG, (_m, rawPath, filter, offset) => {
        const line = text.slice(0, offset).split('\n').length;
        if (!PATH.test(rawPath))
            throw new TemplateError(`"{{ ${rawPath} }}" is not a dotted path such as values.name`, line);
        const value = lookup(context, rawPath);
        if (value === undefined) {
            throw new TemplateError(`"${rawPath}" is not defined; add it under values (or the environment's values) in karoo.yml`, line);
        }
        if (filter === undefined)
            return typeof value === 'string' ? value : JSON.stringify(value);
        if (filter === 'json')
            return JSON.stringify(value);
        throw new TemplateError(`unknown filter "${filter}" (only | json)`, line);
    });
}
function lookup(context, path) {
    let cur = context;
    for (const part of path.split('.')) {
        if (cur === null || typeof cur !== 'object')
            return undefined;
        if (Array.isArray(cur)) {
            if (!/^[0-9]+$/.test(part))
                return undefined;
            cur = cur[Number(part)];
        }
        else {
            if (!Object.prototype.hasOwnProperty.call(cur, part))
                return undefined;
            cur = cur[part];
        }
    }
    return cur;
}
//# sourceMappingURL=template.js.map
;// CONCATENATED MODULE: ./packages/deploy/lib/system.js




/** Schema names hashed into the digests below; bump only on purpose (every digest moves). */
const CONFIG_SCHEMA = 'karoo.system.config/v1';
const SYSTEM_SCHEMA = 'karoo.system/v1';
/** The top-level values deep-merged with an environment's: mappings merge key by key, anything else replaces. */
function mergeValues(base, over) {
    const out = { ...base };
    for (const [k, v] of Object.entries(over)) {
        const b = out[k];
        out[k] = isPlainObject(b) && isPlainObject(v) ? mergeValues(b, v) : v;
    }
    return out;
}
function isPlainObject(v) {
    return v !== null && typeof v === 'object' && !Array.isArray(v) && !(v instanceof Date);
}
/** The environment a command means: the one named, else the first one of the configuration, else `default`. */
function environmentName(config, name) {
    if (name !== undefined) {
        if (config.environments.length === 0 && name === 'default')
            return name;
        if (!config.environments.some((e) => e.name === name)) {
            const known = config.environments.map((e) => e.name).join(', ') || 'none; the configuration lists no environments';
            throw new lib/* KarooError */.xD('input', `environment ${(0,lib/* quoteValue */.cl)(name)} is not in ${config.path} (known: ${known}); pass --environment with one of them`);
        }
        return name;
    }
    return config.environments[0]?.name ?? 'default';
}
/**
 * Reads the templates and builds the canonical configuration of one environment. Checks
 * what the configuration loader cannot: every node's role has something to run, templates
 * exist, service and file names are usable. Throws before anything is deployed.
 */
async function system_systemConfig(config, environment) {
    const env = environmentName(config, environment);
    if (config.nodes.length === 0)
        throw new lib/* KarooError */.xD('input', `${config.path}: no nodes; list the system's nodes and their roles under "nodes"`);
    const envValues = config.environments.find((e) => e.name === env)?.values ?? {};
    const roles = {};
    const used = new Set(config.nodes.map((n) => n.role));
    for (const n of config.nodes) {
        if (!config.roles[n.role]) {
            const known = Object.keys(config.roles).join(', ') || 'none';
            throw new lib/* KarooError */.xD('input', `${config.path}: node "${n.name}" has role "${n.role}", which is not defined under roles (known: ${known})`);
        }
    }
    for (const name of Object.keys(config.roles).sort()) {
        if (!used.has(name))
            continue;
        roles[name] = await canonicalRole(config, config.roles[name]);
    }
    return {
        schema: CONFIG_SCHEMA,
        system: config.system,
        environment: env,
        nodes: config.nodes.map((n) => ({ name: n.name, role: n.role })).sort((a, b) => cmp(a.name, b.name)),
        roles,
        values: mergeValues(config.values, envValues),
    };
}
async function canonicalRole(config, role) {
    const seen = new Set();
    const services = role.services.map((s) => {
        if (seen.has(s.name))
            throw new lib/* KarooError */.xD('input', `${config.path}: role "${role.name}" lists service "${s.name}" twice`);
        seen.add(s.name);
        for (const k of Object.keys(s.environment)) {
            if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(k))
                throw new lib/* KarooError */.xD('input', `${config.path}: service "${s.name}": environment variable name "${k}" is not valid (letters, digits, _)`);
        }
        return { name: s.name, command: [...s.command], environment: { ...s.environment }, workingDirectory: s.workingDirectory, port: s.port };
    });
    const paths = new Set();
    const files = [];
    for (const f of role.files) {
        checkReleasePath(config, role.name, f.path);
        if (paths.has(f.path))
            throw new lib/* KarooError */.xD('input', `${config.path}: role "${role.name}" writes ${f.path} twice`);
        paths.add(f.path);
        let text;
        let source;
        if (f.template !== undefined) {
            source = (0,external_node_path_.relative)(config.dir, f.template);
            try {
                text = await (0,promises_.readFile)(f.template, 'utf8');
            }
            catch (e) {
                throw new lib/* KarooError */.xD('input', `${config.path}: role "${role.name}": template ${source} cannot be read (${e.code ?? String(e)})`);
            }
        }
        else {
            text = f.content ?? '';
        }
        const mode = (f.mode ?? '0644').padStart(4, '0');
        files.push({ path: f.path, mode, text, template: f.template !== undefined, source });
    }
    return { leaves: [...role.leaves].sort(), services, files };
}
function checkReleasePath(config, role, p) {
    const parts = p.split('/');
    if (p === '' ||
        p.startsWith('/') ||
        parts.some((x) => x === '' || x === '.' || x === '..') ||
        ['bin', 'units', '.karoo'].includes(parts[0]) ||
        p.includes('\0')) {
        throw new lib/* KarooError */.xD('input', `${config.path}: role "${role}": file path "${p}" must be relative to the release, without . or .., and not under bin/, units/ or .karoo/`);
    }
}
/** sha256 over the canonical configuration. */
function system_configDigest(c) {
    return (0,lib/* sha256Of */.Bj)((0,lib/* canonicalJson */.dj)(c));
}
/**
 * The system id: sha256 over the UTF-8 bytes of the canonical JSON
 * `{"candidate":"sha256:<candidate>","config":"sha256:<config digest>","schema":"karoo.system/v1"}`.
 * The same candidate with the same configuration for the same environment is the same system,
 * wherever and whenever it is deployed.
 */
function system_systemIdOf(candidate, config) {
    return (0,lib/* sha256Of */.Bj)((0,lib/* canonicalJson */.dj)({ schema: SYSTEM_SCHEMA, candidate, config }));
}
/** Renders a node's files: templates see values.*, node.name, node.role, environment, system.name, system.id, candidate. */
function renderNodeFiles(c, node, ids, where) {
    const role = c.roles[node.role];
    if (!role)
        throw new lib/* KarooError */.xD('input', `node "${node.name}" has role "${node.role}", which the configuration does not define`);
    const context = {
        values: c.values,
        node: { name: node.name, role: node.role },
        environment: c.environment,
        system: { name: c.system, id: ids.systemId },
        candidate: ids.candidate,
    };
    return role.files.map((f) => {
        let text = f.text;
        if (f.template) {
            try {
                text = renderTemplate(f.text, context);
            }
            catch (e) {
                const line = e.line;
                throw new lib/* FileError */.f6(`${where}/${f.source ?? f.path}`, line, e.message);
            }
        }
        const bytes = new TextEncoder().encode(text);
        return { path: f.path, mode: f.mode, bytes, sha256: (0,lib/* hexOf */.ZD)((0,lib/* sha256Of */.Bj)(bytes)) };
    });
}
function cmp(a, b) {
    return a < b ? -1 : a > b ? 1 : 0;
}
//# sourceMappingURL=system.js.map
// EXTERNAL MODULE: external "node:fs"
var external_node_fs_ = __webpack_require__(73024);
// EXTERNAL MODULE: external "node:stream/promises"
var external_node_stream_promises_ = __webpack_require__(46466);
// EXTERNAL MODULE: ./packages/candidate/lib/index.js + 4 modules
var candidate_lib = __webpack_require__(46399);
// EXTERNAL MODULE: ./packages/lock/lib/index.js + 22 modules
var lock_lib = __webpack_require__(34764);
// EXTERNAL MODULE: ./packages/oci/lib/index.js + 10 modules
var oci_lib = __webpack_require__(99713);
;// CONCATENATED MODULE: ./packages/deploy/lib/stage.js








/**
 * Reads a candidate from a store into `dir` and checks everything before any node is touched:
 * the manifest against the candidate digest, every blob against its digest and size, and the
 * layers against the lock they carry (every locked file is a layer, with the same sha256).
 * Any difference throws an integrity error naming the blob.
 */
async function stage_stageCandidate(store, candidate, dir) {
    const digest = (0,lib/* parseDigest */.m)(candidate, 'candidate');
    let stored;
    try {
        stored = await store.getManifest(digest);
    }
    catch (e) {
        if ((0,lib/* isKarooError */.ro)(e))
            throw new lib/* KarooError */.xD(e.kind === 'integrity' ? 'input' : e.kind, `candidate ${digest} is not in ${store.ref}: ${e.message}; build it first (karoo build) or pass the store that holds it`);
        throw e;
    }
    if ((0,lib/* sha256Of */.Bj)(stored.bytes) !== digest) {
        throw new lib/* KarooError */.xD('integrity', `candidate ${digest}: the manifest in ${store.ref} does not match its digest; refusing to deploy (no node was touched)`);
    }
    const manifest = (0,candidate_lib/* parseManifest */.Ng)(stored.bytes, `candidate ${digest}`);
    if (!(0,candidate_lib/* isCandidateManifest */.VZ)(manifest)) {
        throw new lib/* KarooError */.xD('input', `${digest} in ${store.ref} is not a karoo candidate (artifactType ${manifest.artifactType ?? 'none'}); pass the digest karoo build printed`);
    }
    const blobsDir = (0,external_node_path_.join)(dir, 'blobs');
    await (0,promises_.mkdir)(blobsDir, { recursive: true });
    let bytes = stored.bytes.length;
    const fetch = async (d, what) => {
        const path = (0,external_node_path_.join)(blobsDir, (0,lib/* blobFileName */.Vz)(d.digest)); // refuses anything but sha256:<64 hex>
        const tmp = `${path}.part`;
        const hasher = new oci_lib/* Hasher */.OP(d.size);
        try {
            await (0,external_node_stream_promises_.pipeline)(await store.getBlob(d.digest), hasher, (0,external_node_fs_.createWriteStream)(tmp));
        }
        catch (e) {
            await (0,promises_.rm)(tmp, { force: true });
            if (e.name === 'SizeExceededError') {
                throw new lib/* KarooError */.xD('integrity', `candidate ${digest}: ${what} is damaged in ${store.ref} (more than ${d.size} bytes); refusing to deploy (no node was touched)`);
            }
            throw e;
        }
        const actual = hasher.digest();
        if (actual !== d.digest || hasher.bytes !== d.size) {
            await (0,promises_.rm)(tmp, { force: true });
            throw new lib/* KarooError */.xD('integrity', `candidate ${digest}: ${what} is damaged in ${store.ref}: it holds ${actual} (${hasher.bytes} bytes), expected ${d.digest} (${d.size} bytes); refusing to deploy (no node was touched)`, { detail: { candidate: digest, blob: d.digest } });
        }
        await (0,promises_.rename)(tmp, path);
        bytes += d.size;
        return path;
    };
    const configPath = await fetch(manifest.config, 'config');
    const config = JSON.parse(await (0,promises_.readFile)(configPath, 'utf8'));
    const files = [];
    let requirements;
    let pylock;
    for (const l of manifest.layers) {
        const title = l.annotations?.[candidate_lib/* ANNOTATIONS */.BC.title] ?? '';
        const path = await fetch(l, `layer "${title || l.digest}"`);
        const staged = { hex: (0,lib/* hexOf */.ZD)(l.digest), filename: title, size: l.size, path };
        if (l.mediaType === candidate_lib/* KAROO */.PQ.requirements)
            requirements = staged;
        else if (l.mediaType === candidate_lib/* KAROO */.PQ.pylock)
            pylock = staged;
        else if (l.mediaType === candidate_lib/* KAROO */.PQ.wheel) {
            if (!/^[A-Za-z0-9_.+!-]+\.whl$/.test(title))
                throw new lib/* KarooError */.xD('integrity', `candidate ${digest}: wheel layer ${l.digest} has no usable file name (${JSON.stringify(title)})`);
            files.push(staged);
        }
        else {
            throw new lib/* KarooError */.xD('input', `candidate ${digest}: layer "${title}" (${l.mediaType}) is not a wheel; deploy installs wheels only (offline, --only-binary)`);
        }
    }
    if (!requirements || !pylock)
        throw new lib/* KarooError */.xD('integrity', `candidate ${digest} has no ${requirements ? 'pylock.toml' : 'requirements.txt'} layer`);
    const lock = (0,lock_lib/* parsePylock */.y0)(await (0,promises_.readFile)(pylock.path, 'utf8'), `pylock.toml of ${digest}`).lock;
    const byHex = new Map(files.map((f) => [f.hex, f]));
    for (const { pkg, file } of lock.files()) {
        if (!byHex.has(file.sha256)) {
            throw new lib/* KarooError */.xD('integrity', `candidate ${digest}: the lock pins ${pkg.name} ${pkg.version} (${file.name}, sha256:${file.sha256}) but no layer holds it`);
        }
    }
    return {
        digest,
        short: (0,lib/* hexOf */.ZD)(digest).slice(0, 12),
        descriptor: stored.descriptor,
        manifest,
        config,
        lock,
        wheels: files,
        requirements,
        pylock,
        expected: lock.packages.map((p) => ({ name: (0,lock_lib/* normalizeName */.Pc)(p.name), version: p.version, marker: p.marker })),
        bytes,
    };
}
//# sourceMappingURL=stage.js.map
// EXTERNAL MODULE: external "node:child_process"
var external_node_child_process_ = __webpack_require__(31421);
// EXTERNAL MODULE: external "node:crypto"
var external_node_crypto_ = __webpack_require__(77598);
// EXTERNAL MODULE: external "node:os"
var external_node_os_ = __webpack_require__(48161);
// EXTERNAL MODULE: external "node:events"
var external_node_events_ = __webpack_require__(78474);
// EXTERNAL MODULE: ./packages/machines/lib/src/index.js + 24 modules
var src = __webpack_require__(46494);
;// CONCATENATED MODULE: ./packages/deploy/lib/generated/agent.js
// Generated by scripts/gen-agent.mjs from agent/karoo_node/. Do not edit.
const AGENT_SOURCE = "# Generated by packages/deploy/scripts/gen-agent.mjs from packages/deploy/agent/karoo_node/. Do not edit.\n\n\n\"\"\"karoo's node agent: makes one node converge to its desired state, and reports on it.\n\nSent over SSH by `karoo deploy` on every call (never installed by hand): the runner starts\n`python3 -I -S -c BOOTSTRAP COMMAND` (isolated: no file or variable on the node picks its code),\nwrites the length of this file, this file, one JSON request line, and for `receive` the raw\nbytes of the blobs. The last line of stdout is the JSON\nanswer: {\"ok\": true, ...} or {\"ok\": false, \"error\": \"...\", \"kind\": \"...\"} (errors.py: karoo's\nerror kinds, or `bug` for an exception the agent did not expect). Nothing from the request is ever\ngiven to a shell: paths, values, commands and environment variables are data, used through\nargument vectors and files.\n\nLayout under /opt/karoo/<system>/ (ROOT):\n  blobs/sha256/<hex>         blobs of candidates, each checked against its sha256 on arrival\n                             and again before use\n  <candidate-12>/            the candidate's installation: a venv, written once (marker\n                             .karoo-venv.json written last), never changed afterwards\n  releases/<release-16>/     one release = candidate + this node's configuration:\n                             bin -> ../../<candidate-12>/bin, rendered files, units/,\n                             .karoo/release.json (the desired state), .karoo/karoo_node.py\n  current -> releases/…      the running release (switched by renaming a new symlink over it)\n  previous -> releases/…     the release before it: `karoo rollback` switches back to it\n  receipt.json               what was deployed and when; history.jsonl: every receipt\n\nServices run under systemd where the node runs it (/run/systemd/system exists): one unit per\nservice, linked from the current release. Elsewhere (containers without an init, hosts\nwhere /etc/karoo/service-manager says \"supervisor\") karoo's own small supervisor runs them:\none detached `supervise SERVICE` process per service that restarts it with backoff, keeps\nits state in /run/karoo/<system>/<unit>.json and its output in <root>/logs/<unit>.log.\n\nInstalling needs no pip, on the node or in the lock: the agent's own wheel installer unpacks\neach locked wheel (already checked against the lock's sha256) into a `--without-pip` venv,\nrefusing any file its RECORD does not vouch for with a matching hash. A deploy installs once\nper target: the first node of a target packs its verified installation into a deterministic\narchive (`pack`), the runner fetches it (`send`) and the other nodes of that target unpack it\n(`prepare` with `archive`), checked against its digest; every node then verifies its\ninstallation against the lock (versions and RECORD hashes).\n\nStandard library only; Python >= 3.9. `exec SERVICE` is what both run: it starts a service of\nthe release it sits in, with the command, environment and working directory of release.json,\nthrough execve (no shell).\n\nThe modules of this package (errors, util, protocol, target, wheel, archive, services, verify,\nblobs, install, releases, node, launcher, commands) are what tests import; the nodes get them as\none file, concatenated by packages/deploy/scripts/gen-agent.mjs without the imports between them.\n\nLAZY_IMPORTS: every call starts a new interpreter, and so does every service start (`exec`).\nThe standard-library modules only installing and packing need (venv, which brings logging;\nzipfile, configparser, tarfile, gzip: ~45 ms of a node's CPU) are imported inside the functions\nthat use them, so that plan, activate and `exec` do not pay for them.\n\"\"\"\n\n\n# ---- agent/karoo_node/errors.py\n\n\"\"\"Failures and the kinds the runner turns into karoo's error kinds (exit codes).\n\nEvery failure the agent means is a Fail whose `kind` is one of karoo's error kinds\n(packages/common/src/errors.ts): `input` (will never succeed as given), `integrity` (bytes do\nnot match what vouches for them), `unavailable` (a retry may help), `conflict` (the node is not\nin the state the call needs). Anything else that escapes a command is a bug in the agent: its\nanswer says `bug`, never \"retry may help\".\n\"\"\"\n\nimport errno\nimport os\nimport subprocess\nimport traceback\n\nKINDS = (\"input\", \"integrity\", \"unavailable\", \"conflict\", \"bug\")\n\n# OS errors a retry may help with (space, memory, I/O); any other means the node's file system\n# is not as karoo left it.\nTRANSIENT_ERRNOS = frozenset(getattr(errno, n) for n in (\"ENOSPC\", \"EDQUOT\", \"EIO\", \"EAGAIN\", \"ENOMEM\", \"EMFILE\", \"ENFILE\") if hasattr(errno, n))\n\n\nclass Fail(Exception):\n    \"\"\"A failure the agent means: `kind` says which of karoo's error kinds it is.\"\"\"\n\n    kind = \"conflict\"\n\n\nclass InputFail(Fail):\n    \"\"\"A request, wheel or node that can never work as given (a bad name, no python3-venv, no wheel that fits).\"\"\"\n\n    kind = \"input\"\n\n\nclass IntegrityFail(Fail):\n    \"\"\"Bytes that do not match what vouches for them (a blob's digest, a wheel's RECORD): refused, never installed.\"\"\"\n\n    kind = \"integrity\"\n\n\nclass UnavailableFail(Fail):\n    \"\"\"Something that may work when tried again (a stream cut short, a command that timed out).\"\"\"\n\n    kind = \"unavailable\"\n\n\ndef failure_answer(e):\n    \"\"\"The answer line for an exception that ended a command: {\"ok\": false, \"error\", \"kind\"}.\"\"\"\n    if isinstance(e, Fail):\n        return {\"ok\": False, \"error\": str(e), \"kind\": e.kind}\n    if isinstance(e, subprocess.TimeoutExpired):\n        cmd = e.cmd if isinstance(e.cmd, (list, tuple)) else [str(e.cmd)]\n        return {\"ok\": False, \"error\": \"timed out after %s s: %s\" % (e.timeout, \" \".join(str(c) for c in cmd[:3])), \"kind\": \"unavailable\"}\n    if isinstance(e, OSError):\n        what = \"%s: %s\" % (e.filename, os.strerror(e.errno)) if e.filename and e.errno else str(e)\n        return {\"ok\": False, \"error\": what, \"kind\": \"unavailable\" if e.errno in TRANSIENT_ERRNOS else \"conflict\"}\n    frames = traceback.extract_tb(e.__traceback__)\n    where = \" in %s (line %d)\" % (frames[-1].name, frames[-1].lineno) if frames else \"\"\n    return {\"ok\": False, \"kind\": \"bug\", \"error\": \"bug in the karoo node agent: %s: %s%s; please report it\" % (type(e).__name__, e, where)}\n\n\n# ---- agent/karoo_node/util.py\n\n\"\"\"Small file, hash and process helpers shared by every part of the agent.\"\"\"\n\nimport base64\nimport hashlib\nimport json\nimport os\nimport socket\nimport subprocess\nimport time\n\n\n\ndef now_iso():\n    return time.strftime(\"%Y-%m-%dT%H:%M:%SZ\", time.gmtime())\n\n\ndef check_name(value, what):\n    ok = isinstance(value, str) and 0 < len(value) <= 64 and all(c.isalnum() or c in \"-_.\" for c in value)\n    if not ok or value.startswith(\".\") or not value.isascii():\n        raise InputFail(\"%s %r is not a plain name\" % (what, value))\n    return value\n\n\ndef check_hex(value, n=64):\n    if not isinstance(value, str) or len(value) != n or any(c not in \"0123456789abcdef\" for c in value):\n        raise InputFail(\"%r is not a %d-digit hex digest\" % (value, n))\n    return value\n\n\ndef check_relpath(p):\n    if not isinstance(p, str) or p == \"\" or p.startswith(\"/\") or \"\\x00\" in p:\n        raise InputFail(\"file path %r must be relative to the release\" % (p,))\n    parts = p.split(\"/\")\n    if any(x in (\"\", \".\", \"..\") for x in parts) or parts[0] in (\".karoo\", \"bin\", \"units\"):\n        raise InputFail(\"file path %r must stay inside the release and not use bin/, units/ or .karoo/\" % (p,))\n    return p\n\n\ndef file_sha256(path):\n    \"\"\"The sha256 hash object of a file's bytes, read in 1 MiB chunks.\"\"\"\n    h = hashlib.sha256()\n    with open(path, \"rb\") as f:\n        while True:\n            b = f.read(1 << 20)\n            if not b:\n                break\n            h.update(b)\n    return h\n\n\ndef sha256_file(path):\n    return file_sha256(path).hexdigest()\n\n\ndef b64_digest(data_hash):\n    \"\"\"A digest as RECORD writes it: urlsafe base64 without padding.\"\"\"\n    return base64.urlsafe_b64encode(data_hash).rstrip(b\"=\").decode(\"ascii\")\n\n\ndef write_atomic(path, data, mode=0o644):\n    tmp = \"%s.tmp-%d\" % (path, os.getpid())\n    with open(tmp, \"wb\") as f:\n        f.write(data)\n        f.flush()\n        os.fsync(f.fileno())\n    os.chmod(tmp, mode)\n    os.replace(tmp, path)\n\n\ndef write_plain(path, data, mode):\n    if os.path.islink(path):\n        os.unlink(path)\n    with open(path, \"wb\") as f:\n        f.write(data)\n    os.chmod(path, mode)\n\n\ndef symlink_atomic(target, path):\n    tmp = \"%s.tmp-%d\" % (path, os.getpid())\n    try:\n        os.unlink(tmp)\n    except FileNotFoundError:\n        pass\n    os.symlink(target, tmp)\n    os.replace(tmp, path)\n\n\ndef read_json(path):\n    \"\"\"A JSON file's value; None when it is missing, {\"damaged\": True} when it is not JSON.\"\"\"\n    try:\n        with open(path, encoding=\"utf-8\") as f:\n            return json.load(f)\n    except (FileNotFoundError, NotADirectoryError):\n        return None\n    except ValueError:\n        return {\"damaged\": True}\n\n\ndef pid_alive(pid):\n    if not isinstance(pid, int) or pid <= 0:\n        return False\n    try:\n        os.kill(pid, 0)\n    except ProcessLookupError:\n        return False\n    except PermissionError:\n        return True\n    try:\n        with open(\"/proc/%d/stat\" % pid) as f:\n            return f.read().split(\") \", 1)[1][:1] != \"Z\"\n    except OSError:\n        return True\n\n\ndef port_open(port):\n    try:\n        with socket.create_connection((\"127.0.0.1\", int(port)), timeout=0.5):\n            return True\n    except OSError:\n        return False\n\n\ndef run(argv, timeout=600):\n    p = subprocess.run(argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=timeout)\n    return p.returncode, p.stdout.decode(\"utf-8\", \"replace\")\n\n\n# ---- agent/karoo_node/protocol.py\n\n\"\"\"The wire protocol: one JSON request line on stdin (raw bytes may follow it), one JSON answer\nline last on stdout. Raw bytes a command streams to the runner (`send`, `prepare` with `pack`)\ngo before the answer, followed by a newline.\"\"\"\n\nimport json\n\n\n\ndef read_request(stream):\n    \"\"\"The request object on the first line of `stream` ({} when the line is empty).\"\"\"\n    line = stream.readline()\n    if not line.strip():\n        return {}\n    try:\n        req = json.loads(line.decode(\"utf-8\"))\n    except (UnicodeDecodeError, ValueError) as e:\n        raise InputFail(\"the agent's request is not JSON: %s\" % e)\n    if not isinstance(req, dict):\n        raise InputFail(\"the agent's request is a JSON %s, not an object\" % type(req).__name__)\n    return req\n\n\nFIELD_TYPES = {\"str\": str, \"list\": list, \"dict\": dict}\n\n\ndef require(req, cmd, fields):\n    \"\"\"Checks that the request holds each field of `fields` ({name: \"str\"|\"list\"|\"dict\"}) with that type.\"\"\"\n    for name in sorted(fields):\n        want = fields[name]\n        if name not in req:\n            raise InputFail(\"agent command %s needs %r in its request\" % (cmd, name))\n        if not isinstance(req[name], FIELD_TYPES[want]):\n            raise InputFail(\"agent command %s: %r must be a %s, not %s\" % (cmd, name, want, type(req[name]).__name__))\n\n\ndef answer_line(answer):\n    \"\"\"The answer as the runner reads it: sorted keys, one line.\"\"\"\n    return json.dumps(answer, sort_keys=True) + \"\\n\"\n\n\n# ---- agent/karoo_node/target.py\n\n\"\"\"Which wheel fits this node: wheel file names, the tags this interpreter accepts, PEP 508\nmarkers, and the node's target (interpreter, ABI, platform, libc).\"\"\"\n\nimport os\nimport platform\nimport re\nimport sys\nimport sysconfig\n\n\n\ndef parse_wheel_filename(filename):\n    \"\"\"(distribution, version, [tags]) of a wheel file name; tags expanded from compressed sets.\"\"\"\n    if \"/\" in filename or not filename.endswith(\".whl\"):\n        raise InputFail(\"wheel file name %r is not a plain .whl name\" % (filename,))\n    parts = filename[:-4].split(\"-\")\n    if len(parts) not in (5, 6):\n        raise InputFail(\"%r is not a wheel file name (name-version[-build]-python-abi-platform.whl)\" % (filename,))\n    pys, abis, plats = parts[-3].split(\".\"), parts[-2].split(\".\"), parts[-1].split(\".\")\n    return parts[0], parts[1], [\"%s-%s-%s\" % (p, a, q) for p in pys for a in abis for q in plats]\n\n\ndef glibc_version():\n    try:\n        kind, _, ver = os.confstr(\"CS_GNU_LIBC_VERSION\").partition(\" \")\n        if kind == \"glibc\":\n            major, minor = ver.split(\".\")[:2]\n            return int(major), int(minor)\n    except (AttributeError, ValueError, OSError):\n        pass\n    return None\n\n\ndef supported_tags():\n    \"\"\"The wheel tags this interpreter accepts, most preferred first (as pip orders them, for CPython on Linux).\"\"\"\n    major, minor = sys.version_info[:2]\n    impl = {\"cpython\": \"cp\", \"pypy\": \"pp\"}.get(sys.implementation.name, sys.implementation.name[:2])\n    machine = platform.machine()\n    plats = []\n    g = glibc_version()\n    if sys.platform.startswith(\"linux\"):\n        if g and g[0] == 2:\n            lowest = 5 if machine in (\"x86_64\", \"i686\") else 17\n            for m in range(g[1], lowest - 1, -1):\n                plats.append(\"manylinux_2_%d_%s\" % (m, machine))\n                legacy = {17: \"manylinux2014\", 12: \"manylinux2010\", 5: \"manylinux1\"}.get(m)\n                if legacy:\n                    plats.append(\"%s_%s\" % (legacy, machine))\n        plats.append(\"linux_%s\" % machine)\n    else:\n        plats.append(sysconfig.get_platform().replace(\"-\", \"_\").replace(\".\", \"_\"))\n    own = \"%s%d%d\" % (impl, major, minor)\n    abi = own if impl == \"cp\" else \"none\"\n    tags = []\n    for p in plats:\n        tags.append(\"%s-%s-%s\" % (own, abi, p))\n    if impl == \"cp\":\n        for p in plats:\n            tags.append(\"%s-abi3-%s\" % (own, p))\n    for p in plats:\n        tags.append(\"%s-none-%s\" % (own, p))\n    if impl == \"cp\":\n        for m in range(minor - 1, 1, -1):\n            for p in plats:\n                tags.append(\"cp%d%d-abi3-%s\" % (major, m, p))\n    for p in plats:\n        tags += [\"py%d%d-none-%s\" % (major, minor, p), \"py%d-none-%s\" % (major, p)]\n        tags += [\"py%d%d-none-%s\" % (major, m, p) for m in range(minor - 1, -1, -1)]\n    tags += [\"%s-none-any\" % own, \"py%d%d-none-any\" % (major, minor), \"py%d-none-any\" % major]\n    tags += [\"py%d%d-none-any\" % (major, m) for m in range(minor - 1, -1, -1)]\n    return tags\n\n\ndef target_info():\n    \"\"\"What decides whether an installed tree fits this node: the interpreter, its ABI, the platform and libc.\"\"\"\n    g = glibc_version()\n    return {\n        \"implementation\": sys.implementation.name,\n        \"python\": platform.python_version(),\n        \"executable\": sys.executable,\n        \"soabi\": sysconfig.get_config_var(\"SOABI\") or \"\",\n        \"platform\": sysconfig.get_platform(),\n        \"machine\": platform.machine(),\n        \"libc\": \"glibc %d.%d\" % g if g else \"\",\n    }\n\n\n# PEP 508 environment markers: the subset locks use (variables, quoted strings, comparisons,\n# `in`/`not in`, and/or, parentheses), evaluated for this interpreter.\n\n\ndef marker_environment():\n    iv = sys.implementation.version\n    ver = \"%d.%d.%d\" % (iv.major, iv.minor, iv.micro)\n    if iv.releaselevel != \"final\":\n        ver += iv.releaselevel[0] + str(iv.serial)\n    return {\n        \"os_name\": os.name, \"sys_platform\": sys.platform, \"platform_machine\": platform.machine(),\n        \"platform_python_implementation\": platform.python_implementation(), \"platform_release\": platform.release(),\n        \"platform_system\": platform.system(), \"platform_version\": platform.version(),\n        \"python_version\": \"%d.%d\" % sys.version_info[:2], \"python_full_version\": platform.python_version(),\n        \"implementation_name\": sys.implementation.name, \"implementation_version\": ver, \"extra\": \"\",\n    }\n\n\ndef _version_tuple(s):\n    m = re.match(r\"^\\s*v?(\\d+(?:\\.\\d+)*)(\\.\\*)?\\s*$\", s)\n    if not m:\n        return None, False\n    return tuple(int(x) for x in m.group(1).split(\".\")), bool(m.group(2))\n\n\ndef _compare(left, op, right):\n    if op in (\"in\", \"not in\"):\n        return (left in right) == (op == \"in\")\n    lv, _ = _version_tuple(left)\n    rv, wild = _version_tuple(right)\n    if lv is not None and rv is not None:\n        if wild:\n            if op not in (\"==\", \"!=\"):\n                raise InputFail(\"marker comparison %s %s %s is not valid\" % (left, op, right))\n            return (lv[:len(rv)] == rv) == (op == \"==\")\n        n = max(len(lv), len(rv))\n        a, b = lv + (0,) * (n - len(lv)), rv + (0,) * (n - len(rv))\n        if op == \"~=\":\n            if len(rv) < 2:\n                raise InputFail(\"marker comparison ~= %s needs at least two version parts\" % right)\n            return a >= b and lv[:len(rv) - 1] == rv[:-1]\n        return {\"==\": a == b, \"!=\": a != b, \"<\": a < b, \"<=\": a <= b, \">\": a > b, \">=\": a >= b, \"===\": left == right}[op]\n    if op in (\"==\", \"===\", \"!=\"):\n        return (left == right) == (op != \"!=\")\n    raise InputFail(\"cannot evaluate marker comparison %r %s %r\" % (left, op, right))\n\n\ndef evaluate_marker(marker, env=None):\n    \"\"\"True when the PEP 508 marker holds for this interpreter (or `env`).\"\"\"\n    env = marker_environment() if env is None else env\n    tokens = re.findall(r\"\"\"\\s*(\\(|\\)|'[^']*'|\"[^\"]*\"|===|==|!=|<=|>=|~=|<|>|not\\s+in\\b|in\\b|and\\b|or\\b|[A-Za-z_][A-Za-z0-9_.]*)\"\"\", marker)\n    if \"\".join(re.sub(r\"\\s+\", \"\", t) for t in tokens) != re.sub(r\"\\s+\", \"\", marker):\n        raise InputFail(\"environment marker %r cannot be parsed\" % marker)\n    tokens = [re.sub(r\"\\s+\", \" \", t.strip()) for t in tokens]\n    pos = [0]\n\n    def peek():\n        return tokens[pos[0]] if pos[0] < len(tokens) else None\n\n    def take():\n        t = peek()\n        if t is None:\n            raise InputFail(\"environment marker %r ends too early\" % marker)\n        pos[0] += 1\n        return t\n\n    def value():\n        t = take()\n        if t[:1] in (\"'\", '\"'):\n            return t[1:-1]\n        if t not in env:\n            raise InputFail(\"environment marker %r uses an unknown variable %r\" % (marker, t))\n        return env[t]\n\n    def atom():\n        if peek() == \"(\":\n            take()\n            v = disj()\n            if take() != \")\":\n                raise InputFail(\"environment marker %r has unbalanced parentheses\" % marker)\n            return v\n        left = value()\n        op = take()\n        if op not in (\"===\", \"==\", \"!=\", \"<=\", \">=\", \"~=\", \"<\", \">\", \"in\", \"not in\"):\n            raise InputFail(\"environment marker %r: %r is not a comparison\" % (marker, op))\n        return _compare(left, op, value())\n\n    def chain(word, operand, combine):\n        # Every operand is evaluated (no short cut), so a bad comparison fails wherever it stands.\n        v = operand()\n        while peek() == word:\n            take()\n            v = combine(operand(), v)\n        return v\n\n    def conj():\n        return chain(\"and\", atom, lambda a, b: a and b)\n\n    def disj():\n        return chain(\"or\", conj, lambda a, b: a or b)\n\n    result = disj()\n    if peek() is not None:\n        raise InputFail(\"environment marker %r has trailing text at %r\" % (marker, peek()))\n    return result\n\n\ndef choose_wheels(wheels):\n    \"\"\"Per locked package, the one wheel this node installs: its marker holds and its tag is the best supported one.\"\"\"\n    tags = {t: i for i, t in enumerate(supported_tags())}\n    by_pkg = {}\n    for w in wheels:\n        by_pkg.setdefault(w.get(\"package\") or w[\"filename\"], []).append(w)\n    chosen = []\n    for pkg in sorted(by_pkg):\n        ws = by_pkg[pkg]\n        marker = ws[0].get(\"marker\")\n        if marker and not evaluate_marker(marker):\n            continue\n        ranked = []\n        for w in ws:\n            _, _, wtags = parse_wheel_filename(w[\"filename\"])\n            best = min([tags[t] for t in wtags if t in tags] or [None], key=lambda x: (x is None, x))\n            if best is not None:\n                ranked.append((best, w[\"filename\"], w))\n        if not ranked:\n            raise InputFail(\"no wheel of %s fits this node (%s): %s\" % (pkg, supported_tags()[0], \", \".join(w[\"filename\"] for w in ws)))\n        chosen.append(sorted(ranked, key=lambda x: (x[0], x[1]))[0][2])\n    return chosen\n\n\n# ---- agent/karoo_node/wheel.py\n\n\"\"\"karoo's wheel installer: a locked, hash-checked set of wheels needs no resolver and no pip.\n\nThe agent unpacks each wheel into the venv itself, following the binary distribution format\n(PyPA \"wheel\" spec), and refuses any file that its RECORD does not vouch for with a hash.\"\"\"\n\nimport csv\nimport hashlib\nimport io\nimport os\nimport re\nimport sys\n\n\n\ndef norm(name):\n    out, dash = [], False\n    for c in name.lower():\n        if c in \"-_.\":\n            if not dash:\n                out.append(\"-\")\n            dash = True\n        else:\n            out.append(c)\n            dash = False\n    return \"\".join(out)\n\n\nRECORD_ALGOS = (\"sha256\", \"sha384\", \"sha512\")\nSCHEME_KEYS = (\"purelib\", \"platlib\", \"scripts\", \"headers\", \"data\")\n\n\ndef safe_member(name, what):\n    if not name or name.startswith(\"/\") or \"\\\\\" in name or \"\\x00\" in name:\n        raise IntegrityFail(\"%s: entry %r is not a relative path\" % (what, name))\n    parts = name.rstrip(\"/\").split(\"/\")\n    if any(p in (\"\", \".\", \"..\") for p in parts):\n        raise IntegrityFail(\"%s: entry %r leaves its directory\" % (what, name))\n    return parts\n\n\ndef _read_record(text, what):\n    rows = {}\n    for row in csv.reader(text.splitlines()):\n        if not row:\n            continue\n        if len(row) < 1 or len(row) > 3:\n            raise IntegrityFail(\"%s: RECORD row %r is malformed\" % (what, row))\n        path = row[0]\n        if path in rows:\n            raise IntegrityFail(\"%s: RECORD lists %s twice\" % (what, path))\n        rows[path] = (row[1] if len(row) > 1 else \"\", row[2] if len(row) > 2 else \"\")\n    return rows\n\n\ndef _scheme(venv, dist_name):\n    sp = venv_site_packages(venv)\n    return {\n        \"purelib\": sp, \"platlib\": sp, \"scripts\": os.path.join(venv, \"bin\"), \"data\": venv,\n        \"headers\": os.path.join(venv, \"include\", \"site\", \"python%d.%d\" % sys.version_info[:2], dist_name),\n    }\n\n\ndef venv_site_packages(venv):\n    return os.path.join(venv, \"lib\", \"python%d.%d\" % sys.version_info[:2], \"site-packages\")\n\n\ndef create_venv(venv):\n    \"\"\"`python3 -m venv --without-pip VENV`, in this process: the same standard-library builder, no pip.\"\"\"\n    import venv as venv_module  # here, not at the top: see LAZY_IMPORTS in __init__.py\n\n    try:\n        venv_module.EnvBuilder(with_pip=False, symlinks=True, clear=False).create(venv)\n    except Exception as e:  # the venv module raises whatever its steps raise\n        raise InputFail(\"creating the venv %s failed: %s; install python3-venv on the node\" % (venv, e))\n    os.makedirs(venv_site_packages(venv), exist_ok=True)\n\n\ndef install_wheel(path, venv, filename=None):\n    \"\"\"Installs one wheel into `venv` (created with create_venv) without pip.\n\n    Every file of the wheel must be listed in its RECORD with a sha256 (or stronger) hash that\n    matches, and every RECORD entry must be in the wheel, or nothing of it is written\n    (IntegrityFail). Root files go to site-packages; `<dist>.data/<key>/` to the venv's\n    purelib/platlib/scripts/headers/data; console and GUI entry points become scripts whose\n    shebang is the venv's python. Writes INSTALLER and a RECORD of what was installed (with\n    the hashes of rewritten and generated scripts). Bytecode is not compiled up front (as\n    `pip install --no-compile`): Python compiles what a service imports, when it imports it.\n    Returns the number of files written.\n    \"\"\"\n    filename = filename or os.path.basename(path)\n    what = \"wheel %s\" % filename\n    dist, version, _ = parse_wheel_filename(filename)\n    import configparser  # here, not at the top: see LAZY_IMPORTS in __init__.py\n    import zipfile\n\n    try:\n        zf = zipfile.ZipFile(path)\n    except (zipfile.BadZipFile, OSError) as e:\n        raise IntegrityFail(\"%s is not a readable zip archive: %s\" % (what, e))\n    with zf:\n        infos = [i for i in zf.infolist() if not i.filename.endswith(\"/\")]\n        names = [i.filename for i in infos]\n        if len(set(names)) != len(names):\n            raise IntegrityFail(\"%s holds the same path twice\" % what)\n        for i in infos:\n            safe_member(i.filename, what)\n            if (i.external_attr >> 16) & 0o170000 == 0o120000:\n                raise IntegrityFail(\"%s: entry %s is a symbolic link\" % (what, i.filename))\n        dist_infos = sorted({n.split(\"/\")[0] for n in names if n.split(\"/\")[0].endswith(\".dist-info\") and n.count(\"/\") == 1})\n        want = \"%s-%s.dist-info\" % (dist, version)\n        matching = [d for d in dist_infos if norm(d[:-10]) == norm(want[:-10]) or d.lower() == want.lower()]\n        if len(dist_infos) != 1 or not matching:\n            raise IntegrityFail(\"%s must hold exactly one .dist-info directory named %s (it holds %s)\" % (what, want, \", \".join(dist_infos) or \"none\"))\n        info_dir = dist_infos[0]\n        data_dir = info_dir[:-len(\".dist-info\")] + \".data\"\n        try:\n            wheel_meta = zf.read(info_dir + \"/WHEEL\").decode(\"utf-8\")\n            record_text = zf.read(info_dir + \"/RECORD\").decode(\"utf-8\")\n        except KeyError as e:\n            raise IntegrityFail(\"%s has no %s\" % (what, e.args[0] if e.args else \"WHEEL or RECORD\"))\n        meta = {}\n        for line in wheel_meta.splitlines():\n            k, _, v = line.partition(\":\")\n            meta.setdefault(k.strip().lower(), v.strip())\n        wv = meta.get(\"wheel-version\", \"\")\n        if not wv.split(\".\")[0] == \"1\":\n            raise InputFail(\"%s has Wheel-Version %r; this installer reads version 1 wheels\" % (what, wv))\n        root_key = \"purelib\" if meta.get(\"root-is-purelib\", \"true\").lower() == \"true\" else \"platlib\"\n        record = _read_record(record_text, what)\n        unsigned = {info_dir + \"/RECORD\", info_dir + \"/RECORD.jws\", info_dir + \"/RECORD.p7s\"}\n        # 1. Check everything before writing anything.\n        for path_in in record:\n            if path_in not in names and path_in not in unsigned:\n                raise IntegrityFail(\"%s: RECORD lists %s, which is not in the wheel\" % (what, path_in))\n        for i in infos:\n            if i.filename in unsigned:\n                continue\n            if i.filename not in record:\n                raise IntegrityFail(\"%s: %s is not listed in its RECORD\" % (what, i.filename))\n            algo_hash, size = record[i.filename]\n            algo, _, want_hash = algo_hash.partition(\"=\")\n            if algo not in RECORD_ALGOS or not want_hash:\n                raise IntegrityFail(\"%s: RECORD has no sha256 hash for %s (%r); refusing to install it\" % (what, i.filename, algo_hash or \"empty\"))\n            h = hashlib.new(algo)\n            with zf.open(i) as f:\n                n = 0\n                for chunk in iter(lambda: f.read(1 << 20), b\"\"):\n                    h.update(chunk)\n                    n += len(chunk)\n            if b64_digest(h.digest()) != want_hash:\n                raise IntegrityFail(\"%s: %s does not match its RECORD hash\" % (what, i.filename))\n            if size and size != str(n):\n                raise IntegrityFail(\"%s: %s is %d bytes, its RECORD says %s\" % (what, i.filename, n, size))\n        # 2. Where each file goes.\n        scheme = _scheme(venv, dist)\n        sp = scheme[\"purelib\"]\n        plan = []\n        for i in infos:\n            parts = i.filename.split(\"/\")\n            if parts[0] == data_dir:\n                if len(parts) < 3 or parts[1] not in SCHEME_KEYS:\n                    raise IntegrityFail(\"%s: %s is not in one of %s/{%s}\" % (what, i.filename, data_dir, \",\".join(SCHEME_KEYS)))\n                dest = os.path.join(scheme[parts[1]], *parts[2:])\n                key = parts[1]\n            else:\n                dest = os.path.join(scheme[root_key], *parts)\n                key = root_key\n            base = os.path.realpath(scheme[key])\n            if not os.path.realpath(dest).startswith(base + os.sep):\n                raise IntegrityFail(\"%s: %s would be written outside %s\" % (what, i.filename, scheme[key]))\n            plan.append((i, dest, key))\n        # 3. Write, recording each file's sha256 and size for the installed RECORD: the hash\n        # checked in step 1 where the bytes are unchanged, else the hash of what was written.\n        written = {}\n\n        def put(dest, data, mode, checked=None):\n            os.makedirs(os.path.dirname(dest), exist_ok=True)\n            write_plain(dest, data, mode)\n            written[dest] = checked or (\"sha256=\" + b64_digest(hashlib.sha256(data).digest()), str(len(data)))\n\n        python = os.path.join(venv, \"bin\", \"python3\")\n        for i, dest, key in plan:\n            if i.filename in unsigned:\n                continue\n            data = zf.read(i)\n            algo_hash = record[i.filename][0]\n            checked = (algo_hash, str(len(data))) if algo_hash.startswith(\"sha256=\") else None\n            mode = 0o755 if (i.external_attr >> 16) & 0o111 else 0o644\n            if key == \"scripts\":\n                mode = 0o755\n                if data.startswith(b\"#!python\"):\n                    nl = data.find(b\"\\n\")\n                    data = (\"#!%s\" % python).encode() + (data[nl:] if nl >= 0 else b\"\\n\")\n                    checked = None\n            put(dest, data, mode, checked)\n        # 4. Entry points.\n        ep_text = zf.read(info_dir + \"/entry_points.txt\").decode(\"utf-8\") if info_dir + \"/entry_points.txt\" in names else \"\"\n    if ep_text:\n        cp = configparser.ConfigParser(delimiters=(\"=\",), interpolation=None)\n        cp.optionxform = str\n        try:\n            cp.read_string(ep_text)\n        except configparser.Error as e:\n            raise InputFail(\"%s: entry_points.txt cannot be read: %s\" % (what, e))\n        for group in (\"console_scripts\", \"gui_scripts\"):\n            if not cp.has_section(group):\n                continue\n            for name, ref in cp.items(group):\n                m = re.match(r\"^\\s*([\\w.]+)\\s*:\\s*([\\w.]+)\\s*(\\[.*\\])?\\s*$\", ref)\n                if not m or \"/\" in name or name.startswith(\".\") or not name.strip():\n                    raise InputFail(\"%s: entry point %s = %s is not module:attribute\" % (what, name, ref))\n                module, attr = m.group(1), m.group(2)\n                script = \"\".join([\n                    \"#!%s\\n\" % python,\n                    \"# -*- coding: utf-8 -*-\\n\",\n                    \"import re\\n\",\n                    \"import sys\\n\",\n                    \"from %s import %s\\n\" % (module, attr.split(\".\")[0]),\n                    \"if __name__ == \\\"__main__\\\":\\n\",\n                    \"    sys.argv[0] = re.sub(r\\\"(-script\\\\.pyw|\\\\.exe)?$\\\", \\\"\\\", sys.argv[0])\\n\",\n                    \"    sys.exit(%s())\\n\" % attr,\n                ])\n                put(os.path.join(scheme[\"scripts\"], name.strip()), script.encode(\"utf-8\"), 0o755)\n    put(os.path.join(sp, info_dir, \"INSTALLER\"), b\"karoo\\n\", 0o644)\n    rec_path = os.path.join(sp, info_dir, \"RECORD\")\n    buf = io.StringIO()\n    w = csv.writer(buf, lineterminator=\"\\n\")\n    for dest in sorted(written):\n        w.writerow((os.path.relpath(dest, sp),) + written[dest])\n    w.writerow((os.path.relpath(rec_path, sp), \"\", \"\"))\n    write_plain(rec_path, buf.getvalue().encode(\"utf-8\"), 0o644)\n    return len(written) + 1\n\n\n# ---- agent/karoo_node/archive.py\n\n\"\"\"Installed trees as deterministic archives: packed once per target, unpacked on the other\nnodes of that target, each checked against its digest.\"\"\"\n\nimport hashlib\nimport os\nimport shutil\nimport zlib\n\n\n\nARCHIVE_SKIP = (\".karoo-venv.json\",)\n\n\ndef pack_tree(root, out_path, out=None):\n    \"\"\"Writes the tree under `root` as a deterministic tar.gz (sorted, no times, owners or\n    host names; symlinks kept as links) and returns (sha256 hex, size): into the blob named by\n    its digest next to `out_path`, or onto the binary stream `out`.\"\"\"\n    h = hashlib.sha256()\n    if out is not None:\n        hw = _Hashing(out, h)\n        _pack_into(root, hw)\n        out.flush()\n        return h.hexdigest(), hw.n\n    tmp = \"%s.part-%d\" % (out_path, os.getpid())\n    with open(tmp, \"wb\") as raw:\n        hw = _Hashing(raw, h)\n        _pack_into(root, hw)\n        raw.flush()\n        os.fsync(raw.fileno())\n    os.chmod(tmp, 0o444)\n    digest = h.hexdigest()\n    final = os.path.join(os.path.dirname(out_path), digest)\n    os.replace(tmp, final)\n    return digest, hw.n\n\n\nclass _Hashing:\n    \"\"\"A write-only file that hashes and counts what goes through it.\"\"\"\n\n    def __init__(self, f, h):\n        self.f, self.h, self.n = f, h, 0\n\n    def write(self, b):\n        self.h.update(b)\n        self.n += len(b)\n        return self.f.write(b)\n\n    def flush(self):\n        self.f.flush()\n\n\nclass Limited:\n    \"\"\"At most `size` bytes of a stream, hashed as they are read.\"\"\"\n\n    def __init__(self, stream, size):\n        self.stream, self.left, self.h = stream, size, hashlib.sha256()\n\n    def read(self, n=-1):\n        if self.left <= 0:\n            return b\"\"\n        n = self.left if n is None or n < 0 else min(n, self.left)\n        b = self.stream.read(n)\n        self.left -= len(b)\n        self.h.update(b)\n        return b\n\n    def drain(self):\n        while self.left > 0 and self.read(1 << 20):\n            pass\n\n\ndef _pack_into(root, hw):\n    import gzip  # here, not at the top: see LAZY_IMPORTS in __init__.py\n    import tarfile\n\n    with gzip.GzipFile(filename=\"\", mode=\"wb\", fileobj=hw, mtime=0, compresslevel=3) as gz:\n        with tarfile.open(fileobj=gz, mode=\"w\", format=tarfile.PAX_FORMAT) as tar:\n            for rel in _walk_sorted(root):\n                if rel in ARCHIVE_SKIP:\n                    continue\n                p = os.path.join(root, rel)\n                st = os.lstat(p)\n                ti = tarfile.TarInfo(rel)\n                ti.mtime, ti.uid, ti.gid, ti.uname, ti.gname = 0, 0, 0, \"\", \"\"\n                ti.mode = st.st_mode & 0o7777\n                if os.path.islink(p):\n                    ti.type, ti.linkname = tarfile.SYMTYPE, os.readlink(p)\n                    tar.addfile(ti)\n                elif os.path.isdir(p):\n                    ti.type = tarfile.DIRTYPE\n                    tar.addfile(ti)\n                elif os.path.isfile(p):\n                    ti.size = st.st_size\n                    with open(p, \"rb\") as f:\n                        tar.addfile(ti, f)\n\n\ndef _walk_sorted(root):\n    out = []\n    for d, dirs, files in os.walk(root):\n        links = [x for x in dirs if os.path.islink(os.path.join(d, x))]\n        dirs[:] = sorted(x for x in dirs if x not in links)\n        rel = os.path.relpath(d, root)\n        for name in sorted(files + links):\n            out.append(os.path.normpath(os.path.join(rel, name)))\n        for name in dirs:\n            out.append(os.path.normpath(os.path.join(rel, name)))\n    return sorted(out)\n\n\ndef unpack_tree(archive, root):\n    \"\"\"Unpacks an archive written by pack_tree into `root` (which must not exist): regular\n    files, directories and symlinks only, every path inside `root`, none through a symlink.\"\"\"\n    what = \"installation archive %s\" % os.path.basename(archive)\n    import tarfile  # here, not at the top: see LAZY_IMPORTS in __init__.py\n\n    try:\n        tar = tarfile.open(archive, mode=\"r:gz\")\n    except (tarfile.TarError, OSError) as e:\n        raise IntegrityFail(\"%s cannot be read: %s\" % (what, e))\n    with tar:\n        _unpack_members(tar, root, what, None)\n\n\ndef unpack_stream(stream, hexd, size, root):\n    \"\"\"Unpacks an archive of `size` bytes read from `stream` into `root` (which must not\n    exist), as unpack_tree does, while hashing it: if the bytes are not sha256 `hexd`, the tree\n    is deleted and refused. Returns the sha256 of every file written (path -> RECORD form).\"\"\"\n    what = \"installation archive sha256:%s\" % hexd\n    if os.path.lexists(root):\n        raise Fail(\"%s exists already: not unpacking over it\" % root)\n    import tarfile  # here, not at the top: see LAZY_IMPORTS in __init__.py\n\n    src = Limited(stream, size)\n    known = {}\n    try:\n        try:\n            with tarfile.open(fileobj=src, mode=\"r|gz\") as tar:\n                _unpack_members(tar, root, what, known)\n        except (tarfile.TarError, EOFError, zlib.error) as e:\n            src.drain()\n            if src.left == 0 and src.h.hexdigest() == hexd:\n                raise IntegrityFail(\"%s cannot be read: %s\" % (what, e))\n        src.drain()\n        if src.left > 0:\n            raise UnavailableFail(\"%s ended after %d of %d bytes\" % (what, size - src.left, size))\n        if src.h.hexdigest() != hexd:\n            raise IntegrityFail(\"%s arrived as sha256:%s: refused\" % (what, src.h.hexdigest()))\n    except BaseException:\n        shutil.rmtree(root, ignore_errors=True)\n        raise\n    return known\n\n\ndef _unpack_members(tar, root, what, known):\n    os.makedirs(root)\n    links = set()\n    for ti in tar:\n        parts = safe_member(ti.name, what)\n        for k in range(1, len(parts)):\n            if \"/\".join(parts[:k]) in links:\n                raise IntegrityFail(\"%s: %s lies under a symbolic link\" % (what, ti.name))\n        dest = os.path.join(root, *parts)\n        if ti.isdir():\n            os.makedirs(dest, exist_ok=True)\n            os.chmod(dest, (ti.mode & 0o777) | 0o700)\n        elif ti.isfile():\n            os.makedirs(os.path.dirname(dest), exist_ok=True)\n            src = tar.extractfile(ti)\n            h = hashlib.sha256()\n            with open(dest, \"wb\") as f:\n                while True:\n                    chunk = src.read(1 << 20)\n                    if not chunk:\n                        break\n                    h.update(chunk)\n                    f.write(chunk)\n            os.chmod(dest, ti.mode & 0o777)\n            if known is not None:\n                known[os.path.normpath(dest)] = b64_digest(h.digest())\n        elif ti.issym():\n            os.makedirs(os.path.dirname(dest), exist_ok=True)\n            os.symlink(ti.linkname, dest)\n            links.add(\"/\".join(parts))\n        else:\n            raise IntegrityFail(\"%s: %s is neither a file, a directory nor a symbolic link\" % (what, ti.name))\n\n\n# ---- agent/karoo_node/services.py\n\n\"\"\"Services: systemd units where the node runs systemd, karoo's own supervisor elsewhere;\ntheir state, their logs, and waiting until they are up.\"\"\"\n\nimport os\nimport signal\nimport subprocess\nimport sys\nimport time\n\n\nUNIT_DIR = \"/etc/systemd/system\"\nWANTS_DIR = \"/etc/systemd/system/multi-user.target.wants\"\nRUN_DIR = \"/run/karoo\"\nMANAGER_FILE = \"/etc/karoo/service-manager\"\n\n\ndef service_manager():\n    \"\"\"`systemd` where the node runs it, else `supervisor`; /etc/karoo/service-manager decides when present.\"\"\"\n    try:\n        with open(MANAGER_FILE, encoding=\"utf-8\") as f:\n            chosen = f.read().strip()\n        if chosen in (\"systemd\", \"supervisor\"):\n            return chosen\n    except OSError:\n        pass\n    return \"systemd\" if os.path.isdir(\"/run/systemd/system\") else \"supervisor\"\n\n\ndef unit_text(node, rel, desired, s):\n    rdir = node.release(rel)\n    py = sys.executable\n    if not all(c.isalnum() or c in \"/._-\" for c in py):\n        raise InputFail(\"python path %r cannot be written into a unit file\" % py)\n    return \"\\n\".join([\n        \"# Written by karoo deploy: system %s, release %s. Changes here are reported as drift.\" % (desired[\"systemId\"], rel),\n        \"[Unit]\",\n        \"Description=karoo %s: %s\" % (node.system, s[\"name\"]),\n        \"After=network.target\",\n        \"\",\n        \"[Service]\",\n        \"Type=simple\",\n        \"ExecStart=%s %s/.karoo/karoo_node.py exec %s\" % (py, rdir, s[\"name\"]),\n        \"Restart=on-failure\",\n        \"RestartSec=1\",\n        \"TimeoutStopSec=15\",\n        \"\",\n        \"[Install]\",\n        \"WantedBy=multi-user.target\",\n        \"\",\n    ])\n\n\ndef units_state(units, props=\"Id,ActiveState,SubState,Result,NRestarts,MainPID\"):\n    \"\"\"systemd's properties (ActiveState, SubState, Result, NRestarts, MainPID) of each unit,\n    from one `systemctl show` (it prints one block per unit, in the order given, blank lines between).\"\"\"\n    if not units:\n        return {}\n    code, out = run([\"systemctl\", \"show\", \"--property=\" + props] + list(units), timeout=30)\n    states = {}\n    blocks = out.strip().split(\"\\n\\n\")\n    for u, block in zip(units, blocks + [\"\"] * (len(units) - len(blocks))):\n        state = {}\n        for line in block.splitlines():\n            k, _, v = line.partition(\"=\")\n            state[k] = v\n        states[u] = state\n    return states\n\n\ndef journal_tail(unit):\n    code, out = run([\"journalctl\", \"--no-pager\", \"-o\", \"cat\", \"-n\", \"5\", \"-u\", unit], timeout=30)\n    lines = [l for l in out.strip().splitlines() if l.strip()]\n    return \" | \".join(lines[-5:]) or \"(no journal lines)\"\n\n\nclass Services:\n    \"\"\"Service methods of Node.\"\"\"\n\n    def state_path(self, unit):\n        return os.path.join(RUN_DIR, self.system, unit + \".json\")\n\n    def log_path(self, unit):\n        return os.path.join(self.root, \"logs\", unit + \".log\")\n\n    def converge_supervised(self, desired, old_desired, rdir):\n        \"\"\"Stops the supervisors of the old release's services, then starts one per service of this one.\"\"\"\n        units = [s[\"unit\"] for s in desired[\"services\"]]\n        for u in units + [s[\"unit\"] for s in (old_desired or {}).get(\"services\", []) if s[\"unit\"] not in units]:\n            self.stop_supervised(u)\n        os.makedirs(os.path.join(self.root, \"logs\"), exist_ok=True)\n        os.makedirs(os.path.join(RUN_DIR, self.system), exist_ok=True)\n        agent = os.path.join(rdir, \".karoo\", \"karoo_node.py\")\n        for svc in desired[\"services\"]:\n            with open(self.log_path(svc[\"unit\"]), \"ab\") as log:\n                subprocess.Popen([sys.executable, agent, \"supervise\", svc[\"name\"]], stdin=subprocess.DEVNULL, stdout=log,\n                                 stderr=subprocess.STDOUT, start_new_session=True, close_fds=True, cwd=\"/\")\n        deadline = time.monotonic() + 10\n        for u in units:\n            while read_json(self.state_path(u)) is None:\n                if time.monotonic() > deadline:\n                    raise Fail(\"the supervisor of %s did not start: %s\" % (u, self.log_tail(u)))\n                time.sleep(0.05)\n\n    def stop_supervised(self, unit):\n        state = read_json(self.state_path(unit)) or {}\n        for key in (\"supervisor\", \"pid\"):\n            pid = state.get(key)\n            if pid_alive(pid):\n                try:\n                    os.kill(pid, signal.SIGTERM)\n                except OSError:\n                    pass\n        deadline = time.monotonic() + 15\n        while any(pid_alive(state.get(k)) for k in (\"supervisor\", \"pid\")) and time.monotonic() < deadline:\n            time.sleep(0.05)\n        for key in (\"supervisor\", \"pid\"):\n            if pid_alive(state.get(key)):\n                try:\n                    os.kill(state[key], signal.SIGKILL)\n                except OSError:\n                    pass\n        try:\n            os.unlink(self.state_path(unit))\n        except OSError:\n            pass\n\n    def service_state(self, unit):\n        \"\"\"systemd's view of a unit, or the same fields from karoo's supervisor.\"\"\"\n        return self.services_state([unit])[unit]\n\n    def services_state(self, units):\n        \"\"\"service_state of several units: one `systemctl show` for all of them.\"\"\"\n        if service_manager() == \"systemd\":\n            return units_state(units)\n        return {u: self.supervised_state(u) for u in units}\n\n    def supervised_state(self, unit):\n        state = read_json(self.state_path(unit))\n        if not state or state.get(\"damaged\") or not pid_alive(state.get(\"supervisor\")):\n            return {\"ActiveState\": \"inactive\", \"SubState\": \"dead\", \"Result\": \"success\"}\n        if state.get(\"restarts\", 0) > 5 and state.get(\"state\") != \"running\":\n            return {\"ActiveState\": \"failed\", \"SubState\": \"restarting\", \"Result\": \"exit-code\"}\n        if state.get(\"state\") == \"running\" and pid_alive(state.get(\"pid\")):\n            return {\"ActiveState\": \"active\", \"SubState\": \"running\", \"Result\": \"success\", \"MainPID\": str(state[\"pid\"])}\n        return {\"ActiveState\": \"activating\", \"SubState\": \"auto-restart\", \"Result\": \"success\"}\n\n    def log_tail(self, unit):\n        if service_manager() == \"systemd\":\n            return journal_tail(unit)\n        try:\n            with open(self.log_path(unit), \"rb\") as f:\n                f.seek(0, os.SEEK_END)\n                f.seek(max(0, f.tell() - 4096))\n                lines = [l for l in f.read().decode(\"utf-8\", \"replace\").splitlines() if l.strip()]\n        except OSError:\n            return \"(no log)\"\n        return \" | \".join(lines[-5:]) or \"(no log lines)\"\n\n    def converge_units(self, desired, old_desired):\n        units = [s[\"unit\"] for s in desired[\"services\"]]\n        stale = [s[\"unit\"] for s in (old_desired or {}).get(\"services\", []) if s[\"unit\"] not in units]\n        if stale:\n            run([\"systemctl\", \"stop\"] + stale, timeout=120)\n            for u in stale:\n                for d in (UNIT_DIR, WANTS_DIR):\n                    try:\n                        os.unlink(os.path.join(d, u))\n                    except FileNotFoundError:\n                        pass\n        os.makedirs(WANTS_DIR, exist_ok=True)\n        for u in units:\n            symlink_atomic(os.path.join(self.root, \"current\", \"units\", u), os.path.join(UNIT_DIR, u))\n            symlink_atomic(os.path.join(UNIT_DIR, u), os.path.join(WANTS_DIR, u))\n        # A daemon-reload re-reads every unit and reruns the generators (~0.6 s of CPU in a small\n        # container): skipped only where nothing systemd holds can be stale, that is on a node\n        # that ran no release of this system before (or runs this same one again), when systemd\n        # says every unit loaded (a unit it has not seen yet is read from disk when first asked\n        # about, as here) and none needs a reload. Switching from another release always reloads:\n        # NeedDaemonReload only notices a unit file newer than the one loaded, and a rollback's is older.\n        loaded = units_state(units, \"Id,LoadState,NeedDaemonReload\")\n        if stale or old_desired is not None or any(st.get(\"LoadState\") != \"loaded\" or st.get(\"NeedDaemonReload\") != \"no\" for st in loaded.values()):\n            code, out = run([\"systemctl\", \"daemon-reload\"], timeout=120)\n            if code != 0:\n                raise Fail(\"systemctl daemon-reload failed: %s\" % out.strip()[-300:])\n        if units:\n            code, out = run([\"systemctl\", \"restart\"] + units, timeout=300)\n            if code != 0:\n                raise Fail(\"systemctl restart %s failed: %s\" % (\" \".join(units), out.strip()[-300:]))\n\n    def wait_services(self, desired, seconds):\n        \"\"\"Waits until every service is active and its port accepts. A port check is a connect to\n        127.0.0.1; the service manager is asked (one call for all units) when every pending port\n        accepts, and otherwise at most every half second, to notice a service that failed.\"\"\"\n        deadline = time.monotonic() + seconds\n        pending = list(desired[\"services\"])\n        asked = 0.0\n        while pending:\n            listening = [s for s in pending if not s.get(\"port\") or port_open(s[\"port\"])]\n            if len(listening) == len(pending) or time.monotonic() - asked >= 0.5:\n                asked = time.monotonic()\n                states = self.services_state([s[\"unit\"] for s in pending])\n                left = []\n                for s in pending:\n                    state = states[s[\"unit\"]]\n                    if state.get(\"ActiveState\") == \"active\" and s in listening:\n                        continue\n                    if state.get(\"ActiveState\") == \"failed\" or state.get(\"Result\") not in (None, \"\", \"success\"):\n                        raise Fail(\"service %s is %s (%s): %s\" % (s[\"unit\"], state.get(\"ActiveState\"), state.get(\"Result\"), self.log_tail(s[\"unit\"])))\n                    left.append(s)\n                pending = left\n            if pending and time.monotonic() > deadline:\n                s = pending[0]\n                state = self.service_state(s[\"unit\"])\n                why = \"port %d is not listening\" % s[\"port\"] if state.get(\"ActiveState\") == \"active\" else \"it is %s\" % state.get(\"ActiveState\")\n                raise Fail(\"service %s did not come up within %ds: %s; %s\" % (s[\"unit\"], seconds, why, self.log_tail(s[\"unit\"])))\n            if pending:\n                time.sleep(0.05)\n\n\n# ---- agent/karoo_node/verify.py\n\n\"\"\"What differs between a node and what it should hold: a release's files, and an installation\nagainst the lock (names, versions, RECORD hashes).\"\"\"\n\nimport csv\nimport os\n\n\n\ndef release_file_diffs(rdir, desired):\n    diffs = []\n    for f in desired[\"files\"]:\n        p = os.path.join(rdir, f[\"path\"])\n        try:\n            st = os.lstat(p)\n        except OSError:\n            diffs.append(\"file %s is missing\" % f[\"path\"])\n            continue\n        if not os.path.isfile(p) or os.path.islink(p):\n            diffs.append(\"file %s is not a regular file\" % f[\"path\"])\n            continue\n        actual = sha256_file(p)\n        if actual != f[\"sha256\"]:\n            diffs.append(\"file %s changed since deploy: sha256 %s, deployed %s\" % (f[\"path\"], actual[:12], f[\"sha256\"][:12]))\n        elif (st.st_mode & 0o7777) != int(f[\"mode\"], 8):\n            diffs.append(\"file %s has mode %o, deployed %s\" % (f[\"path\"], st.st_mode & 0o7777, f[\"mode\"]))\n    for u in desired[\"services\"]:\n        p = os.path.join(rdir, \"units\", u[\"unit\"])\n        if not os.path.isfile(p):\n            diffs.append(\"unit file units/%s is missing\" % u[\"unit\"])\n    return diffs\n\n\ndef site_packages(venv):\n    lib = os.path.join(venv, \"lib\")\n    try:\n        pys = [d for d in os.listdir(lib) if d.startswith(\"python\")]\n    except OSError:\n        return []\n    return [os.path.join(lib, d, \"site-packages\") for d in sorted(pys)]\n\n\ndef verify_venv(venv, expected, check_marker, candidate=None, known=None):\n    \"\"\"Differences between the distributions installed in `venv` and the lock (name, version, RECORD hashes).\n\n    `known`: sha256 (urlsafe base64, as RECORD writes it) of files by path, taken from the bytes\n    as they were written by this same call (unpack_stream); those files are not read again.\"\"\"\n    diffs = []\n    if check_marker:\n        m = read_json(os.path.join(venv, \".karoo-venv.json\"))\n        if not m or m.get(\"candidate\") != candidate:\n            return [\"installation %s is missing or incomplete\" % venv]\n    found = {}\n    for sp in site_packages(venv):\n        for entry in sorted(os.listdir(sp)):\n            if not entry.endswith(\".dist-info\"):\n                continue\n            d = os.path.join(sp, entry)\n            meta = {}\n            try:\n                with open(os.path.join(d, \"METADATA\"), encoding=\"utf-8\", errors=\"replace\") as f:\n                    for line in f:\n                        if not line.strip():\n                            break\n                        k, _, v = line.partition(\":\")\n                        meta.setdefault(k.strip().lower(), v.strip())\n            except OSError:\n                diffs.append(\"%s has no METADATA\" % entry)\n                continue\n            found[norm(meta.get(\"name\", entry))] = (meta.get(\"version\", \"?\"), sp, d)\n    want = {norm(e[\"name\"]): e for e in expected}\n    for name in sorted(want):\n        e = want[name]\n        if name not in found:\n            if not e.get(\"marker\"):\n                diffs.append(\"%s %s is not installed\" % (name, e[\"version\"]))\n        elif found[name][0] != e[\"version\"]:\n            diffs.append(\"%s is installed at %s, the lock has %s\" % (name, found[name][0], e[\"version\"]))\n    for name in sorted(found):\n        if name not in want:\n            diffs.append(\"%s %s is installed but not in the lock\" % (name, found[name][0]))\n    for name in sorted(found):\n        version, sp, d = found[name]\n        try:\n            with open(os.path.join(d, \"RECORD\"), encoding=\"utf-8\") as f:\n                rows = f.read().splitlines()\n        except OSError:\n            diffs.append(\"%s %s has no RECORD\" % (name, version))\n            continue\n        for row in csv.reader(rows):\n            if len(row) < 2 or not row[1].startswith(\"sha256=\"):\n                continue\n            path = row[0]\n            full = os.path.normpath(os.path.join(sp, path))\n            try:\n                got = known.get(full) if known else None\n                if got is None:\n                    got = b64_digest(file_sha256(full).digest())\n            except OSError:\n                diffs.append(\"%s %s: %s is missing\" % (name, version, path))\n                continue\n            if got != row[1][len(\"sha256=\"):]:\n                diffs.append(\"%s %s: %s differs from its RECORD hash\" % (name, version, path))\n    return diffs\n\n\nclass Verification:\n    \"\"\"Node.verify: every difference between the node and a release.\"\"\"\n\n    def verify(self, rel, wait=0):\n        \"\"\"Every difference between the node and release `rel`, first the most telling one.\"\"\"\n        diffs = []\n        cur = self.link_target(\"current\")\n        if cur != rel:\n            diffs.append(\"current release is %s, not %s\" % (cur or \"none\", rel))\n            return diffs\n        rdir = self.release(rel)\n        desired = read_json(os.path.join(rdir, \".karoo\", \"release.json\"))\n        if not desired or desired.get(\"damaged\"):\n            return [\"release %s has no readable release.json\" % rel]\n        diffs += release_file_diffs(rdir, desired)\n        venv = self.venv(desired[\"candidateShort\"])\n        diffs += verify_venv(venv, desired[\"expected\"], check_marker=True, candidate=desired[\"candidate\"])\n        systemd = service_manager() == \"systemd\"\n        states = self.services_state([s[\"unit\"] for s in desired[\"services\"]])\n        for s in desired[\"services\"]:\n            if systemd:\n                link = os.path.join(UNIT_DIR, s[\"unit\"])\n                want = os.path.join(self.root, \"current\", \"units\", s[\"unit\"])\n                try:\n                    if os.readlink(link) != want:\n                        diffs.append(\"unit %s points at %s, not %s\" % (s[\"unit\"], os.readlink(link), want))\n                except OSError:\n                    diffs.append(\"unit %s is not installed in %s\" % (s[\"unit\"], UNIT_DIR))\n            else:\n                state = read_json(self.state_path(s[\"unit\"])) or {}\n                if state.get(\"release\") != rdir:\n                    diffs.append(\"the supervisor of %s runs release %s, not %s\" % (s[\"unit\"], state.get(\"release\") or \"none\", rdir))\n            state = states[s[\"unit\"]]\n            if state.get(\"ActiveState\") != \"active\":\n                diffs.append(\"service %s is %s (%s)\" % (s[\"unit\"], state.get(\"ActiveState\", \"unknown\"), state.get(\"SubState\", \"\")))\n            elif s.get(\"port\") and not port_open(s[\"port\"]):\n                diffs.append(\"service %s is active but port %d is not listening\" % (s[\"unit\"], s[\"port\"]))\n        return diffs\n\n\n# ---- agent/karoo_node/blobs.py\n\n\"\"\"The node's blob store (blobs/sha256/<hex>): every blob checked against its sha256 on arrival\nand again before use.\"\"\"\n\nimport hashlib\nimport os\n\n\n\nclass Blobs:\n    \"\"\"Blob store methods of Node (self.blobs: the store's directory).\"\"\"\n\n    def have_blob(self, hexd):\n        return os.path.isfile(os.path.join(self.blobs, check_hex(hexd)))\n\n    def receive(self, blobs, stream):\n        \"\"\"Reads each blob ({\"hex\", \"size\"}) from `stream` into the store; refuses one that is not its sha256.\"\"\"\n        os.makedirs(self.blobs, exist_ok=True)\n        got = 0\n        for b in blobs:\n            hexd, size = check_hex(b[\"hex\"]), int(b[\"size\"])\n            final = os.path.join(self.blobs, hexd)\n            tmp = \"%s.part-%d\" % (final, os.getpid())\n            h = hashlib.sha256()\n            left = size\n            with open(tmp, \"wb\") as f:\n                while left > 0:\n                    chunk = stream.read(min(left, 1 << 20))\n                    if not chunk:\n                        os.unlink(tmp)\n                        raise UnavailableFail(\"blob sha256:%s ended after %d of %d bytes\" % (hexd, size - left, size))\n                    h.update(chunk)\n                    f.write(chunk)\n                    left -= len(chunk)\n                f.flush()\n                os.fsync(f.fileno())\n            if h.hexdigest() != hexd:\n                os.unlink(tmp)\n                raise IntegrityFail(\"blob sha256:%s arrived as sha256:%s: refused\" % (hexd, h.hexdigest()))\n            os.chmod(tmp, 0o444)\n            os.replace(tmp, final)\n            got += size\n        return got\n\n    def verify_blob(self, hexd):\n        \"\"\"The path of a stored blob, checked again; a blob that changed in the store is deleted and refused.\"\"\"\n        path = os.path.join(self.blobs, check_hex(hexd))\n        if not os.path.isfile(path):\n            raise Fail(\"blob sha256:%s is not on the node\" % hexd)\n        actual = sha256_file(path)\n        if actual != hexd:\n            os.unlink(path)\n            raise IntegrityFail(\"blob sha256:%s on the node holds sha256:%s: deleted; deploy again to re-send it\" % (hexd, actual))\n        return path\n\n\n# ---- agent/karoo_node/install.py\n\n\"\"\"Installing a candidate on the node: from its wheels, or from the installed tree another node\nof the same target packed; either way verified against the lock before it counts.\"\"\"\n\nimport json\nimport os\nimport shutil\nimport time\n\n\n\nclass Installs:\n    \"\"\"Installation methods of Node (self.venv(cand12): where a candidate is installed).\"\"\"\n\n    def install(self, req, stream=None):\n        \"\"\"Makes <candidate-12>/ hold exactly the lock: from the wheels (karoo's own installer,\n        no pip) or from an installed tree built on another node of the same target (an archive\n        checked against its digest); either way verified against the lock before it counts.\n\n        An archive marked `inline` follows the request on `stream`: it is unpacked as it arrives,\n        hashing both the archive (its digest must match before the tree counts; otherwise the\n        tree is deleted) and every file written, so that verifying RECORD hashes needs no second\n        read of the tree.\"\"\"\n        cand12 = req[\"candidateShort\"]\n        venv = self.venv(cand12)\n        marker = os.path.join(venv, \".karoo-venv.json\")\n        m = read_json(marker)\n        t = {}\n        archive = req.get(\"archive\")\n        inline = bool(archive and archive.get(\"inline\"))\n        if inline and stream is None:\n            raise InputFail(\"an inline installation archive needs the request's stream\")\n        if m and m.get(\"candidate\") == req[\"candidate\"]:\n            diffs = verify_venv(venv, req[\"expected\"], check_marker=False)\n            if not diffs:\n                if inline:\n                    Limited(stream, int(archive[\"size\"])).drain()\n                t[\"reused\"] = True\n                return t\n            t[\"repairedFrom\"] = diffs[0]  # changed by hand since it was installed: install it again\n        start = time.monotonic()\n        known = None\n        if inline:\n            check_hex(archive[\"hex\"])\n        elif archive:\n            apath = self.verify_blob(archive[\"hex\"])\n        else:\n            chosen = choose_wheels(req[\"wheels\"])\n            paths = {w[\"hex\"]: self.verify_blob(w[\"hex\"]) for w in chosen}\n        t[\"verifyBlobs\"] = time.monotonic() - start\n        start = time.monotonic()\n        if os.path.lexists(venv):\n            shutil.rmtree(venv)  # an interrupted installation: never used, since no release points at it without its marker\n        try:\n            if inline:\n                known = unpack_stream(stream, archive[\"hex\"], int(archive[\"size\"]), venv)\n                t[\"unpack\"] = time.monotonic() - start\n                t[\"from\"] = \"archive\"\n            elif archive:\n                unpack_tree(apath, venv)\n                t[\"unpack\"] = time.monotonic() - start\n                t[\"from\"] = \"archive\"\n            else:\n                create_venv(venv)\n                t[\"venv\"] = time.monotonic() - start\n                start = time.monotonic()\n                files = 0\n                for w in sorted(chosen, key=lambda x: x[\"filename\"]):\n                    files += install_wheel(paths[w[\"hex\"]], venv, w[\"filename\"])\n                t[\"wheels\"] = time.monotonic() - start\n                t[\"files\"] = files\n                t[\"from\"] = \"wheels\"\n        except Fail:\n            shutil.rmtree(venv, ignore_errors=True)\n            raise\n        start = time.monotonic()\n        diffs = verify_venv(venv, req[\"expected\"], check_marker=False, known=known)\n        if diffs:\n            raise IntegrityFail(\"installation differs from the lock: %s\" % diffs[0])\n        t[\"verifyInstall\"] = time.monotonic() - start\n        blobs = [] if archive else sorted(w[\"hex\"] for w in chosen)\n        write_atomic(marker, json.dumps({\"candidate\": req[\"candidate\"], \"installedAt\": now_iso(), \"blobs\": blobs, \"from\": t[\"from\"], \"target\": target_info()}, sort_keys=True).encode())\n        return t\n\n    def pack(self, req, out=None):\n        \"\"\"Packs the verified installation of a candidate into an archive for the other nodes of\n        this target: into the blob store, or (`out`) straight onto the runner's stream.\"\"\"\n        venv = self.venv(req[\"candidateShort\"])\n        m = read_json(os.path.join(venv, \".karoo-venv.json\")) or {}\n        if m.get(\"candidate\") != req[\"candidate\"]:\n            raise Fail(\"candidate %s is not installed on this node: nothing to pack\" % req[\"candidate\"])\n        start = time.monotonic()\n        if out is not None:\n            hexd, size = pack_tree(venv, None, out)\n        else:\n            os.makedirs(self.blobs, exist_ok=True)\n            hexd, size = pack_tree(venv, os.path.join(self.blobs, \"pack\"))\n        return {\"hex\": hexd, \"size\": size, \"seconds\": time.monotonic() - start, \"target\": target_info()}\n\n\n# ---- agent/karoo_node/releases.py\n\n\"\"\"Releases: building one (candidate + this node's configuration), switching `current` to it,\nthe receipt, and pruning what no release needs any more.\"\"\"\n\nimport base64\nimport json\nimport os\nimport shutil\n\n\nFORMAT = 1\n\n\nclass Releases:\n    \"\"\"Release methods of Node.\"\"\"\n\n    def build_release(self, req, agent_source):\n        rel = req[\"releaseId\"]\n        final = self.release(rel)\n        desired = req[\"release\"]\n        existing = read_json(os.path.join(final, \".karoo\", \"release.json\"))\n        if existing == desired:\n            diffs = release_file_diffs(final, desired)\n            if not diffs:\n                return \"reused\"\n            if self.link_target(\"current\") != rel:\n                shutil.rmtree(final)\n            else:\n                # The running release was changed by hand: put the files back in place, one by one.\n                self.write_files(final, req[\"files\"])\n                return \"repaired\"\n        elif os.path.lexists(final):\n            if self.link_target(\"current\") == rel:\n                raise Fail(\"release %s is running but its release.json differs from the desired one\" % rel)\n            shutil.rmtree(final)\n        os.makedirs(self.releases, exist_ok=True)\n        tmp = os.path.join(self.releases, \".tmp-%s-%d\" % (rel, os.getpid()))\n        shutil.rmtree(tmp, ignore_errors=True)\n        os.makedirs(os.path.join(tmp, \".karoo\"))\n        os.makedirs(os.path.join(tmp, \"units\"))\n        os.symlink(os.path.join(\"..\", \"..\", check_hex(desired[\"candidateShort\"], 12), \"bin\"), os.path.join(tmp, \"bin\"))\n        self.write_files(tmp, req[\"files\"])\n        for s in desired[\"services\"]:\n            write_atomic(os.path.join(tmp, \"units\", s[\"unit\"]), unit_text(self, rel, desired, s).encode())\n        write_atomic(os.path.join(tmp, \".karoo\", \"karoo_node.py\"), agent_source, 0o755)\n        write_atomic(os.path.join(tmp, \".karoo\", \"release.json\"), json.dumps(desired, sort_keys=True, indent=1).encode())\n        os.rename(tmp, final)\n        return \"built\"\n\n    def write_files(self, rdir, files):\n        for f in files:\n            p = os.path.join(rdir, check_relpath(f[\"path\"]))\n            os.makedirs(os.path.dirname(p), exist_ok=True)\n            write_atomic(p, base64.b64decode(f[\"content\"]), int(f[\"mode\"], 8))\n\n    def switch(self, rel):\n        \"\"\"Points current at the release (one rename), keeps the old one as previous, then converges systemd.\"\"\"\n        rdir = self.release(rel)\n        desired = read_json(os.path.join(rdir, \".karoo\", \"release.json\"))\n        if not desired or desired.get(\"damaged\"):\n            raise Fail(\"release %s is not complete on the node\" % rel)\n        old = self.link_target(\"current\")\n        old_desired = read_json(os.path.join(self.release(old), \".karoo\", \"release.json\")) if old else None\n        symlink_atomic(os.path.join(\"releases\", rel), os.path.join(self.root, \"current\"))\n        if old and old != rel:\n            symlink_atomic(os.path.join(\"releases\", old), os.path.join(self.root, \"previous\"))\n        if service_manager() == \"systemd\":\n            self.converge_units(desired, old_desired if old != rel else None)\n        else:\n            self.converge_supervised(desired, old_desired, rdir)\n        return old\n\n    def write_receipt(self, desired, extra):\n        receipt = {\n            \"format\": FORMAT,\n            \"system\": self.system,\n            \"systemId\": desired[\"systemId\"],\n            \"candidate\": desired[\"candidate\"],\n            \"configDigest\": desired[\"configDigest\"],\n            \"environment\": desired[\"environment\"],\n            \"node\": desired[\"node\"],\n            \"role\": desired[\"role\"],\n            \"stateDigest\": desired[\"stateDigest\"],\n            \"release\": desired[\"releaseId\"],\n            \"deployedAt\": now_iso(),\n        }\n        receipt.update(extra)\n        data = json.dumps(receipt, sort_keys=True)\n        write_atomic(os.path.join(self.root, \"receipt.json\"), data.encode())\n        with open(os.path.join(self.root, \"history.jsonl\"), \"a\", encoding=\"utf-8\") as f:\n            f.write(data + \"\\n\")\n        return receipt\n\n    def prune(self):\n        keep = {x for x in (self.link_target(\"current\"), self.link_target(\"previous\")) if x}\n        venvs = set()\n        for name in sorted(os.listdir(self.releases)) if os.path.isdir(self.releases) else []:\n            p = os.path.join(self.releases, name)\n            if name in keep:\n                d = read_json(os.path.join(p, \".karoo\", \"release.json\")) or {}\n                venvs.add(d.get(\"candidateShort\"))\n            elif name.startswith(\".tmp-\") or len(name) == 16:\n                shutil.rmtree(p, ignore_errors=True)\n        blobs = set()\n        for name in os.listdir(self.root):\n            p = os.path.join(self.root, name)\n            if len(name) == 12 and os.path.isdir(p) and not os.path.islink(p):\n                if name in venvs:\n                    m = read_json(os.path.join(p, \".karoo-venv.json\")) or {}\n                    blobs.update(m.get(\"blobs\", []))\n                else:\n                    shutil.rmtree(p, ignore_errors=True)\n            elif name.startswith(\".work-\"):\n                shutil.rmtree(p, ignore_errors=True)\n        for name in os.listdir(self.blobs) if os.path.isdir(self.blobs) else []:\n            if name not in blobs:\n                try:\n                    os.unlink(os.path.join(self.blobs, name))\n                except OSError:\n                    pass\n\n\n# ---- agent/karoo_node/node.py\n\n\"\"\"One system's directory on the node (/opt/karoo/<system>/) and everything done to it.\"\"\"\n\nimport fcntl\nimport os\n\n\nBASE = \"/opt/karoo\"\n\n\nclass Node(Blobs, Installs, Releases, Services, Verification):\n    \"\"\"The system `system` on this node, under `base` (tests point it at a temporary directory).\"\"\"\n\n    def __init__(self, system, base=BASE):\n        self.system = check_name(system, \"system\")\n        self.root = os.path.join(base, self.system)\n        self.blobs = os.path.join(self.root, \"blobs\", \"sha256\")\n        self.releases = os.path.join(self.root, \"releases\")\n        self.lock_fd = None\n\n    def venv(self, cand12):\n        return os.path.join(self.root, check_hex(cand12, 12))\n\n    def release(self, rel):\n        return os.path.join(self.releases, check_hex(rel, 16))\n\n    def link_target(self, name):\n        \"\"\"The release id `current` or `previous` points at, or None.\"\"\"\n        try:\n            t = os.readlink(os.path.join(self.root, name))\n        except OSError:\n            return None\n        base = os.path.basename(t)\n        return base if len(base) == 16 else None\n\n    def lock(self):\n        \"\"\"Holds the system's lock until this process ends; another deploy holding it is a conflict.\"\"\"\n        os.makedirs(self.root, exist_ok=True)\n        self.lock_fd = os.open(os.path.join(self.root, \".lock\"), os.O_RDWR | os.O_CREAT, 0o600)\n        try:\n            fcntl.flock(self.lock_fd, fcntl.LOCK_EX | fcntl.LOCK_NB)\n        except OSError:\n            raise Fail(\"another karoo deploy holds %s/.lock on this node; wait for it to finish\" % self.root)\n\n\n# ---- agent/karoo_node/launcher.py\n\n\"\"\"What the units run: `exec SERVICE` starts a service of the release the agent sits in\n(execve, no shell); `supervise SERVICE` is karoo's supervisor of one service where there is no\nsystemd.\"\"\"\n\nimport json\nimport os\nimport shutil\nimport signal\nimport subprocess\nimport sys\nimport time\n\n\n\ndef do_exec(service, script):\n    \"\"\"The service launcher of a release (ExecStart of its units); `script`: this agent in the release's .karoo/.\"\"\"\n    rdir = os.path.dirname(os.path.dirname(script))\n    with open(os.path.join(rdir, \".karoo\", \"release.json\"), encoding=\"utf-8\") as f:\n        desired = json.load(f)\n    svc = [s for s in desired[\"services\"] if s[\"name\"] == service]\n    if not svc:\n        sys.stderr.write(\"karoo: release %s has no service %s\\n\" % (rdir, service))\n        return 2\n    s = svc[0]\n    env = dict(os.environ)\n    env[\"PATH\"] = os.path.join(rdir, \"bin\") + os.pathsep + env.get(\"PATH\", \"/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin\")\n    env[\"VIRTUAL_ENV\"] = os.path.realpath(os.path.join(rdir, \"bin\", \"..\"))\n    env.update({\n        \"KAROO_SYSTEM\": desired[\"system\"], \"KAROO_SYSTEM_ID\": desired[\"systemId\"], \"KAROO_CANDIDATE\": desired[\"candidate\"],\n        \"KAROO_NODE\": desired[\"node\"], \"KAROO_ROLE\": desired[\"role\"], \"KAROO_ENVIRONMENT\": desired[\"environment\"],\n        \"KAROO_RELEASE\": rdir, \"KAROO_SERVICE\": s[\"name\"],\n    })\n    env.update(s.get(\"environment\", {}))\n    cwd = os.path.join(rdir, s.get(\"workingDirectory\") or \".\")\n    argv = list(s[\"command\"])\n    prog = argv[0]\n    if \"/\" not in prog:\n        local = os.path.join(rdir, \"bin\", prog)\n        prog = local if os.path.exists(local) else (shutil.which(prog, path=env[\"PATH\"]) or prog)\n    elif not prog.startswith(\"/\"):\n        prog = os.path.join(rdir, prog)\n    os.chdir(cwd)\n    os.execve(prog, argv, env)\n\n\ndef do_supervise(service, script):\n    \"\"\"karoo's supervisor of one service of the release it sits in: restarts it with backoff.\"\"\"\n    rdir = os.path.dirname(os.path.dirname(script))\n    desired = read_json(os.path.join(rdir, \".karoo\", \"release.json\")) or {}\n    svc = [s for s in desired.get(\"services\", []) if s[\"name\"] == service]\n    if not svc:\n        sys.stderr.write(\"karoo: release %s has no service %s\\n\" % (rdir, service))\n        return 2\n    unit = svc[0][\"unit\"]\n    state_file = os.path.join(RUN_DIR, check_name(desired[\"system\"], \"system\"), unit + \".json\")\n    stopping = []\n    child = [None]\n\n    def on_signal(signum, frame):\n        stopping.append(signum)\n        if child[0] is not None and child[0].poll() is None:\n            child[0].terminate()\n\n    for sig in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):\n        signal.signal(sig, on_signal)\n    restarts, delay = 0, 1.0\n    state = {\"supervisor\": os.getpid(), \"release\": rdir, \"service\": service, \"restarts\": 0}\n    while not stopping:\n        started = time.monotonic()\n        child[0] = subprocess.Popen([sys.executable, script, \"exec\", service], stdin=subprocess.DEVNULL)\n        state.update({\"pid\": child[0].pid, \"state\": \"running\", \"since\": now_iso(), \"restarts\": restarts})\n        write_atomic(state_file, json.dumps(state, sort_keys=True).encode())\n        code = child[0].wait()\n        if stopping:\n            break\n        restarts += 1\n        delay = 1.0 if time.monotonic() - started > 30 else min(delay * 2, 30.0)\n        state.update({\"state\": \"restarting\", \"lastExit\": code, \"restarts\": restarts})\n        write_atomic(state_file, json.dumps(state, sort_keys=True).encode())\n        sys.stderr.write(\"karoo: %s exited with %s; restarting in %.0f s\\n\" % (service, code, delay))\n        sys.stderr.flush()\n        wake = time.monotonic() + delay\n        while not stopping and time.monotonic() < wake:\n            time.sleep(0.1)\n    if child[0] is not None and child[0].poll() is None:\n        try:\n            child[0].wait(timeout=10)\n        except subprocess.TimeoutExpired:\n            child[0].kill()\n    try:\n        if (read_json(state_file) or {}).get(\"supervisor\") == os.getpid():\n            os.unlink(state_file)\n    except OSError:\n        pass\n    return 0\n\n\n# ---- agent/karoo_node/commands.py\n\n\"\"\"The agent's commands, one handler each, and main(): read the request, run its handler, write the answer.\"\"\"\n\nimport os\nimport shutil\nimport sys\nimport time\nimport traceback\n\n\n\nclass Call:\n    \"\"\"One command's request, the node it acts on, its input stream (bytes after the request line),\n    the raw output stream (bytes before the answer) and the agent's own source (written into releases).\"\"\"\n\n    def __init__(self, req, node, stream=None, out=None, agent_source=b\"\"):\n        self.req, self.node, self.stream, self.out, self.agent_source = req, node, stream, out, agent_source\n        self.t0 = time.monotonic()\n\n\ndef python_version():\n    return \"%d.%d.%d\" % sys.version_info[:3]\n\n\ndef cmd_plan(c):\n    node, req = c.node, c.req\n    info = {\"python\": python_version(), \"target\": target_info(), \"current\": node.link_target(\"current\"), \"previous\": node.link_target(\"previous\")}\n    info[\"receipt\"] = read_json(os.path.join(node.root, \"receipt.json\"))\n    info[\"missing\"] = [h for h in req.get(\"blobs\", []) if not node.have_blob(h)]\n    rel = req.get(\"releaseId\")\n    r = info[\"receipt\"] or {}\n    if rel and r.get(\"stateDigest\") == req.get(\"stateDigest\") and info[\"current\"] == rel:\n        info[\"drift\"] = node.verify(rel)\n        info[\"converged\"] = not info[\"drift\"]\n    else:\n        info[\"converged\"] = False\n    if info[\"converged\"]:\n        info[\"venvComplete\"] = True  # verify() has just checked it against the lock\n    elif req.get(\"candidateShort\"):\n        m = read_json(os.path.join(node.venv(req[\"candidateShort\"]), \".karoo-venv.json\")) or {}\n        info[\"venvComplete\"] = m.get(\"candidate\") == req.get(\"candidate\") and not verify_venv(node.venv(req[\"candidateShort\"]), req.get(\"expected\", []), check_marker=False)\n    return info\n\n\ndef cmd_receive(c):\n    return {\"bytes\": c.node.receive(c.req[\"blobs\"], c.stream), \"seconds\": time.monotonic() - c.t0}\n\n\ndef cmd_prepare(c):\n    \"\"\"One call does what the node needs for its release: take the wheels it lacks (`blobs`,\n    streamed after the request and checked on arrival, as receive does), install (from them, or\n    from an `inline` archive that follows), render the release, and with `pack` stream its\n    installed tree to the runner (raw bytes, a newline, then this answer).\"\"\"\n    node, req = c.node, c.req\n    t = {}\n    if req.get(\"blobs\"):\n        s = time.monotonic()\n        t[\"receivedBytes\"] = node.receive(req[\"blobs\"], c.stream)\n        t[\"receiveSeconds\"] = time.monotonic() - s\n    s = time.monotonic()\n    t[\"install\"] = node.install(req, c.stream)\n    t[\"installSeconds\"] = time.monotonic() - s\n    s = time.monotonic()\n    t[\"release\"] = node.build_release(req, c.agent_source)\n    t[\"renderSeconds\"] = time.monotonic() - s\n    answer = {\"timings\": t}\n    if req.get(\"pack\"):\n        answer[\"packed\"] = node.pack(req, c.out)\n        c.out.write(b\"\\n\")\n        c.out.flush()\n        t[\"packSeconds\"] = answer[\"packed\"][\"seconds\"]\n    return answer\n\n\ndef cmd_pack(c):\n    return c.node.pack(c.req)\n\n\ndef cmd_send(c):\n    \"\"\"The raw bytes of one blob, then a newline, then the answer: the runner fetches an archive this way.\"\"\"\n    path = c.node.verify_blob(c.req[\"hex\"])\n    size = os.path.getsize(path)\n    with open(path, \"rb\") as f:\n        shutil.copyfileobj(f, c.out, 1 << 20)\n    c.out.write(b\"\\n\")\n    c.out.flush()\n    return {\"size\": size}\n\n\ndef cmd_activate(c):\n    node, rel = c.node, c.req[\"releaseId\"]\n    old = node.switch(rel)\n    desired = read_json(os.path.join(node.release(rel), \".karoo\", \"release.json\"))\n    node.wait_services(desired, int(c.req.get(\"waitSeconds\", 60)))\n    start = time.monotonic() - c.t0\n    s = time.monotonic()\n    diffs = node.verify(rel)\n    if diffs:\n        raise Fail(\"verification after switching to %s: %s\" % (rel, diffs[0]))\n    receipt = node.write_receipt(desired, {\"previousRelease\": old, \"action\": \"deploy\"})\n    node.prune()\n    return {\"previous\": old, \"receipt\": receipt, \"startSeconds\": start, \"verifySeconds\": time.monotonic() - s}\n\n\ndef cmd_rollback(c):\n    node = c.node\n    prev = node.link_target(\"previous\")\n    cur = node.link_target(\"current\")\n    if not prev or not os.path.isfile(os.path.join(node.release(prev), \".karoo\", \"release.json\")):\n        raise Fail(\"no previous release to roll back to\")\n    if c.req.get(\"check\"):\n        return {\"current\": cur, \"previous\": prev, \"release\": read_json(os.path.join(node.release(prev), \".karoo\", \"release.json\"))}\n    node.switch(prev)\n    desired = read_json(os.path.join(node.release(prev), \".karoo\", \"release.json\"))\n    node.wait_services(desired, int(c.req.get(\"waitSeconds\", 60)))\n    diffs = node.verify(prev)\n    if diffs:\n        raise Fail(\"verification after rolling back to %s: %s\" % (prev, diffs[0]))\n    receipt = node.write_receipt(desired, {\"previousRelease\": cur, \"action\": \"rollback\"})\n    return {\"from\": cur, \"to\": prev, \"receipt\": receipt, \"seconds\": time.monotonic() - c.t0}\n\n\ndef cmd_status(c):\n    node = c.node\n    receipt = read_json(os.path.join(node.root, \"receipt.json\"))\n    info = {\"receipt\": receipt, \"current\": node.link_target(\"current\"), \"previous\": node.link_target(\"previous\"), \"python\": python_version()}\n    if receipt and not receipt.get(\"damaged\"):\n        info[\"drift\"] = node.verify(receipt.get(\"release\") or \"0\" * 16)\n    elif receipt:\n        info[\"drift\"] = [\"receipt.json is damaged\"]\n    else:\n        info[\"drift\"] = []\n    return info\n\n\nclass Command:\n    \"\"\"A command of the agent: its handler, whether it takes the system's lock, the request fields it needs.\"\"\"\n\n    def __init__(self, run, locks, fields=None):\n        self.run, self.locks, self.fields = run, locks, fields or {}\n\n\nINSTALL_FIELDS = {\"candidate\": \"str\", \"candidateShort\": \"str\", \"expected\": \"list\"}\n\n# The commands the runner calls (AGENT_COMMANDS in packages/deploy/src/ssh.ts).\nCOMMANDS = {\n    \"plan\": Command(cmd_plan, locks=False),\n    \"receive\": Command(cmd_receive, locks=True, fields={\"blobs\": \"list\"}),\n    \"prepare\": Command(cmd_prepare, locks=True, fields=dict(INSTALL_FIELDS, releaseId=\"str\", release=\"dict\", files=\"list\")),\n    \"pack\": Command(cmd_pack, locks=True, fields={\"candidate\": \"str\", \"candidateShort\": \"str\"}),\n    \"send\": Command(cmd_send, locks=False, fields={\"hex\": \"str\"}),\n    \"activate\": Command(cmd_activate, locks=True, fields={\"releaseId\": \"str\"}),\n    \"rollback\": Command(cmd_rollback, locks=True),\n    \"status\": Command(cmd_status, locks=False),\n}\n\n\ndef handle(cmd, c):\n    \"\"\"Runs command `cmd` for call `c`: checks the request has what the command needs, takes the lock if it does.\"\"\"\n    command = COMMANDS.get(cmd)\n    if command is None:\n        raise InputFail(\"unknown agent command %r (known: %s)\" % (cmd, \", \".join(sorted(COMMANDS))))\n    require(c.req, cmd, command.fields)\n    if command.locks:\n        c.node.lock()\n    return command.run(c)\n\n\ndef agent_source():\n    \"\"\"This agent as one file: given by the bootstrap (`python3 -c`), else the file it runs from.\"\"\"\n    given = globals().get(\"KAROO_AGENT_SOURCE\")\n    if given is not None:\n        return given\n    with open(os.path.abspath(sys.argv[0]), \"rb\") as f:\n        return f.read()\n\n\ndef main(argv=None, stream=None, out=None, base=BASE):\n    \"\"\"`exec SERVICE` and `supervise SERVICE` for the units; any other command reads its request\n    from stdin (`stream`, binary) and writes its answer as the last line of stdout (`out`, binary),\n    always with exit 0: the answer says how it went.\"\"\"\n    argv = sys.argv if argv is None else argv\n    cmd = argv[1] if len(argv) > 1 else \"\"\n    if cmd in (\"exec\", \"supervise\") and len(argv) > 2:\n        script = os.path.abspath(argv[0])\n        return do_exec(argv[2], script) if cmd == \"exec\" else do_supervise(argv[2], script)\n    if out is None:\n        out = sys.stdout.buffer\n        sys.stdout = sys.stderr  # anything printed goes to the log, never into the answer\n    stream = sys.stdin.buffer if stream is None else stream\n    try:\n        req = read_request(stream)\n        c = Call(req, Node(req.get(\"system\", \"\"), base), stream, out, agent_source() if cmd == \"prepare\" else b\"\")\n        answer = handle(cmd, c)\n        answer[\"ok\"] = True\n        t = os.times()\n        answer[\"cpuSeconds\"] = round(t[0] + t[1] + t[2] + t[3], 3)  # this call's CPU on the node, its children included\n    except Exception as e:  # every failure becomes an answer; failure_answer tells a bug from a refusal\n        answer = failure_answer(e)\n        if answer[\"kind\"] == \"bug\":\n            traceback.print_exc()\n    out.write(answer_line(answer).encode(\"utf-8\"))\n    out.flush()\n    return 0\n\n\nif __name__ == \"__main__\":\n    sys.exit(main())\n";
const AGENT_SHA256 = 'c11cc5dc14e4939c26383b97b708d67b18f9d954434ab9627c321178190b5b14';
//# sourceMappingURL=agent.js.map
;// CONCATENATED MODULE: ./packages/deploy/lib/ssh.js










/**
 * The remote command of every agent call: a fixed string (nothing from the configuration or the
 * inventory), read by the remote user's shell. It reads the agent's length, the agent, and runs it;
 * the agent reads its JSON request from the same stdin.
 *
 * First it widens the pipes sshd made for stdin and stdout to 1 MiB (F_SETPIPE_SZ, where the
 * kernel allows it): through a 64 KiB pipe, sshd writes a stream in pieces of a few KiB and moves
 * the rest of its 2 MiB channel buffer after each one, which cost ~0.75 s of CPU on the node per
 * 3 MB shipped (measured with OpenSSH 9.2; 0.1–0.15 s through the wide pipe). Nothing depends on it.
 */
const BOOTSTRAP = [
    'import sys,fcntl',
    'for f in (0,1):',
    ' try:fcntl.fcntl(f,getattr(fcntl,"F_SETPIPE_SZ",1031),1<<20)',
    ' except OSError:pass',
    's=sys.stdin.buffer.read(int(sys.stdin.buffer.readline()))',
    'exec(compile(s,"karoo_node.py","exec"),{"__name__":"__main__","KAROO_AGENT_SOURCE":s})',
].join('\n');
/**
 * The fixed command a node runs for one agent call. `-I` (isolated): the login's working
 * directory (its home) is not on `sys.path`, and PYTHON* variables and the user's site-packages
 * are ignored, so no file or variable on the node decides what code runs as root; `-S`: no
 * `site`, which the agent (stdlib only) does not need (~8 ms a call).
 */
function agentRemoteCommand(cmd, sudo) {
    return `${sudo ? 'sudo -n ' : ''}python3 -I -S -c '${BOOTSTRAP}' ${cmd}`;
}
const AGENT_COMMANDS = (/* unused pure expression or super */ null && (['plan', 'receive', 'prepare', 'pack', 'send', 'activate', 'rollback', 'status']));
/**
 * SSH sessions to the nodes of one inventory through the OpenSSH client, one ControlMaster
 * connection per node (opened by the first call, reused by every later one, closed by close()).
 */
class ssh_SshPool {
    controlDir;
    targets;
    constructor(controlDir, targets) {
        this.controlDir = controlDir;
        this.targets = targets;
    }
    /** Checks every target (see checkSshTarget), then makes the control directory (0700, mkdtemp) with the run's known_hosts. */
    static async open(targets) {
        for (const t of targets)
            checkSshTarget(t);
        // Short path: a ControlPath is a unix socket (at most 107 bytes).
        const dir = await (0,promises_.mkdtemp)((0,external_node_path_.join)((0,external_node_os_.tmpdir)().length > 40 ? '/tmp' : (0,external_node_os_.tmpdir)(), 'karoo-ssh-'));
        try {
            const lines = [];
            for (const t of targets)
                if (t.hostKey && !t.knownHostsPath)
                    lines.push((0,lib/* configText */.Ut)(`inventory node "${t.name}" known_hosts line`, `${(0,src.hostKeyAlias)(t, t.name)} ${t.hostKey.trim()}`));
            await (0,promises_.writeFile)((0,external_node_path_.join)(dir, 'known_hosts'), lines.length ? `${lines.join('\n')}\n` : '', { mode: 0o600, flag: 'wx' });
        }
        catch (e) {
            await (0,promises_.rm)(dir, { recursive: true, force: true });
            throw e;
        }
        return new ssh_SshPool(dir, new Map(targets.map((t) => [t.name, t])));
    }
    target(node) {
        const t = this.targets.get(node);
        if (!t)
            throw new lib/* KarooError */.xD('internal', `no SSH target for node ${node}`);
        return t;
    }
    /** How this pool's sessions use a node's endpoint (the options themselves: sshSettings in @karoo/machines). */
    session(node, master) {
        return {
            runKnownHosts: `${this.controlDir}/known_hosts`,
            control: { dir: this.controlDir, master },
            what: `inventory node "${node}" ssh`,
        };
    }
    /** OpenSSH command-line options for a node: clients of its master connection (`master`: the master itself). */
    options(node, master = false) {
        return (0,src.sshOptions)(this.target(node), this.session(node, master), node);
    }
    /** An ssh_config entry for a node (`ssh -F FILE NODE` reaches it through the same master connection). */
    configEntry(node) {
        return (0,src.sshConfigEntry)(node, this.target(node), this.session(node, false));
    }
    masters = new Map();
    /**
     * Opens the node's master connection once (`ssh -f -N`, stdio detached so that nothing waits
     * on the background master). A failure is not fatal here: clients fall back to their own
     * connection, and their error names the node.
     */
    connect(node) {
        let p = this.masters.get(node);
        if (!p) {
            p = (async () => {
                const log = (0,external_node_path_.join)(this.controlDir, `master-${this.masters.size}.log`);
                const fh = await (0,promises_.open)(log, 'w');
                try {
                    await new Promise((resolve) => {
                        const c = (0,external_node_child_process_.spawn)('ssh', [...this.options(node, true), '-f', '-N', this.target(node).host], {
                            stdio: ['ignore', 'ignore', fh.fd],
                        });
                        c.on('error', () => resolve());
                        c.on('close', () => resolve());
                    });
                }
                finally {
                    await fh.close();
                }
            })();
            this.masters.set(node, p);
        }
        return p;
    }
    /** Runs a fixed remote command; stdin from `input`. Exit 255 is an SSH failure (unavailable). */
    async run(node, remote, input = [], timeoutMs = 600_000) {
        const t = this.target(node);
        await this.connect(node);
        const child = (0,external_node_child_process_.spawn)('ssh', [...this.options(node), t.host, remote], { stdio: ['pipe', 'pipe', 'pipe'] });
        const out = [];
        let err = '';
        child.stdout.on('data', (b) => out.push(b));
        child.stderr.on('data', (b) => {
            if (err.length < 64_000)
                err += b.toString('utf8');
        });
        let timedOut = false;
        const timer = setTimeout(() => {
            timedOut = true;
            child.kill('SIGKILL');
        }, timeoutMs);
        const closed = new Promise((resolve, reject) => {
            child.on('error', reject);
            child.on('close', (code, signal) => resolve(code ?? (signal ? 255 : 1)));
        });
        // A node that goes away makes stdin fail with EPIPE: the exit code tells the story.
        child.stdin.on('error', () => undefined);
        try {
            for (const part of input) {
                if (child.stdin.destroyed)
                    break;
                if (part instanceof Uint8Array) {
                    if (!child.stdin.write(part))
                        await Promise.race([(0,external_node_events_.once)(child.stdin, 'drain'), closed]);
                }
                else {
                    for await (const chunk of (0,external_node_fs_.createReadStream)(part.path, { highWaterMark: 1 << 20 })) {
                        if (child.stdin.destroyed)
                            break;
                        if (!child.stdin.write(chunk))
                            await Promise.race([(0,external_node_events_.once)(child.stdin, 'drain'), closed]);
                    }
                }
            }
            child.stdin.end();
        }
        catch {
            /* the exit code and stderr say what happened */
        }
        let code;
        try {
            code = await closed;
        }
        catch (e) {
            clearTimeout(timer);
            if (e.code === 'ENOENT')
                throw new lib/* KarooError */.xD('unavailable', 'ssh (the OpenSSH client) is not installed; install openssh-client');
            throw e;
        }
        clearTimeout(timer);
        if (timedOut)
            throw new lib/* KarooError */.xD('unavailable', `node ${node}: no answer within ${Math.round(timeoutMs / 1000)} s over SSH`);
        return { code, stdout: Buffer.concat(out), stderr: err };
    }
    /** Calls the node agent; returns its answer, or throws naming the node and the first line that says why. */
    async agent(node, cmd, request, payload = [], timeoutMs = 600_000) {
        return (await this.agentCall(node, cmd, request, payload, timeoutMs)).answer;
    }
    /**
     * Fetches one blob from the node's blob store (the agent's `send`: the raw bytes, a newline,
     * then its answer) into `dest`, checked against its sha256 and size: an integrity error otherwise.
     */
    async fetchBlob(node, system, hex, size, dest, timeoutMs = 600_000) {
        const { answer, stdout } = await this.agentCall(node, 'send', { system, hex }, [], timeoutMs);
        await takeBlob(node, stdout, hex, size, answer.size, dest);
    }
    /**
     * Calls the agent for a command that streams a blob before its answer (`prepare` with `pack`:
     * the installed tree it packed); `blobOf` reads the blob's sha256 and size from the answer.
     * The bytes are checked against them (as fetchBlob does) and written to `dest`.
     */
    async agentWithBlob(node, cmd, request, payload, blobOf, dest, timeoutMs = 600_000) {
        const { answer, stdout } = await this.agentCall(node, cmd, request, payload, timeoutMs);
        const { hex, size } = blobOf(answer);
        await takeBlob(node, stdout, hex, size, size, dest);
        return answer;
    }
    async agentCall(node, cmd, request, payload, timeoutMs) {
        const t = this.target(node);
        const agent = Buffer.from(AGENT_SOURCE, 'utf8');
        const remote = agentRemoteCommand(cmd, (0,src.sshUser)(t) !== 'root');
        const r = await this.run(node, remote, [Buffer.from(`${agent.length}\n`), agent, Buffer.from(`${JSON.stringify(request)}\n`), ...payload], timeoutMs);
        // The answer is the last line; anything before it (the bytes of `send`) may be binary.
        let end = r.stdout.length;
        while (end > 0 && (r.stdout[end - 1] === 0x0a || r.stdout[end - 1] === 0x0d || r.stdout[end - 1] === 0x20))
            end--;
        const last = r.stdout
            .subarray(r.stdout.lastIndexOf(0x0a, end - 1) + 1, end)
            .toString('utf8')
            .trim();
        let answer;
        try {
            answer = last.startsWith('{') ? JSON.parse(last) : undefined;
        }
        catch {
            answer = undefined;
        }
        if (!answer) {
            const why = lastLine(r.stderr) || `exit ${r.code}`;
            if (r.code === 255)
                throw new lib/* KarooError */.xD('unavailable', `node ${node} (${(0,src.sshUser)(t)}@${t.host}:${(0,src.sshPort)(t)}) is unreachable over SSH: ${why}`, {
                    detail: { node },
                });
            throw new lib/* KarooError */.xD('unavailable', `node ${node}: the karoo agent gave no answer (exit ${r.code}): ${why}`, { detail: { node } });
        }
        if (!answer.ok)
            throw new lib/* KarooError */.xD(agentErrorKind(answer.kind), `node ${node}: ${answer.error ?? 'failed'}`, { detail: { node } });
        return { answer: answer, stdout: r.stdout };
    }
    /** Forwards 127.0.0.1:localPort on the runner to 127.0.0.1:remotePort on the node (through the node's master connection). */
    async forward(node, localPort, remotePort) {
        const t = this.target(node);
        await this.connect(node);
        const f = await runSsh([...this.options(node), '-O', 'forward', '-L', `127.0.0.1:${localPort}:127.0.0.1:${remotePort}`, t.host]);
        if (f.code !== 0)
            throw new lib/* KarooError */.xD('unavailable', `node ${node}: cannot forward 127.0.0.1:${localPort} to port ${remotePort}: ${lastLine(f.stderr)}`);
    }
    /**
     * Closes every master connection this pool opened and deletes the control directory. The exit
     * request goes through the control socket as a client (`ControlMaster=no`): with the master's
     * own options ssh would find the socket taken, open a new connection of its own, send the
     * request to nobody, and leave the master up for its ControlPersist.
     */
    async close() {
        await Promise.all([...this.masters].map(async ([n, opened]) => {
            await opened;
            await runSsh([...this.options(n), '-O', 'exit', this.target(n).host]).catch(() => undefined);
        }));
        await (0,promises_.rm)(this.controlDir, { recursive: true, force: true });
    }
}
/**
 * The KarooError kind of a node agent's failure (its answer's `kind`, agent/karoo_node/errors.py):
 * the agent's kinds are karoo's, except `bug` (an exception the agent did not expect), which is
 * `internal`. An answer without a kind is a conflict, as before the agent sent kinds.
 */
function agentErrorKind(kind) {
    if (kind === undefined)
        return 'conflict';
    if (kind === 'input' || kind === 'integrity' || kind === 'unavailable' || kind === 'conflict')
        return kind;
    return 'internal';
}
/** Refuses a node name that is not a host name, and an endpoint that could change what ssh does (checkSshEndpoint). */
function checkSshTarget(t) {
    if (!/^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/.test(t.name))
        throw new lib/* KarooError */.xD('input', `node name ${(0,lib/* quoteValue */.cl)(t.name)} is not a host name (lower-case letters, digits, -)`);
    (0,src.checkSshEndpoint)(t, `inventory node "${t.name}" ssh`);
}
/** Writes the first `size` bytes of a node's output to `dest` if they are followed by a newline and have sha256 `hex`; an integrity error otherwise. */
async function takeBlob(node, stdout, hex, size, claimed, dest) {
    const bytes = stdout.subarray(0, size);
    if (claimed !== size || stdout.length < size + 1 || stdout[size] !== 0x0a || (0,external_node_crypto_.createHash)('sha256').update(bytes).digest('hex') !== hex) {
        throw new lib/* KarooError */.xD('integrity', `node ${node}: blob sha256:${hex} arrived damaged (${Math.min(stdout.length, size)} of ${size} bytes, or another sha256); refused`, { detail: { node } });
    }
    await (0,promises_.writeFile)(dest, bytes, { mode: 0o600 });
}
function lastLine(s) {
    return (s
        .trim()
        .split('\n')
        .map((l) => l.trim())
        .filter(Boolean)
        .pop() ?? '');
}
function runSsh(args) {
    return new Promise((resolve, reject) => {
        const c = (0,external_node_child_process_.spawn)('ssh', args, { stdio: ['ignore', 'ignore', 'pipe'] });
        let err = '';
        c.stderr.on('data', (b) => (err += b.toString('utf8')));
        c.on('error', reject);
        c.on('close', (code) => resolve({ code: code ?? 1, stderr: err }));
    });
}
//# sourceMappingURL=ssh.js.map
// EXTERNAL MODULE: ./packages/config/lib/src/index.js + 3 modules
var lib_src = __webpack_require__(71706);
// EXTERNAL MODULE: ./node_modules/p-limit/index.js + 1 modules
var p_limit = __webpack_require__(70370);
;// CONCATENATED MODULE: ./packages/deploy/lib/deploy.js










function unitName(system, service) {
    return `karoo-${system}-${service}.service`;
}
/** Pairs the inventory with the configuration's nodes: every configured node once, with the same role. */
function deploy_matchInventory(config, inventory, where = 'the inventory') {
    const byName = new Map(inventory.nodes.map((n) => [n.name, n]));
    for (const n of inventory.nodes) {
        if (!config.nodes.some((c) => c.name === n.name)) {
            throw new lib/* KarooError */.xD('input', `${where}: node "${n.name}" is not a node of the configuration (${config.nodes.map((c) => c.name).join(', ')})`);
        }
    }
    return config.nodes.map((c) => {
        const n = byName.get(c.name);
        if (!n)
            throw new lib/* KarooError */.xD('input', `${where} has no node "${c.name}" (role ${c.role}); provision from the same karoo.yml or add it`);
        if (n.role !== c.role)
            throw new lib/* KarooError */.xD('input', `${where}: node "${c.name}" has role "${n.role}", the configuration says "${c.role}"`);
        return n;
    });
}
/** Computes the desired state of every node; pure apart from reading nothing: everything is in its inputs. */
function deploy_planDeploy(sc, candidate, nodes, where) {
    const cfgDigest = system_configDigest(sc);
    const systemId = system_systemIdOf(candidate.digest, cfgDigest);
    if (candidate.config.system !== sc.system) {
        throw new lib/* KarooError */.xD('input', `candidate ${candidate.digest} was built for system "${candidate.config.system}", the configuration is for "${sc.system}"`);
    }
    const locked = new Set(candidate.lock.packages.map((p) => p.name));
    for (const [name, role] of Object.entries(sc.roles)) {
        for (const leaf of role.leaves) {
            if (!locked.has(leaf))
                throw new lib/* KarooError */.xD('input', `role "${name}" runs leaf "${leaf}", which is not in candidate ${candidate.digest}; resolve and build again, or fix roles.${name}.leaves`);
        }
    }
    return {
        config: sc,
        configDigest: cfgDigest,
        systemId,
        environment: sc.environment,
        nodes: nodes.map((node) => {
            const role = sc.roles[node.role];
            const files = renderNodeFiles(sc, node, { systemId, candidate: candidate.digest }, where);
            const body = {
                format: 1,
                system: sc.system,
                systemId,
                candidate: candidate.digest,
                candidateShort: candidate.short,
                configDigest: cfgDigest,
                environment: sc.environment,
                node: node.name,
                role: node.role,
                agent: AGENT_SHA256,
                services: role.services.map((s) => ({ ...s, unit: unitName(sc.system, s.name) })),
                files: files.map((f) => ({ path: f.path, sha256: f.sha256, mode: f.mode })),
                expected: candidate.expected,
            };
            const stateDigest = (0,lib/* sha256Of */.Bj)((0,lib/* canonicalJson */.dj)(body));
            return { node, files, desired: { ...body, stateDigest, releaseId: (0,lib/* hexOf */.ZD)(stateDigest).slice(0, 16) } };
        }),
    };
}
/**
 * Makes every node of the inventory converge to candidate + configuration, in two phases:
 * 1. on all nodes in parallel: plan (a converged node stops here), send missing blobs (checked
 *    on the node), install offline into the candidate's directory, render the release;
 * 2. only if every node prepared: switch each node to its release (one symlink rename),
 *    restart its services, verify, write the receipt.
 * A node that fails in phase 1 leaves every node on its old release. Everything that can be
 * checked without machines (configuration, inventory, candidate blobs) is checked first.
 *
 * Read from the top: open (SSH pool, work directory) → stage the candidate → plan every node
 * → prepare (install once per target, ship the installed tree) → activate → summarise → close.
 */
async function deploy_deploy(opts) {
    const clock = new PhaseClock();
    const progress = opts.progress ?? lib/* silentProgress */.RZ;
    const sc = await system_systemConfig(opts.config, opts.environment);
    const nodes = deploy_matchInventory(sc, opts.inventory);
    const { pool, work } = await openDeploy(opts, nodes);
    let result;
    try {
        const candidate = await stage_stageCandidate(opts.store, opts.candidate, work);
        clock.lap('stage');
        const plan = deploy_planDeploy(sc, candidate, nodes, opts.config.dir);
        progress.info(`deploying candidate ${candidate.digest} as system ${plan.systemId} (${sc.environment}) to ${nodes.length} node(s)`);
        const d = {
            opts,
            progress,
            sc,
            pool,
            work,
            candidate,
            plan,
            limit: (0,p_limit/* default */.A)(Math.max(1, opts.parallel ?? 8)),
            results: new Map(),
            started: new Map(),
        };
        const answers = await planNodes(d);
        clock.lap('plan');
        await prepareNodes(d, answers, clock);
        await activateNodes(d);
        clock.lap('activate');
        result = summarise(d);
    }
    finally {
        if (!opts.pool)
            await pool.close();
        await (0,promises_.rm)(work, { recursive: true, force: true });
    }
    clock.lap('close');
    const durationMs = clock.elapsed();
    const cpu = (k) => ms(result.nodes.reduce((n, r) => n + r.cpu[k], 0));
    progress.info(`timings: ${Object.entries(clock.timings)
        .map(([k, v]) => `${k} ${ms(v)}`)
        .join(', ')}; whole deploy ${ms(durationMs)}; agent CPU on the nodes: plan ${cpu('plan')}, prepare ${cpu('prepare')}, activate ${cpu('activate')}`);
    return { ...result, durationMs, timings: clock.timings };
}
/** The one place that records a deploy's phase timings (DeployTimings): each phase ends where the next begins. */
class PhaseClock {
    timings = { stage: 0, plan: 0, install: 0, ship: 0, activate: 0, close: 0 };
    t0 = Date.now();
    mark = this.t0;
    /** Ends `phase` now: the time since the previous lap is added to it. */
    lap(phase) {
        const now = Date.now();
        this.timings[phase] += now - this.mark;
        this.mark = now;
    }
    /** Milliseconds since the deploy began. */
    elapsed() {
        return Date.now() - this.t0;
    }
}
/** Opens the SSH pool (unless one is given) and the work directory; the pool is closed again if the directory cannot be made. */
async function openDeploy(opts, nodes) {
    // The pool first: it refuses a bad target before any temporary directory exists.
    const pool = opts.pool ?? (await ssh_SshPool.open(nodes.map((n) => ({ name: n.name, ...n.ssh }))));
    try {
        return { pool, work: await (0,promises_.mkdtemp)((0,external_node_path_.join)((0,external_node_os_.tmpdir)(), 'karoo-deploy-')) };
    }
    catch (e) {
        if (!opts.pool)
            await pool.close();
        throw e;
    }
}
/** Marks a node failed with the error's message (and whether it was unreachable or refused bytes), and says so. */
function failNode(progress, r, e) {
    r.result = 'failed';
    r.detail = (0,lib/* isKarooError */.ro)(e) || e instanceof Error ? e.message.replace(new RegExp(`^node ${r.name}: `), '') : String(e);
    r.unreachable = (0,lib/* isKarooError */.ro)(e) && e.kind === 'unavailable';
    r.integrity = (0,lib/* isKarooError */.ro)(e) && e.kind === 'integrity';
    r.errorKind = (0,lib/* isKarooError */.ro)(e) ? e.kind : undefined;
    progress.info(`${r.name}: failed: ${r.detail}`);
}
/**
 * Phase 1a: every node is asked what it has, whether it is converged, and its target. Returns
 * the answers of the nodes that need work (a converged or failed node has none).
 */
async function planNodes(d) {
    const { sc, candidate, pool, progress, results, started } = d;
    const answers = new Map();
    await Promise.all(d.plan.nodes.map(({ node, desired }) => d.limit(async () => {
        const r = {
            name: node.name,
            role: node.role,
            result: 'skipped',
            changed: false,
            durationMs: 0,
            phases: { plan: 0, transfer: 0, install: 0, start: 0, verify: 0 },
            bytesSent: 0,
            cpu: { plan: 0, prepare: 0, activate: 0 },
        };
        results.set(node.name, r);
        const s0 = Date.now();
        started.set(node.name, s0);
        try {
            const p = await pool.agent(node.name, 'plan', {
                system: sc.system,
                releaseId: desired.releaseId,
                stateDigest: desired.stateDigest,
                candidate: candidate.digest,
                candidateShort: candidate.short,
                expected: candidate.expected,
                blobs: candidate.wheels.map((w) => w.hex),
            });
            r.phases.plan = Date.now() - s0;
            r.cpu.plan = cpuMs(p);
            r.release = desired.releaseId;
            r.target = targetLabel(p.target);
            checkPython(node.name, p.python, candidate.config.target?.python);
            if (p.converged) {
                r.result = 'converged';
                r.install = 'reused';
                r.previousRelease = p.current ?? undefined;
                progress.info(`${node.name}: converged at ${desired.releaseId}, nothing to do (${Date.now() - s0} ms)`);
                return;
            }
            r.changed = true;
            answers.set(node.name, p);
        }
        catch (e) {
            failNode(progress, r, e);
        }
        finally {
            r.durationMs = Date.now() - s0;
        }
    })));
    return answers;
}
/**
 * The installed tree a builder packs for the other nodes of its target. The builder settles it;
 * each receiver awaits it and, when the builder failed, is not prepared. The rejection is marked
 * handled at once: it is the receivers' to read, never an unhandled rejection of the deploy.
 */
class SharedTree {
    tree;
    resolve = () => undefined;
    reject = () => undefined;
    constructor() {
        this.tree = new Promise((res, rej) => {
            this.resolve = res;
            this.reject = rej;
        });
        this.tree.catch(() => undefined);
    }
}
/**
 * Phase 1b: install once per distinct target: the first node of each target that lacks the
 * installation builds it from the wheels (and packs it when others need it); the others of that
 * target get the installed tree. Nothing is prepared when a node failed to plan. Laps `install`
 * when the last node that installs for itself is done; the rest is `ship`.
 */
async function prepareNodes(d, answers, clock) {
    const { plan, candidate, progress, results } = d;
    const installers = installPlan(plan.nodes.map(({ node }) => node.name).filter((n) => answers.has(n) && !answers.get(n).venvComplete), answers);
    if (installers.length > 1) {
        progress.info(`the nodes run ${installers.length} different targets: the candidate is installed once per target`);
        for (const g of installers) {
            progress.info(g.receivers.length > 0
                ? `target ${g.label}: ${g.builder} installs, ${g.receivers.join(', ')} receive its installed tree`
                : `${g.builder}: its target (${g.label}) differs from the other nodes': installing on this node`);
        }
    }
    const groupOf = new Map(installers.flatMap((g) => [[g.builder, g], ...g.receivers.map((n) => [n, g])]));
    const pkgOf = new Map(candidate.lock.files().map(({ pkg, file }) => [file.sha256, pkg]));
    const wheels = candidate.wheels.map((w) => ({
        hex: w.hex,
        filename: w.filename,
        package: pkgOf.get(w.hex)?.name,
        marker: pkgOf.get(w.hex)?.marker,
    }));
    const trees = new Map();
    let archiveSeq = 0;
    const planFailed = [...results.values()].some((r) => r.result === 'failed');
    let installing = 0;
    const installDone = () => {
        if (--installing === 0)
            clock.lap('install');
    };
    const tasks = plan.nodes
        .filter(({ node }) => answers.has(node.name) && !planFailed)
        .map((entry) => {
        const answer = answers.get(entry.node.name);
        const g = groupOf.get(entry.node.name);
        if (g && g.receivers.includes(entry.node.name))
            return receiveTree(d, entry, answer, wheels, g, trees.get(g));
        installing++;
        let shared;
        if (g && g.receivers.length > 0) {
            shared = { tree: new SharedTree(), path: (0,external_node_path_.join)(d.work, `installed-${archiveSeq++}.tar.gz`) };
            trees.set(g, shared.tree);
        }
        return installOnNode(d, entry, answer, wheels, g, shared).finally(installDone);
    });
    await Promise.all(tasks);
    clock.lap(installing > 0 ? 'install' : 'ship');
}
/** A node that installs from the wheels itself; with `shared`, it also packs its tree for the receivers of its target. */
async function installOnNode(d, entry, answer, wheels, g, shared) {
    const { node, desired } = entry;
    const { candidate, progress } = d;
    const r = d.results.get(node.name);
    await d.limit(async () => {
        try {
            if (g && shared) {
                const packed = (await prepareNode(d, entry, answer, wheels, undefined, shared.path)).packed;
                shared.tree.resolve({ hex: packed.hex, size: packed.size, path: shared.path });
                progress.info(`${node.name}: installed candidate ${candidate.short} from ${candidate.wheels.length} wheels and packed it for ${g.receivers.length} more node(s) of target ${g.label} (sha256:${packed.hex.slice(0, 12)}…, ${packed.size} bytes; transfer ${ms(r.phases.transfer)}, install + pack ${ms(r.phases.install)})`);
            }
            else {
                await prepareNode(d, entry, answer, wheels, undefined);
                progress.info(`${node.name}: prepared release ${desired.releaseId} (transfer ${ms(r.phases.transfer)}, ${r.bytesSent} bytes; install ${ms(r.phases.install)})`);
            }
        }
        catch (e) {
            shared?.tree.reject(e);
            failNode(progress, r, e);
        }
        finally {
            r.durationMs = Date.now() - d.started.get(node.name);
        }
    });
}
/** A node that gets the installed tree its target's builder packed; it waits for the tree outside the limit, so that waiting never holds a slot the builder needs. */
async function receiveTree(d, entry, answer, wheels, g, shared) {
    const { node, desired } = entry;
    const { progress } = d;
    const r = d.results.get(node.name);
    const finish = () => (r.durationMs = Date.now() - d.started.get(node.name));
    let archive;
    try {
        archive = await shared.tree;
    }
    catch {
        r.result = 'failed';
        r.detail = `not prepared: the installation for its target (${g.label}) failed on node ${g.builder}`;
        finish();
        return;
    }
    await d.limit(async () => {
        try {
            await prepareNode(d, entry, answer, wheels, archive);
            r.installedOn = g.builder;
            progress.info(`${node.name}: prepared release ${desired.releaseId} with the installation built on ${g.builder} (${r.bytesSent} bytes, unpacked as they arrived + verified: ${ms(r.phases.install)})`);
        }
        catch (e) {
            failNode(progress, r, e);
        }
        finally {
            finish();
        }
    });
}
/**
 * One agent call per node: the wheels it lacks (or the installed tree, `archive`) stream after
 * the request and are checked on arrival; the node installs and renders its release; with
 * `packTo`, it streams its installed tree back, which is checked and written there.
 */
async function prepareNode(d, { node, desired, files }, p, wheels, archive, packTo) {
    const { sc, candidate, pool } = d;
    const r = d.results.get(node.name);
    await d.opts.onTransfer?.(node.name);
    const send = archive || p.venvComplete ? [] : p.missing.map((h) => candidate.wheels.find((w) => w.hex === h)).filter(Boolean);
    const payload = archive ? [{ path: archive.path, size: archive.size }] : send.map((w) => ({ path: w.path, size: w.size }));
    const request = {
        system: sc.system,
        candidate: candidate.digest,
        candidateShort: candidate.short,
        releaseId: desired.releaseId,
        blobs: send.map((w) => ({ hex: w.hex, size: w.size })),
        wheels,
        archive: archive ? { hex: archive.hex, size: archive.size, inline: true } : undefined,
        pack: packTo ? true : undefined,
        expected: candidate.expected,
        release: desired,
        files: files.map((f) => ({ path: f.path, mode: f.mode, content: Buffer.from(f.bytes).toString('base64') })),
    };
    const t = Date.now();
    const a = packTo
        ? await pool.agentWithBlob(node.name, 'prepare', request, payload, (x) => x.packed ?? { hex: '', size: -1 }, packTo)
        : await pool.agent(node.name, 'prepare', request, payload);
    const took = Date.now() - t;
    r.cpu.prepare = cpuMs(a);
    r.bytesSent = payload.reduce((n, f) => n + f.size, 0);
    r.phases.transfer = Math.round((a.timings.receiveSeconds ?? 0) * 1000);
    r.phases.install = took - r.phases.transfer;
    r.install = a.timings.install.reused ? 'reused' : archive ? 'archive' : 'wheels';
    r.result = 'prepared';
    return a;
}
/** The deploy's results in configuration order. */
function orderedResults(d) {
    return d.plan.nodes.map(({ node }) => d.results.get(node.name));
}
/** How long a node of `role` waits for its services: its slowest service's `start-timeout` (START_TIMEOUT_SECONDS where none is given). */
function startWaitSeconds(config, role) {
    const each = (config.roles[role]?.services ?? []).map((s) => s.startTimeoutSeconds ?? lib_src/* START_TIMEOUT_SECONDS */.$H);
    return each.length > 0 ? Math.max(...each) : lib_src/* START_TIMEOUT_SECONDS */.$H;
}
/**
 * Phase 2: only if every node prepared, each prepared node switches to its release, restarts
 * its services and verifies; otherwise no node is switched.
 */
async function activateNodes(d) {
    const { sc, pool, progress, opts } = d;
    const failures = orderedResults(d).filter((r) => r.result === 'failed');
    if (failures.length > 0) {
        progress.info(`not switching any node: ${failures.map((f) => f.name).join(', ')} failed while preparing; every node stays on its current release`);
        return;
    }
    await Promise.all(d.plan.nodes.map(({ node, desired }) => d.limit(async () => {
        const r = d.results.get(node.name);
        if (r.result !== 'prepared')
            return;
        const s = Date.now();
        const waitSeconds = opts.waitSeconds ?? startWaitSeconds(opts.config, node.role);
        try {
            const a = await pool.agent(node.name, 'activate', { system: sc.system, releaseId: desired.releaseId, waitSeconds }, [], (waitSeconds + 120) * 1000);
            r.phases.verify = Math.round(a.verifySeconds * 1000);
            r.cpu.activate = cpuMs(a);
            r.phases.start = Date.now() - s - r.phases.verify;
            r.previousRelease = a.previous ?? undefined;
            r.result = a.previous === desired.releaseId ? 'repaired' : 'deployed';
            progress.info(`${node.name}: running release ${desired.releaseId} (start ${ms(r.phases.start)}, verify ${ms(r.phases.verify)})`);
        }
        catch (e) {
            failNode(progress, r, e);
        }
        finally {
            r.durationMs = Date.now() - d.started.get(node.name);
        }
    })));
}
/** The deploy's outcome: every node's result, and the first failure (with its kind) when there was one. */
function summarise(d) {
    const list = orderedResults(d);
    const failures = list.filter((r) => r.result === 'failed');
    const first = failures[0];
    return {
        ok: failures.length === 0,
        system: d.sc.system,
        systemId: d.plan.systemId,
        candidate: d.candidate.digest,
        configDigest: d.plan.configDigest,
        environment: d.sc.environment,
        nodes: list,
        error: first
            ? `deploy failed on node ${first.name}: ${first.detail}${failures.length > 1 ? ` (and ${failures.length - 1} more node(s))` : ''}`
            : undefined,
        errorKind: first ? failureKind(first) : undefined,
    };
}
/**
 * The kind a failed node's deploy exits with: the one its error carried (the agent's own kind
 * travels through ssh.ts), else unavailable or integrity when that is what happened, else
 * conflict (the node is not in the state the deploy needs, e.g. a service did not come up).
 */
function failureKind(r) {
    return r.errorKind ?? (r.unreachable ? 'unavailable' : r.integrity ? 'integrity' : 'conflict');
}
/** A node's target in one line: `cpython 3.11.2 linux-x86_64 glibc 2.36`. */
function targetLabel(t) {
    if (!t)
        return 'unknown';
    return [t.implementation, t.python, t.platform, t.libc, t.executable].filter(Boolean).join(' ');
}
/**
 * Groups the nodes that need the candidate installed by target (interpreter, version, ABI,
 * platform, libc, interpreter path), in configuration order: the first node of each group
 * installs, the others receive its installed tree.
 */
function installPlan(nodes, answers) {
    const groups = new Map();
    for (const n of nodes) {
        const t = answers.get(n).target;
        const key = (0,lib/* canonicalJson */.dj)(t ?? {});
        const g = groups.get(key);
        if (g)
            g.receivers.push(n);
        else
            groups.set(key, { key, label: targetLabel(t), builder: n, receivers: [] });
    }
    return [...groups.values()];
}
/** Throws the deploy's failure as a KarooError (exit 4 when a node was unreachable, 3 when a node refused a damaged wheel or archive, 5 otherwise). */
function assertDeployed(r) {
    if (!r.ok)
        throw new lib/* KarooError */.xD(r.errorKind ?? 'conflict', r.error ?? 'deploy failed', { detail: { nodes: r.nodes } });
}
function checkPython(node, have, want) {
    if (!want)
        return;
    if (have !== want && !have.startsWith(`${want}.`)) {
        throw new lib/* KarooError */.xD('input', `node ${node} runs Python ${have}, the candidate is locked for Python ${want}; provision nodes with Python ${want} or resolve for ${have.split('.').slice(0, 2).join('.')}`);
    }
}
function cpuMs(answer) {
    return Math.round((answer.cpuSeconds ?? 0) * 1000);
}
function ms(n) {
    return n >= 1000 ? `${(n / 1000).toFixed(1)} s` : `${n} ms`;
}
//# sourceMappingURL=deploy.js.map
;// CONCATENATED MODULE: ./packages/deploy/lib/ops.js



/** Reads every node's receipt and checks the node against it (`karoo status --inventory`). */
async function ops_status(opts) {
    const pool = opts.pool ?? (await SshPool.open(opts.inventory.nodes.map((n) => ({ name: n.name, ...n.ssh }))));
    const limit = pLimit(Math.max(1, opts.parallel ?? 8));
    try {
        const nodes = await Promise.all(opts.inventory.nodes.map((n) => limit(async () => {
            try {
                const a = await pool.agent(n.name, 'status', { system: opts.system }, [], 120_000);
                const drift = [...a.drift];
                if (!a.receipt)
                    drift.unshift(`no receipt: system ${opts.system} was never deployed to this node`);
                const atDesired = opts.desired ? a.receipt?.systemId === opts.desired : undefined;
                if (opts.desired && !atDesired)
                    drift.unshift(`runs system ${a.receipt?.systemId ?? 'none'}, not the desired ${opts.desired}`);
                return {
                    name: n.name,
                    role: n.role,
                    reachable: true,
                    receipt: a.receipt ?? undefined,
                    current: a.current,
                    previous: a.previous,
                    drift,
                    atDesired,
                };
            }
            catch (e) {
                return {
                    name: n.name,
                    role: n.role,
                    reachable: !(isKarooError(e) && e.kind === 'unavailable'),
                    drift: [],
                    error: e.message,
                };
            }
        })));
        const systemIds = [...new Set(nodes.map((n) => n.receipt?.systemId).filter((x) => !!x))].sort();
        return {
            system: opts.system,
            nodes,
            systemIds,
            desired: opts.desired,
            inSync: nodes.every((n) => n.reachable && !n.error && n.receipt && n.drift.length === 0) && systemIds.length === 1,
        };
    }
    finally {
        if (!opts.pool)
            await pool.close();
    }
}
/**
 * Switches every node back to its previous release: first checks that every node has one
 * (nothing is switched otherwise), then switches them (one symlink rename each), restarts the
 * services and verifies.
 */
async function rollback(opts) {
    const progress = opts.progress ?? silentProgress;
    const pool = await SshPool.open(opts.inventory.nodes.map((n) => ({ name: n.name, ...n.ssh })));
    const limit = pLimit(Math.max(1, opts.parallel ?? 8));
    try {
        const checks = await Promise.all(opts.inventory.nodes.map((n) => limit(async () => {
            try {
                await pool.agent(n.name, 'rollback', { system: opts.system, check: true }, [], 120_000);
                return undefined;
            }
            catch (e) {
                return { name: n.name, role: n.role, result: 'failed', detail: e.message };
            }
        })));
        const bad = checks.filter((c) => c !== undefined);
        if (bad.length > 0) {
            const nodes = opts.inventory.nodes.map((n) => bad.find((b) => b.name === n.name) ?? { name: n.name, role: n.role, result: 'skipped' });
            return { ok: false, nodes, systemIds: [], error: `rollback refused, no node switched: ${bad[0].detail}` };
        }
        const nodes = await Promise.all(opts.inventory.nodes.map((n) => limit(async () => {
            try {
                const a = await pool.agent(n.name, 'rollback', { system: opts.system, waitSeconds: opts.waitSeconds ?? 60 }, [], 300_000);
                progress.info(`${n.name}: rolled back ${a.from ?? 'none'} → ${a.to} (system ${a.receipt.systemId})`);
                return { name: n.name, role: n.role, from: a.from, to: a.to, systemId: a.receipt.systemId, result: 'rolled-back' };
            }
            catch (e) {
                return { name: n.name, role: n.role, result: 'failed', detail: e.message };
            }
        })));
        const failed = nodes.find((n) => n.result === 'failed');
        return {
            ok: !failed,
            nodes,
            systemIds: [...new Set(nodes.map((n) => n.systemId).filter((x) => !!x))].sort(),
            error: failed ? `rollback failed: ${failed.detail}` : undefined,
        };
    }
    finally {
        await pool.close();
    }
}
//# sourceMappingURL=ops.js.map
// EXTERNAL MODULE: external "node:net"
var external_node_net_ = __webpack_require__(77030);
// EXTERNAL MODULE: ./packages/evidence/lib/index.js
var evidence_lib = __webpack_require__(11575);
;// CONCATENATED MODULE: ./packages/deploy/lib/counts.js
/** How much of the end of an acceptance command's output is kept to find its closing summary. */
const SUMMARY_TAIL_BYTES = (/* unused pure expression or super */ null && (64 * 1024));
/** Words of a `N word, N word …` summary (pytest's and karoo's plain line) and what they count as. */
const WORDS = {
    passed: 'passed',
    xpassed: 'passed',
    failed: 'failed',
    error: 'errors',
    errors: 'errors',
    skipped: 'skipped',
    // pytest: an expected failure is reported as skipped in its JUnit too.
    xfailed: 'skipped',
    deselected: 'ignored',
    warning: 'ignored',
    warnings: 'ignored',
    rerun: 'ignored',
    reruns: 'ignored',
};
const ITEM = /^([0-9]+) ([a-z]+)$/;
const TIME = / in [0-9.]+ ?s(?:econds)?(?: \([0-9:.]+\))?$/;
/**
 * `4 passed, 0 failed[, 1 skipped]` (karoo's plain line), pytest's `=== 3 passed, 1 failed,
 * 2 skipped in 0.12s ===` (with or without the rule, `-q` prints it bare), or undefined.
 */
function countLine(line) {
    let s = line.trim().replace(/^=+ /, '').replace(/ =+$/, '').replace(TIME, '').trim();
    if (s === '' || /^no tests ran$/.test(s))
        return s === '' ? undefined : known(0, 0, 0, 0);
    s = s.replace(/\.$/, '');
    const c = { passed: 0, failed: 0, errors: 0, skipped: 0 };
    let counted = false;
    for (const part of s.split(/, ?/)) {
        const m = ITEM.exec(part.trim());
        if (!m)
            return undefined;
        const kind = WORDS[m[2]];
        if (kind === undefined)
            return undefined;
        if (kind === 'ignored')
            continue;
        c[kind] += Number(m[1]);
        if (kind !== 'skipped')
            counted = true;
    }
    return counted ? known(c.passed, c.failed, c.errors, c.skipped) : undefined;
}
/** unittest: `Ran N tests in 0.1s`, then `OK`, `OK (skipped=1)`, `FAILED (failures=1, errors=2, skipped=3)` or `NO TESTS RAN`. */
function countUnittest(lines, i) {
    const ran = /^Ran ([0-9]+) tests? in [0-9.]+s$/.exec(lines[i].trim());
    if (!ran)
        return undefined;
    const total = Number(ran[1]);
    for (const raw of lines.slice(i + 1, i + 4)) {
        const l = raw.trim();
        if (l === '')
            continue;
        if (l === 'NO TESTS RAN')
            return known(0, 0, 0, 0);
        const m = /^(OK|FAILED)(?: \(([^)]*)\))?$/.exec(l);
        if (!m)
            return undefined;
        const n = {};
        for (const kv of (m[2] ?? '').split(',')) {
            const p = /^\s*([a-z ]+)=([0-9]+)\s*$/.exec(kv);
            if (p)
                n[p[1]] = Number(p[2]);
        }
        const failed = (n.failures ?? 0) + (n['unexpected successes'] ?? 0);
        const errors = n.errors ?? 0;
        const skipped = (n.skipped ?? 0) + (n['expected failures'] ?? 0);
        return { tests: total, passed: Math.max(0, total - failed - errors - skipped), failed, errors, skipped, source: 'output' };
    }
    return undefined;
}
function known(passed, failed, errors, skipped) {
    return { tests: passed + failed + errors + skipped, passed, failed, errors, skipped, source: 'output' };
}
/**
 * The counts of an acceptance command's closing summary: the last line, from the end of its
 * output, that is karoo's plain `N passed, N failed[, N skipped]`, pytest's summary or
 * unittest's `Ran N tests` + `OK`/`FAILED (…)`. Undefined when the output has none: the counts
 * are then unknown (never zeros).
 */
function counts_countsFromOutput(output) {
    const lines = output.replace(/\x1b\[[0-9;]*m/g, '').split(/\r?\n/);
    for (let i = lines.length - 1; i >= 0; i--) {
        const c = countUnittest(lines, i) ?? countLine(lines[i]);
        if (c)
            return c;
    }
    return undefined;
}
/** Keeps the last `max` bytes written to it. */
class counts_Tail {
    max;
    chunks = [];
    size = 0;
    constructor(max = SUMMARY_TAIL_BYTES) {
        this.max = max;
    }
    push(b) {
        this.chunks.push(b);
        this.size += b.length;
        while (this.size - this.chunks[0].length >= this.max)
            this.size -= this.chunks.shift().length;
    }
    toString() {
        const all = Buffer.concat(this.chunks);
        return all.subarray(Math.max(0, all.length - this.max)).toString('utf8');
    }
}
//# sourceMappingURL=counts.js.map
;// CONCATENATED MODULE: ./packages/deploy/lib/accept.js












/**
 * Runs the configured acceptance command on the runner against a deployed system and records
 * evidence. The tests get: KAROO_INVENTORY (JSON, AcceptanceInventory), KAROO_LOCK (the candidate's
 * pylock.toml), KAROO_VALUES (JSON file of the environment's values), KAROO_ENVIRONMENT,
 * KAROO_SYSTEM_ID, KAROO_CANDIDATE, KAROO_CONFIG_DIGEST, KAROO_SSH_CONFIG (an ssh_config with a
 * Host entry per node name). Every service port is forwarded to 127.0.0.1 over SSH, so the
 * tests reach nodes whose network the runner cannot route to.
 *
 * Read from the top: load the candidate (and its lock) → forward the services and write the
 * tests' files → run the tests → judge the run → push the evidence → sign the result.
 */
async function accept_accept(opts) {
    const progress = opts.progress ?? silentProgress;
    const a = await loadAcceptance(opts);
    const pool = opts.pool ?? (await SshPool.open(a.nodes.map((n) => ({ name: n.name, ...n.ssh }))));
    // The run's one clock: its start (in the evidence) and its duration (tests' files included).
    const started = new Date();
    const t0 = Date.now();
    try {
        const files = await writeTestFiles(opts, a, pool);
        const run = await runTests(opts, a, files, progress);
        const durationMs = Date.now() - t0;
        const verdict = await judgeRun(opts, a, run);
        progress.info(`accept: ${verdict.result}: ${formatCounts(verdict.counts)} in ${(durationMs / 1000).toFixed(1)} s${verdict.reason ? ` (${verdict.reason})` : ''}`);
        const evidence = opts.evidence !== false
            ? await pushRunEvidence(opts, a, run, verdict, { startedAt: started.toISOString(), durationMs }, progress)
            : undefined;
        const attestation = opts.evidence !== false && opts.attest ? await signResult(opts, a, opts.attest, verdict, progress) : undefined;
        return {
            result: verdict.result,
            counts: verdict.counts,
            durationMs,
            exitCode: run.exitCode,
            timedOut: run.timedOut,
            reason: verdict.reason,
            systemId: a.systemId,
            candidate: a.candidate,
            configDigest: a.cfg,
            environment: a.sc.environment,
            inventoryFile: files.inventoryFile,
            junitFile: verdict.junit !== undefined ? run.junitPath : undefined,
            evidence,
            attestation,
            failures: verdict.failures,
        };
    }
    finally {
        if (!opts.pool)
            await pool.close();
    }
}
/** Checks the configuration and the inventory, reads the candidate's manifest (checked against its digest) and writes its lock into the out directory. */
async function loadAcceptance(opts) {
    const acc = opts.config.acceptance;
    if (!acc)
        throw new KarooError('input', `${opts.config.path} has no acceptance section; add acceptance: { command: [...] }`);
    const sc = await systemConfig(opts.config, opts.environment);
    const nodes = matchInventory(sc, opts.inventory);
    const candidate = parseDigest(String(opts.candidate), 'candidate');
    const cfg = configDigest(sc);
    const systemId = systemIdOf(candidate, cfg);
    const stored = await opts.store.getManifest(candidate);
    if (sha256Of(stored.bytes) !== candidate)
        throw new KarooError('integrity', `candidate ${candidate}: the manifest in ${opts.store.ref} does not match its digest`);
    const manifest = parseManifest(stored.bytes, `candidate ${candidate}`);
    await mkdir(opts.outDir, { recursive: true });
    const out = resolve(opts.outDir);
    const lockFile = join(out, 'pylock.toml');
    const pyl = manifest.layers.find((l) => l.mediaType === KAROO.pylock);
    if (pyl) {
        const chunks = [];
        for await (const c of await opts.store.getBlob(pyl.digest))
            chunks.push(Buffer.from(c));
        const bytes = Buffer.concat(chunks);
        if (sha256Of(bytes) !== pyl.digest)
            throw new KarooError('integrity', `candidate ${candidate}: layer "${pyl.annotations?.[ANNOTATIONS.title] ?? 'pylock.toml'}" is damaged in ${opts.store.ref}`);
        await writeFile(lockFile, bytes);
    }
    return { acc, sc, nodes, candidate, cfg, systemId, stored, out, lockFile: pyl ? lockFile : undefined };
}
/**
 * Forwards every service port to 127.0.0.1 (not when a deploy failed before: nothing runs)
 * and writes the acceptance inventory, the values and an ssh_config for the tests.
 */
async function writeTestFiles(opts, a, pool) {
    const { sc, nodes, out } = a;
    const invNodes = [];
    for (const n of nodes) {
        const services = [];
        for (const s of sc.roles[n.role].services) {
            if (s.port === undefined || opts.failedBefore !== undefined) {
                services.push({ name: s.name });
                continue;
            }
            const local = await freePort();
            await pool.forward(n.name, local, s.port);
            services.push({ name: s.name, port: s.port, url: `http://127.0.0.1:${local}` });
        }
        invNodes.push({
            name: n.name,
            role: n.role,
            address: n.address,
            ssh: { host: n.ssh.host, port: sshPort(n.ssh), user: sshUser(n.ssh), keyPath: n.ssh.keyPath },
            services,
        });
    }
    const roles = {};
    for (const n of nodes)
        (roles[n.role] ??= []).push(n.name);
    const doc = {
        version: 1,
        environmentId: opts.inventory.environmentId,
        environment: sc.environment,
        system: sc.system,
        systemId: a.systemId,
        candidate: a.candidate,
        configDigest: a.cfg,
        values: sc.values,
        roles,
        nodes: invNodes,
    };
    const files = {
        inventoryFile: join(out, 'acceptance-inventory.json'),
        valuesFile: join(out, 'values.json'),
        sshConfig: join(out, 'ssh_config'),
    };
    await writeFile(files.inventoryFile, `${JSON.stringify(doc, null, 2)}\n`);
    await writeFile(files.valuesFile, `${JSON.stringify(sc.values, null, 2)}\n`);
    await writeFile(files.sshConfig, nodes.map((n) => pool.configEntry(n.name)).join('\n'), { mode: 0o600 });
    return files;
}
/** Removes an earlier run's JUnit file, then runs the command with the environment acceptanceEnv builds, under its timeout. */
async function runTests(opts, a, files, progress) {
    const { acc, sc } = a;
    const cwd = acc.workingDirectory;
    const junitPath = acc.junit ? resolve(cwd, acc.junit) : undefined;
    // A file from an earlier run is not this run's result. (junit is a path inside the working directory: checked on load.)
    if (junitPath) {
        await rm(junitPath, { force: true }).catch((e) => {
            throw new KarooError('input', `acceptance.junit ${junitPath} cannot be removed before the run (${e.code ?? e.message}); check acceptance.working-directory and junit in ${opts.config.path}`);
        });
    }
    const env = acceptanceEnv(process.env, acc, {
        KAROO_INVENTORY: files.inventoryFile,
        KAROO_VALUES: files.valuesFile,
        KAROO_ENVIRONMENT: sc.environment,
        KAROO_SYSTEM_ID: a.systemId,
        KAROO_CANDIDATE: a.candidate,
        KAROO_CONFIG_DIGEST: a.cfg,
        KAROO_SSH_CONFIG: files.sshConfig,
        ...(a.lockFile ? { KAROO_LOCK: a.lockFile } : {}),
    });
    const timeoutSeconds = opts.timeoutSeconds ?? acc.timeoutSeconds;
    const tail = new Tail();
    if (opts.failedBefore !== undefined)
        return { exitCode: null, timedOut: false, tail, junitPath, timeoutSeconds };
    progress.info(`accept: running ${acc.command.join(' ')} in ${cwd} (timeout ${timeoutSeconds} s)`);
    const { exitCode, timedOut } = await runCommand(acc.command, cwd, env, timeoutSeconds * 1000, opts.output ?? process.stderr, tail);
    return { exitCode, timedOut, tail, junitPath, timeoutSeconds };
}
/**
 * Counts from the JUnit file, or without one from the command's closing summary (without
 * either the counts are unknown, never zeros); the run fails on a deploy that failed before, a
 * timeout, a non-zero exit, a missing or broken JUnit file, failed tests, or no tests at all.
 */
async function judgeRun(opts, { acc }, run) {
    const { junitPath, exitCode, timedOut } = run;
    let reason = opts.failedBefore;
    let counts = { tests: 0, passed: 0, failed: 0, errors: 0, skipped: 0, source: 'unknown' };
    if (!junitPath && opts.failedBefore === undefined)
        counts = countsFromOutput(run.tail.toString()) ?? counts;
    let junit;
    const failures = [];
    if (junitPath && opts.failedBefore === undefined) {
        try {
            junit = await readFile(junitPath, 'utf8');
        }
        catch {
            junit = undefined;
        }
        if (junit !== undefined) {
            try {
                counts = { ...countJunit(junit), source: 'junit' };
                failures.push(...junitFailures(junit));
            }
            catch (e) {
                reason ??= `the JUnit file ${acc.junit} is not JUnit XML: ${e.message}`;
            }
        }
        else {
            reason ??= `the tests wrote no JUnit file at ${acc.junit}`;
        }
    }
    if (timedOut)
        reason = `the acceptance command did not finish within ${run.timeoutSeconds} s and was killed`;
    else if (exitCode !== 0 && reason === undefined)
        reason = `the acceptance command exited with ${exitCode}`;
    if (reason === undefined && counts.failed + counts.errors > 0)
        reason = `${counts.failed + counts.errors} test(s) failed`;
    if (reason === undefined && counts.source !== 'unknown' && counts.tests === 0 && !acc.allowNoTests)
        reason = 'no tests ran (set acceptance.allow-no-tests: true in karoo.yml to let such a run pass)';
    return { result: reason === undefined ? 'passed' : 'failed', counts, junit, failures, reason };
}
/** The run's evidence (with its JUnit file), pushed to the store as a referrer of the candidate. */
async function pushRunEvidence(opts, a, run, verdict, time, progress) {
    const { sc } = a;
    const artifact = evidenceFor(a.stored.descriptor, {
        candidate: a.candidate,
        system: sc.system,
        systemId: a.systemId,
        configDigest: a.cfg,
        environment: sc.environment,
        result: verdict.result,
        counts: verdict.counts,
        startedAt: time.startedAt,
        finishedAt: new Date().toISOString(),
        durationMs: time.durationMs,
        exitCode: run.exitCode,
        timedOut: run.timedOut,
        command: a.acc.command,
        nodes: a.nodes.map((n) => ({ name: n.name, role: n.role })),
        provider: opts.inventory.provider === 'static' ? undefined : opts.inventory.provider,
        run: opts.run,
        reason: verdict.reason,
    }, verdict.junit);
    await pushEvidence(opts.store, artifact);
    progress.info(`accept: evidence ${artifact.digest} pushed to ${opts.store.ref}`);
    return artifact.digest;
}
/** The run's result as a signed test-result attestation, pushed beside the evidence. */
async function signResult(opts, a, signer, verdict, progress) {
    const { attest, describeSigner, testResultStatement } = await Promise.resolve(/* import() */).then(__webpack_require__.bind(__webpack_require__, 74938));
    const statement = testResultStatement({
        candidate: { name: a.sc.system, digest: a.candidate },
        environment: a.sc.environment,
        systemId: a.systemId,
        configDigest: a.cfg,
        result: verdict.result,
        passedTests: verdict.junit !== undefined ? junitPassed(verdict.junit) : undefined,
        failedTests: verdict.failures.map((f) => f.test),
        run: opts.run,
    });
    const attestation = (await attest(opts.store, a.stored.descriptor, statement, signer, new Date().toISOString())).digest;
    progress.info(`accept: signed test-result attestation ${attestation} (${describeSigner(signer)}) pushed to ${opts.store.ref}`);
    return attestation;
}
/**
 * What the acceptance command inherits from karoo's own environment: the basics a process needs
 * and where the Python interpreter lives (pyenv, a venv, actions/setup-python), never a credential.
 */
const INHERITED = (/* unused pure expression or super */ null && ([
    'PATH',
    'HOME',
    'USER',
    'LOGNAME',
    'SHELL',
    'TMPDIR',
    'TZ',
    'LANG',
    'LANGUAGE',
    'TERM',
    'CI',
    'VIRTUAL_ENV',
    'PYENV_ROOT',
    'PYENV_VERSION',
    'pythonLocation',
    'LD_LIBRARY_PATH',
]));
/**
 * The environment of the acceptance command, built from nothing: `PATH`, `HOME`, the user,
 * `TMPDIR`, `TZ`, locale (`LANG`, `LANGUAGE`, `LC_*`), `TERM` and `CI` from karoo's own
 * environment; the variables named in karoo.yml `acceptance.pass-env` (when set); the literal
 * `acceptance.env`; and karoo's `KAROO_*` variables last (they cannot be overridden). Nothing
 * else: no `INPUT_*` (an action's inputs, its token among them), no `ACTIONS_*` runtime or OIDC
 * tokens, no `GITHUB_TOKEN`, no registry or index credentials — the tests are not trusted code.
 */
function acceptanceEnv(parent, acceptance, karoo) {
    const env = {};
    const take = (name) => {
        if (parent[name] !== undefined)
            env[name] = parent[name];
    };
    for (const name of INHERITED)
        take(name);
    for (const name of Object.keys(parent))
        if (name.startsWith('LC_'))
            take(name);
    for (const name of acceptance.passEnv ?? [])
        take(name);
    Object.assign(env, acceptance.env ?? {});
    Object.assign(env, karoo);
    return env;
}
/** Runs argv (no shell) in its own process group; on timeout the whole group is killed. */
function runCommand(argv, cwd, env, timeoutMs, output, tail) {
    return new Promise((resolvePromise, reject) => {
        const child = spawn(argv[0], argv.slice(1), { cwd, env, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
        const onData = (b) => {
            output.write(b);
            tail.push(b);
        };
        child.stdout.on('data', onData);
        child.stderr.on('data', onData);
        let timedOut = false;
        const timer = setTimeout(() => {
            timedOut = true;
            try {
                process.kill(-child.pid, 'SIGKILL');
            }
            catch {
                child.kill('SIGKILL');
            }
        }, timeoutMs);
        child.on('error', (e) => {
            clearTimeout(timer);
            const code = e.code;
            reject(new KarooError('input', `acceptance command ${argv[0]} cannot be started in ${cwd} (${code ?? e.message}); check acceptance.command and working-directory`));
        });
        child.on('close', (code) => {
            clearTimeout(timer);
            resolvePromise({ exitCode: timedOut ? null : code, timedOut });
        });
    });
}
function junitFailures(xml) {
    const out = [];
    for (const m of xml.matchAll(/<testcase\b([^>]*)>([\s\S]*?)<\/testcase>/g)) {
        const f = /<(failure|error)\b[^>]*?(?:message="([^"]*)")?[^>]*>/.exec(m[2] ?? '');
        if (!f)
            continue;
        const attr = (k) => new RegExp(`\\b${k}="([^"]*)"`).exec(m[1] ?? '')?.[1];
        out.push({ test: [attr('classname'), attr('name')].filter(Boolean).join('.'), message: f[2] ? unescapeXml(f[2]) : f[1] });
    }
    return out;
}
/** Names (`classname.name`) of the JUnit test cases that neither failed, erred nor were skipped. */
function junitPassed(xml) {
    const out = [];
    for (const m of xml.matchAll(/<testcase\b([^>]*?)(?:\/>|>([\s\S]*?)<\/testcase>)/g)) {
        if (/<(failure|error|skipped)\b/.test(m[2] ?? ''))
            continue;
        const attr = (k) => new RegExp(`\\b${k}="([^"]*)"`).exec(m[1] ?? '')?.[1];
        out.push(unescapeXml([attr('classname'), attr('name')].filter(Boolean).join('.')));
    }
    return out;
}
function unescapeXml(s) {
    return s
        .replace(/&lt;/g, '<')
        .replace(/&gt;/g, '>')
        .replace(/&quot;/g, '"')
        .replace(/&apos;/g, "'")
        .replace(/&#10;/g, '\n')
        .replace(/&amp;/g, '&');
}
function freePort() {
    return new Promise((res, rej) => {
        const s = createServer();
        s.on('error', rej);
        s.listen(0, '127.0.0.1', () => {
            const port = s.address().port;
            s.close(() => res(port));
        });
    });
}
//# sourceMappingURL=accept.js.map
;// CONCATENATED MODULE: ./packages/deploy/lib/up.js










/**
 * Everything deploy can check without machines: the configuration for the environment, the
 * candidate in the store (every blob against its digest), the roles' leaves in the candidate.
 * Returns the system id. Throws before anything is provisioned.
 */
async function precheck(config, environment, store, candidate) {
    const sc = await systemConfig(config, environment);
    const dir = await mkdtemp(join(tmpdir(), 'karoo-precheck-'));
    try {
        const staged = await stageCandidate(store, candidate, dir);
        const nodes = sc.nodes.map((n) => ({
            name: n.name,
            role: n.role,
            address: n.name,
            ssh: { host: n.name, port: 22, user: 'root' },
            provider: 'static',
        }));
        const plan = planDeploy(sc, staged, nodes, config.dir);
        return { systemId: plan.systemId, environment: sc.environment };
    }
    finally {
        await rm(dir, { recursive: true, force: true });
    }
}
/**
 * provision → deploy → accept → teardown, on fresh machines, for one candidate. The environment
 * belongs to this process (lifetime `owner`): its watchdog and `karoo reap` remove it the moment
 * the process is gone, however it ended. Teardown happens whatever happened before (unless
 * `keep`), once, also when `signal` aborts. Every temporary file of the run (the staged
 * candidate, SSH control sockets, the acceptance files) lives in one `karoo-up-*` directory
 * that goes with the environment: TMPDIR points there while up() runs. A deploy that fails is
 * recorded as failed evidence (reason: the deploy's first failure); a provisioning failure is
 * thrown (no evidence: it says nothing about the candidate).
 */
async function up(opts) {
    const progress = opts.progress ?? silentProgress;
    const machines = await Promise.resolve(/* import() */).then(__webpack_require__.bind(__webpack_require__, 46494));
    // Short (SSH control sockets live below it) and named after its owner, so reap finds it even before the stamp.
    const work = await machines.ownedTempDir('karoo-up-');
    const previousTmp = process.env.TMPDIR;
    process.env.TMPDIR = work;
    const outDir = resolve(opts.outDir ?? work);
    const acceptDir = join(outDir, 'acceptance');
    const timings = { provision: 0, deploy: 0, accept: 0, teardown: 0 };
    let env;
    let pool;
    let torn;
    const teardown = () => (torn ??= (async () => {
        const t = Date.now();
        await pool?.close().catch(() => undefined);
        if (env && opts.keep) {
            await machines.handOver(env.state);
            // Kept with the machines: no longer removed when this process ends, only with the environment.
            await rm(join(work, machines.OWNER_FILE), { force: true });
            progress.info(`up: keeping environment ${env.state.environmentId} (inventory ${env.inventoryPath}); destroy it with: karoo destroy --inventory ${env.inventoryPath}`);
        }
        else if (opts.keep && existsSync(join(outDir, 'environment', 'inventory.json'))) {
            // Provisioning failed and kept its machines (--keep): their inventory and logs are in here.
            await rm(join(work, machines.OWNER_FILE), { force: true });
        }
        else {
            if (env)
                await machines
                    .destroyState(env.state, { progress })
                    .catch((e) => progress.warn(`up: teardown of ${env.state.environmentId} failed: ${e.message}; run karoo reap`));
            await rm(work, { recursive: true, force: true });
        }
        timings.teardown = secs(Date.now() - t);
    })());
    const interrupted = new Promise((_, reject) => {
        const stop = () => reject(opts.signal?.reason instanceof Error
            ? opts.signal.reason
            : new KarooError('refused', `up was interrupted${opts.signal?.reason ? ` (${String(opts.signal.reason)})` : ''}`));
        if (opts.signal?.aborted)
            stop();
        else
            opts.signal?.addEventListener('abort', stop, { once: true });
    });
    interrupted.catch(() => undefined);
    const orStop = (p) => {
        p.catch(() => undefined);
        return Promise.race([p, interrupted]);
    };
    try {
        const pre = await orStop(precheck(opts.config, opts.environment, opts.store, opts.candidate));
        const provider = opts.provider ?? opts.config.provision.provider ?? 'nspawn';
        let t = Date.now();
        progress.info(`up: provisioning ${opts.config.nodes.length} node(s) with ${provider} for system ${pre.systemId} (${pre.environment})`);
        // Not raced with the signal: provision() itself stops at the signal and destroys what it made before it returns.
        env = await machines.provision({
            nodes: opts.config.nodes.map((n) => ({ name: n.name, role: n.role, cpus: n.cpus, memory: n.memory })),
            provider,
            ...machines.libvirtOptions(opts.config.provision),
            image: opts.config.provision.image,
            imageSha256: opts.config.provision.imageSha256,
            ttlSeconds: opts.config.provision.ttlSeconds,
            outDir: join(outDir, 'environment'),
            keep: opts.keep,
            onExpire: opts.onExpire,
            progress,
            lifetime: 'owner',
            paths: [work],
            related: [acceptDir],
            signal: opts.signal,
        });
        timings.provision = secs(Date.now() - t);
        const inventory = env.inventory;
        pool = await SshPool.open(inventory.nodes.map((n) => ({ name: n.name, ...n.ssh })));
        t = Date.now();
        progress.info(`up: deploying to ${inventory.environmentId}`);
        const d = await orStop(deploy({
            config: opts.config,
            environment: pre.environment,
            store: opts.store,
            candidate: opts.candidate,
            inventory,
            progress,
            pool,
        }));
        timings.deploy = secs(Date.now() - t);
        t = Date.now();
        progress.info(`up: accepting on ${inventory.environmentId}`);
        const a = await orStop(accept({
            config: opts.config,
            environment: pre.environment,
            inventory,
            store: opts.store,
            candidate: d.candidate,
            outDir: acceptDir,
            run: opts.run,
            progress,
            output: opts.output,
            pool,
            failedBefore: d.ok ? undefined : d.error,
            attest: opts.attest,
        }));
        timings.accept = secs(Date.now() - t);
        await teardown();
        return {
            systemId: d.systemId,
            candidate: d.candidate,
            environment: d.environment,
            environmentId: inventory.environmentId,
            provider,
            result: a.result,
            evidence: a.evidence,
            deploy: d,
            accept: a,
            timings,
            kept: !!opts.keep,
            inventory: opts.keep ? env.inventoryPath : undefined,
            reason: a.reason,
        };
    }
    finally {
        await teardown();
        if (previousTmp === undefined)
            delete process.env.TMPDIR;
        else
            process.env.TMPDIR = previousTmp;
    }
}
function secs(ms) {
    return Math.round(ms / 10) / 100;
}
//# sourceMappingURL=up.js.map
;// CONCATENATED MODULE: ./packages/deploy/lib/index.js









//# sourceMappingURL=index.js.map

/***/ }),

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
