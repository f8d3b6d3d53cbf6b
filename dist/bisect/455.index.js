export const id = 455;
export const ids = [455,575];
export const modules = {

/***/ 52455:
/***/ ((__unused_webpack___webpack_module__, __webpack_exports__, __webpack_require__) => {


// EXPORTS
__webpack_require__.d(__webpack_exports__, {
  configDigest: () => (/* reexport */ configDigest),
  systemConfig: () => (/* reexport */ systemConfig),
  systemIdOf: () => (/* reexport */ systemIdOf),
  up: () => (/* reexport */ up)
});

// UNUSED EXPORTS: AGENT_SHA256, CONFIG_SCHEMA, SYSTEM_SCHEMA, SshPool, TemplateError, accept, assertDeployed, deploy, environmentName, matchInventory, mergeValues, planDeploy, precheck, renderNodeFiles, renderTemplate, rollback, stageCandidate, status, unitName

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
async function systemConfig(config, environment) {
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
function configDigest(c) {
    return (0,lib/* sha256Of */.Bj)((0,lib/* canonicalJson */.dj)(c));
}
/**
 * The system id: sha256 over the UTF-8 bytes of the canonical JSON
 * `{"candidate":"sha256:<candidate>","config":"sha256:<config digest>","schema":"karoo.system/v1"}`.
 * The same candidate with the same configuration for the same environment is the same system,
 * wherever and whenever it is deployed.
 */
function systemIdOf(candidate, config) {
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
async function stageCandidate(store, candidate, dir) {
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
const AGENT_SOURCE = "# Generated by packages/deploy/scripts/gen-agent.mjs from packages/deploy/agent/karoo_node/. Do not edit.\n\n\n\"\"\"karoo's node agent: makes one node converge to its desired state, and reports on it.\n\nSent over SSH by `karoo deploy` on every call (never installed by hand): the runner starts\n`python3 -c BOOTSTRAP COMMAND`, writes the length of this file, this file, one JSON request\nline, and for `receive` the raw bytes of the blobs. The last line of stdout is the JSON\nanswer: {\"ok\": true, ...} or {\"ok\": false, \"error\": \"...\", \"kind\": \"...\"} (errors.py: karoo's\nerror kinds, or `bug` for an exception the agent did not expect). Nothing from the request is ever\ngiven to a shell: paths, values, commands and environment variables are data, used through\nargument vectors and files.\n\nLayout under /opt/karoo/<system>/ (ROOT):\n  blobs/sha256/<hex>         blobs of candidates, each checked against its sha256 on arrival\n                             and again before use\n  <candidate-12>/            the candidate's installation: a venv, written once (marker\n                             .karoo-venv.json written last), never changed afterwards\n  releases/<release-16>/     one release = candidate + this node's configuration:\n                             bin -> ../../<candidate-12>/bin, rendered files, units/,\n                             .karoo/release.json (the desired state), .karoo/karoo_node.py\n  current -> releases/…      the running release (switched by renaming a new symlink over it)\n  previous -> releases/…     the release before it: `karoo rollback` switches back to it\n  receipt.json               what was deployed and when; history.jsonl: every receipt\n\nServices run under systemd where the node runs it (/run/systemd/system exists): one unit per\nservice, linked from the current release. Elsewhere (containers without an init, hosts\nwhere /etc/karoo/service-manager says \"supervisor\") karoo's own small supervisor runs them:\none detached `supervise SERVICE` process per service that restarts it with backoff, keeps\nits state in /run/karoo/<system>/<unit>.json and its output in <root>/logs/<unit>.log.\n\nInstalling needs no pip, on the node or in the lock: the agent's own wheel installer unpacks\neach locked wheel (already checked against the lock's sha256) into a `--without-pip` venv,\nrefusing any file its RECORD does not vouch for with a matching hash. A deploy installs once\nper target: the first node of a target packs its verified installation into a deterministic\narchive (`pack`), the runner fetches it (`send`) and the other nodes of that target unpack it\n(`prepare` with `archive`), checked against its digest; every node then verifies its\ninstallation against the lock (versions and RECORD hashes).\n\nStandard library only; Python >= 3.9. `exec SERVICE` is what both run: it starts a service of\nthe release it sits in, with the command, environment and working directory of release.json,\nthrough execve (no shell).\n\nThe modules of this package (errors, util, protocol, target, wheel, archive, services, verify,\nblobs, install, releases, node, launcher, commands) are what tests import; the nodes get them as\none file, concatenated by packages/deploy/scripts/gen-agent.mjs without the imports between them.\n\"\"\"\n\n\n# ---- agent/karoo_node/errors.py\n\n\"\"\"Failures and the kinds the runner turns into karoo's error kinds (exit codes).\n\nEvery failure the agent means is a Fail whose `kind` is one of karoo's error kinds\n(packages/common/src/errors.ts): `input` (will never succeed as given), `integrity` (bytes do\nnot match what vouches for them), `unavailable` (a retry may help), `conflict` (the node is not\nin the state the call needs). Anything else that escapes a command is a bug in the agent: its\nanswer says `bug`, never \"retry may help\".\n\"\"\"\n\nimport errno\nimport os\nimport subprocess\nimport traceback\n\nKINDS = (\"input\", \"integrity\", \"unavailable\", \"conflict\", \"bug\")\n\n# OS errors a retry may help with (space, memory, I/O); any other means the node's file system\n# is not as karoo left it.\nTRANSIENT_ERRNOS = frozenset(getattr(errno, n) for n in (\"ENOSPC\", \"EDQUOT\", \"EIO\", \"EAGAIN\", \"ENOMEM\", \"EMFILE\", \"ENFILE\") if hasattr(errno, n))\n\n\nclass Fail(Exception):\n    \"\"\"A failure the agent means: `kind` says which of karoo's error kinds it is.\"\"\"\n\n    kind = \"conflict\"\n\n\nclass InputFail(Fail):\n    \"\"\"A request, wheel or node that can never work as given (a bad name, no python3-venv, no wheel that fits).\"\"\"\n\n    kind = \"input\"\n\n\nclass IntegrityFail(Fail):\n    \"\"\"Bytes that do not match what vouches for them (a blob's digest, a wheel's RECORD): refused, never installed.\"\"\"\n\n    kind = \"integrity\"\n\n\nclass UnavailableFail(Fail):\n    \"\"\"Something that may work when tried again (a stream cut short, a command that timed out).\"\"\"\n\n    kind = \"unavailable\"\n\n\ndef failure_answer(e):\n    \"\"\"The answer line for an exception that ended a command: {\"ok\": false, \"error\", \"kind\"}.\"\"\"\n    if isinstance(e, Fail):\n        return {\"ok\": False, \"error\": str(e), \"kind\": e.kind}\n    if isinstance(e, subprocess.TimeoutExpired):\n        cmd = e.cmd if isinstance(e.cmd, (list, tuple)) else [str(e.cmd)]\n        return {\"ok\": False, \"error\": \"timed out after %s s: %s\" % (e.timeout, \" \".join(str(c) for c in cmd[:3])), \"kind\": \"unavailable\"}\n    if isinstance(e, OSError):\n        what = \"%s: %s\" % (e.filename, os.strerror(e.errno)) if e.filename and e.errno else str(e)\n        return {\"ok\": False, \"error\": what, \"kind\": \"unavailable\" if e.errno in TRANSIENT_ERRNOS else \"conflict\"}\n    frames = traceback.extract_tb(e.__traceback__)\n    where = \" in %s (line %d)\" % (frames[-1].name, frames[-1].lineno) if frames else \"\"\n    return {\"ok\": False, \"kind\": \"bug\", \"error\": \"bug in the karoo node agent: %s: %s%s; please report it\" % (type(e).__name__, e, where)}\n\n\n# ---- agent/karoo_node/util.py\n\n\"\"\"Small file, hash and process helpers shared by every part of the agent.\"\"\"\n\nimport base64\nimport hashlib\nimport json\nimport os\nimport socket\nimport subprocess\nimport time\n\n\n\ndef now_iso():\n    return time.strftime(\"%Y-%m-%dT%H:%M:%SZ\", time.gmtime())\n\n\ndef check_name(value, what):\n    ok = isinstance(value, str) and 0 < len(value) <= 64 and all(c.isalnum() or c in \"-_.\" for c in value)\n    if not ok or value.startswith(\".\") or not value.isascii():\n        raise InputFail(\"%s %r is not a plain name\" % (what, value))\n    return value\n\n\ndef check_hex(value, n=64):\n    if not isinstance(value, str) or len(value) != n or any(c not in \"0123456789abcdef\" for c in value):\n        raise InputFail(\"%r is not a %d-digit hex digest\" % (value, n))\n    return value\n\n\ndef check_relpath(p):\n    if not isinstance(p, str) or p == \"\" or p.startswith(\"/\") or \"\\x00\" in p:\n        raise InputFail(\"file path %r must be relative to the release\" % (p,))\n    parts = p.split(\"/\")\n    if any(x in (\"\", \".\", \"..\") for x in parts) or parts[0] in (\".karoo\", \"bin\", \"units\"):\n        raise InputFail(\"file path %r must stay inside the release and not use bin/, units/ or .karoo/\" % (p,))\n    return p\n\n\ndef file_sha256(path):\n    \"\"\"The sha256 hash object of a file's bytes, read in 1 MiB chunks.\"\"\"\n    h = hashlib.sha256()\n    with open(path, \"rb\") as f:\n        while True:\n            b = f.read(1 << 20)\n            if not b:\n                break\n            h.update(b)\n    return h\n\n\ndef sha256_file(path):\n    return file_sha256(path).hexdigest()\n\n\ndef b64_digest(data_hash):\n    \"\"\"A digest as RECORD writes it: urlsafe base64 without padding.\"\"\"\n    return base64.urlsafe_b64encode(data_hash).rstrip(b\"=\").decode(\"ascii\")\n\n\ndef write_atomic(path, data, mode=0o644):\n    tmp = \"%s.tmp-%d\" % (path, os.getpid())\n    with open(tmp, \"wb\") as f:\n        f.write(data)\n        f.flush()\n        os.fsync(f.fileno())\n    os.chmod(tmp, mode)\n    os.replace(tmp, path)\n\n\ndef write_plain(path, data, mode):\n    if os.path.islink(path):\n        os.unlink(path)\n    with open(path, \"wb\") as f:\n        f.write(data)\n    os.chmod(path, mode)\n\n\ndef symlink_atomic(target, path):\n    tmp = \"%s.tmp-%d\" % (path, os.getpid())\n    try:\n        os.unlink(tmp)\n    except FileNotFoundError:\n        pass\n    os.symlink(target, tmp)\n    os.replace(tmp, path)\n\n\ndef read_json(path):\n    \"\"\"A JSON file's value; None when it is missing, {\"damaged\": True} when it is not JSON.\"\"\"\n    try:\n        with open(path, encoding=\"utf-8\") as f:\n            return json.load(f)\n    except (FileNotFoundError, NotADirectoryError):\n        return None\n    except ValueError:\n        return {\"damaged\": True}\n\n\ndef pid_alive(pid):\n    if not isinstance(pid, int) or pid <= 0:\n        return False\n    try:\n        os.kill(pid, 0)\n    except ProcessLookupError:\n        return False\n    except PermissionError:\n        return True\n    try:\n        with open(\"/proc/%d/stat\" % pid) as f:\n            return f.read().split(\") \", 1)[1][:1] != \"Z\"\n    except OSError:\n        return True\n\n\ndef port_open(port):\n    try:\n        with socket.create_connection((\"127.0.0.1\", int(port)), timeout=0.5):\n            return True\n    except OSError:\n        return False\n\n\ndef run(argv, timeout=600):\n    p = subprocess.run(argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=timeout)\n    return p.returncode, p.stdout.decode(\"utf-8\", \"replace\")\n\n\n# ---- agent/karoo_node/protocol.py\n\n\"\"\"The wire protocol: one JSON request line on stdin (raw bytes may follow it), one JSON answer\nline last on stdout. Raw bytes a command streams to the runner (`send`, `prepare` with `pack`)\ngo before the answer, followed by a newline.\"\"\"\n\nimport json\n\n\n\ndef read_request(stream):\n    \"\"\"The request object on the first line of `stream` ({} when the line is empty).\"\"\"\n    line = stream.readline()\n    if not line.strip():\n        return {}\n    try:\n        req = json.loads(line.decode(\"utf-8\"))\n    except (UnicodeDecodeError, ValueError) as e:\n        raise InputFail(\"the agent's request is not JSON: %s\" % e)\n    if not isinstance(req, dict):\n        raise InputFail(\"the agent's request is a JSON %s, not an object\" % type(req).__name__)\n    return req\n\n\nFIELD_TYPES = {\"str\": str, \"list\": list, \"dict\": dict}\n\n\ndef require(req, cmd, fields):\n    \"\"\"Checks that the request holds each field of `fields` ({name: \"str\"|\"list\"|\"dict\"}) with that type.\"\"\"\n    for name in sorted(fields):\n        want = fields[name]\n        if name not in req:\n            raise InputFail(\"agent command %s needs %r in its request\" % (cmd, name))\n        if not isinstance(req[name], FIELD_TYPES[want]):\n            raise InputFail(\"agent command %s: %r must be a %s, not %s\" % (cmd, name, want, type(req[name]).__name__))\n\n\ndef answer_line(answer):\n    \"\"\"The answer as the runner reads it: sorted keys, one line.\"\"\"\n    return json.dumps(answer, sort_keys=True) + \"\\n\"\n\n\n# ---- agent/karoo_node/target.py\n\n\"\"\"Which wheel fits this node: wheel file names, the tags this interpreter accepts, PEP 508\nmarkers, and the node's target (interpreter, ABI, platform, libc).\"\"\"\n\nimport os\nimport platform\nimport re\nimport sys\nimport sysconfig\n\n\n\ndef parse_wheel_filename(filename):\n    \"\"\"(distribution, version, [tags]) of a wheel file name; tags expanded from compressed sets.\"\"\"\n    if \"/\" in filename or not filename.endswith(\".whl\"):\n        raise InputFail(\"wheel file name %r is not a plain .whl name\" % (filename,))\n    parts = filename[:-4].split(\"-\")\n    if len(parts) not in (5, 6):\n        raise InputFail(\"%r is not a wheel file name (name-version[-build]-python-abi-platform.whl)\" % (filename,))\n    pys, abis, plats = parts[-3].split(\".\"), parts[-2].split(\".\"), parts[-1].split(\".\")\n    return parts[0], parts[1], [\"%s-%s-%s\" % (p, a, q) for p in pys for a in abis for q in plats]\n\n\ndef glibc_version():\n    try:\n        kind, _, ver = os.confstr(\"CS_GNU_LIBC_VERSION\").partition(\" \")\n        if kind == \"glibc\":\n            major, minor = ver.split(\".\")[:2]\n            return int(major), int(minor)\n    except (AttributeError, ValueError, OSError):\n        pass\n    return None\n\n\ndef supported_tags():\n    \"\"\"The wheel tags this interpreter accepts, most preferred first (as pip orders them, for CPython on Linux).\"\"\"\n    major, minor = sys.version_info[:2]\n    impl = {\"cpython\": \"cp\", \"pypy\": \"pp\"}.get(sys.implementation.name, sys.implementation.name[:2])\n    machine = platform.machine()\n    plats = []\n    g = glibc_version()\n    if sys.platform.startswith(\"linux\"):\n        if g and g[0] == 2:\n            lowest = 5 if machine in (\"x86_64\", \"i686\") else 17\n            for m in range(g[1], lowest - 1, -1):\n                plats.append(\"manylinux_2_%d_%s\" % (m, machine))\n                legacy = {17: \"manylinux2014\", 12: \"manylinux2010\", 5: \"manylinux1\"}.get(m)\n                if legacy:\n                    plats.append(\"%s_%s\" % (legacy, machine))\n        plats.append(\"linux_%s\" % machine)\n    else:\n        plats.append(sysconfig.get_platform().replace(\"-\", \"_\").replace(\".\", \"_\"))\n    own = \"%s%d%d\" % (impl, major, minor)\n    abi = own if impl == \"cp\" else \"none\"\n    tags = []\n    for p in plats:\n        tags.append(\"%s-%s-%s\" % (own, abi, p))\n    if impl == \"cp\":\n        for p in plats:\n            tags.append(\"%s-abi3-%s\" % (own, p))\n    for p in plats:\n        tags.append(\"%s-none-%s\" % (own, p))\n    if impl == \"cp\":\n        for m in range(minor - 1, 1, -1):\n            for p in plats:\n                tags.append(\"cp%d%d-abi3-%s\" % (major, m, p))\n    for p in plats:\n        tags += [\"py%d%d-none-%s\" % (major, minor, p), \"py%d-none-%s\" % (major, p)]\n        tags += [\"py%d%d-none-%s\" % (major, m, p) for m in range(minor - 1, -1, -1)]\n    tags += [\"%s-none-any\" % own, \"py%d%d-none-any\" % (major, minor), \"py%d-none-any\" % major]\n    tags += [\"py%d%d-none-any\" % (major, m) for m in range(minor - 1, -1, -1)]\n    return tags\n\n\ndef target_info():\n    \"\"\"What decides whether an installed tree fits this node: the interpreter, its ABI, the platform and libc.\"\"\"\n    g = glibc_version()\n    return {\n        \"implementation\": sys.implementation.name,\n        \"python\": platform.python_version(),\n        \"executable\": sys.executable,\n        \"soabi\": sysconfig.get_config_var(\"SOABI\") or \"\",\n        \"platform\": sysconfig.get_platform(),\n        \"machine\": platform.machine(),\n        \"libc\": \"glibc %d.%d\" % g if g else \"\",\n    }\n\n\n# PEP 508 environment markers: the subset locks use (variables, quoted strings, comparisons,\n# `in`/`not in`, and/or, parentheses), evaluated for this interpreter.\n\n\ndef marker_environment():\n    iv = sys.implementation.version\n    ver = \"%d.%d.%d\" % (iv.major, iv.minor, iv.micro)\n    if iv.releaselevel != \"final\":\n        ver += iv.releaselevel[0] + str(iv.serial)\n    return {\n        \"os_name\": os.name, \"sys_platform\": sys.platform, \"platform_machine\": platform.machine(),\n        \"platform_python_implementation\": platform.python_implementation(), \"platform_release\": platform.release(),\n        \"platform_system\": platform.system(), \"platform_version\": platform.version(),\n        \"python_version\": \"%d.%d\" % sys.version_info[:2], \"python_full_version\": platform.python_version(),\n        \"implementation_name\": sys.implementation.name, \"implementation_version\": ver, \"extra\": \"\",\n    }\n\n\ndef _version_tuple(s):\n    m = re.match(r\"^\\s*v?(\\d+(?:\\.\\d+)*)(\\.\\*)?\\s*$\", s)\n    if not m:\n        return None, False\n    return tuple(int(x) for x in m.group(1).split(\".\")), bool(m.group(2))\n\n\ndef _compare(left, op, right):\n    if op in (\"in\", \"not in\"):\n        return (left in right) == (op == \"in\")\n    lv, _ = _version_tuple(left)\n    rv, wild = _version_tuple(right)\n    if lv is not None and rv is not None:\n        if wild:\n            if op not in (\"==\", \"!=\"):\n                raise InputFail(\"marker comparison %s %s %s is not valid\" % (left, op, right))\n            return (lv[:len(rv)] == rv) == (op == \"==\")\n        n = max(len(lv), len(rv))\n        a, b = lv + (0,) * (n - len(lv)), rv + (0,) * (n - len(rv))\n        if op == \"~=\":\n            if len(rv) < 2:\n                raise InputFail(\"marker comparison ~= %s needs at least two version parts\" % right)\n            return a >= b and lv[:len(rv) - 1] == rv[:-1]\n        return {\"==\": a == b, \"!=\": a != b, \"<\": a < b, \"<=\": a <= b, \">\": a > b, \">=\": a >= b, \"===\": left == right}[op]\n    if op in (\"==\", \"===\", \"!=\"):\n        return (left == right) == (op != \"!=\")\n    raise InputFail(\"cannot evaluate marker comparison %r %s %r\" % (left, op, right))\n\n\ndef evaluate_marker(marker, env=None):\n    \"\"\"True when the PEP 508 marker holds for this interpreter (or `env`).\"\"\"\n    env = marker_environment() if env is None else env\n    tokens = re.findall(r\"\"\"\\s*(\\(|\\)|'[^']*'|\"[^\"]*\"|===|==|!=|<=|>=|~=|<|>|not\\s+in\\b|in\\b|and\\b|or\\b|[A-Za-z_][A-Za-z0-9_.]*)\"\"\", marker)\n    if \"\".join(re.sub(r\"\\s+\", \"\", t) for t in tokens) != re.sub(r\"\\s+\", \"\", marker):\n        raise InputFail(\"environment marker %r cannot be parsed\" % marker)\n    tokens = [re.sub(r\"\\s+\", \" \", t.strip()) for t in tokens]\n    pos = [0]\n\n    def peek():\n        return tokens[pos[0]] if pos[0] < len(tokens) else None\n\n    def take():\n        t = peek()\n        if t is None:\n            raise InputFail(\"environment marker %r ends too early\" % marker)\n        pos[0] += 1\n        return t\n\n    def value():\n        t = take()\n        if t[:1] in (\"'\", '\"'):\n            return t[1:-1]\n        if t not in env:\n            raise InputFail(\"environment marker %r uses an unknown variable %r\" % (marker, t))\n        return env[t]\n\n    def atom():\n        if peek() == \"(\":\n            take()\n            v = disj()\n            if take() != \")\":\n                raise InputFail(\"environment marker %r has unbalanced parentheses\" % marker)\n            return v\n        left = value()\n        op = take()\n        if op not in (\"===\", \"==\", \"!=\", \"<=\", \">=\", \"~=\", \"<\", \">\", \"in\", \"not in\"):\n            raise InputFail(\"environment marker %r: %r is not a comparison\" % (marker, op))\n        return _compare(left, op, value())\n\n    def chain(word, operand, combine):\n        # Every operand is evaluated (no short cut), so a bad comparison fails wherever it stands.\n        v = operand()\n        while peek() == word:\n            take()\n            v = combine(operand(), v)\n        return v\n\n    def conj():\n        return chain(\"and\", atom, lambda a, b: a and b)\n\n    def disj():\n        return chain(\"or\", conj, lambda a, b: a or b)\n\n    result = disj()\n    if peek() is not None:\n        raise InputFail(\"environment marker %r has trailing text at %r\" % (marker, peek()))\n    return result\n\n\ndef choose_wheels(wheels):\n    \"\"\"Per locked package, the one wheel this node installs: its marker holds and its tag is the best supported one.\"\"\"\n    tags = {t: i for i, t in enumerate(supported_tags())}\n    by_pkg = {}\n    for w in wheels:\n        by_pkg.setdefault(w.get(\"package\") or w[\"filename\"], []).append(w)\n    chosen = []\n    for pkg in sorted(by_pkg):\n        ws = by_pkg[pkg]\n        marker = ws[0].get(\"marker\")\n        if marker and not evaluate_marker(marker):\n            continue\n        ranked = []\n        for w in ws:\n            _, _, wtags = parse_wheel_filename(w[\"filename\"])\n            best = min([tags[t] for t in wtags if t in tags] or [None], key=lambda x: (x is None, x))\n            if best is not None:\n                ranked.append((best, w[\"filename\"], w))\n        if not ranked:\n            raise InputFail(\"no wheel of %s fits this node (%s): %s\" % (pkg, supported_tags()[0], \", \".join(w[\"filename\"] for w in ws)))\n        chosen.append(sorted(ranked, key=lambda x: (x[0], x[1]))[0][2])\n    return chosen\n\n\n# ---- agent/karoo_node/wheel.py\n\n\"\"\"karoo's wheel installer: a locked, hash-checked set of wheels needs no resolver and no pip.\n\nThe agent unpacks each wheel into the venv itself, following the binary distribution format\n(PyPA \"wheel\" spec), and refuses any file that its RECORD does not vouch for with a hash.\"\"\"\n\nimport configparser\nimport csv\nimport hashlib\nimport io\nimport os\nimport re\nimport sys\nimport venv as venv_module\nimport zipfile\n\n\n\ndef norm(name):\n    out, dash = [], False\n    for c in name.lower():\n        if c in \"-_.\":\n            if not dash:\n                out.append(\"-\")\n            dash = True\n        else:\n            out.append(c)\n            dash = False\n    return \"\".join(out)\n\n\nRECORD_ALGOS = (\"sha256\", \"sha384\", \"sha512\")\nSCHEME_KEYS = (\"purelib\", \"platlib\", \"scripts\", \"headers\", \"data\")\n\n\ndef safe_member(name, what):\n    if not name or name.startswith(\"/\") or \"\\\\\" in name or \"\\x00\" in name:\n        raise IntegrityFail(\"%s: entry %r is not a relative path\" % (what, name))\n    parts = name.rstrip(\"/\").split(\"/\")\n    if any(p in (\"\", \".\", \"..\") for p in parts):\n        raise IntegrityFail(\"%s: entry %r leaves its directory\" % (what, name))\n    return parts\n\n\ndef _read_record(text, what):\n    rows = {}\n    for row in csv.reader(text.splitlines()):\n        if not row:\n            continue\n        if len(row) < 1 or len(row) > 3:\n            raise IntegrityFail(\"%s: RECORD row %r is malformed\" % (what, row))\n        path = row[0]\n        if path in rows:\n            raise IntegrityFail(\"%s: RECORD lists %s twice\" % (what, path))\n        rows[path] = (row[1] if len(row) > 1 else \"\", row[2] if len(row) > 2 else \"\")\n    return rows\n\n\ndef _scheme(venv, dist_name):\n    sp = venv_site_packages(venv)\n    return {\n        \"purelib\": sp, \"platlib\": sp, \"scripts\": os.path.join(venv, \"bin\"), \"data\": venv,\n        \"headers\": os.path.join(venv, \"include\", \"site\", \"python%d.%d\" % sys.version_info[:2], dist_name),\n    }\n\n\ndef venv_site_packages(venv):\n    return os.path.join(venv, \"lib\", \"python%d.%d\" % sys.version_info[:2], \"site-packages\")\n\n\ndef create_venv(venv):\n    \"\"\"`python3 -m venv --without-pip VENV`, in this process: the same standard-library builder, no pip.\"\"\"\n    try:\n        venv_module.EnvBuilder(with_pip=False, symlinks=True, clear=False).create(venv)\n    except Exception as e:  # the venv module raises whatever its steps raise\n        raise InputFail(\"creating the venv %s failed: %s; install python3-venv on the node\" % (venv, e))\n    os.makedirs(venv_site_packages(venv), exist_ok=True)\n\n\ndef install_wheel(path, venv, filename=None):\n    \"\"\"Installs one wheel into `venv` (created with create_venv) without pip.\n\n    Every file of the wheel must be listed in its RECORD with a sha256 (or stronger) hash that\n    matches, and every RECORD entry must be in the wheel, or nothing of it is written\n    (IntegrityFail). Root files go to site-packages; `<dist>.data/<key>/` to the venv's\n    purelib/platlib/scripts/headers/data; console and GUI entry points become scripts whose\n    shebang is the venv's python. Writes INSTALLER and a RECORD of what was installed (with\n    the hashes of rewritten and generated scripts). Bytecode is not compiled up front (as\n    `pip install --no-compile`): Python compiles what a service imports, when it imports it.\n    Returns the number of files written.\n    \"\"\"\n    filename = filename or os.path.basename(path)\n    what = \"wheel %s\" % filename\n    dist, version, _ = parse_wheel_filename(filename)\n    try:\n        zf = zipfile.ZipFile(path)\n    except (zipfile.BadZipFile, OSError) as e:\n        raise IntegrityFail(\"%s is not a readable zip archive: %s\" % (what, e))\n    with zf:\n        infos = [i for i in zf.infolist() if not i.filename.endswith(\"/\")]\n        names = [i.filename for i in infos]\n        if len(set(names)) != len(names):\n            raise IntegrityFail(\"%s holds the same path twice\" % what)\n        for i in infos:\n            safe_member(i.filename, what)\n            if (i.external_attr >> 16) & 0o170000 == 0o120000:\n                raise IntegrityFail(\"%s: entry %s is a symbolic link\" % (what, i.filename))\n        dist_infos = sorted({n.split(\"/\")[0] for n in names if n.split(\"/\")[0].endswith(\".dist-info\") and n.count(\"/\") == 1})\n        want = \"%s-%s.dist-info\" % (dist, version)\n        matching = [d for d in dist_infos if norm(d[:-10]) == norm(want[:-10]) or d.lower() == want.lower()]\n        if len(dist_infos) != 1 or not matching:\n            raise IntegrityFail(\"%s must hold exactly one .dist-info directory named %s (it holds %s)\" % (what, want, \", \".join(dist_infos) or \"none\"))\n        info_dir = dist_infos[0]\n        data_dir = info_dir[:-len(\".dist-info\")] + \".data\"\n        try:\n            wheel_meta = zf.read(info_dir + \"/WHEEL\").decode(\"utf-8\")\n            record_text = zf.read(info_dir + \"/RECORD\").decode(\"utf-8\")\n        except KeyError as e:\n            raise IntegrityFail(\"%s has no %s\" % (what, e.args[0] if e.args else \"WHEEL or RECORD\"))\n        meta = {}\n        for line in wheel_meta.splitlines():\n            k, _, v = line.partition(\":\")\n            meta.setdefault(k.strip().lower(), v.strip())\n        wv = meta.get(\"wheel-version\", \"\")\n        if not wv.split(\".\")[0] == \"1\":\n            raise InputFail(\"%s has Wheel-Version %r; this installer reads version 1 wheels\" % (what, wv))\n        root_key = \"purelib\" if meta.get(\"root-is-purelib\", \"true\").lower() == \"true\" else \"platlib\"\n        record = _read_record(record_text, what)\n        unsigned = {info_dir + \"/RECORD\", info_dir + \"/RECORD.jws\", info_dir + \"/RECORD.p7s\"}\n        # 1. Check everything before writing anything.\n        for path_in in record:\n            if path_in not in names and path_in not in unsigned:\n                raise IntegrityFail(\"%s: RECORD lists %s, which is not in the wheel\" % (what, path_in))\n        for i in infos:\n            if i.filename in unsigned:\n                continue\n            if i.filename not in record:\n                raise IntegrityFail(\"%s: %s is not listed in its RECORD\" % (what, i.filename))\n            algo_hash, size = record[i.filename]\n            algo, _, want_hash = algo_hash.partition(\"=\")\n            if algo not in RECORD_ALGOS or not want_hash:\n                raise IntegrityFail(\"%s: RECORD has no sha256 hash for %s (%r); refusing to install it\" % (what, i.filename, algo_hash or \"empty\"))\n            h = hashlib.new(algo)\n            with zf.open(i) as f:\n                n = 0\n                for chunk in iter(lambda: f.read(1 << 20), b\"\"):\n                    h.update(chunk)\n                    n += len(chunk)\n            if b64_digest(h.digest()) != want_hash:\n                raise IntegrityFail(\"%s: %s does not match its RECORD hash\" % (what, i.filename))\n            if size and size != str(n):\n                raise IntegrityFail(\"%s: %s is %d bytes, its RECORD says %s\" % (what, i.filename, n, size))\n        # 2. Where each file goes.\n        scheme = _scheme(venv, dist)\n        sp = scheme[\"purelib\"]\n        plan = []\n        for i in infos:\n            parts = i.filename.split(\"/\")\n            if parts[0] == data_dir:\n                if len(parts) < 3 or parts[1] not in SCHEME_KEYS:\n                    raise IntegrityFail(\"%s: %s is not in one of %s/{%s}\" % (what, i.filename, data_dir, \",\".join(SCHEME_KEYS)))\n                dest = os.path.join(scheme[parts[1]], *parts[2:])\n                key = parts[1]\n            else:\n                dest = os.path.join(scheme[root_key], *parts)\n                key = root_key\n            base = os.path.realpath(scheme[key])\n            if not os.path.realpath(dest).startswith(base + os.sep):\n                raise IntegrityFail(\"%s: %s would be written outside %s\" % (what, i.filename, scheme[key]))\n            plan.append((i, dest, key))\n        # 3. Write, recording each file's sha256 and size for the installed RECORD: the hash\n        # checked in step 1 where the bytes are unchanged, else the hash of what was written.\n        written = {}\n\n        def put(dest, data, mode, checked=None):\n            os.makedirs(os.path.dirname(dest), exist_ok=True)\n            write_plain(dest, data, mode)\n            written[dest] = checked or (\"sha256=\" + b64_digest(hashlib.sha256(data).digest()), str(len(data)))\n\n        python = os.path.join(venv, \"bin\", \"python3\")\n        for i, dest, key in plan:\n            if i.filename in unsigned:\n                continue\n            data = zf.read(i)\n            algo_hash = record[i.filename][0]\n            checked = (algo_hash, str(len(data))) if algo_hash.startswith(\"sha256=\") else None\n            mode = 0o755 if (i.external_attr >> 16) & 0o111 else 0o644\n            if key == \"scripts\":\n                mode = 0o755\n                if data.startswith(b\"#!python\"):\n                    nl = data.find(b\"\\n\")\n                    data = (\"#!%s\" % python).encode() + (data[nl:] if nl >= 0 else b\"\\n\")\n                    checked = None\n            put(dest, data, mode, checked)\n        # 4. Entry points.\n        ep_text = zf.read(info_dir + \"/entry_points.txt\").decode(\"utf-8\") if info_dir + \"/entry_points.txt\" in names else \"\"\n    if ep_text:\n        cp = configparser.ConfigParser(delimiters=(\"=\",), interpolation=None)\n        cp.optionxform = str\n        try:\n            cp.read_string(ep_text)\n        except configparser.Error as e:\n            raise InputFail(\"%s: entry_points.txt cannot be read: %s\" % (what, e))\n        for group in (\"console_scripts\", \"gui_scripts\"):\n            if not cp.has_section(group):\n                continue\n            for name, ref in cp.items(group):\n                m = re.match(r\"^\\s*([\\w.]+)\\s*:\\s*([\\w.]+)\\s*(\\[.*\\])?\\s*$\", ref)\n                if not m or \"/\" in name or name.startswith(\".\") or not name.strip():\n                    raise InputFail(\"%s: entry point %s = %s is not module:attribute\" % (what, name, ref))\n                module, attr = m.group(1), m.group(2)\n                script = \"\".join([\n                    \"#!%s\\n\" % python,\n                    \"# -*- coding: utf-8 -*-\\n\",\n                    \"import re\\n\",\n                    \"import sys\\n\",\n                    \"from %s import %s\\n\" % (module, attr.split(\".\")[0]),\n                    \"if __name__ == \\\"__main__\\\":\\n\",\n                    \"    sys.argv[0] = re.sub(r\\\"(-script\\\\.pyw|\\\\.exe)?$\\\", \\\"\\\", sys.argv[0])\\n\",\n                    \"    sys.exit(%s())\\n\" % attr,\n                ])\n                put(os.path.join(scheme[\"scripts\"], name.strip()), script.encode(\"utf-8\"), 0o755)\n    put(os.path.join(sp, info_dir, \"INSTALLER\"), b\"karoo\\n\", 0o644)\n    rec_path = os.path.join(sp, info_dir, \"RECORD\")\n    buf = io.StringIO()\n    w = csv.writer(buf, lineterminator=\"\\n\")\n    for dest in sorted(written):\n        w.writerow((os.path.relpath(dest, sp),) + written[dest])\n    w.writerow((os.path.relpath(rec_path, sp), \"\", \"\"))\n    write_plain(rec_path, buf.getvalue().encode(\"utf-8\"), 0o644)\n    return len(written) + 1\n\n\n# ---- agent/karoo_node/archive.py\n\n\"\"\"Installed trees as deterministic archives: packed once per target, unpacked on the other\nnodes of that target, each checked against its digest.\"\"\"\n\nimport gzip\nimport hashlib\nimport os\nimport shutil\nimport tarfile\nimport zlib\n\n\n\nARCHIVE_SKIP = (\".karoo-venv.json\",)\n\n\ndef pack_tree(root, out_path, out=None):\n    \"\"\"Writes the tree under `root` as a deterministic tar.gz (sorted, no times, owners or\n    host names; symlinks kept as links) and returns (sha256 hex, size): into the blob named by\n    its digest next to `out_path`, or onto the binary stream `out`.\"\"\"\n    h = hashlib.sha256()\n    if out is not None:\n        hw = _Hashing(out, h)\n        _pack_into(root, hw)\n        out.flush()\n        return h.hexdigest(), hw.n\n    tmp = \"%s.part-%d\" % (out_path, os.getpid())\n    with open(tmp, \"wb\") as raw:\n        hw = _Hashing(raw, h)\n        _pack_into(root, hw)\n        raw.flush()\n        os.fsync(raw.fileno())\n    os.chmod(tmp, 0o444)\n    digest = h.hexdigest()\n    final = os.path.join(os.path.dirname(out_path), digest)\n    os.replace(tmp, final)\n    return digest, hw.n\n\n\nclass _Hashing:\n    \"\"\"A write-only file that hashes and counts what goes through it.\"\"\"\n\n    def __init__(self, f, h):\n        self.f, self.h, self.n = f, h, 0\n\n    def write(self, b):\n        self.h.update(b)\n        self.n += len(b)\n        return self.f.write(b)\n\n    def flush(self):\n        self.f.flush()\n\n\nclass Limited:\n    \"\"\"At most `size` bytes of a stream, hashed as they are read.\"\"\"\n\n    def __init__(self, stream, size):\n        self.stream, self.left, self.h = stream, size, hashlib.sha256()\n\n    def read(self, n=-1):\n        if self.left <= 0:\n            return b\"\"\n        n = self.left if n is None or n < 0 else min(n, self.left)\n        b = self.stream.read(n)\n        self.left -= len(b)\n        self.h.update(b)\n        return b\n\n    def drain(self):\n        while self.left > 0 and self.read(1 << 20):\n            pass\n\n\ndef _pack_into(root, hw):\n    with gzip.GzipFile(filename=\"\", mode=\"wb\", fileobj=hw, mtime=0, compresslevel=3) as gz:\n        with tarfile.open(fileobj=gz, mode=\"w\", format=tarfile.PAX_FORMAT) as tar:\n            for rel in _walk_sorted(root):\n                if rel in ARCHIVE_SKIP:\n                    continue\n                p = os.path.join(root, rel)\n                st = os.lstat(p)\n                ti = tarfile.TarInfo(rel)\n                ti.mtime, ti.uid, ti.gid, ti.uname, ti.gname = 0, 0, 0, \"\", \"\"\n                ti.mode = st.st_mode & 0o7777\n                if os.path.islink(p):\n                    ti.type, ti.linkname = tarfile.SYMTYPE, os.readlink(p)\n                    tar.addfile(ti)\n                elif os.path.isdir(p):\n                    ti.type = tarfile.DIRTYPE\n                    tar.addfile(ti)\n                elif os.path.isfile(p):\n                    ti.size = st.st_size\n                    with open(p, \"rb\") as f:\n                        tar.addfile(ti, f)\n\n\ndef _walk_sorted(root):\n    out = []\n    for d, dirs, files in os.walk(root):\n        links = [x for x in dirs if os.path.islink(os.path.join(d, x))]\n        dirs[:] = sorted(x for x in dirs if x not in links)\n        rel = os.path.relpath(d, root)\n        for name in sorted(files + links):\n            out.append(os.path.normpath(os.path.join(rel, name)))\n        for name in dirs:\n            out.append(os.path.normpath(os.path.join(rel, name)))\n    return sorted(out)\n\n\ndef unpack_tree(archive, root):\n    \"\"\"Unpacks an archive written by pack_tree into `root` (which must not exist): regular\n    files, directories and symlinks only, every path inside `root`, none through a symlink.\"\"\"\n    what = \"installation archive %s\" % os.path.basename(archive)\n    try:\n        tar = tarfile.open(archive, mode=\"r:gz\")\n    except (tarfile.TarError, OSError) as e:\n        raise IntegrityFail(\"%s cannot be read: %s\" % (what, e))\n    with tar:\n        _unpack_members(tar, root, what, None)\n\n\ndef unpack_stream(stream, hexd, size, root):\n    \"\"\"Unpacks an archive of `size` bytes read from `stream` into `root` (which must not\n    exist), as unpack_tree does, while hashing it: if the bytes are not sha256 `hexd`, the tree\n    is deleted and refused. Returns the sha256 of every file written (path -> RECORD form).\"\"\"\n    what = \"installation archive sha256:%s\" % hexd\n    if os.path.lexists(root):\n        raise Fail(\"%s exists already: not unpacking over it\" % root)\n    src = Limited(stream, size)\n    known = {}\n    try:\n        try:\n            with tarfile.open(fileobj=src, mode=\"r|gz\") as tar:\n                _unpack_members(tar, root, what, known)\n        except (tarfile.TarError, EOFError, zlib.error) as e:\n            src.drain()\n            if src.left == 0 and src.h.hexdigest() == hexd:\n                raise IntegrityFail(\"%s cannot be read: %s\" % (what, e))\n        src.drain()\n        if src.left > 0:\n            raise UnavailableFail(\"%s ended after %d of %d bytes\" % (what, size - src.left, size))\n        if src.h.hexdigest() != hexd:\n            raise IntegrityFail(\"%s arrived as sha256:%s: refused\" % (what, src.h.hexdigest()))\n    except BaseException:\n        shutil.rmtree(root, ignore_errors=True)\n        raise\n    return known\n\n\ndef _unpack_members(tar, root, what, known):\n    os.makedirs(root)\n    links = set()\n    for ti in tar:\n        parts = safe_member(ti.name, what)\n        for k in range(1, len(parts)):\n            if \"/\".join(parts[:k]) in links:\n                raise IntegrityFail(\"%s: %s lies under a symbolic link\" % (what, ti.name))\n        dest = os.path.join(root, *parts)\n        if ti.isdir():\n            os.makedirs(dest, exist_ok=True)\n            os.chmod(dest, (ti.mode & 0o777) | 0o700)\n        elif ti.isfile():\n            os.makedirs(os.path.dirname(dest), exist_ok=True)\n            src = tar.extractfile(ti)\n            h = hashlib.sha256()\n            with open(dest, \"wb\") as f:\n                while True:\n                    chunk = src.read(1 << 20)\n                    if not chunk:\n                        break\n                    h.update(chunk)\n                    f.write(chunk)\n            os.chmod(dest, ti.mode & 0o777)\n            if known is not None:\n                known[os.path.normpath(dest)] = b64_digest(h.digest())\n        elif ti.issym():\n            os.makedirs(os.path.dirname(dest), exist_ok=True)\n            os.symlink(ti.linkname, dest)\n            links.add(\"/\".join(parts))\n        else:\n            raise IntegrityFail(\"%s: %s is neither a file, a directory nor a symbolic link\" % (what, ti.name))\n\n\n# ---- agent/karoo_node/services.py\n\n\"\"\"Services: systemd units where the node runs systemd, karoo's own supervisor elsewhere;\ntheir state, their logs, and waiting until they are up.\"\"\"\n\nimport os\nimport signal\nimport subprocess\nimport sys\nimport time\n\n\nUNIT_DIR = \"/etc/systemd/system\"\nWANTS_DIR = \"/etc/systemd/system/multi-user.target.wants\"\nRUN_DIR = \"/run/karoo\"\nMANAGER_FILE = \"/etc/karoo/service-manager\"\n\n\ndef service_manager():\n    \"\"\"`systemd` where the node runs it, else `supervisor`; /etc/karoo/service-manager decides when present.\"\"\"\n    try:\n        with open(MANAGER_FILE, encoding=\"utf-8\") as f:\n            chosen = f.read().strip()\n        if chosen in (\"systemd\", \"supervisor\"):\n            return chosen\n    except OSError:\n        pass\n    return \"systemd\" if os.path.isdir(\"/run/systemd/system\") else \"supervisor\"\n\n\ndef unit_text(node, rel, desired, s):\n    rdir = node.release(rel)\n    py = sys.executable\n    if not all(c.isalnum() or c in \"/._-\" for c in py):\n        raise InputFail(\"python path %r cannot be written into a unit file\" % py)\n    return \"\\n\".join([\n        \"# Written by karoo deploy: system %s, release %s. Changes here are reported as drift.\" % (desired[\"systemId\"], rel),\n        \"[Unit]\",\n        \"Description=karoo %s: %s\" % (node.system, s[\"name\"]),\n        \"After=network.target\",\n        \"\",\n        \"[Service]\",\n        \"Type=simple\",\n        \"ExecStart=%s %s/.karoo/karoo_node.py exec %s\" % (py, rdir, s[\"name\"]),\n        \"Restart=on-failure\",\n        \"RestartSec=1\",\n        \"TimeoutStopSec=15\",\n        \"\",\n        \"[Install]\",\n        \"WantedBy=multi-user.target\",\n        \"\",\n    ])\n\n\ndef units_state(units, props=\"Id,ActiveState,SubState,Result,NRestarts,MainPID\"):\n    \"\"\"systemd's properties (ActiveState, SubState, Result, NRestarts, MainPID) of each unit,\n    from one `systemctl show` (it prints one block per unit, in the order given, blank lines between).\"\"\"\n    if not units:\n        return {}\n    code, out = run([\"systemctl\", \"show\", \"--property=\" + props] + list(units), timeout=30)\n    states = {}\n    blocks = out.strip().split(\"\\n\\n\")\n    for u, block in zip(units, blocks + [\"\"] * (len(units) - len(blocks))):\n        state = {}\n        for line in block.splitlines():\n            k, _, v = line.partition(\"=\")\n            state[k] = v\n        states[u] = state\n    return states\n\n\ndef journal_tail(unit):\n    code, out = run([\"journalctl\", \"--no-pager\", \"-o\", \"cat\", \"-n\", \"5\", \"-u\", unit], timeout=30)\n    lines = [l for l in out.strip().splitlines() if l.strip()]\n    return \" | \".join(lines[-5:]) or \"(no journal lines)\"\n\n\nclass Services:\n    \"\"\"Service methods of Node.\"\"\"\n\n    def state_path(self, unit):\n        return os.path.join(RUN_DIR, self.system, unit + \".json\")\n\n    def log_path(self, unit):\n        return os.path.join(self.root, \"logs\", unit + \".log\")\n\n    def converge_supervised(self, desired, old_desired, rdir):\n        \"\"\"Stops the supervisors of the old release's services, then starts one per service of this one.\"\"\"\n        units = [s[\"unit\"] for s in desired[\"services\"]]\n        for u in units + [s[\"unit\"] for s in (old_desired or {}).get(\"services\", []) if s[\"unit\"] not in units]:\n            self.stop_supervised(u)\n        os.makedirs(os.path.join(self.root, \"logs\"), exist_ok=True)\n        os.makedirs(os.path.join(RUN_DIR, self.system), exist_ok=True)\n        agent = os.path.join(rdir, \".karoo\", \"karoo_node.py\")\n        for svc in desired[\"services\"]:\n            with open(self.log_path(svc[\"unit\"]), \"ab\") as log:\n                subprocess.Popen([sys.executable, agent, \"supervise\", svc[\"name\"]], stdin=subprocess.DEVNULL, stdout=log,\n                                 stderr=subprocess.STDOUT, start_new_session=True, close_fds=True, cwd=\"/\")\n        deadline = time.monotonic() + 10\n        for u in units:\n            while read_json(self.state_path(u)) is None:\n                if time.monotonic() > deadline:\n                    raise Fail(\"the supervisor of %s did not start: %s\" % (u, self.log_tail(u)))\n                time.sleep(0.05)\n\n    def stop_supervised(self, unit):\n        state = read_json(self.state_path(unit)) or {}\n        for key in (\"supervisor\", \"pid\"):\n            pid = state.get(key)\n            if pid_alive(pid):\n                try:\n                    os.kill(pid, signal.SIGTERM)\n                except OSError:\n                    pass\n        deadline = time.monotonic() + 15\n        while any(pid_alive(state.get(k)) for k in (\"supervisor\", \"pid\")) and time.monotonic() < deadline:\n            time.sleep(0.05)\n        for key in (\"supervisor\", \"pid\"):\n            if pid_alive(state.get(key)):\n                try:\n                    os.kill(state[key], signal.SIGKILL)\n                except OSError:\n                    pass\n        try:\n            os.unlink(self.state_path(unit))\n        except OSError:\n            pass\n\n    def service_state(self, unit):\n        \"\"\"systemd's view of a unit, or the same fields from karoo's supervisor.\"\"\"\n        return self.services_state([unit])[unit]\n\n    def services_state(self, units):\n        \"\"\"service_state of several units: one `systemctl show` for all of them.\"\"\"\n        if service_manager() == \"systemd\":\n            return units_state(units)\n        return {u: self.supervised_state(u) for u in units}\n\n    def supervised_state(self, unit):\n        state = read_json(self.state_path(unit))\n        if not state or state.get(\"damaged\") or not pid_alive(state.get(\"supervisor\")):\n            return {\"ActiveState\": \"inactive\", \"SubState\": \"dead\", \"Result\": \"success\"}\n        if state.get(\"restarts\", 0) > 5 and state.get(\"state\") != \"running\":\n            return {\"ActiveState\": \"failed\", \"SubState\": \"restarting\", \"Result\": \"exit-code\"}\n        if state.get(\"state\") == \"running\" and pid_alive(state.get(\"pid\")):\n            return {\"ActiveState\": \"active\", \"SubState\": \"running\", \"Result\": \"success\", \"MainPID\": str(state[\"pid\"])}\n        return {\"ActiveState\": \"activating\", \"SubState\": \"auto-restart\", \"Result\": \"success\"}\n\n    def log_tail(self, unit):\n        if service_manager() == \"systemd\":\n            return journal_tail(unit)\n        try:\n            with open(self.log_path(unit), \"rb\") as f:\n                f.seek(0, os.SEEK_END)\n                f.seek(max(0, f.tell() - 4096))\n                lines = [l for l in f.read().decode(\"utf-8\", \"replace\").splitlines() if l.strip()]\n        except OSError:\n            return \"(no log)\"\n        return \" | \".join(lines[-5:]) or \"(no log lines)\"\n\n    def converge_units(self, desired, old_desired):\n        units = [s[\"unit\"] for s in desired[\"services\"]]\n        stale = [s[\"unit\"] for s in (old_desired or {}).get(\"services\", []) if s[\"unit\"] not in units]\n        if stale:\n            run([\"systemctl\", \"stop\"] + stale, timeout=120)\n            for u in stale:\n                for d in (UNIT_DIR, WANTS_DIR):\n                    try:\n                        os.unlink(os.path.join(d, u))\n                    except FileNotFoundError:\n                        pass\n        os.makedirs(WANTS_DIR, exist_ok=True)\n        for u in units:\n            symlink_atomic(os.path.join(self.root, \"current\", \"units\", u), os.path.join(UNIT_DIR, u))\n            symlink_atomic(os.path.join(UNIT_DIR, u), os.path.join(WANTS_DIR, u))\n        # A daemon-reload re-reads every unit and reruns the generators (~0.6 s of CPU in a small\n        # container): skipped only where nothing systemd holds can be stale, that is on a node\n        # that ran no release of this system before (or runs this same one again), when systemd\n        # says every unit loaded (a unit it has not seen yet is read from disk when first asked\n        # about, as here) and none needs a reload. Switching from another release always reloads:\n        # NeedDaemonReload only notices a unit file newer than the one loaded, and a rollback's is older.\n        loaded = units_state(units, \"Id,LoadState,NeedDaemonReload\")\n        if stale or old_desired is not None or any(st.get(\"LoadState\") != \"loaded\" or st.get(\"NeedDaemonReload\") != \"no\" for st in loaded.values()):\n            code, out = run([\"systemctl\", \"daemon-reload\"], timeout=120)\n            if code != 0:\n                raise Fail(\"systemctl daemon-reload failed: %s\" % out.strip()[-300:])\n        if units:\n            code, out = run([\"systemctl\", \"restart\"] + units, timeout=300)\n            if code != 0:\n                raise Fail(\"systemctl restart %s failed: %s\" % (\" \".join(units), out.strip()[-300:]))\n\n    def wait_services(self, desired, seconds):\n        \"\"\"Waits until every service is active and its port accepts. A port check is a connect to\n        127.0.0.1; the service manager is asked (one call for all units) when every pending port\n        accepts, and otherwise at most every half second, to notice a service that failed.\"\"\"\n        deadline = time.monotonic() + seconds\n        pending = list(desired[\"services\"])\n        asked = 0.0\n        while pending:\n            listening = [s for s in pending if not s.get(\"port\") or port_open(s[\"port\"])]\n            if len(listening) == len(pending) or time.monotonic() - asked >= 0.5:\n                asked = time.monotonic()\n                states = self.services_state([s[\"unit\"] for s in pending])\n                left = []\n                for s in pending:\n                    state = states[s[\"unit\"]]\n                    if state.get(\"ActiveState\") == \"active\" and s in listening:\n                        continue\n                    if state.get(\"ActiveState\") == \"failed\" or state.get(\"Result\") not in (None, \"\", \"success\"):\n                        raise Fail(\"service %s is %s (%s): %s\" % (s[\"unit\"], state.get(\"ActiveState\"), state.get(\"Result\"), self.log_tail(s[\"unit\"])))\n                    left.append(s)\n                pending = left\n            if pending and time.monotonic() > deadline:\n                s = pending[0]\n                state = self.service_state(s[\"unit\"])\n                why = \"port %d is not listening\" % s[\"port\"] if state.get(\"ActiveState\") == \"active\" else \"it is %s\" % state.get(\"ActiveState\")\n                raise Fail(\"service %s did not come up within %ds: %s; %s\" % (s[\"unit\"], seconds, why, self.log_tail(s[\"unit\"])))\n            if pending:\n                time.sleep(0.05)\n\n\n# ---- agent/karoo_node/verify.py\n\n\"\"\"What differs between a node and what it should hold: a release's files, and an installation\nagainst the lock (names, versions, RECORD hashes).\"\"\"\n\nimport csv\nimport os\n\n\n\ndef release_file_diffs(rdir, desired):\n    diffs = []\n    for f in desired[\"files\"]:\n        p = os.path.join(rdir, f[\"path\"])\n        try:\n            st = os.lstat(p)\n        except OSError:\n            diffs.append(\"file %s is missing\" % f[\"path\"])\n            continue\n        if not os.path.isfile(p) or os.path.islink(p):\n            diffs.append(\"file %s is not a regular file\" % f[\"path\"])\n            continue\n        actual = sha256_file(p)\n        if actual != f[\"sha256\"]:\n            diffs.append(\"file %s changed since deploy: sha256 %s, deployed %s\" % (f[\"path\"], actual[:12], f[\"sha256\"][:12]))\n        elif (st.st_mode & 0o7777) != int(f[\"mode\"], 8):\n            diffs.append(\"file %s has mode %o, deployed %s\" % (f[\"path\"], st.st_mode & 0o7777, f[\"mode\"]))\n    for u in desired[\"services\"]:\n        p = os.path.join(rdir, \"units\", u[\"unit\"])\n        if not os.path.isfile(p):\n            diffs.append(\"unit file units/%s is missing\" % u[\"unit\"])\n    return diffs\n\n\ndef site_packages(venv):\n    lib = os.path.join(venv, \"lib\")\n    try:\n        pys = [d for d in os.listdir(lib) if d.startswith(\"python\")]\n    except OSError:\n        return []\n    return [os.path.join(lib, d, \"site-packages\") for d in sorted(pys)]\n\n\ndef verify_venv(venv, expected, check_marker, candidate=None, known=None):\n    \"\"\"Differences between the distributions installed in `venv` and the lock (name, version, RECORD hashes).\n\n    `known`: sha256 (urlsafe base64, as RECORD writes it) of files by path, taken from the bytes\n    as they were written by this same call (unpack_stream); those files are not read again.\"\"\"\n    diffs = []\n    if check_marker:\n        m = read_json(os.path.join(venv, \".karoo-venv.json\"))\n        if not m or m.get(\"candidate\") != candidate:\n            return [\"installation %s is missing or incomplete\" % venv]\n    found = {}\n    for sp in site_packages(venv):\n        for entry in sorted(os.listdir(sp)):\n            if not entry.endswith(\".dist-info\"):\n                continue\n            d = os.path.join(sp, entry)\n            meta = {}\n            try:\n                with open(os.path.join(d, \"METADATA\"), encoding=\"utf-8\", errors=\"replace\") as f:\n                    for line in f:\n                        if not line.strip():\n                            break\n                        k, _, v = line.partition(\":\")\n                        meta.setdefault(k.strip().lower(), v.strip())\n            except OSError:\n                diffs.append(\"%s has no METADATA\" % entry)\n                continue\n            found[norm(meta.get(\"name\", entry))] = (meta.get(\"version\", \"?\"), sp, d)\n    want = {norm(e[\"name\"]): e for e in expected}\n    for name in sorted(want):\n        e = want[name]\n        if name not in found:\n            if not e.get(\"marker\"):\n                diffs.append(\"%s %s is not installed\" % (name, e[\"version\"]))\n        elif found[name][0] != e[\"version\"]:\n            diffs.append(\"%s is installed at %s, the lock has %s\" % (name, found[name][0], e[\"version\"]))\n    for name in sorted(found):\n        if name not in want:\n            diffs.append(\"%s %s is installed but not in the lock\" % (name, found[name][0]))\n    for name in sorted(found):\n        version, sp, d = found[name]\n        try:\n            with open(os.path.join(d, \"RECORD\"), encoding=\"utf-8\") as f:\n                rows = f.read().splitlines()\n        except OSError:\n            diffs.append(\"%s %s has no RECORD\" % (name, version))\n            continue\n        for row in csv.reader(rows):\n            if len(row) < 2 or not row[1].startswith(\"sha256=\"):\n                continue\n            path = row[0]\n            full = os.path.normpath(os.path.join(sp, path))\n            try:\n                got = known.get(full) if known else None\n                if got is None:\n                    got = b64_digest(file_sha256(full).digest())\n            except OSError:\n                diffs.append(\"%s %s: %s is missing\" % (name, version, path))\n                continue\n            if got != row[1][len(\"sha256=\"):]:\n                diffs.append(\"%s %s: %s differs from its RECORD hash\" % (name, version, path))\n    return diffs\n\n\nclass Verification:\n    \"\"\"Node.verify: every difference between the node and a release.\"\"\"\n\n    def verify(self, rel, wait=0):\n        \"\"\"Every difference between the node and release `rel`, first the most telling one.\"\"\"\n        diffs = []\n        cur = self.link_target(\"current\")\n        if cur != rel:\n            diffs.append(\"current release is %s, not %s\" % (cur or \"none\", rel))\n            return diffs\n        rdir = self.release(rel)\n        desired = read_json(os.path.join(rdir, \".karoo\", \"release.json\"))\n        if not desired or desired.get(\"damaged\"):\n            return [\"release %s has no readable release.json\" % rel]\n        diffs += release_file_diffs(rdir, desired)\n        venv = self.venv(desired[\"candidateShort\"])\n        diffs += verify_venv(venv, desired[\"expected\"], check_marker=True, candidate=desired[\"candidate\"])\n        systemd = service_manager() == \"systemd\"\n        states = self.services_state([s[\"unit\"] for s in desired[\"services\"]])\n        for s in desired[\"services\"]:\n            if systemd:\n                link = os.path.join(UNIT_DIR, s[\"unit\"])\n                want = os.path.join(self.root, \"current\", \"units\", s[\"unit\"])\n                try:\n                    if os.readlink(link) != want:\n                        diffs.append(\"unit %s points at %s, not %s\" % (s[\"unit\"], os.readlink(link), want))\n                except OSError:\n                    diffs.append(\"unit %s is not installed in %s\" % (s[\"unit\"], UNIT_DIR))\n            else:\n                state = read_json(self.state_path(s[\"unit\"])) or {}\n                if state.get(\"release\") != rdir:\n                    diffs.append(\"the supervisor of %s runs release %s, not %s\" % (s[\"unit\"], state.get(\"release\") or \"none\", rdir))\n            state = states[s[\"unit\"]]\n            if state.get(\"ActiveState\") != \"active\":\n                diffs.append(\"service %s is %s (%s)\" % (s[\"unit\"], state.get(\"ActiveState\", \"unknown\"), state.get(\"SubState\", \"\")))\n            elif s.get(\"port\") and not port_open(s[\"port\"]):\n                diffs.append(\"service %s is active but port %d is not listening\" % (s[\"unit\"], s[\"port\"]))\n        return diffs\n\n\n# ---- agent/karoo_node/blobs.py\n\n\"\"\"The node's blob store (blobs/sha256/<hex>): every blob checked against its sha256 on arrival\nand again before use.\"\"\"\n\nimport hashlib\nimport os\n\n\n\nclass Blobs:\n    \"\"\"Blob store methods of Node (self.blobs: the store's directory).\"\"\"\n\n    def have_blob(self, hexd):\n        return os.path.isfile(os.path.join(self.blobs, check_hex(hexd)))\n\n    def receive(self, blobs, stream):\n        \"\"\"Reads each blob ({\"hex\", \"size\"}) from `stream` into the store; refuses one that is not its sha256.\"\"\"\n        os.makedirs(self.blobs, exist_ok=True)\n        got = 0\n        for b in blobs:\n            hexd, size = check_hex(b[\"hex\"]), int(b[\"size\"])\n            final = os.path.join(self.blobs, hexd)\n            tmp = \"%s.part-%d\" % (final, os.getpid())\n            h = hashlib.sha256()\n            left = size\n            with open(tmp, \"wb\") as f:\n                while left > 0:\n                    chunk = stream.read(min(left, 1 << 20))\n                    if not chunk:\n                        os.unlink(tmp)\n                        raise UnavailableFail(\"blob sha256:%s ended after %d of %d bytes\" % (hexd, size - left, size))\n                    h.update(chunk)\n                    f.write(chunk)\n                    left -= len(chunk)\n                f.flush()\n                os.fsync(f.fileno())\n            if h.hexdigest() != hexd:\n                os.unlink(tmp)\n                raise IntegrityFail(\"blob sha256:%s arrived as sha256:%s: refused\" % (hexd, h.hexdigest()))\n            os.chmod(tmp, 0o444)\n            os.replace(tmp, final)\n            got += size\n        return got\n\n    def verify_blob(self, hexd):\n        \"\"\"The path of a stored blob, checked again; a blob that changed in the store is deleted and refused.\"\"\"\n        path = os.path.join(self.blobs, check_hex(hexd))\n        if not os.path.isfile(path):\n            raise Fail(\"blob sha256:%s is not on the node\" % hexd)\n        actual = sha256_file(path)\n        if actual != hexd:\n            os.unlink(path)\n            raise IntegrityFail(\"blob sha256:%s on the node holds sha256:%s: deleted; deploy again to re-send it\" % (hexd, actual))\n        return path\n\n\n# ---- agent/karoo_node/install.py\n\n\"\"\"Installing a candidate on the node: from its wheels, or from the installed tree another node\nof the same target packed; either way verified against the lock before it counts.\"\"\"\n\nimport json\nimport os\nimport shutil\nimport time\n\n\n\nclass Installs:\n    \"\"\"Installation methods of Node (self.venv(cand12): where a candidate is installed).\"\"\"\n\n    def install(self, req, stream=None):\n        \"\"\"Makes <candidate-12>/ hold exactly the lock: from the wheels (karoo's own installer,\n        no pip) or from an installed tree built on another node of the same target (an archive\n        checked against its digest); either way verified against the lock before it counts.\n\n        An archive marked `inline` follows the request on `stream`: it is unpacked as it arrives,\n        hashing both the archive (its digest must match before the tree counts; otherwise the\n        tree is deleted) and every file written, so that verifying RECORD hashes needs no second\n        read of the tree.\"\"\"\n        cand12 = req[\"candidateShort\"]\n        venv = self.venv(cand12)\n        marker = os.path.join(venv, \".karoo-venv.json\")\n        m = read_json(marker)\n        t = {}\n        archive = req.get(\"archive\")\n        inline = bool(archive and archive.get(\"inline\"))\n        if inline and stream is None:\n            raise InputFail(\"an inline installation archive needs the request's stream\")\n        if m and m.get(\"candidate\") == req[\"candidate\"]:\n            diffs = verify_venv(venv, req[\"expected\"], check_marker=False)\n            if not diffs:\n                if inline:\n                    Limited(stream, int(archive[\"size\"])).drain()\n                t[\"reused\"] = True\n                return t\n            t[\"repairedFrom\"] = diffs[0]  # changed by hand since it was installed: install it again\n        start = time.monotonic()\n        known = None\n        if inline:\n            check_hex(archive[\"hex\"])\n        elif archive:\n            apath = self.verify_blob(archive[\"hex\"])\n        else:\n            chosen = choose_wheels(req[\"wheels\"])\n            paths = {w[\"hex\"]: self.verify_blob(w[\"hex\"]) for w in chosen}\n        t[\"verifyBlobs\"] = time.monotonic() - start\n        start = time.monotonic()\n        if os.path.lexists(venv):\n            shutil.rmtree(venv)  # an interrupted installation: never used, since no release points at it without its marker\n        try:\n            if inline:\n                known = unpack_stream(stream, archive[\"hex\"], int(archive[\"size\"]), venv)\n                t[\"unpack\"] = time.monotonic() - start\n                t[\"from\"] = \"archive\"\n            elif archive:\n                unpack_tree(apath, venv)\n                t[\"unpack\"] = time.monotonic() - start\n                t[\"from\"] = \"archive\"\n            else:\n                create_venv(venv)\n                t[\"venv\"] = time.monotonic() - start\n                start = time.monotonic()\n                files = 0\n                for w in sorted(chosen, key=lambda x: x[\"filename\"]):\n                    files += install_wheel(paths[w[\"hex\"]], venv, w[\"filename\"])\n                t[\"wheels\"] = time.monotonic() - start\n                t[\"files\"] = files\n                t[\"from\"] = \"wheels\"\n        except Fail:\n            shutil.rmtree(venv, ignore_errors=True)\n            raise\n        start = time.monotonic()\n        diffs = verify_venv(venv, req[\"expected\"], check_marker=False, known=known)\n        if diffs:\n            raise IntegrityFail(\"installation differs from the lock: %s\" % diffs[0])\n        t[\"verifyInstall\"] = time.monotonic() - start\n        blobs = [] if archive else sorted(w[\"hex\"] for w in chosen)\n        write_atomic(marker, json.dumps({\"candidate\": req[\"candidate\"], \"installedAt\": now_iso(), \"blobs\": blobs, \"from\": t[\"from\"], \"target\": target_info()}, sort_keys=True).encode())\n        return t\n\n    def pack(self, req, out=None):\n        \"\"\"Packs the verified installation of a candidate into an archive for the other nodes of\n        this target: into the blob store, or (`out`) straight onto the runner's stream.\"\"\"\n        venv = self.venv(req[\"candidateShort\"])\n        m = read_json(os.path.join(venv, \".karoo-venv.json\")) or {}\n        if m.get(\"candidate\") != req[\"candidate\"]:\n            raise Fail(\"candidate %s is not installed on this node: nothing to pack\" % req[\"candidate\"])\n        start = time.monotonic()\n        if out is not None:\n            hexd, size = pack_tree(venv, None, out)\n        else:\n            os.makedirs(self.blobs, exist_ok=True)\n            hexd, size = pack_tree(venv, os.path.join(self.blobs, \"pack\"))\n        return {\"hex\": hexd, \"size\": size, \"seconds\": time.monotonic() - start, \"target\": target_info()}\n\n\n# ---- agent/karoo_node/releases.py\n\n\"\"\"Releases: building one (candidate + this node's configuration), switching `current` to it,\nthe receipt, and pruning what no release needs any more.\"\"\"\n\nimport base64\nimport json\nimport os\nimport shutil\n\n\nFORMAT = 1\n\n\nclass Releases:\n    \"\"\"Release methods of Node.\"\"\"\n\n    def build_release(self, req, agent_source):\n        rel = req[\"releaseId\"]\n        final = self.release(rel)\n        desired = req[\"release\"]\n        existing = read_json(os.path.join(final, \".karoo\", \"release.json\"))\n        if existing == desired:\n            diffs = release_file_diffs(final, desired)\n            if not diffs:\n                return \"reused\"\n            if self.link_target(\"current\") != rel:\n                shutil.rmtree(final)\n            else:\n                # The running release was changed by hand: put the files back in place, one by one.\n                self.write_files(final, req[\"files\"])\n                return \"repaired\"\n        elif os.path.lexists(final):\n            if self.link_target(\"current\") == rel:\n                raise Fail(\"release %s is running but its release.json differs from the desired one\" % rel)\n            shutil.rmtree(final)\n        os.makedirs(self.releases, exist_ok=True)\n        tmp = os.path.join(self.releases, \".tmp-%s-%d\" % (rel, os.getpid()))\n        shutil.rmtree(tmp, ignore_errors=True)\n        os.makedirs(os.path.join(tmp, \".karoo\"))\n        os.makedirs(os.path.join(tmp, \"units\"))\n        os.symlink(os.path.join(\"..\", \"..\", check_hex(desired[\"candidateShort\"], 12), \"bin\"), os.path.join(tmp, \"bin\"))\n        self.write_files(tmp, req[\"files\"])\n        for s in desired[\"services\"]:\n            write_atomic(os.path.join(tmp, \"units\", s[\"unit\"]), unit_text(self, rel, desired, s).encode())\n        write_atomic(os.path.join(tmp, \".karoo\", \"karoo_node.py\"), agent_source, 0o755)\n        write_atomic(os.path.join(tmp, \".karoo\", \"release.json\"), json.dumps(desired, sort_keys=True, indent=1).encode())\n        os.rename(tmp, final)\n        return \"built\"\n\n    def write_files(self, rdir, files):\n        for f in files:\n            p = os.path.join(rdir, check_relpath(f[\"path\"]))\n            os.makedirs(os.path.dirname(p), exist_ok=True)\n            write_atomic(p, base64.b64decode(f[\"content\"]), int(f[\"mode\"], 8))\n\n    def switch(self, rel):\n        \"\"\"Points current at the release (one rename), keeps the old one as previous, then converges systemd.\"\"\"\n        rdir = self.release(rel)\n        desired = read_json(os.path.join(rdir, \".karoo\", \"release.json\"))\n        if not desired or desired.get(\"damaged\"):\n            raise Fail(\"release %s is not complete on the node\" % rel)\n        old = self.link_target(\"current\")\n        old_desired = read_json(os.path.join(self.release(old), \".karoo\", \"release.json\")) if old else None\n        symlink_atomic(os.path.join(\"releases\", rel), os.path.join(self.root, \"current\"))\n        if old and old != rel:\n            symlink_atomic(os.path.join(\"releases\", old), os.path.join(self.root, \"previous\"))\n        if service_manager() == \"systemd\":\n            self.converge_units(desired, old_desired if old != rel else None)\n        else:\n            self.converge_supervised(desired, old_desired, rdir)\n        return old\n\n    def write_receipt(self, desired, extra):\n        receipt = {\n            \"format\": FORMAT,\n            \"system\": self.system,\n            \"systemId\": desired[\"systemId\"],\n            \"candidate\": desired[\"candidate\"],\n            \"configDigest\": desired[\"configDigest\"],\n            \"environment\": desired[\"environment\"],\n            \"node\": desired[\"node\"],\n            \"role\": desired[\"role\"],\n            \"stateDigest\": desired[\"stateDigest\"],\n            \"release\": desired[\"releaseId\"],\n            \"deployedAt\": now_iso(),\n        }\n        receipt.update(extra)\n        data = json.dumps(receipt, sort_keys=True)\n        write_atomic(os.path.join(self.root, \"receipt.json\"), data.encode())\n        with open(os.path.join(self.root, \"history.jsonl\"), \"a\", encoding=\"utf-8\") as f:\n            f.write(data + \"\\n\")\n        return receipt\n\n    def prune(self):\n        keep = {x for x in (self.link_target(\"current\"), self.link_target(\"previous\")) if x}\n        venvs = set()\n        for name in sorted(os.listdir(self.releases)) if os.path.isdir(self.releases) else []:\n            p = os.path.join(self.releases, name)\n            if name in keep:\n                d = read_json(os.path.join(p, \".karoo\", \"release.json\")) or {}\n                venvs.add(d.get(\"candidateShort\"))\n            elif name.startswith(\".tmp-\") or len(name) == 16:\n                shutil.rmtree(p, ignore_errors=True)\n        blobs = set()\n        for name in os.listdir(self.root):\n            p = os.path.join(self.root, name)\n            if len(name) == 12 and os.path.isdir(p) and not os.path.islink(p):\n                if name in venvs:\n                    m = read_json(os.path.join(p, \".karoo-venv.json\")) or {}\n                    blobs.update(m.get(\"blobs\", []))\n                else:\n                    shutil.rmtree(p, ignore_errors=True)\n            elif name.startswith(\".work-\"):\n                shutil.rmtree(p, ignore_errors=True)\n        for name in os.listdir(self.blobs) if os.path.isdir(self.blobs) else []:\n            if name not in blobs:\n                try:\n                    os.unlink(os.path.join(self.blobs, name))\n                except OSError:\n                    pass\n\n\n# ---- agent/karoo_node/node.py\n\n\"\"\"One system's directory on the node (/opt/karoo/<system>/) and everything done to it.\"\"\"\n\nimport fcntl\nimport os\n\n\nBASE = \"/opt/karoo\"\n\n\nclass Node(Blobs, Installs, Releases, Services, Verification):\n    \"\"\"The system `system` on this node, under `base` (tests point it at a temporary directory).\"\"\"\n\n    def __init__(self, system, base=BASE):\n        self.system = check_name(system, \"system\")\n        self.root = os.path.join(base, self.system)\n        self.blobs = os.path.join(self.root, \"blobs\", \"sha256\")\n        self.releases = os.path.join(self.root, \"releases\")\n        self.lock_fd = None\n\n    def venv(self, cand12):\n        return os.path.join(self.root, check_hex(cand12, 12))\n\n    def release(self, rel):\n        return os.path.join(self.releases, check_hex(rel, 16))\n\n    def link_target(self, name):\n        \"\"\"The release id `current` or `previous` points at, or None.\"\"\"\n        try:\n            t = os.readlink(os.path.join(self.root, name))\n        except OSError:\n            return None\n        base = os.path.basename(t)\n        return base if len(base) == 16 else None\n\n    def lock(self):\n        \"\"\"Holds the system's lock until this process ends; another deploy holding it is a conflict.\"\"\"\n        os.makedirs(self.root, exist_ok=True)\n        self.lock_fd = os.open(os.path.join(self.root, \".lock\"), os.O_RDWR | os.O_CREAT, 0o600)\n        try:\n            fcntl.flock(self.lock_fd, fcntl.LOCK_EX | fcntl.LOCK_NB)\n        except OSError:\n            raise Fail(\"another karoo deploy holds %s/.lock on this node; wait for it to finish\" % self.root)\n\n\n# ---- agent/karoo_node/launcher.py\n\n\"\"\"What the units run: `exec SERVICE` starts a service of the release the agent sits in\n(execve, no shell); `supervise SERVICE` is karoo's supervisor of one service where there is no\nsystemd.\"\"\"\n\nimport json\nimport os\nimport shutil\nimport signal\nimport subprocess\nimport sys\nimport time\n\n\n\ndef do_exec(service, script):\n    \"\"\"The service launcher of a release (ExecStart of its units); `script`: this agent in the release's .karoo/.\"\"\"\n    rdir = os.path.dirname(os.path.dirname(script))\n    with open(os.path.join(rdir, \".karoo\", \"release.json\"), encoding=\"utf-8\") as f:\n        desired = json.load(f)\n    svc = [s for s in desired[\"services\"] if s[\"name\"] == service]\n    if not svc:\n        sys.stderr.write(\"karoo: release %s has no service %s\\n\" % (rdir, service))\n        return 2\n    s = svc[0]\n    env = dict(os.environ)\n    env[\"PATH\"] = os.path.join(rdir, \"bin\") + os.pathsep + env.get(\"PATH\", \"/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin\")\n    env[\"VIRTUAL_ENV\"] = os.path.realpath(os.path.join(rdir, \"bin\", \"..\"))\n    env.update({\n        \"KAROO_SYSTEM\": desired[\"system\"], \"KAROO_SYSTEM_ID\": desired[\"systemId\"], \"KAROO_CANDIDATE\": desired[\"candidate\"],\n        \"KAROO_NODE\": desired[\"node\"], \"KAROO_ROLE\": desired[\"role\"], \"KAROO_ENVIRONMENT\": desired[\"environment\"],\n        \"KAROO_RELEASE\": rdir, \"KAROO_SERVICE\": s[\"name\"],\n    })\n    env.update(s.get(\"environment\", {}))\n    cwd = os.path.join(rdir, s.get(\"workingDirectory\") or \".\")\n    argv = list(s[\"command\"])\n    prog = argv[0]\n    if \"/\" not in prog:\n        local = os.path.join(rdir, \"bin\", prog)\n        prog = local if os.path.exists(local) else (shutil.which(prog, path=env[\"PATH\"]) or prog)\n    elif not prog.startswith(\"/\"):\n        prog = os.path.join(rdir, prog)\n    os.chdir(cwd)\n    os.execve(prog, argv, env)\n\n\ndef do_supervise(service, script):\n    \"\"\"karoo's supervisor of one service of the release it sits in: restarts it with backoff.\"\"\"\n    rdir = os.path.dirname(os.path.dirname(script))\n    desired = read_json(os.path.join(rdir, \".karoo\", \"release.json\")) or {}\n    svc = [s for s in desired.get(\"services\", []) if s[\"name\"] == service]\n    if not svc:\n        sys.stderr.write(\"karoo: release %s has no service %s\\n\" % (rdir, service))\n        return 2\n    unit = svc[0][\"unit\"]\n    state_file = os.path.join(RUN_DIR, check_name(desired[\"system\"], \"system\"), unit + \".json\")\n    stopping = []\n    child = [None]\n\n    def on_signal(signum, frame):\n        stopping.append(signum)\n        if child[0] is not None and child[0].poll() is None:\n            child[0].terminate()\n\n    for sig in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):\n        signal.signal(sig, on_signal)\n    restarts, delay = 0, 1.0\n    state = {\"supervisor\": os.getpid(), \"release\": rdir, \"service\": service, \"restarts\": 0}\n    while not stopping:\n        started = time.monotonic()\n        child[0] = subprocess.Popen([sys.executable, script, \"exec\", service], stdin=subprocess.DEVNULL)\n        state.update({\"pid\": child[0].pid, \"state\": \"running\", \"since\": now_iso(), \"restarts\": restarts})\n        write_atomic(state_file, json.dumps(state, sort_keys=True).encode())\n        code = child[0].wait()\n        if stopping:\n            break\n        restarts += 1\n        delay = 1.0 if time.monotonic() - started > 30 else min(delay * 2, 30.0)\n        state.update({\"state\": \"restarting\", \"lastExit\": code, \"restarts\": restarts})\n        write_atomic(state_file, json.dumps(state, sort_keys=True).encode())\n        sys.stderr.write(\"karoo: %s exited with %s; restarting in %.0f s\\n\" % (service, code, delay))\n        sys.stderr.flush()\n        wake = time.monotonic() + delay\n        while not stopping and time.monotonic() < wake:\n            time.sleep(0.1)\n    if child[0] is not None and child[0].poll() is None:\n        try:\n            child[0].wait(timeout=10)\n        except subprocess.TimeoutExpired:\n            child[0].kill()\n    try:\n        if (read_json(state_file) or {}).get(\"supervisor\") == os.getpid():\n            os.unlink(state_file)\n    except OSError:\n        pass\n    return 0\n\n\n# ---- agent/karoo_node/commands.py\n\n\"\"\"The agent's commands, one handler each, and main(): read the request, run its handler, write the answer.\"\"\"\n\nimport os\nimport shutil\nimport sys\nimport time\nimport traceback\n\n\n\nclass Call:\n    \"\"\"One command's request, the node it acts on, its input stream (bytes after the request line),\n    the raw output stream (bytes before the answer) and the agent's own source (written into releases).\"\"\"\n\n    def __init__(self, req, node, stream=None, out=None, agent_source=b\"\"):\n        self.req, self.node, self.stream, self.out, self.agent_source = req, node, stream, out, agent_source\n        self.t0 = time.monotonic()\n\n\ndef python_version():\n    return \"%d.%d.%d\" % sys.version_info[:3]\n\n\ndef cmd_plan(c):\n    node, req = c.node, c.req\n    info = {\"python\": python_version(), \"target\": target_info(), \"current\": node.link_target(\"current\"), \"previous\": node.link_target(\"previous\")}\n    info[\"receipt\"] = read_json(os.path.join(node.root, \"receipt.json\"))\n    info[\"missing\"] = [h for h in req.get(\"blobs\", []) if not node.have_blob(h)]\n    rel = req.get(\"releaseId\")\n    r = info[\"receipt\"] or {}\n    if rel and r.get(\"stateDigest\") == req.get(\"stateDigest\") and info[\"current\"] == rel:\n        info[\"drift\"] = node.verify(rel)\n        info[\"converged\"] = not info[\"drift\"]\n    else:\n        info[\"converged\"] = False\n    if info[\"converged\"]:\n        info[\"venvComplete\"] = True  # verify() has just checked it against the lock\n    elif req.get(\"candidateShort\"):\n        m = read_json(os.path.join(node.venv(req[\"candidateShort\"]), \".karoo-venv.json\")) or {}\n        info[\"venvComplete\"] = m.get(\"candidate\") == req.get(\"candidate\") and not verify_venv(node.venv(req[\"candidateShort\"]), req.get(\"expected\", []), check_marker=False)\n    return info\n\n\ndef cmd_receive(c):\n    return {\"bytes\": c.node.receive(c.req[\"blobs\"], c.stream), \"seconds\": time.monotonic() - c.t0}\n\n\ndef cmd_prepare(c):\n    \"\"\"One call does what the node needs for its release: take the wheels it lacks (`blobs`,\n    streamed after the request and checked on arrival, as receive does), install (from them, or\n    from an `inline` archive that follows), render the release, and with `pack` stream its\n    installed tree to the runner (raw bytes, a newline, then this answer).\"\"\"\n    node, req = c.node, c.req\n    t = {}\n    if req.get(\"blobs\"):\n        s = time.monotonic()\n        t[\"receivedBytes\"] = node.receive(req[\"blobs\"], c.stream)\n        t[\"receiveSeconds\"] = time.monotonic() - s\n    s = time.monotonic()\n    t[\"install\"] = node.install(req, c.stream)\n    t[\"installSeconds\"] = time.monotonic() - s\n    s = time.monotonic()\n    t[\"release\"] = node.build_release(req, c.agent_source)\n    t[\"renderSeconds\"] = time.monotonic() - s\n    answer = {\"timings\": t}\n    if req.get(\"pack\"):\n        answer[\"packed\"] = node.pack(req, c.out)\n        c.out.write(b\"\\n\")\n        c.out.flush()\n        t[\"packSeconds\"] = answer[\"packed\"][\"seconds\"]\n    return answer\n\n\ndef cmd_pack(c):\n    return c.node.pack(c.req)\n\n\ndef cmd_send(c):\n    \"\"\"The raw bytes of one blob, then a newline, then the answer: the runner fetches an archive this way.\"\"\"\n    path = c.node.verify_blob(c.req[\"hex\"])\n    size = os.path.getsize(path)\n    with open(path, \"rb\") as f:\n        shutil.copyfileobj(f, c.out, 1 << 20)\n    c.out.write(b\"\\n\")\n    c.out.flush()\n    return {\"size\": size}\n\n\ndef cmd_activate(c):\n    node, rel = c.node, c.req[\"releaseId\"]\n    old = node.switch(rel)\n    desired = read_json(os.path.join(node.release(rel), \".karoo\", \"release.json\"))\n    node.wait_services(desired, int(c.req.get(\"waitSeconds\", 60)))\n    start = time.monotonic() - c.t0\n    s = time.monotonic()\n    diffs = node.verify(rel)\n    if diffs:\n        raise Fail(\"verification after switching to %s: %s\" % (rel, diffs[0]))\n    receipt = node.write_receipt(desired, {\"previousRelease\": old, \"action\": \"deploy\"})\n    node.prune()\n    return {\"previous\": old, \"receipt\": receipt, \"startSeconds\": start, \"verifySeconds\": time.monotonic() - s}\n\n\ndef cmd_rollback(c):\n    node = c.node\n    prev = node.link_target(\"previous\")\n    cur = node.link_target(\"current\")\n    if not prev or not os.path.isfile(os.path.join(node.release(prev), \".karoo\", \"release.json\")):\n        raise Fail(\"no previous release to roll back to\")\n    if c.req.get(\"check\"):\n        return {\"current\": cur, \"previous\": prev, \"release\": read_json(os.path.join(node.release(prev), \".karoo\", \"release.json\"))}\n    node.switch(prev)\n    desired = read_json(os.path.join(node.release(prev), \".karoo\", \"release.json\"))\n    node.wait_services(desired, int(c.req.get(\"waitSeconds\", 60)))\n    diffs = node.verify(prev)\n    if diffs:\n        raise Fail(\"verification after rolling back to %s: %s\" % (prev, diffs[0]))\n    receipt = node.write_receipt(desired, {\"previousRelease\": cur, \"action\": \"rollback\"})\n    return {\"from\": cur, \"to\": prev, \"receipt\": receipt, \"seconds\": time.monotonic() - c.t0}\n\n\ndef cmd_status(c):\n    node = c.node\n    receipt = read_json(os.path.join(node.root, \"receipt.json\"))\n    info = {\"receipt\": receipt, \"current\": node.link_target(\"current\"), \"previous\": node.link_target(\"previous\"), \"python\": python_version()}\n    if receipt and not receipt.get(\"damaged\"):\n        info[\"drift\"] = node.verify(receipt.get(\"release\") or \"0\" * 16)\n    elif receipt:\n        info[\"drift\"] = [\"receipt.json is damaged\"]\n    else:\n        info[\"drift\"] = []\n    return info\n\n\nclass Command:\n    \"\"\"A command of the agent: its handler, whether it takes the system's lock, the request fields it needs.\"\"\"\n\n    def __init__(self, run, locks, fields=None):\n        self.run, self.locks, self.fields = run, locks, fields or {}\n\n\nINSTALL_FIELDS = {\"candidate\": \"str\", \"candidateShort\": \"str\", \"expected\": \"list\"}\n\n# The commands the runner calls (AGENT_COMMANDS in packages/deploy/src/ssh.ts).\nCOMMANDS = {\n    \"plan\": Command(cmd_plan, locks=False),\n    \"receive\": Command(cmd_receive, locks=True, fields={\"blobs\": \"list\"}),\n    \"prepare\": Command(cmd_prepare, locks=True, fields=dict(INSTALL_FIELDS, releaseId=\"str\", release=\"dict\", files=\"list\")),\n    \"pack\": Command(cmd_pack, locks=True, fields={\"candidate\": \"str\", \"candidateShort\": \"str\"}),\n    \"send\": Command(cmd_send, locks=False, fields={\"hex\": \"str\"}),\n    \"activate\": Command(cmd_activate, locks=True, fields={\"releaseId\": \"str\"}),\n    \"rollback\": Command(cmd_rollback, locks=True),\n    \"status\": Command(cmd_status, locks=False),\n}\n\n\ndef handle(cmd, c):\n    \"\"\"Runs command `cmd` for call `c`: checks the request has what the command needs, takes the lock if it does.\"\"\"\n    command = COMMANDS.get(cmd)\n    if command is None:\n        raise InputFail(\"unknown agent command %r (known: %s)\" % (cmd, \", \".join(sorted(COMMANDS))))\n    require(c.req, cmd, command.fields)\n    if command.locks:\n        c.node.lock()\n    return command.run(c)\n\n\ndef agent_source():\n    \"\"\"This agent as one file: given by the bootstrap (`python3 -c`), else the file it runs from.\"\"\"\n    given = globals().get(\"KAROO_AGENT_SOURCE\")\n    if given is not None:\n        return given\n    with open(os.path.abspath(sys.argv[0]), \"rb\") as f:\n        return f.read()\n\n\ndef main(argv=None, stream=None, out=None, base=BASE):\n    \"\"\"`exec SERVICE` and `supervise SERVICE` for the units; any other command reads its request\n    from stdin (`stream`, binary) and writes its answer as the last line of stdout (`out`, binary),\n    always with exit 0: the answer says how it went.\"\"\"\n    argv = sys.argv if argv is None else argv\n    cmd = argv[1] if len(argv) > 1 else \"\"\n    if cmd in (\"exec\", \"supervise\") and len(argv) > 2:\n        script = os.path.abspath(argv[0])\n        return do_exec(argv[2], script) if cmd == \"exec\" else do_supervise(argv[2], script)\n    if out is None:\n        out = sys.stdout.buffer\n        sys.stdout = sys.stderr  # anything printed goes to the log, never into the answer\n    stream = sys.stdin.buffer if stream is None else stream\n    try:\n        req = read_request(stream)\n        c = Call(req, Node(req.get(\"system\", \"\"), base), stream, out, agent_source() if cmd == \"prepare\" else b\"\")\n        answer = handle(cmd, c)\n        answer[\"ok\"] = True\n        t = os.times()\n        answer[\"cpuSeconds\"] = round(t[0] + t[1] + t[2] + t[3], 3)  # this call's CPU on the node, its children included\n    except Exception as e:  # every failure becomes an answer; failure_answer tells a bug from a refusal\n        answer = failure_answer(e)\n        if answer[\"kind\"] == \"bug\":\n            traceback.print_exc()\n    out.write(answer_line(answer).encode(\"utf-8\"))\n    out.flush()\n    return 0\n\n\nif __name__ == \"__main__\":\n    sys.exit(main())\n";
const AGENT_SHA256 = 'acd998ef2b1381cf5cfaf7e99555c98cd1472310b671ec53fbbbd68692d8a828';
//# sourceMappingURL=agent.js.map
;// CONCATENATED MODULE: ./packages/deploy/lib/ssh.js










/**
 * The remote command of every agent call: a fixed string (nothing from the configuration or the
 * inventory), read by the remote user's shell. It reads the agent's length, the agent, and runs it;
 * the agent reads its JSON request from the same stdin.
 */
const BOOTSTRAP = 'import sys;s=sys.stdin.buffer.read(int(sys.stdin.buffer.readline()));exec(compile(s,"karoo_node.py","exec"),{"__name__":"__main__","KAROO_AGENT_SOURCE":s})';
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
        const sudo = (0,src.sshUser)(t) === 'root' ? '' : 'sudo -n ';
        const remote = `${sudo}python3 -c '${BOOTSTRAP}' ${cmd}`;
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
// EXTERNAL MODULE: ./node_modules/p-limit/index.js + 1 modules
var p_limit = __webpack_require__(70370);
;// CONCATENATED MODULE: ./packages/deploy/lib/deploy.js









function unitName(system, service) {
    return `karoo-${system}-${service}.service`;
}
/** Pairs the inventory with the configuration's nodes: every configured node once, with the same role. */
function matchInventory(config, inventory, where = 'the inventory') {
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
function planDeploy(sc, candidate, nodes, where) {
    const cfgDigest = configDigest(sc);
    const systemId = systemIdOf(candidate.digest, cfgDigest);
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
async function deploy(opts) {
    const clock = new PhaseClock();
    const progress = opts.progress ?? lib/* silentProgress */.RZ;
    const sc = await systemConfig(opts.config, opts.environment);
    const nodes = matchInventory(sc, opts.inventory);
    const { pool, work } = await openDeploy(opts, nodes);
    let result;
    try {
        const candidate = await stageCandidate(opts.store, opts.candidate, work);
        clock.lap('stage');
        const plan = planDeploy(sc, candidate, nodes, opts.config.dir);
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
        try {
            const a = await pool.agent(node.name, 'activate', { system: sc.system, releaseId: desired.releaseId, waitSeconds: opts.waitSeconds ?? 60 }, []);
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
        throw new KarooError(r.errorKind ?? 'conflict', r.error ?? 'deploy failed', { detail: { nodes: r.nodes } });
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
const SUMMARY_TAIL_BYTES = 64 * 1024;
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
function countsFromOutput(output) {
    const lines = output.replace(/\x1b\[[0-9;]*m/g, '').split(/\r?\n/);
    for (let i = lines.length - 1; i >= 0; i--) {
        const c = countUnittest(lines, i) ?? countLine(lines[i]);
        if (c)
            return c;
    }
    return undefined;
}
/** Keeps the last `max` bytes written to it. */
class Tail {
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
async function accept(opts) {
    const progress = opts.progress ?? lib/* silentProgress */.RZ;
    const a = await loadAcceptance(opts);
    const pool = opts.pool ?? (await ssh_SshPool.open(a.nodes.map((n) => ({ name: n.name, ...n.ssh }))));
    // The run's one clock: its start (in the evidence) and its duration (tests' files included).
    const started = new Date();
    const t0 = Date.now();
    try {
        const files = await writeTestFiles(opts, a, pool);
        const run = await runTests(opts, a, files, progress);
        const durationMs = Date.now() - t0;
        const verdict = await judgeRun(opts, a, run);
        progress.info(`accept: ${verdict.result}: ${(0,evidence_lib/* formatCounts */.gM)(verdict.counts)} in ${(durationMs / 1000).toFixed(1)} s${verdict.reason ? ` (${verdict.reason})` : ''}`);
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
        throw new lib/* KarooError */.xD('input', `${opts.config.path} has no acceptance section; add acceptance: { command: [...] }`);
    const sc = await systemConfig(opts.config, opts.environment);
    const nodes = matchInventory(sc, opts.inventory);
    const candidate = (0,lib/* parseDigest */.m)(String(opts.candidate), 'candidate');
    const cfg = configDigest(sc);
    const systemId = systemIdOf(candidate, cfg);
    const stored = await opts.store.getManifest(candidate);
    if ((0,lib/* sha256Of */.Bj)(stored.bytes) !== candidate)
        throw new lib/* KarooError */.xD('integrity', `candidate ${candidate}: the manifest in ${opts.store.ref} does not match its digest`);
    const manifest = (0,candidate_lib/* parseManifest */.Ng)(stored.bytes, `candidate ${candidate}`);
    await (0,promises_.mkdir)(opts.outDir, { recursive: true });
    const out = (0,external_node_path_.resolve)(opts.outDir);
    const lockFile = (0,external_node_path_.join)(out, 'pylock.toml');
    const pyl = manifest.layers.find((l) => l.mediaType === candidate_lib/* KAROO */.PQ.pylock);
    if (pyl) {
        const chunks = [];
        for await (const c of await opts.store.getBlob(pyl.digest))
            chunks.push(Buffer.from(c));
        const bytes = Buffer.concat(chunks);
        if ((0,lib/* sha256Of */.Bj)(bytes) !== pyl.digest)
            throw new lib/* KarooError */.xD('integrity', `candidate ${candidate}: layer "${pyl.annotations?.[candidate_lib/* ANNOTATIONS */.BC.title] ?? 'pylock.toml'}" is damaged in ${opts.store.ref}`);
        await (0,promises_.writeFile)(lockFile, bytes);
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
            ssh: { host: n.ssh.host, port: (0,src.sshPort)(n.ssh), user: (0,src.sshUser)(n.ssh), keyPath: n.ssh.keyPath },
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
        inventoryFile: (0,external_node_path_.join)(out, 'acceptance-inventory.json'),
        valuesFile: (0,external_node_path_.join)(out, 'values.json'),
        sshConfig: (0,external_node_path_.join)(out, 'ssh_config'),
    };
    await (0,promises_.writeFile)(files.inventoryFile, `${JSON.stringify(doc, null, 2)}\n`);
    await (0,promises_.writeFile)(files.valuesFile, `${JSON.stringify(sc.values, null, 2)}\n`);
    await (0,promises_.writeFile)(files.sshConfig, nodes.map((n) => pool.configEntry(n.name)).join('\n'), { mode: 0o600 });
    return files;
}
/** Removes an earlier run's JUnit file, then runs the command with the environment acceptanceEnv builds, under its timeout. */
async function runTests(opts, a, files, progress) {
    const { acc, sc } = a;
    const cwd = acc.workingDirectory;
    const junitPath = acc.junit ? (0,external_node_path_.resolve)(cwd, acc.junit) : undefined;
    // A file from an earlier run is not this run's result. (junit is a path inside the working directory: checked on load.)
    if (junitPath) {
        await (0,promises_.rm)(junitPath, { force: true }).catch((e) => {
            throw new lib/* KarooError */.xD('input', `acceptance.junit ${junitPath} cannot be removed before the run (${e.code ?? e.message}); check acceptance.working-directory and junit in ${opts.config.path}`);
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
            junit = await (0,promises_.readFile)(junitPath, 'utf8');
        }
        catch {
            junit = undefined;
        }
        if (junit !== undefined) {
            try {
                counts = { ...(0,evidence_lib/* countJunit */.M9)(junit), source: 'junit' };
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
    const artifact = (0,evidence_lib/* evidenceFor */.hF)(a.stored.descriptor, {
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
    await (0,evidence_lib/* pushEvidence */.a2)(opts.store, artifact);
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
const INHERITED = [
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
];
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
        const child = (0,external_node_child_process_.spawn)(argv[0], argv.slice(1), { cwd, env, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
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
            reject(new lib/* KarooError */.xD('input', `acceptance command ${argv[0]} cannot be started in ${cwd} (${code ?? e.message}); check acceptance.command and working-directory`));
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
        const s = (0,external_node_net_.createServer)();
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
    const dir = await (0,promises_.mkdtemp)((0,external_node_path_.join)((0,external_node_os_.tmpdir)(), 'karoo-precheck-'));
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
        await (0,promises_.rm)(dir, { recursive: true, force: true });
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
    const progress = opts.progress ?? lib/* silentProgress */.RZ;
    const machines = await Promise.resolve(/* import() */).then(__webpack_require__.bind(__webpack_require__, 46494));
    // Short (SSH control sockets live below it) and named after its owner, so reap finds it even before the stamp.
    const work = await machines.ownedTempDir('karoo-up-');
    const previousTmp = process.env.TMPDIR;
    process.env.TMPDIR = work;
    const outDir = (0,external_node_path_.resolve)(opts.outDir ?? work);
    const acceptDir = (0,external_node_path_.join)(outDir, 'acceptance');
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
            await (0,promises_.rm)((0,external_node_path_.join)(work, machines.OWNER_FILE), { force: true });
            progress.info(`up: keeping environment ${env.state.environmentId} (inventory ${env.inventoryPath}); destroy it with: karoo destroy --inventory ${env.inventoryPath}`);
        }
        else if (opts.keep && (0,external_node_fs_.existsSync)((0,external_node_path_.join)(outDir, 'environment', 'inventory.json'))) {
            // Provisioning failed and kept its machines (--keep): their inventory and logs are in here.
            await (0,promises_.rm)((0,external_node_path_.join)(work, machines.OWNER_FILE), { force: true });
        }
        else {
            if (env)
                await machines
                    .destroyState(env.state, { progress })
                    .catch((e) => progress.warn(`up: teardown of ${env.state.environmentId} failed: ${e.message}; run karoo reap`));
            await (0,promises_.rm)(work, { recursive: true, force: true });
        }
        timings.teardown = secs(Date.now() - t);
    })());
    const interrupted = new Promise((_, reject) => {
        const stop = () => reject(opts.signal?.reason instanceof Error
            ? opts.signal.reason
            : new lib/* KarooError */.xD('refused', `up was interrupted${opts.signal?.reason ? ` (${String(opts.signal.reason)})` : ''}`));
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
            outDir: (0,external_node_path_.join)(outDir, 'environment'),
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
        pool = await ssh_SshPool.open(inventory.nodes.map((n) => ({ name: n.name, ...n.ssh })));
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
/* harmony export */   M9: () => (/* binding */ countJunit),
/* harmony export */   a2: () => (/* binding */ pushEvidence),
/* harmony export */   gM: () => (/* binding */ formatCounts),
/* harmony export */   hF: () => (/* binding */ evidenceFor),
/* harmony export */   scanEvidence: () => (/* binding */ scanEvidence)
/* harmony export */ });
/* unused harmony exports EVIDENCE_ARTIFACT_TYPE, JUNIT_MEDIA_TYPE, EVIDENCE_SCHEMA, EVIDENCE_ANNOTATIONS, listEvidence, readEvidence, readJunit, latestPassing */
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

/***/ }),

/***/ 46494:
/***/ ((__unused_webpack___webpack_module__, __webpack_exports__, __webpack_require__) => {

// ESM COMPAT FLAG
__webpack_require__.r(__webpack_exports__);

// EXPORTS
__webpack_require__.d(__webpack_exports__, {
  IMAGE_PACKAGES: () => (/* reexport */ IMAGE_PACKAGES),
  INVENTORY_SCHEMA_ID: () => (/* reexport */ INVENTORY_SCHEMA_ID),
  KAROO_XMLNS: () => (/* reexport */ KAROO_XMLNS),
  LIBVIRT_NODE_DEFAULTS: () => (/* reexport */ LIBVIRT_NODE_DEFAULTS),
  LibvirtProvider: () => (/* reexport */ LibvirtProvider),
  MAX_NODE_NAME: () => (/* reexport */ MAX_NODE_NAME),
  NspawnProvider: () => (/* reexport */ NspawnProvider),
  OWNER_FILE: () => (/* reexport */ OWNER_FILE),
  PROVIDERS: () => (/* reexport */ PROVIDERS),
  QemuProvider: () => (/* reexport */ QemuProvider),
  RUNNER_JOB_PROCESS: () => (/* reexport */ RUNNER_JOB_PROCESS),
  SSH_DEFAULTS: () => (/* reexport */ SSH_DEFAULTS),
  Virsh: () => (/* reexport */ Virsh),
  bootId: () => (/* reexport */ bootId),
  buildImage: () => (/* reexport */ buildImage),
  cacheRoot: () => (/* reexport */ cacheRoot),
  checkNodeName: () => (/* reexport */ checkNodeName),
  checkNotExpired: () => (/* reexport */ checkNotExpired),
  checkSshEndpoint: () => (/* reexport */ checkSshEndpoint),
  connectUri: () => (/* reexport */ connectUri),
  describePlacement: () => (/* reexport */ describePlacement),
  destroyEnvironment: () => (/* reexport */ destroyEnvironment),
  destroyState: () => (/* reexport */ destroyState),
  detectAccelerator: () => (/* reexport */ detectAccelerator),
  domainXml: () => (/* reexport */ domainXml),
  envDir: () => (/* reexport */ envDir),
  execOnNode: () => (/* reexport */ execOnNode),
  fetchCloudImage: () => (/* reexport */ fetchCloudImage),
  findImage: () => (/* reexport */ findImage),
  findJobProcess: () => (/* reexport */ findJobProcess),
  handOver: () => (/* reexport */ handOver),
  hasTool: () => (/* reexport */ hasTool),
  hostKeyAlias: () => (/* reexport */ hostKeyAlias),
  imageId: () => (/* reexport */ imageId),
  imageRecipe: () => (/* reexport */ imageRecipe),
  imagesRoot: () => (/* reexport */ imagesRoot),
  isAlive: () => (/* reexport */ isAlive),
  isEnvironmentId: () => (/* reexport */ isEnvironmentId),
  isLocalUri: () => (/* reexport */ isLocalUri),
  knownEnvironments: () => (/* reexport */ knownEnvironments),
  libvirtNames: () => (/* reexport */ libvirtNames),
  libvirtOptions: () => (/* reexport */ libvirtOptions),
  listProcesses: () => (/* reexport */ listProcesses),
  listStateDirs: () => (/* reexport */ listStateDirs),
  loadState: () => (/* reexport */ loadState),
  newEnvironmentId: () => (/* reexport */ newEnvironmentId),
  nodeEndpoint: () => (/* reexport */ nodeEndpoint),
  nspawnArgs: () => (/* reexport */ nspawnArgs),
  ownedTempDir: () => (/* reexport */ ownedTempDir),
  ownerGone: () => (/* reexport */ ownerGone),
  ownerOf: () => (/* reexport */ ownerOf),
  ownerRef: () => (/* reexport */ ownerRef),
  parseInventory: () => (/* reexport */ parseInventory),
  parseStamp: () => (/* reexport */ parseStamp),
  place: () => (/* reexport */ place),
  procRef: () => (/* reexport */ procRef),
  processesUsing: () => (/* reexport */ processesUsing),
  providerFor: () => (/* reexport */ providerFor),
  provision: () => (/* reexport */ provision),
  qemuArgs: () => (/* reexport */ qemuArgs),
  readInventory: () => (/* reexport */ readInventory),
  reap: () => (/* reexport */ reap),
  reapLibvirt: () => (/* reexport */ reapLibvirt),
  reapReason: () => (/* reexport */ reapReason),
  reapTempDirs: () => (/* reexport */ reapTempDirs),
  resourcesOf: () => (/* reexport */ resourcesOf),
  run: () => (/* reexport */ run),
  saveLogs: () => (/* reexport */ saveLogs),
  seedFiles: () => (/* reexport */ seedFiles),
  seedTar: () => (/* reexport */ seedTar),
  sshCommandLine: () => (/* reexport */ sshCommandLine),
  sshConfigEntry: () => (/* reexport */ sshConfigEntry),
  sshDestination: () => (/* reexport */ sshDestination),
  sshExec: () => (/* reexport */ sshExec),
  sshOptions: () => (/* reexport */ sshOptions),
  sshPort: () => (/* reexport */ sshPort),
  sshSettings: () => (/* reexport */ sshSettings),
  sshUser: () => (/* reexport */ sshUser),
  stampXml: () => (/* reexport */ stampXml),
  stateRoot: () => (/* reexport */ stateRoot),
  subnetOf: () => (/* reexport */ subnetOf),
  sweep: () => (/* reexport */ sweep),
  waitForSsh: () => (/* reexport */ waitForSsh),
  writeInventory: () => (/* reexport */ writeInventory),
  writeNoCloudSeed: () => (/* reexport */ writeNoCloudSeed)
});

// EXTERNAL MODULE: external "node:child_process"
var external_node_child_process_ = __webpack_require__(31421);
// EXTERNAL MODULE: external "node:fs"
var external_node_fs_ = __webpack_require__(73024);
// EXTERNAL MODULE: external "node:fs/promises"
var promises_ = __webpack_require__(51455);
// EXTERNAL MODULE: external "node:path"
var external_node_path_ = __webpack_require__(76760);
// EXTERNAL MODULE: ./packages/common/lib/index.js + 10 modules
var lib = __webpack_require__(46787);
// EXTERNAL MODULE: ./node_modules/p-limit/index.js + 1 modules
var p_limit = __webpack_require__(70370);
;// CONCATENATED MODULE: ./packages/machines/lib/src/generated/assets.js
// Generated by packages/machines/scripts/gen-assets.mjs from image/ and helpers/. Do not edit.
const ASSETS = {
    "image/customize.sh": "#!/bin/sh\n# karoo's machine image, customised by mmdebstrap (--customize-hook) with the root as $1 and\n# KAROO_BOOT set to a directory that receives the kernel and the initrd for direct boot.\n# Every machine gets its identity (hostname, machine-id, SSH host key, addresses, authorized\n# key) from a per-machine seed applied before systemd starts, so the image holds none.\nset -eu\nroot=$1\nboot=$KAROO_BOOT\nin_root() { chroot \"$root\" \"$@\"; }\n\n# --- boot files for QEMU: the distribution kernel without its slow initramfs hook, and a\n# --- ~2 MB busybox initrd that loads only the virtio, ext4 and isofs modules.\nin_root sh -c 'mkdir -p /tmp/karoo-dl && cd /tmp/karoo-dl &&\n  kpkg=$(apt-cache depends --important linux-image-amd64 | sed -n \"s/.*Depends: //p\" | head -n1) &&\n  apt-get download -q \"$kpkg\" busybox-static >/dev/null &&\n  mkdir -p /tmp/karoo-k /tmp/karoo-bb && dpkg -x linux-image-*.deb /tmp/karoo-k && dpkg -x busybox-static_*.deb /tmp/karoo-bb'\nkver=$(ls \"$root/tmp/karoo-k/lib/modules\")\nin_root depmod -b /tmp/karoo-k \"$kver\"\nmods=$(for m in virtio_pci virtio_blk virtio_net virtio_rng ext4 isofs; do\n    in_root modprobe -d /tmp/karoo-k -S \"$kver\" --show-depends \"$m\"\n  done | sed -n 's/^insmod \\([^ ]*\\).*/\\1/p' | awk '!seen[$0]++')\nird=$root/tmp/karoo-initrd\nmkdir -p \"$ird/bin\" \"$ird/dev\" \"$ird/proc\" \"$ird/sys\" \"$ird/newroot\" \"$ird/lib/modules\"\ncp \"$root/tmp/karoo-bb/bin/busybox\" \"$ird/bin/busybox\"\n: > \"$ird/modules.list\"\nfor m in $mods; do\n  cp \"$root$m\" \"$ird/lib/modules/\"\n  echo \"/lib/modules/$(basename \"$m\")\" >> \"$ird/modules.list\"\ndone\ncp \"$KAROO_RECIPE/initrd-init.sh\" \"$ird/init\"\nchmod 0755 \"$ird/init\" \"$ird/bin/busybox\"\n(cd \"$ird\" && find . -mindepth 1 | LC_ALL=C sort | \"$root/tmp/karoo-bb/bin/busybox\" cpio -o -H newc 2>/dev/null) > \"$boot/initrd.img\"\ncp \"$root/tmp/karoo-k/boot/vmlinuz-$kver\" \"$boot/vmlinuz\"\necho \"$kver\" > \"$boot/kernel-version\"\nrm -rf \"$root/tmp/karoo-dl\" \"$root/tmp/karoo-k\" \"$root/tmp/karoo-bb\" \"$ird\"\n\n# --- systemd tuned for machines that live minutes: networkd only, volatile journal, nothing\n# --- periodic, no gettys, no waiting for disks that fstab does not list.\nin_root systemctl enable -q systemd-networkd.service\nfor unit in e2scrub_reap.service e2scrub_all.timer apt-daily.timer apt-daily-upgrade.timer \\\n  dpkg-db-backup.timer fstrim.timer man-db.timer getty@.service serial-getty@.service \\\n  console-getty.service getty-static.service systemd-networkd-wait-online.service \\\n  systemd-timesyncd.service systemd-pstore.service systemd-firstboot.service \\\n  ldconfig.service systemd-hwdb-update.service; do\n  in_root systemctl mask -q \"$unit\"\ndone\nmkdir -p \"$root/etc/systemd/journald.conf.d\" \"$root/etc/ssh/sshd_config.d\"\nprintf '[Journal]\\nStorage=volatile\\nRuntimeMaxUse=32M\\n' > \"$root/etc/systemd/journald.conf.d/karoo.conf\"\nprintf 'HostKey /etc/ssh/ssh_host_ed25519_key\\nPasswordAuthentication no\\nKbdInteractiveAuthentication no\\nPermitRootLogin prohibit-password\\nUseDNS no\\n' \\\n  > \"$root/etc/ssh/sshd_config.d/karoo.conf\"\nrm -f \"$root\"/etc/ssh/ssh_host_*\n: > \"$root/etc/fstab\"\n: > \"$root/etc/machine-id\"\nrm -f \"$root/var/lib/dbus/machine-id\"\necho localhost > \"$root/etc/hostname\"\n: > \"$root/etc/resolv.conf\"\ninstall -d -m 0700 \"$root/root/.ssh\"\nrm -rf \"$root\"/var/lib/apt/lists/* \"$root\"/var/cache/apt/*.bin \"$root\"/var/log/*.log\n",
    "image/initrd-init.sh": "#!/bin/busybox sh\n# karoo's initrd: load the few modules a virtio machine needs, mount the root disk, apply the\n# machine's seed (a tar archive on the virtio disk whose serial is karoo-seed), start systemd.\n/bin/busybox mkdir -p /usr/bin /sbin /usr/sbin\n/bin/busybox --install -s\nmount -t proc proc /proc\nmount -t sysfs sysfs /sys\nmount -t devtmpfs devtmpfs /dev\nwhile read -r m; do insmod \"$m\" || echo \"karoo-initrd: insmod $m failed\" >&2; done < /modules.list\nroot=; fstype=ext4; dev=\nfor arg in $(cat /proc/cmdline); do\n  case $arg in\n    root=*) root=${arg#root=} ;;\n    rootfstype=*) fstype=${arg#rootfstype=} ;;\n  esac\ndone\n# Disks are found by their virtio serial (root=serial:NAME): PCI order is not stable.\nby_serial() {\n  for d in /sys/block/vd*; do\n    [ \"$(cat \"$d/serial\" 2>/dev/null)\" = \"$1\" ] && { echo \"/dev/${d##*/}\"; return 0; }\n  done\n  return 1\n}\nfor i in $(seq 1 200); do\n  case $root in serial:*) dev=$(by_serial \"${root#serial:}\") ;; *) dev=$root ;; esac\n  [ -n \"$dev\" ] && [ -b \"$dev\" ] && break\n  sleep 0.05\ndone\nroot=${dev:-$root}\nif ! mount -t \"$fstype\" -o rw \"$root\" /newroot; then\n  echo \"karoo-initrd: cannot mount the root file system $root; powering off\" >&2\n  sleep 1; poweroff -f\nfi\nseed=$(by_serial karoo-seed) && tar -x -f \"$seed\" -C /newroot && echo \"karoo-initrd: seed applied from $seed\"\numount /proc /sys\nmount --move /dev /newroot/dev 2>/dev/null || umount /dev\nexec switch_root /newroot /sbin/init\n",
    "helpers/forward.py": "\"\"\"karoo's watchdog and SSH forwarder for one environment.\n\nUsage: python3 forward.py ENVIRONMENT-ID CONFIG.json\n\nStarted right after the environment's stamp, before any of its resources exists, it watches:\n- the owner (\"owner\": {\"pid\", \"startTime\"} in the config, or null): the moment that process is\n  gone (exited, killed, its pid reused), it takes the environment's teardown lock, runs\n  \"onExpire\" (an argv, usually `karoo reap --env ID`), waits for it and exits. An owner-bound environment (karoo up) keeps its owner for its\n  whole life; one handed on (karoo provision) has its owner cleared once it is ready.\n- the TTL (\"expiresAt\", Unix seconds): when it passes, the same.\nOne rule decides about the owner: the config on disk. SIGUSR1 means \"read it again\" (a new\nowner, or none; nodes to forward to), and the owner's exit is believed only after one more read\nmade once the exit was seen: the owner can write nothing after it, so a release it wrote before\nit ended is always honoured, whichever event arrives first. Once \"nodes\" are listed it\nstarts forwarding: it listens on 127.0.0.1 (one ephemeral port per node, in the runner's\nnetwork namespace), then joins the environment's own namespace (\"netnsPath\"), so that every\nconnection it makes goes to a node address that exists only there, and writes\n{\"ports\": {node: port}} to \"portsFile\". It writes \"readyFile\" once its signal handlers are set.\n\"\"\"\nimport ctypes\nimport errno\nimport json\nimport os\nimport select\nimport signal\nimport socket\nimport subprocess\nimport sys\nimport threading\nimport time\n\nCLONE_NEWNET = 0x40000000\n\n\ndef log(env_id, text):\n    sys.stderr.write(\"karoo-watchdog %s: %s\\n\" % (env_id, text))\n    sys.stderr.flush()\n\n\ndef pump(src, dst):\n    try:\n        while True:\n            data = src.recv(65536)\n            if not data:\n                break\n            dst.sendall(data)\n    except OSError:\n        pass\n    finally:\n        for s in (src, dst):\n            try:\n                s.shutdown(socket.SHUT_RDWR)\n            except OSError:\n                pass\n\n\ndef serve(client, address):\n    try:\n        upstream = socket.create_connection(address, timeout=1)\n        upstream.settimeout(None)\n    except OSError:\n        client.close()\n        return\n    client.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)\n    upstream.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)\n    t = threading.Thread(target=pump, args=(upstream, client), daemon=True)\n    t.start()\n    pump(client, upstream)\n    t.join()\n    client.close()\n    upstream.close()\n\n\ndef start_time(pid):\n    \"\"\"Start time (clock ticks since boot) of a live process, or None when it is gone or a zombie.\"\"\"\n    try:\n        with open(\"/proc/%d/stat\" % pid) as f:\n            s = f.read()\n    except OSError:\n        return None\n    rest = s[s.rindex(\")\") + 2:].split(\" \")\n    if rest[0] in (\"Z\", \"X\"):\n        return None\n    return int(rest[19])\n\n\nclass Owner:\n    \"\"\"The owner process: a pidfd that becomes readable when it exits, else polled every second.\"\"\"\n\n    def __init__(self, ref):\n        self.pid = int(ref[\"pid\"])\n        self.start = int(ref[\"startTime\"])\n        self.fd = None\n        try:\n            self.fd = os.pidfd_open(self.pid)\n        except (AttributeError, OSError):\n            self.fd = None\n\n    def gone(self):\n        # Checked after opening the pidfd: if the start time still matches, the pidfd is the owner's.\n        return start_time(self.pid) != self.start\n\n    def close(self):\n        if self.fd is not None:\n            os.close(self.fd)\n            self.fd = None\n\n\ndef teardown_lock(env_id):\n    \"\"\"The environment's teardown lock (packages/machines/src/teardown.ts): an abstract unix socket\n    bound while a teardown runs, freed by the kernel when its holder dies. Waits while another\n    teardown holds it (that one ends by killing this process).\"\"\"\n    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)\n    while True:\n        try:\n            s.bind(b\"\\0karoo-teardown-\" + env_id.encode())\n            return s\n        except OSError as e:\n            if e.errno != errno.EADDRINUSE:\n                raise\n            time.sleep(0.1)\n\n\ndef load(path):\n    with open(path) as f:\n        return json.load(f)\n\n\ndef reload(env_id, path, config):\n    \"\"\"The config as it is on disk now; the one in hand when it cannot be read.\"\"\"\n    try:\n        return load(path)\n    except (OSError, ValueError) as e:\n        log(env_id, \"cannot read %s: %s\" % (path, e))\n        return config\n\n\ndef main():\n    env_id, config_path = sys.argv[1], sys.argv[2]\n    config = load(config_path)\n    libc = ctypes.CDLL(None, use_errno=True)\n    home = os.open(\"/proc/self/ns/net\", os.O_RDONLY)\n\n    wake_r, wake_w = os.pipe()\n    os.set_blocking(wake_r, False)\n    os.set_blocking(wake_w, False)\n    signal.set_wakeup_fd(wake_w)\n    signal.signal(signal.SIGUSR1, lambda *_: None)\n    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))\n    if config.get(\"readyFile\"):\n        with open(config[\"readyFile\"], \"w\") as f:\n            f.write(\"%d\\n\" % os.getpid())\n        # Changes written before the handlers existed were not signalled: read them now.\n        config = reload(env_id, config_path, config)\n\n    owner = None\n    listeners = {}\n    why = None\n    while True:\n        want = config.get(\"owner\")\n        if owner is not None and (not want or (int(want[\"pid\"]), int(want[\"startTime\"])) != (owner.pid, owner.start)):\n            owner.close()\n            owner = None\n        if owner is None and want:\n            owner = Owner(want)\n        if owner is not None and owner.gone():\n            # The owner can write nothing more: the config on disk now is its last word.\n            config = reload(env_id, config_path, config)\n            if config.get(\"owner\") == want:\n                why = \"its owner process %d is gone\" % owner.pid\n                break\n            continue\n        if not listeners and config.get(\"nodes\"):\n            for node in config[\"nodes\"]:\n                s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)\n                s.bind((\"127.0.0.1\", 0))\n                s.listen(64)\n                listeners[s] = (node[\"name\"], (node[\"address\"], node.get(\"port\", 22)))\n            # Sockets keep the namespace they were created in: listeners stay on the runner's\n            # loopback, connections made from here on are made inside the environment's namespace.\n            fd = os.open(config[\"netnsPath\"], os.O_RDONLY)\n            if libc.setns(fd, CLONE_NEWNET) != 0:\n                log(env_id, \"setns failed: %s\" % os.strerror(ctypes.get_errno()))\n                sys.exit(1)\n            os.close(fd)\n            ports = {name: s.getsockname()[1] for s, (name, _) in listeners.items()}\n            tmp = config[\"portsFile\"] + \".tmp\"\n            with open(tmp, \"w\") as f:\n                json.dump({\"pid\": os.getpid(), \"ports\": ports}, f)\n            os.rename(tmp, config[\"portsFile\"])\n        expires_at = config.get(\"expiresAt\")\n        timeout = 60.0 if expires_at is None else max(0.0, expires_at - time.time())\n        if expires_at is not None and timeout == 0.0:\n            why = \"its TTL has passed\"\n            break\n        if owner is not None and owner.fd is None:\n            timeout = min(timeout, 1.0)\n        fds = [wake_r] + list(listeners) + ([owner.fd] if owner is not None and owner.fd is not None else [])\n        # An owner fd that fires needs nothing here: the next round sees the owner gone.\n        ready, _, _ = select.select(fds, [], [], min(timeout, 60.0))\n        if wake_r in ready:\n            try:\n                while os.read(wake_r, 512):\n                    pass\n            except BlockingIOError:\n                pass\n            config = reload(env_id, config_path, config)\n        for s in ready:\n            if s in listeners:\n                client, _ = s.accept()\n                threading.Thread(target=serve, args=(client, listeners[s][1]), daemon=True).start()\n    for s in listeners:\n        s.close()\n    log(env_id, \"%s; removing the environment\" % why)\n    if config.get(\"onExpire\"):\n        libc.setns(home, CLONE_NEWNET)\n        # Held until the teardown it starts has ended, so that a reap running at the same time\n        # waits for it rather than racing it (KAROO_TEARDOWN_LOCK tells that process it is held).\n        lock = teardown_lock(env_id)\n        child = subprocess.Popen(config[\"onExpire\"], stdin=subprocess.DEVNULL, start_new_session=True, env=dict(os.environ, KAROO_TEARDOWN_LOCK=env_id))\n        child.wait()\n        lock.close()\n\n\nif __name__ == \"__main__\":\n    main()\n"
};
//# sourceMappingURL=assets.js.map
// EXTERNAL MODULE: external "node:crypto"
var external_node_crypto_ = __webpack_require__(77598);
// EXTERNAL MODULE: external "node:stream/promises"
var external_node_stream_promises_ = __webpack_require__(46466);
// EXTERNAL MODULE: external "node:url"
var external_node_url_ = __webpack_require__(73136);
// EXTERNAL MODULE: ./packages/transport/lib/index.js + 2 modules
var transport_lib = __webpack_require__(69794);
// EXTERNAL MODULE: external "node:os"
var external_node_os_ = __webpack_require__(48161);
;// CONCATENATED MODULE: ./packages/machines/lib/src/proc.js

async function statOf(pid) {
    try {
        const s = await (0,promises_.readFile)(`/proc/${pid}/stat`, 'utf8');
        // comm may hold spaces and parentheses: split after the last ')'.
        const rest = s.slice(s.lastIndexOf(')') + 2).split(' ');
        return { state: rest[0], ppid: Number(rest[1]), startTime: Number(rest[19]) };
    }
    catch {
        return undefined;
    }
}
let cachedBootId;
/** This boot of the machine (/proc/sys/kernel/random/boot_id): pids and start times mean something only within one boot. */
async function bootId() {
    cachedBootId ??= (await (0,promises_.readFile)('/proc/sys/kernel/random/boot_id', 'utf8').catch(() => '')).trim();
    return cachedBootId;
}
/** The owner record of this process. */
async function ownerRef(pid = process.pid) {
    return { ...((await procRef(pid)) ?? { pid, startTime: 0 }), bootId: await bootId() };
}
/** An owner is gone when it ran in another boot, or its pid is dead, reused or a zombie. */
async function ownerGone(owner) {
    if (!owner)
        return true;
    if (owner.bootId && owner.bootId !== (await bootId()))
        return true;
    return !(await isAlive(owner));
}
async function procRef(pid) {
    const s = await statOf(pid);
    return s ? { pid, startTime: s.startTime } : undefined;
}
/** Alive means: exists, same start time, and not a zombie (a zombie waiting for a late reaper counts as gone). */
async function isAlive(ref) {
    if (!ref)
        return false;
    const s = await statOf(ref.pid);
    return !!s && s.startTime === ref.startTime && s.state !== 'Z' && s.state !== 'X';
}
/** Every process on the machine with its command line and network namespace. */
async function listProcesses() {
    const out = [];
    for (const e of await (0,promises_.readdir)('/proc')) {
        if (!/^[0-9]+$/.test(e))
            continue;
        const pid = Number(e);
        if (pid === process.pid)
            continue;
        const s = await statOf(pid);
        if (!s || s.state === 'Z')
            continue;
        let argv;
        try {
            argv = (await (0,promises_.readFile)(`/proc/${pid}/cmdline`, 'utf8')).split('\0').filter((a) => a !== '');
        }
        catch {
            continue;
        }
        let netns;
        try {
            const l = await (0,promises_.readlink)(`/proc/${pid}/ns/net`);
            netns = Number(/\[([0-9]+)\]/.exec(l)?.[1]);
        }
        catch {
            netns = undefined;
        }
        out.push({ pid, ppid: s.ppid, startTime: s.startTime, state: s.state, argv, netns });
    }
    return out;
}
/** Inode of a network namespace file (/run/netns/NAME), if it exists. */
async function netnsInode(path) {
    try {
        return (await (0,promises_.stat)(path)).ino;
    }
    catch {
        return undefined;
    }
}
function sleep(ms) {
    return new Promise((r) => setTimeout(r, ms));
}
/** SIGKILLs the processes and waits (up to timeoutMs) until none of them is alive. */
async function killAndWait(refs, timeoutMs = 3000) {
    const live = [];
    for (const r of refs)
        if (await isAlive(r))
            live.push(r);
    for (const r of live) {
        try {
            process.kill(r.pid, 'SIGKILL');
        }
        catch {
            // already gone
        }
    }
    const deadline = Date.now() + timeoutMs;
    let remaining = live;
    while (remaining.length > 0 && Date.now() < deadline) {
        const next = [];
        for (const r of remaining)
            if (await isAlive(r))
                next.push(r);
        remaining = next;
        if (remaining.length > 0)
            await sleep(20);
    }
    return remaining;
}
/**
 * Processes started for something that lives under `dirs`: those whose environment holds a
 * `KAROO_*` variable pointing into one of them (the acceptance command gets KAROO_INVENTORY
 * and the like, and passes them to everything it starts, in whatever session or group).
 */
async function processesUsing(dirs) {
    const roots = dirs.filter((d) => d.startsWith('/') && d.length > 1).map((d) => d.replace(/\/+$/, ''));
    if (roots.length === 0)
        return [];
    const out = [];
    for (const e of await (0,promises_.readdir)('/proc')) {
        if (!/^[0-9]+$/.test(e) || Number(e) === process.pid)
            continue;
        let environ;
        try {
            environ = await (0,promises_.readFile)(`/proc/${e}/environ`, 'latin1');
        }
        catch {
            continue;
        }
        const hit = environ.split('\0').some((kv) => {
            if (!kv.startsWith('KAROO_'))
                return false;
            const v = kv.slice(kv.indexOf('=') + 1);
            return roots.some((r) => v === r || v.startsWith(`${r}/`));
        });
        if (!hit)
            continue;
        const ref = await procRef(Number(e));
        if (ref)
            out.push(ref);
    }
    return out;
}
//# sourceMappingURL=proc.js.map
;// CONCATENATED MODULE: ./packages/machines/lib/src/paths.js




/** Where environments keep their state (overlays, keys, logs): KAROO_STATE_DIR or /var/lib/karoo. */
function stateRoot() {
    return process.env.KAROO_STATE_DIR ?? '/var/lib/karoo';
}
function envsRoot() {
    return (0,external_node_path_.join)(stateRoot(), 'envs');
}
function envDir(env) {
    return (0,external_node_path_.join)(envsRoot(), env);
}
/** Where images are cached, outside any clone: KAROO_CACHE_DIR or /var/cache/karoo. */
function cacheRoot() {
    return process.env.KAROO_CACHE_DIR ?? '/var/cache/karoo';
}
function imagesRoot() {
    return (0,external_node_path_.join)(cacheRoot(), 'images');
}
/** The file in a karoo temporary directory that names the process it belongs to. */
const OWNER_FILE = '.karoo-owner.json';
/**
 * A temporary directory (`<tmp>/<prefix>XXXXXX`) that names its owner process inside it, so
 * `reap` removes it once that process is gone even if no environment recorded it yet.
 * `maxLength` keeps it short enough for unix sockets below it (falls back to /tmp).
 */
async function ownedTempDir(prefix, maxLength = 40) {
    const base = (0,external_node_path_.join)((0,external_node_os_.tmpdir)(), `${prefix}XXXXXX`).length <= maxLength ? (0,external_node_os_.tmpdir)() : '/tmp';
    const dir = await (0,promises_.mkdtemp)((0,external_node_path_.join)(base, prefix));
    await (0,promises_.writeFile)((0,external_node_path_.join)(dir, OWNER_FILE), `${JSON.stringify(await ownerRef())}\n`);
    return dir;
}
//# sourceMappingURL=paths.js.map
;// CONCATENATED MODULE: ./packages/machines/lib/src/run.js



/** The system interpreter when there is one: a version manager's shim (pyenv) costs a second per start. */
function systemPython() {
    return (0,external_node_fs_.existsSync)('/usr/bin/python3') ? '/usr/bin/python3' : 'python3';
}
/** Which Debian package provides a tool, for the "install it" hint. */
const PACKAGE_OF = {
    'systemd-nspawn': 'systemd-container',
    'qemu-system-x86_64': 'qemu-system-x86',
    'qemu-img': 'qemu-utils',
    mmdebstrap: 'mmdebstrap',
    ssh: 'openssh-client',
    scp: 'openssh-client',
    'ssh-keygen': 'openssh-client',
    ip: 'iproute2',
    'mkfs.ext4': 'e2fsprogs',
    xz: 'xz-utils',
    genisoimage: 'genisoimage',
    python3: 'python3',
    mount: 'mount',
    umount: 'mount',
};
function missingTool(tool) {
    const pkg = PACKAGE_OF[tool];
    return new lib/* KarooError */.xD('unavailable', `${tool} is not installed${pkg ? `; install the Debian package ${pkg} (scripts/ensure-deps.sh does)` : ''}`);
}
/** Runs a command to completion, collecting its output. Throws a KarooError naming the command on failure. */
function run(cmd, args, opts = {}) {
    return new Promise((resolve, reject) => {
        const so = { stdio: ['pipe', 'pipe', 'pipe'], cwd: opts.cwd, env: opts.env ?? process.env };
        const child = (0,external_node_child_process_.spawn)(cmd, args, so);
        const out = [];
        const err = [];
        let timer;
        let timedOut = false;
        if (opts.timeoutMs !== undefined) {
            timer = setTimeout(() => {
                timedOut = true;
                child.kill('SIGKILL');
            }, opts.timeoutMs);
        }
        child.stdout.on('data', (d) => out.push(d));
        child.stderr.on('data', (d) => err.push(d));
        child.stdin.on('error', () => { });
        child.on('error', (e) => {
            if (timer)
                clearTimeout(timer);
            reject(e.code === 'ENOENT' ? missingTool(cmd) : e);
        });
        child.on('close', (code, signal) => {
            if (timer)
                clearTimeout(timer);
            const r = {
                code: code ?? -1,
                signal,
                stdout: Buffer.concat(out).toString('utf8'),
                stderr: Buffer.concat(err).toString('utf8'),
            };
            if (timedOut) {
                reject(new lib/* KarooError */.xD('unavailable', `${cmd} ${args.join(' ')} did not finish within ${Math.round((opts.timeoutMs ?? 0) / 1000)} s`));
            }
            else if (r.code !== 0 && !opts.allowFailure) {
                const why = (r.stderr.trim() || r.stdout.trim()).split('\n').slice(-3).join(' | ');
                reject(new lib/* KarooError */.xD('internal', `${cmd} ${args.join(' ')} failed (exit ${r.code}${signal ? `, ${signal}` : ''}): ${why}`, {
                    detail: { stderr: r.stderr },
                }));
            }
            else
                resolve(r);
        });
        if (opts.input !== undefined)
            child.stdin.end(opts.input);
        else
            child.stdin.end();
    });
}
/** True when `cmd` is on PATH. */
async function hasTool(cmd) {
    const dirs = (process.env.PATH ?? '/usr/sbin:/usr/bin:/sbin:/bin').split(':');
    const { access, constants } = await Promise.resolve(/* import() */).then(__webpack_require__.t.bind(__webpack_require__, 51455, 19));
    for (const d of dirs) {
        try {
            await access(`${d}/${cmd}`, constants.X_OK);
            return true;
        }
        catch {
            // next
        }
    }
    return false;
}
async function requireTools(tools) {
    for (const t of tools)
        if (!(await hasTool(t)))
            throw missingTool(t);
}
//# sourceMappingURL=run.js.map
;// CONCATENATED MODULE: ./packages/machines/lib/src/image.js













/** Packages of karoo's machine image, on top of Debian's minbase. */
const IMAGE_PACKAGES = [
    'systemd-sysv',
    'udev',
    'kmod',
    'openssh-server',
    'python3',
    'python3-venv',
    'iproute2',
    'iputils-ping',
    'netbase',
    'procps',
];
const IMAGE_SUITE = 'bookworm';
/** Virtual size of the QEMU root disk; the qcow2 stores only what is written. */
const DISK_SIZE = '4G';
/** The recipe, whose hash names the cached image: suite, packages and the scripts. */
function imageRecipe() {
    const scripts = {};
    for (const [k, v] of Object.entries(ASSETS))
        if (k.startsWith('image/'))
            scripts[k] = (0,lib/* sha256Of */.Bj)(v);
    return { suite: IMAGE_SUITE, variant: 'minbase', packages: [...IMAGE_PACKAGES].sort(), diskSize: DISK_SIZE, scripts };
}
function imageId() {
    return (0,lib/* sha256Of */.Bj)((0,lib/* canonicalJson */.dj)(imageRecipe())).slice('sha256:'.length, 'sha256:'.length + 16);
}
/** The cached image for the current recipe, if built. */
async function findImage() {
    const dir = (0,external_node_path_.join)(imagesRoot(), imageId());
    try {
        const meta = JSON.parse(await (0,promises_.readFile)((0,external_node_path_.join)(dir, 'image.json'), 'utf8'));
        return {
            ...meta,
            dir,
            rootfs: (0,external_node_path_.join)(dir, 'rootfs'),
            disk: (0,external_node_path_.join)(dir, 'disk.qcow2'),
            kernel: (0,external_node_path_.join)(dir, 'vmlinux'),
            initrd: (0,external_node_path_.join)(dir, 'initrd.img'),
        };
    }
    catch {
        return undefined;
    }
}
/** The Debian mirror of this machine (its deb822 source file) when it has one, else mmdebstrap's default. */
function mirrorArgs() {
    if (process.env.KAROO_DEBIAN_MIRROR)
        return [process.env.KAROO_DEBIAN_MIRROR];
    const f = '/etc/apt/sources.list.d/debian.sources';
    return (0,external_node_fs_.existsSync)(f) ? [f] : [];
}
async function withLock(lockPath, progress, fn) {
    await (0,promises_.mkdir)((0,external_node_path_.join)(lockPath, '..'), { recursive: true });
    let said = false;
    for (;;) {
        try {
            const fh = await (0,promises_.open)(lockPath, 'wx');
            const me = await procRef(process.pid);
            await fh.writeFile(JSON.stringify(me));
            await fh.close();
            break;
        }
        catch (e) {
            if (e.code !== 'EEXIST')
                throw e;
            let holder;
            try {
                holder = JSON.parse(await (0,promises_.readFile)(lockPath, 'utf8'));
            }
            catch {
                holder = undefined;
            }
            if (holder && !(await isAlive(holder))) {
                await (0,promises_.rm)(lockPath, { force: true });
                continue;
            }
            if (!said)
                progress.info('another process is building the image; waiting for it');
            said = true;
            await sleep(500);
        }
    }
    try {
        return await fn();
    }
    finally {
        await (0,promises_.rm)(lockPath, { force: true });
    }
}
/**
 * Builds karoo's machine image (Debian bookworm minbase + systemd, openssh-server, python3,
 * tuned for fast boots) into the cache, unless an image of the same recipe is there already.
 * Output: a root file system directory for nspawn, a qcow2 disk, an uncompressed kernel and a
 * ~5 MB initrd for QEMU's direct kernel boot.
 */
async function buildImage(opts = {}) {
    const progress = opts.progress ?? lib/* silentProgress */.RZ;
    if (!opts.force) {
        const found = await findImage();
        if (found)
            return found;
    }
    if (process.getuid?.() !== 0)
        throw new lib/* KarooError */.xD('refused', 'building the machine image needs root (mmdebstrap, mkfs); run as root or with sudo');
    await requireTools(['mmdebstrap', 'mkfs.ext4', 'qemu-img', 'xz']);
    const id = imageId();
    const finalDir = (0,external_node_path_.join)(imagesRoot(), id);
    return withLock((0,external_node_path_.join)(imagesRoot(), `${id}.lock`), progress, async () => {
        if (!opts.force) {
            const found = await findImage();
            if (found)
                return found;
        }
        const started = Date.now();
        const tmp = (0,external_node_path_.join)(imagesRoot(), `.${id}.${(0,external_node_crypto_.randomBytes)(4).toString('hex')}.tmp`);
        const recipeDir = (0,external_node_path_.join)(tmp, 'recipe');
        const boot = (0,external_node_path_.join)(tmp, 'boot');
        try {
            await (0,promises_.mkdir)(recipeDir, { recursive: true });
            await (0,promises_.mkdir)(boot, { recursive: true });
            for (const [k, v] of Object.entries(ASSETS)) {
                if (!k.startsWith('image/'))
                    continue;
                const p = (0,external_node_path_.join)(recipeDir, k.slice('image/'.length));
                await (0,promises_.writeFile)(p, v);
                await (0,promises_.chmod)(p, 0o755);
            }
            progress.info(`building machine image ${id} (Debian ${IMAGE_SUITE} with mmdebstrap; about a minute)`);
            await run('mmdebstrap', [
                '--variant=minbase',
                `--include=${IMAGE_PACKAGES.join(',')}`,
                '--aptopt=Acquire::Check-Valid-Until "false"',
                '--customize-hook=sh "$KAROO_RECIPE/customize.sh" "$1"',
                IMAGE_SUITE,
                (0,external_node_path_.join)(tmp, 'rootfs'),
                ...mirrorArgs(),
            ], { env: { ...process.env, KAROO_BOOT: boot, KAROO_RECIPE: recipeDir }, timeoutMs: 30 * 60_000 });
            progress.info('making the QEMU disk and kernel');
            const raw = (0,external_node_path_.join)(tmp, 'disk.raw');
            await run('truncate', ['-s', DISK_SIZE, raw]);
            await run('mkfs.ext4', ['-q', '-F', '-L', 'karoo-root', '-d', (0,external_node_path_.join)(tmp, 'rootfs'), raw]);
            await run('qemu-img', ['convert', '-O', 'qcow2', raw, (0,external_node_path_.join)(tmp, 'disk.qcow2')]);
            await (0,promises_.rm)(raw);
            await extractVmlinux((0,external_node_path_.join)(boot, 'vmlinuz'), (0,external_node_path_.join)(tmp, 'vmlinux'));
            await (0,promises_.rename)((0,external_node_path_.join)(boot, 'initrd.img'), (0,external_node_path_.join)(tmp, 'initrd.img'));
            const kernelVersion = (await (0,promises_.readFile)((0,external_node_path_.join)(boot, 'kernel-version'), 'utf8')).trim();
            await (0,promises_.rm)(boot, { recursive: true });
            await (0,promises_.rm)(recipeDir, { recursive: true });
            const meta = {
                kind: 'karoo',
                id,
                recipe: imageRecipe(),
                kernelVersion,
                builtAt: new Date().toISOString(),
                buildSeconds: Math.round((Date.now() - started) / 100) / 10,
            };
            await (0,promises_.writeFile)((0,external_node_path_.join)(tmp, 'image.json'), `${JSON.stringify(meta, null, 2)}\n`);
            await (0,promises_.rm)(finalDir, { recursive: true, force: true });
            await (0,promises_.rename)(tmp, finalDir);
            progress.info(`machine image ${id} built in ${meta.buildSeconds} s (${finalDir})`);
        }
        catch (e) {
            await (0,promises_.rm)(tmp, { recursive: true, force: true });
            throw e;
        }
        const img = await findImage();
        if (!img)
            throw new lib/* KarooError */.xD('internal', `image ${id} was built but cannot be read back from ${finalDir}`);
        return img;
    });
}
/** Takes the ELF vmlinux out of a bzImage (its xz payload), so QEMU boots it directly without the slow decompressor. */
async function extractVmlinux(bzImage, out) {
    const data = await (0,promises_.readFile)(bzImage);
    const at = data.indexOf(Buffer.from([0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00]));
    if (at < 0)
        throw new lib/* KarooError */.xD('internal', `${bzImage} holds no xz-compressed kernel`);
    // xz complains about the bytes after the stream; the ELF is complete, which is what we check.
    const r = await new Promise((resolve, reject) => {
        const p = (0,external_node_child_process_.spawn)('xz', ['-dc'], { stdio: ['pipe', 'pipe', 'ignore'] });
        const chunks = [];
        p.stdout.on('data', (d) => chunks.push(d));
        p.on('error', reject);
        p.on('close', () => resolve(Buffer.concat(chunks)));
        p.stdin.on('error', () => { });
        p.stdin.end(data.subarray(at));
    });
    if (r.subarray(0, 4).toString('latin1') !== '\x7fELF')
        throw new lib/* KarooError */.xD('internal', `could not extract an ELF kernel from ${bzImage}`);
    await (0,promises_.writeFile)(out, r);
}
/**
 * Fetches a cloud image (http(s):// or file://) once into the cache, keyed by its sha256.
 * The hash is checked on every use of a cached file too; a mismatch refuses the image.
 */
async function fetchCloudImage(url, sha256, progress = lib/* silentProgress */.RZ) {
    if (!sha256 || !/^[0-9a-f]{64}$/.test(sha256)) {
        throw new lib/* KarooError */.xD('input', `image ${url} has no sha256; set provision.image-sha256 (64 hex digits) so karoo can verify it before booting`);
    }
    const dir = (0,external_node_path_.join)(imagesRoot(), 'cloud');
    await (0,promises_.mkdir)(dir, { recursive: true });
    const cached = (0,external_node_path_.join)(dir, `${sha256}.img`);
    if (!(0,external_node_fs_.existsSync)(cached)) {
        const tmp = `${cached}.${(0,external_node_crypto_.randomBytes)(4).toString('hex')}.tmp`;
        try {
            progress.info(`fetching ${url}`);
            let source;
            if (url.startsWith('file://'))
                source = (0,external_node_fs_.createReadStream)((0,external_node_url_.fileURLToPath)(url));
            else if (/^https?:\/\//.test(url)) {
                const res = await transport_lib/* transport */.et.request({ method: 'GET', url });
                if (res.status !== 200) {
                    await (0,transport_lib/* drain */.Ze)(res);
                    throw new lib/* KarooError */.xD('unavailable', `image ${url} could not be downloaded (HTTP ${res.status})`);
                }
                source = res.body;
            }
            else if (url.startsWith('/'))
                source = (0,external_node_fs_.createReadStream)(url);
            else
                throw new lib/* KarooError */.xD('input', `image "${url}" is not an http(s):// or file:// URL`);
            await (0,external_node_stream_promises_.pipeline)(source, (0,external_node_fs_.createWriteStream)(tmp));
            await (0,promises_.rename)(tmp, cached);
        }
        catch (e) {
            await (0,promises_.rm)(tmp, { force: true });
            if (e.code === 'ENOENT')
                throw new lib/* KarooError */.xD('input', `image ${url} does not exist`);
            throw e;
        }
    }
    const { digest, size } = await (0,lib/* sha256File */.Q3)(cached);
    const actual = (0,lib/* hexOf */.ZD)(digest);
    if (actual !== sha256) {
        await (0,promises_.rm)(cached, { force: true });
        throw new lib/* KarooError */.xD('integrity', `image ${url} has sha256 ${actual}, not the expected ${sha256}; refusing to boot it (check provision.image-sha256)`);
    }
    const head = Buffer.alloc(4);
    const fh = await (0,promises_.open)(cached, 'r');
    await fh.read(head, 0, 4, 0);
    await fh.close();
    if (size === 0)
        throw new lib/* KarooError */.xD('input', `image ${url} is empty`);
    return { kind: 'cloud', id: sha256.slice(0, 16), sha256, disk: cached, format: head.toString('latin1') === 'QFI\xfb' ? 'qcow2' : 'raw' };
}
//# sourceMappingURL=image.js.map
// EXTERNAL MODULE: ./node_modules/ajv/dist/ajv.js
var ajv = __webpack_require__(42463);
;// CONCATENATED MODULE: ./packages/machines/lib/schema/inventory.schema.json
const inventory_schema_namespaceObject = /*#__PURE__*/JSON.parse('{"$schema":"http://json-schema.org/draft-07/schema#","$id":"https://karoo.dev/schema/inventory.schema.json","title":"karoo inventory","description":"The machines of one environment and how to reach them over SSH. Written by `karoo provision` for ephemeral environments; written by hand for real hosts. Read by deploy and the acceptance tests.","type":"object","additionalProperties":false,"required":["version","environmentId","provider","nodes"],"properties":{"$schema":{"type":"string","pattern":"^[^\\\\u0000-\\\\u001f\\\\u007f-\\\\u009f\\\\u2028\\\\u2029]*$"},"version":{"description":"Schema version of this document.","const":1},"environmentId":{"description":"karoo-<8 hex> for an ephemeral environment (every resource it owns carries this prefix); any name for hand-written inventories of real hosts.","type":"string","pattern":"^[a-z0-9][a-z0-9-]{0,62}$"},"createdAt":{"description":"When the environment was created (RFC 3339, UTC).","type":"string","format":"date-time"},"ttlSeconds":{"description":"Lifetime of an ephemeral environment; after expiresAt it is destroyed by its watchdog or by `karoo reap`.","type":"integer","minimum":1},"expiresAt":{"type":"string","format":"date-time"},"provider":{"description":"Who made the machines: nspawn, qemu, libvirt, or static for real hosts.","type":"string","enum":["nspawn","qemu","libvirt","static"]},"accelerator":{"description":"qemu only: kvm or tcg (software emulation).","type":"string","enum":["kvm","tcg"]},"image":{"description":"The base image the machines booted from.","type":"object","additionalProperties":false,"properties":{"id":{"type":"string","pattern":"^[^\\\\u0000-\\\\u001f\\\\u007f-\\\\u009f\\\\u2028\\\\u2029]*$"},"kind":{"type":"string","enum":["karoo","cloud"]},"sha256":{"type":"string","pattern":"^[0-9a-f]{64}$"}}},"network":{"description":"The private network the nodes share (exists only inside the environment\'s network namespace).","type":"object","additionalProperties":false,"properties":{"cidr":{"type":"string","pattern":"^[0-9A-Fa-f.:]+/[0-9]{1,3}$"},"namespace":{"type":"string","pattern":"^[A-Za-z0-9_][A-Za-z0-9_.-]{0,62}$"}}},"logsDir":{"description":"Where console logs and journals are saved on failure.","type":"string","pattern":"^[^\\\\u0000-\\\\u001f\\\\u007f-\\\\u009f\\\\u2028\\\\u2029\\"\\\\\\\\]+$"},"nodes":{"type":"array","minItems":1,"items":{"type":"object","additionalProperties":false,"required":["name","role","address","ssh"],"properties":{"name":{"description":"Node name; also its host name, resolvable by the other nodes.","type":"string","pattern":"^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$"},"role":{"description":"The node\'s role in karoo.yml (letters, digits, _ . -).","type":"string","pattern":"^[A-Za-z0-9_][A-Za-z0-9_.-]{0,62}$"},"address":{"description":"The node\'s address on the environment\'s private network (what other nodes use).","type":"string","pattern":"^[A-Za-z0-9_:][A-Za-z0-9_.:-]{0,252}$"},"ssh":{"description":"How the runner reaches the node.","type":"object","additionalProperties":false,"required":["host"],"properties":{"host":{"description":"Host name or IP address the runner connects to (never starts with -).","type":"string","pattern":"^[A-Za-z0-9_:][A-Za-z0-9_.:-]{0,252}$"},"port":{"type":"integer","minimum":1,"maximum":65535,"default":22},"user":{"type":"string","pattern":"^[\\\\p{L}\\\\p{N}_][\\\\p{L}\\\\p{N}_.-]{0,31}$","default":"root"},"keyPath":{"description":"Private key file; absent means the SSH agent or the user\'s default keys.","type":"string","pattern":"^[^\\\\u0000-\\\\u001f\\\\u007f-\\\\u009f\\\\u2028\\\\u2029\\"\\\\\\\\]+$"},"knownHostsPath":{"description":"known_hosts file holding the node\'s host key under hostKeyAlias (strict host key checking).","type":"string","pattern":"^[^\\\\u0000-\\\\u001f\\\\u007f-\\\\u009f\\\\u2028\\\\u2029\\"\\\\\\\\]+$"},"hostKeyAlias":{"description":"Name the host key is recorded under in knownHostsPath.","type":"string","pattern":"^[A-Za-z0-9_.:@+-]{1,255}$"},"hostKey":{"description":"The node\'s public host key (ssh-ed25519 AAAA…).","type":"string","pattern":"^[a-z0-9@.-]+ [A-Za-z0-9+/]+={0,3}( [^\\\\u0000-\\\\u001f\\\\u007f-\\\\u009f\\\\u2028\\\\u2029]*)?$"}}},"provider":{"type":"string","enum":["nspawn","qemu","libvirt","static"]},"machineId":{"description":"The provider\'s name for the machine (karoo-<env>-<node>).","type":"string","pattern":"^[A-Za-z0-9_][A-Za-z0-9_.-]{0,254}$"},"cpus":{"type":"integer","minimum":1},"memory":{"description":"MiB.","type":"integer","minimum":1}}}}}}');
;// CONCATENATED MODULE: ./packages/machines/lib/src/inventory.js





const INVENTORY_SCHEMA_ID = 'https://karoo.dev/schema/inventory.schema.json';
let validator;
function describe(e) {
    const where = e.instancePath === '' ? '(top level)' : e.instancePath.slice(1).replace(/\//g, '.');
    if (e.keyword === 'additionalProperties')
        return `${where}: unknown key "${e.params.additionalProperty}"`;
    if (e.keyword === 'enum')
        return `${where}: must be one of ${e.params.allowedValues.join(', ')}`;
    // The value JSON-quoted, so a newline in it cannot split the message (or anything that logs it).
    if (e.keyword === 'pattern' && typeof e.data === 'string')
        return `${where}: ${(0,lib/* quoteValue */.cl)(e.data)} is not allowed (must match ${e.params.pattern})`;
    return `${where}: ${e.message ?? 'is invalid'}`;
}
/** Checks a parsed inventory against the schema; fills defaults (port 22, user root) and resolves key paths against `baseDir`. */
function parseInventory(value, source, baseDir) {
    validator ??= new ajv.Ajv({ allErrors: true, strict: false, useDefaults: true, validateFormats: false, verbose: true }).compile(inventory_schema_namespaceObject);
    if (!validator(value)) {
        const e = validator.errors[0];
        throw new lib/* KarooError */.xD('input', `inventory ${source}: ${describe(e)}; see packages/machines/schema/inventory.schema.json`);
    }
    const inv = value;
    const names = new Set();
    for (const n of inv.nodes) {
        if (names.has(n.name))
            throw new lib/* KarooError */.xD('input', `inventory ${source}: node "${n.name}" is listed twice`);
        names.add(n.name);
        n.provider ??= inv.provider;
        if (baseDir) {
            if (n.ssh.keyPath && !(0,external_node_path_.isAbsolute)(n.ssh.keyPath))
                n.ssh.keyPath = (0,external_node_path_.resolve)(baseDir, n.ssh.keyPath);
            if (n.ssh.knownHostsPath && !(0,external_node_path_.isAbsolute)(n.ssh.knownHostsPath))
                n.ssh.knownHostsPath = (0,external_node_path_.resolve)(baseDir, n.ssh.knownHostsPath);
        }
    }
    return inv;
}
async function readInventory(path) {
    let text;
    try {
        text = await (0,promises_.readFile)(path, 'utf8');
    }
    catch (e) {
        throw new lib/* KarooError */.xD('input', `inventory ${path} cannot be read (${e.code ?? String(e)}); pass the inventory.json that karoo provision wrote`);
    }
    let value;
    try {
        value = JSON.parse(text);
    }
    catch (e) {
        throw new lib/* KarooError */.xD('input', `inventory ${path} is not JSON: ${e.message}`);
    }
    return parseInventory(value, path, (0,external_node_path_.dirname)((0,external_node_path_.resolve)(path)));
}
async function writeInventory(path, inv) {
    await (0,lib/* writeFileAtomic */.Zf)(path, `${JSON.stringify({ $schema: INVENTORY_SCHEMA_ID, ...inv }, null, 2)}\n`);
}
//# sourceMappingURL=inventory.js.map
;// CONCATENATED MODULE: ./packages/machines/lib/src/names.js


/** `karoo-` and 8 lowercase hex digits: the prefix of every resource an environment owns. */
const ENV_ID_RE = /^karoo-[0-9a-f]{8}$/;
/** Finds environment ids inside names, command lines and paths. */
const ENV_ID_IN_TEXT_RE = /karoo-[0-9a-f]{8}(?![0-9a-f])/g;
function newEnvironmentId() {
    return `karoo-${(0,external_node_crypto_.randomBytes)(4).toString('hex')}`;
}
function isEnvironmentId(s) {
    return ENV_ID_RE.test(s);
}
function checkEnvironmentId(s) {
    if (!isEnvironmentId(s))
        throw new lib/* KarooError */.xD('input', `${(0,lib/* quoteValue */.cl)(s)} is not an environment id; expected karoo- and 8 hex digits, e.g. karoo-1a2b3c4d`);
    return s;
}
/** Longest node name: machine names are `karoo-<8 hex>-<node>` and must stay a valid 64-character host name. */
const MAX_NODE_NAME = 48;
const HOSTNAME_LABEL_RE = /^[a-z0-9]([a-z0-9-]*[a-z0-9])?$/;
/** Node names become host names, machine names and namespace names: RFC 1123 labels, lower case. */
function checkNodeName(name) {
    if (!HOSTNAME_LABEL_RE.test(name) || name.length > MAX_NODE_NAME) {
        throw new lib/* KarooError */.xD('input', `node name ${(0,lib/* quoteValue */.cl)(name)} is not a valid host name; use 1-${MAX_NODE_NAME} lower-case letters, digits and inner hyphens (e.g. control-1)`);
    }
    if (name === 'localhost')
        throw new lib/* KarooError */.xD('input', 'node name "localhost" is reserved; choose another name');
}
/** Resource names of one environment. Interface names are limited to 15 bytes, so links carry the full name as their alias. */
const names = {
    netns: (env) => env,
    nodeNetns: (env, node) => `${env}-${node}`,
    machine: (env, node) => `${env}-${node}`,
    bridge: 'br0',
    bridgeAlias: (env) => `${env}-bridge`,
    veth: (index) => `v${index}`,
    vethAlias: (env, node) => `${env}-${node}-veth`,
    tap: (index) => `t${index}`,
    tapAlias: (env, node) => `${env}-${node}-tap`,
    overlaySource: (env, node) => `${env}-${node}`,
};
/**
 * The environment's private /24: 10.X.Y.0/24 derived from its id. Each environment has its own
 * namespace, so two environments never share a network even if the derived subnets met.
 */
function subnetOf(env) {
    const hex = env.slice('karoo-'.length);
    const x = 64 + (parseInt(hex.slice(0, 2), 16) % 64);
    const y = parseInt(hex.slice(2, 4), 16);
    const prefix = `10.${x}.${y}`;
    return {
        prefix,
        gateway: `${prefix}.1`,
        cidr: `${prefix}.0/24`,
        address: (index) => {
            if (index > 250)
                throw new lib/* KarooError */.xD('input', `an environment holds at most 251 nodes, got node #${index + 1}`);
            return `${prefix}.${index + 2}`;
        },
    };
}
/** A locally administered MAC address, unique within the environment. */
function macOf(env, index) {
    const hex = env.slice('karoo-'.length);
    return `52:54:${hex.slice(0, 2)}:${hex.slice(2, 4)}:${hex.slice(4, 6)}:${(index & 0xff).toString(16).padStart(2, '0')}`;
}
//# sourceMappingURL=names.js.map
;// CONCATENATED MODULE: ./packages/machines/lib/src/network.js



const NETNS_DIR = '/run/netns';
function netnsPath(name) {
    return `${NETNS_DIR}/${name}`;
}
/** Runs `ip` commands inside a namespace in one process. */
async function ipBatch(netns, lines) {
    if (lines.length === 0)
        return;
    await run('ip', [...(netns ? ['-n', netns] : []), '-batch', '-'], { input: `${lines.join('\n')}\n`, timeoutMs: 30_000 });
}
async function addNetns(name) {
    await run('ip', ['netns', 'add', name], { timeoutMs: 30_000 });
}
async function deleteNetns(name) {
    await run('ip', ['netns', 'delete', name], { allowFailure: true, timeoutMs: 30_000 });
}
async function listNetns() {
    try {
        return (await (0,promises_.readdir)(NETNS_DIR)).sort();
    }
    catch {
        return [];
    }
}
/** The environment's network: a namespace holding a bridge with the gateway address; nothing routes out of it. */
async function createEnvNetwork(env, gateway) {
    await addNetns(names.netns(env));
    await ipBatch(names.netns(env), [
        'link set lo up',
        `link add ${names.bridge} type bridge stp_state 0 forward_delay 0`,
        `link set ${names.bridge} alias ${names.bridgeAlias(env)}`,
        `address add ${gateway}/24 dev ${names.bridge}`,
        `link set ${names.bridge} up`,
    ]);
}
/** nspawn: a namespace of the node's own with `host0`, the peer of a veth on the environment's bridge. */
async function createNodeVeth(env, node, index, mac) {
    const ns = names.nodeNetns(env, node);
    await addNetns(ns);
    await ipBatch(names.netns(env), [
        `link add ${names.veth(index)} type veth peer name host0 address ${mac} netns ${ns}`,
        `link set ${names.veth(index)} alias ${names.vethAlias(env, node)}`,
        `link set ${names.veth(index)} master ${names.bridge} up`,
    ]);
    return ns;
}
/** qemu: a tap device on the environment's bridge for the node's virtio NIC. */
async function createNodeTap(env, node, index) {
    const tap = names.tap(index);
    await ipBatch(names.netns(env), [
        `tuntap add dev ${tap} mode tap`,
        `link set ${tap} alias ${names.tapAlias(env, node)}`,
        `link set ${tap} master ${names.bridge} up`,
    ]);
    return tap;
}
//# sourceMappingURL=network.js.map
;// CONCATENATED MODULE: ./packages/machines/lib/src/owner.js




/** The GitHub Actions runner's per-job process: every step of a job is one of its descendants. */
const RUNNER_JOB_PROCESS = 'Runner.Worker';
async function parentAndName(pid) {
    try {
        const stat = await (0,promises_.readFile)(`/proc/${pid}/stat`, 'utf8');
        const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
        const comm = (await (0,promises_.readFile)(`/proc/${pid}/comm`, 'utf8').catch(() => '')).trim();
        const argv0 = (await (0,promises_.readFile)(`/proc/${pid}/cmdline`, 'utf8').catch(() => '')).split('\0')[0] ?? '';
        return { ppid, names: [comm, argv0 ? (0,external_node_path_.basename)(argv0) : ''] };
    }
    catch {
        return undefined;
    }
}
/**
 * The nearest ancestor of `pid` (itself excluded) whose name (comm, or its argv[0]'s base name)
 * is `name`: in a GitHub Actions job, the runner's `Runner.Worker`, which lives exactly as long
 * as the job, while each step is a process of its own. Undefined outside a runner.
 */
async function findJobProcess(pid = process.pid, name = RUNNER_JOB_PROCESS) {
    const seen = new Set();
    let cur = (await parentAndName(pid))?.ppid;
    while (cur !== undefined && cur > 0 && !seen.has(cur)) {
        seen.add(cur);
        const p = await parentAndName(cur);
        if (!p)
            return undefined;
        if (p.names.includes(name))
            return procRef(cur);
        cur = p.ppid;
    }
    return undefined;
}
/** The owner record of another, live process (an environment that lives as long as it does); refuses a pid that is not running. */
async function ownerOf(pid) {
    if (!Number.isInteger(pid) || pid <= 0 || !(await procRef(pid))) {
        throw new lib/* KarooError */.xD('input', `owner process ${pid} is not running; pass the pid of a live process the environment should live as long as`);
    }
    return ownerRef(pid);
}
//# sourceMappingURL=owner.js.map
;// CONCATENATED MODULE: ./packages/machines/lib/src/cgroups.js



/**
 * Roots of the cgroup hierarchies an init system inside a container manages: the named
 * `systemd` v1 hierarchy and the unified (v2) one, wherever this machine mounts them.
 */
async function cgroupRoots() {
    const roots = [];
    const self = await (0,promises_.readFile)('/proc/self/cgroup', 'utf8').catch(() => '');
    if (/^[0-9]+:name=systemd:/m.test(self) && (0,external_node_fs_.existsSync)('/sys/fs/cgroup/systemd/cgroup.procs'))
        roots.push('/sys/fs/cgroup/systemd');
    if ((0,external_node_fs_.existsSync)('/sys/fs/cgroup/unified/cgroup.procs'))
        roots.push('/sys/fs/cgroup/unified');
    else if ((0,external_node_fs_.existsSync)('/sys/fs/cgroup/cgroup.controllers'))
        roots.push('/sys/fs/cgroup');
    return roots;
}
/**
 * A cgroup of the machine's own in each hierarchy. Without it (nspawn with --keep-unit on a
 * host without systemd) every container's systemd would manage the same cgroup and they
 * would tear down each other's services.
 */
async function createCgroups(name) {
    const dirs = (await cgroupRoots()).map((r) => (0,external_node_path_.join)(r, name));
    for (const d of dirs)
        await (0,promises_.mkdir)(d, { recursive: true });
    return dirs;
}
/** Removes a cgroup and everything the container's init created below it, deepest first. */
async function removeCgroupTree(dir) {
    let entries;
    try {
        entries = (await (0,promises_.readdir)(dir, { withFileTypes: true })).filter((e) => e.isDirectory()).map((e) => e.name);
    }
    catch {
        return;
    }
    for (const e of entries)
        await removeCgroupTree((0,external_node_path_.join)(dir, e));
    for (let i = 0; i < 20; i++) {
        try {
            await (0,promises_.rmdir)(dir);
            return;
        }
        catch (e) {
            const code = e.code;
            if (code === 'ENOENT')
                return;
            // EBUSY while the last processes are still being torn down.
            await new Promise((r) => setTimeout(r, 50));
        }
    }
}
/** The cgroups whose names start with `prefix` (an environment id), in every hierarchy. */
async function cgroupsWithPrefix(prefix) {
    const out = [];
    for (const r of await cgroupRoots()) {
        for (const e of await (0,promises_.readdir)(r).catch(() => []))
            if (e === prefix || e.startsWith(`${prefix}-`))
                out.push((0,external_node_path_.join)(r, e));
    }
    return out;
}
//# sourceMappingURL=cgroups.js.map
// EXTERNAL MODULE: ./node_modules/tar-stream/index.js
var tar_stream = __webpack_require__(56118);
;// CONCATENATED MODULE: ./packages/machines/lib/src/seed.js





/** Directories of the seed that are not 0755 (inside the machine). */
const SEED_DIRS = { '/root/.ssh': 0o700 };
/** Hostname, /etc/hosts with every node, a fresh machine-id, the node's own SSH host key, the environment's key, a static address. */
function seedFiles(s) {
    // Each of these becomes a line of a configuration file inside the machine.
    (0,lib/* configText */.Ut)('node name', s.node);
    (0,lib/* configText */.Ut)(`node "${s.node}" address`, s.address);
    (0,lib/* configText */.Ut)(`node "${s.node}" MAC address`, s.mac);
    for (const h of s.hosts) {
        (0,lib/* configText */.Ut)(`/etc/hosts name`, h.name);
        (0,lib/* configText */.Ut)(`/etc/hosts address of "${h.name}"`, h.address);
    }
    const hosts = ['127.0.0.1\tlocalhost', '::1\tlocalhost ip6-localhost ip6-loopback', ...s.hosts.map((h) => `${h.address}\t${h.name}`)];
    return [
        { path: '/etc/hostname', content: `${s.node}\n`, mode: 0o644 },
        { path: '/etc/hosts', content: `# written by karoo: every node of the environment\n${hosts.join('\n')}\n`, mode: 0o644 },
        { path: '/etc/machine-id', content: `${(0,external_node_crypto_.randomBytes)(16).toString('hex')}\n`, mode: 0o444 },
        { path: '/etc/ssh/ssh_host_ed25519_key', content: s.hostPrivateKey, mode: 0o600 },
        { path: '/etc/ssh/ssh_host_ed25519_key.pub', content: s.hostPublicKey, mode: 0o644 },
        { path: '/root/.ssh/authorized_keys', content: s.authorizedKey, mode: 0o600 },
        {
            path: '/etc/systemd/network/10-karoo.network',
            content: `# written by karoo: the node's address on the environment's private network\n[Match]\nMACAddress=${s.mac}\n\n[Network]\nAddress=${s.address}/${s.prefixLength}\nLinkLocalAddressing=no\nIPv6AcceptRA=no\n`,
            mode: 0o644,
        },
    ];
}
/**
 * Creates `path` (it must not exist) holding `data` with `mode` from the moment it exists:
 * the mode is given to open(2) with O_EXCL, so there is no instant in which the file is
 * readable by anyone else, whatever the umask; the exact mode is then set on the open file.
 * Secret files (private keys, seeds holding them) are written only through here.
 */
async function writeSecretFile(path, data, mode = 0o600, owner) {
    const fh = await (0,promises_.open)(path, 'wx', mode);
    try {
        await fh.chmod(mode);
        if (owner)
            await fh.chown(owner.uid, owner.gid);
        await fh.writeFile(data);
    }
    finally {
        await fh.close();
    }
}
/**
 * Writes the seed into a mounted root file system (nspawn's overlay). Each file is created
 * beside its target with its final mode and owner (writeSecretFile) and renamed over it, so a
 * key is never readable by others, not even for an instant, and a file of the image is
 * replaced whole. Directories of SEED_DIRS get their mode before anything goes into them.
 */
async function writeSeedInto(root, files) {
    for (const [d, mode] of Object.entries(SEED_DIRS)) {
        const p = (0,external_node_path_.join)(root, d);
        await (0,promises_.mkdir)((0,external_node_path_.dirname)(p), { recursive: true, mode: 0o755 });
        await (0,promises_.mkdir)(p, { mode }).catch((e) => {
            if (e.code !== 'EEXIST')
                throw e;
        });
        await (0,promises_.chmod)(p, mode);
    }
    for (const f of files) {
        const p = (0,external_node_path_.join)(root, f.path);
        await (0,promises_.mkdir)((0,external_node_path_.dirname)(p), { recursive: true, mode: 0o755 });
        const tmp = (0,external_node_path_.join)((0,external_node_path_.dirname)(p), `.${(0,external_node_path_.basename)(p)}.karoo-${(0,external_node_crypto_.randomBytes)(6).toString('hex')}`);
        try {
            await writeSecretFile(tmp, f.content, f.mode, { uid: 0, gid: 0 });
            await (0,promises_.rename)(tmp, p);
        }
        catch (e) {
            await (0,promises_.rm)(tmp, { force: true });
            throw e;
        }
    }
}
/** The seed as a tar archive for QEMU's seed disk (applied by karoo's initrd). */
async function seedTar(files) {
    const pack = tar_stream.pack();
    const chunks = [];
    pack.on('data', (c) => chunks.push(c));
    const done = new Promise((resolve, reject) => {
        pack.on('end', () => resolve());
        pack.on('error', reject);
    });
    const mtime = new Date(0);
    const dirs = new Set();
    for (const f of files) {
        const rel = f.path.replace(/^\//, '');
        const parts = rel.split('/').slice(0, -1);
        for (let i = 1; i <= parts.length; i++) {
            const d = parts.slice(0, i).join('/');
            if (dirs.has(d) || d === 'root' || d === 'etc')
                continue;
            dirs.add(d);
            pack.entry({ name: `${d}/`, type: 'directory', mode: SEED_DIRS[`/${d}`] ?? 0o755, uid: 0, gid: 0, mtime });
        }
        pack.entry({ name: rel, mode: f.mode, uid: 0, gid: 0, mtime }, f.content);
    }
    pack.finalize();
    await done;
    const buf = Buffer.concat(chunks);
    const pad = (512 - (buf.length % 512)) % 512;
    return Buffer.concat([buf, Buffer.alloc(pad + 64 * 1024)]);
}
//# sourceMappingURL=seed.js.map
// EXTERNAL MODULE: external "node:net"
var external_node_net_ = __webpack_require__(77030);
;// CONCATENATED MODULE: ./packages/machines/lib/src/ssh.js




/**
 * The one place karoo decides how OpenSSH reaches a machine or a node: provision, the machines'
 * lifecycle (logs, exec, readiness) and deploy (SshPool in @karoo/deploy) all take their options
 * from sshSettings. The endpoint type is the inventory's SshEndpoint (port and user filled in by
 * parseInventory: 22 and root).
 */
/**
 * The port and user of an endpoint that names none: the inventory's defaults (parseInventory fills
 * them in; an inventory built in code may leave them out, and is read the same way).
 */
const SSH_DEFAULTS = { port: 22, user: 'root' };
const sshPort = (t) => t.port ?? SSH_DEFAULTS.port;
const sshUser = (t) => t.user ?? SSH_DEFAULTS.user;
/** The alias an inline `hostKey` is recorded under in the run's known_hosts (the endpoint's hostKeyAlias, else one per node). */
function hostKeyAlias(t, node) {
    return t.hostKeyAlias ?? `karoo-node-${node}`;
}
/**
 * Refuses an endpoint that could change what ssh does rather than where it connects: a host or
 * user that ssh would read as an option (leading `-`) or that is not a plain name, and any value
 * that cannot be written into an ssh_config line (control characters, quotes). Inventories are
 * checked by their schema on load; this holds for every other caller too.
 */
function checkSshEndpoint(t, what = 'ssh') {
    const k = (f) => `${what}.${f}`;
    (0,lib/* sshConfigValue */.i0)(k('host'), t.host);
    if (!/^[A-Za-z0-9_:][A-Za-z0-9_.:-]*$/.test(t.host))
        throw new lib/* KarooError */.xD('input', `${k('host')} ${(0,lib/* quoteValue */.cl)(t.host)} is not a host name or IP address; fix the inventory`);
    const user = sshUser(t);
    if (typeof user !== 'string' || !/^[\p{L}\p{N}_][\p{L}\p{N}_.-]*$/u.test(user))
        throw new lib/* KarooError */.xD('input', `${k('user')} ${(0,lib/* quoteValue */.cl)(String(user))} is not a user name; fix the inventory`);
    const port = sshPort(t);
    if (!(Number.isInteger(port) && port >= 1 && port <= 65535))
        throw new lib/* KarooError */.xD('input', `${k('port')} ${String(t.port)} is not a port number`);
    if (t.keyPath !== undefined)
        (0,lib/* sshConfigValue */.i0)(k('keyPath'), t.keyPath);
    if (t.knownHostsPath !== undefined)
        (0,lib/* sshConfigValue */.i0)(k('knownHostsPath'), t.knownHostsPath);
    if (t.hostKeyAlias !== undefined && !/^[A-Za-z0-9_.:@+-]+$/.test(t.hostKeyAlias))
        throw new lib/* KarooError */.xD('input', `${k('hostKeyAlias')} ${(0,lib/* quoteValue */.cl)(t.hostKeyAlias)} is not a host name; fix the inventory`);
    if (t.hostKey !== undefined &&
        !/^[a-z0-9@.-]+ [A-Za-z0-9+/]+={0,3}( [^\u0000-\u001f\u007f-\u009f\u2028\u2029]*)?$/u.test(t.hostKey.trim())) {
        throw new lib/* KarooError */.xD('input', `${k('hostKey')} ${(0,lib/* quoteValue */.cl)(t.hostKey)} is not one public key (type, base64, optional comment); fix the inventory`);
    }
}
/**
 * The OpenSSH settings for one endpoint as `[Key, value]` pairs, each with its reason. The values
 * are raw: sshOptions and sshConfigEntry pass each through sshConfigValue. `node` names the node
 * whose inline host key the run's known_hosts holds (see hostKeyAlias).
 */
function sshSettings(t, s = {}, node) {
    checkSshEndpoint(t, s.what);
    const o = [
        // Never ask: there is no terminal in CI. A missing key or an unknown host key fails at once, with its reason.
        ['BatchMode', 'yes'],
        // A node across a WAN with a cold sshd answers within seconds; a dead address should not hold a run for minutes.
        // Readiness probes of a machine still booting pass a shorter one.
        ['ConnectTimeout', String(s.connectTimeout ?? 15)],
        // A node that vanishes mid-session (reboot, network) is noticed within ~15 s, not after TCP's minutes.
        ['ServerAliveInterval', '5'],
        ['ServerAliveCountMax', '3'],
        // No "Permanently added …" banners in the output that karoo shows or parses; errors still come through.
        ['LogLevel', 'ERROR'],
        // Where and as whom: from the inventory, else its defaults (SSH_DEFAULTS: 22, root).
        ['Port', String(sshPort(t))],
        ['User', sshUser(t)],
    ];
    if (t.keyPath) {
        // Offer only the inventory's key: not an agent's keys (a runner's agent is not the node's business,
        // and several keys end in "Too many authentication failures").
        o.push(['IdentityFile', t.keyPath], ['IdentitiesOnly', 'yes']);
    }
    const inline = t.hostKey && !t.knownHostsPath ? s.runKnownHosts : undefined;
    if (t.knownHostsPath || inline) {
        // Host keys: only those karoo was given count (not the runner image's /etc/ssh/ssh_known_hosts), checked strictly.
        // An inline hostKey is the line the run wrote into its own known_hosts (SshPool.open).
        o.push(['StrictHostKeyChecking', 'yes'], ['UserKnownHostsFile', (t.knownHostsPath ?? inline)], ['GlobalKnownHostsFile', '/dev/null']);
        // The key is recorded under an alias (a machine id, a node name) rather than 127.0.0.1:port, which machines share over time.
        const alias = t.knownHostsPath ? t.hostKeyAlias : hostKeyAlias(t, node ?? t.host);
        if (alias)
            o.push(['HostKeyAlias', alias]);
    }
    else if (s.runKnownHosts) {
        // No host key in the inventory: trust on first use, remembered in the run's file only, so it ends with the run.
        o.push(['StrictHostKeyChecking', 'accept-new'], ['UserKnownHostsFile', s.runKnownHosts]);
    }
    else {
        // No run file (a person's command line, the machines' own calls): the user's known_hosts decides, strictly.
        // (An inline hostKey needs a run to write it down; without one it is not trusted blindly either.)
        o.push(['StrictHostKeyChecking', 'yes']);
    }
    if (s.control) {
        // One TCP connection and one authentication per node for a whole run: the master socket lives in the run's
        // private directory (%C: a hash of host, port and user, short enough for a unix socket path).
        o.push(['ControlPath', `${s.control.dir}/%C`], ['ControlMaster', s.control.master ? 'yes' : 'no']);
        // The master outlives its first client for the run's length; the run closes it (`ssh -O exit`) when done.
        if (s.control.master)
            o.push(['ControlPersist', '600']);
    }
    return o;
}
/**
 * OpenSSH command-line options for an endpoint (`-o Key=value`). ssh parses every -o as a line of
 * its configuration, so each value goes through sshConfigValue; OpenSSH takes the first value it
 * sees for an option, so ours come before anything a caller adds.
 */
function sshOptions(t, s = {}, node) {
    const what = s.what ?? 'ssh';
    return sshSettings(t, s, node).flatMap(([k, v]) => ['-o', `${k}=${(0,lib/* sshConfigValue */.i0)(`${what} option ${k}`, v)}`]);
}
/** An ssh_config entry (`ssh -F FILE NAME` reaches the endpoint with the same options); every value through sshConfigValue. */
function sshConfigEntry(name, t, s = {}) {
    const what = s.what ?? 'ssh';
    const value = (k, v) => `  ${k} ${(0,lib/* sshConfigValue */.i0)(`${what} ${k}`, v)}`;
    const lines = [
        `Host ${(0,lib/* sshConfigValue */.i0)('node name', name)}`,
        value('HostName', t.host),
        ...sshSettings(t, s, name).map(([k, v]) => value(k, v)),
    ];
    return `${lines.join('\n')}\n`;
}
/** `user@host`, checked (see checkSshEndpoint). */
function sshDestination(t) {
    checkSshEndpoint(t);
    return `${sshUser(t)}@${t.host}`;
}
/** The command line a person would type to reach the node. */
function sshCommandLine(t) {
    const quote = (s) => (/^[A-Za-z0-9_./=@:-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`);
    return ['ssh', ...sshOptions(t), sshDestination(t)].map(quote).join(' ');
}
/** Runs one remote command (a shell string, as ssh always sends) and returns its output. */
async function sshExec(t, command, opts = {}) {
    return run('ssh', [...sshOptions(t, { connectTimeout: opts.connectTimeout }), sshDestination(t), '--', command], {
        input: opts.input,
        timeoutMs: opts.timeoutMs ?? 120_000,
        allowFailure: opts.allowFailure,
    });
}
/** True when something at host:port greets with an SSH banner within `timeoutMs`. */
function sshBanner(host, port, timeoutMs) {
    return new Promise((resolve) => {
        const sock = (0,external_node_net_.connect)({ host, port });
        let data = '';
        const done = (ok) => {
            clearTimeout(timer);
            sock.destroy();
            resolve(ok);
        };
        const timer = setTimeout(() => done(false), timeoutMs);
        sock.on('data', (d) => {
            data += d.toString('latin1');
            if (data.length >= 4)
                done(data.startsWith('SSH-'));
        });
        sock.on('error', () => done(false));
        sock.on('close', () => done(false));
    });
}
/**
 * Waits until `ssh … true` succeeds. A forwarded port accepts TCP before the machine is up, so
 * probes are cheap and short: a TCP connect that waits at most 1 s for the SSH banner, every
 * 50 ms, and only once a banner is seen a real `ssh … true` (key and host key checked).
 * `alive` is asked between probes so a machine that died fails fast.
 */
async function waitForSsh(t, deadline, alive) {
    let last = '';
    while (Date.now() < deadline) {
        if (!(await alive()))
            throw new lib/* KarooError */.xD('unavailable', 'the machine stopped before SSH was ready');
        if (!(await sshBanner(t.host, sshPort(t), 1000))) {
            last = 'no SSH banner yet';
            await sleep(50);
            continue;
        }
        const r = await run('ssh', [...sshOptions(t, { connectTimeout: 2 }), sshDestination(t), 'true'], {
            allowFailure: true,
            timeoutMs: 10_000,
        }).catch((e) => ({ code: -1, stderr: e.message, stdout: '', signal: null }));
        if (r.code === 0)
            return;
        last = r.stderr.trim();
        await sleep(100);
    }
    throw new lib/* KarooError */.xD('unavailable', `SSH did not answer in time${last ? ` (last error: ${last.split('\n').pop()})` : ''}`);
}
//# sourceMappingURL=ssh.js.map
;// CONCATENATED MODULE: ./packages/machines/lib/src/providers/common.js




/** Last `n` lines of a console log, without terminal escapes. */
async function consoleTail(path, n = 15) {
    try {
        const text = (await (0,promises_.readFile)(path, 'utf8')).replace(/\x1b\[[0-9;?]*[A-Za-z]/g, '').replace(/\r/g, '');
        return text
            .split('\n')
            .filter((l) => l.trim() !== '')
            .slice(-n)
            .join('\n');
    }
    catch {
        return '(no console output)';
    }
}
async function waitReadyOverSsh(machine, ssh, deadline, alive, what) {
    try {
        await waitForSsh(ssh, deadline, alive);
    }
    catch (e) {
        const tail = await consoleTail(machine.consoleLog);
        throw new lib/* KarooError */.xD('unavailable', `${what} ${machine.name} (${machine.machineId}) is not reachable over SSH: ${e.message}; last console lines:\n${tail}`, {
            detail: { node: machine.name, console: tail },
        });
    }
}
async function collectCommonLogs(machine, ssh, dir) {
    const saved = [];
    const consoleOut = (0,external_node_path_.join)(dir, `${machine.name}.console.log`);
    try {
        await (0,promises_.copyFile)(machine.consoleLog, consoleOut);
        saved.push(consoleOut);
    }
    catch {
        // no console yet
    }
    if (ssh) {
        const r = await sshExec(ssh, 'journalctl -b --no-pager -o short-monotonic', {
            timeoutMs: 15_000,
            allowFailure: true,
            connectTimeout: 3,
        }).catch(() => undefined);
        if (r && r.code === 0) {
            const p = (0,external_node_path_.join)(dir, `${machine.name}.journal.log`);
            await (0,promises_.writeFile)(p, r.stdout);
            saved.push(p);
        }
    }
    return saved;
}
//# sourceMappingURL=common.js.map
;// CONCATENATED MODULE: ./packages/machines/lib/src/providers/nspawn.js











/** The flags every karoo container boots with; the bench runs the bare command with the same ones. */
function nspawnArgs(opts) {
    return [
        '--boot',
        // The runner may not run systemd: do not register with machined or create a scope unit.
        '--register=no',
        '--keep-unit',
        '--quiet',
        `--directory=${opts.root}`,
        `--machine=${opts.machine}`,
        `--hostname=${opts.hostname}`,
        // Our own namespace (veth already on the bridge); networkd inside needs CAP_NET_ADMIN to set the address.
        `--network-namespace-path=${opts.netnsPath}`,
        '--capability=CAP_NET_ADMIN',
        '--resolv-conf=off',
        '--timezone=off',
        '--link-journal=no',
        '--console=read-only',
    ];
}
/** systemd-nspawn system containers: real systemd as PID 1 on an overlay of the image's root file system. */
class NspawnProvider {
    name = 'nspawn';
    maxParallelBoots() {
        return Number(process.env.KAROO_MAX_PARALLEL_BOOTS) || 32;
    }
    async prepare(state) {
        if (process.getuid?.() !== 0)
            throw new lib/* KarooError */.xD('refused', 'the nspawn provider needs root (mounts, network namespaces); run as root or with sudo');
        await requireTools(['systemd-nspawn', 'ip', 'mount', 'umount']);
        if (state.image.kind !== 'karoo')
            throw new lib/* KarooError */.xD('input', "the nspawn provider boots karoo's own image only; remove provision.image or use --provider qemu for a cloud image");
    }
    async create(req) {
        const { state, machine: m, image } = req;
        if (image.kind !== 'karoo')
            throw new lib/* KarooError */.xD('input', "the nspawn provider boots karoo's own image only");
        const dir = (0,external_node_path_.join)(state.dir, 'nodes', m.name);
        const upper = (0,external_node_path_.join)(dir, 'upper');
        const work = (0,external_node_path_.join)(dir, 'work');
        const root = (0,external_node_path_.join)(dir, 'root');
        // 0700: the overlay's upper layer holds the node's SSH host key (upper itself stays 0755: it is the container's /).
        await (0,promises_.mkdir)(dir, { recursive: true, mode: 0o700 });
        await (0,promises_.mkdir)(upper, { recursive: true });
        await (0,promises_.mkdir)(work, { recursive: true });
        await (0,promises_.mkdir)(root, { recursive: true });
        m.mountPoint = root;
        m.netns = names.nodeNetns(state.environmentId, m.name);
        await req.save();
        await run('mount', [
            '-t',
            'overlay',
            names.overlaySource(state.environmentId, m.name),
            '-o',
            `lowerdir=${image.rootfs},upperdir=${upper},workdir=${work}`,
            root,
        ]);
        await writeSeedInto(root, req.seed);
        await createNodeVeth(state.environmentId, m.name, m.index, m.mac);
        const log = await (0,promises_.open)(m.consoleLog, 'a');
        try {
            // The shell moves itself into the machine's cgroups, then becomes systemd-nspawn (same pid).
            const cgroups = await createCgroups(m.machineId);
            const child = (0,external_node_child_process_.spawn)('sh', [
                '-c',
                'for g in $KAROO_CGROUPS; do echo $$ > "$g/cgroup.procs" || exit 1; done; exec systemd-nspawn "$@"',
                m.machineId,
                ...nspawnArgs({ root, machine: m.machineId, hostname: m.name, netnsPath: netnsPath(m.netns) }),
            ], { detached: true, stdio: ['ignore', log.fd, log.fd], env: { ...process.env, KAROO_CGROUPS: cgroups.join(' ') } });
            const started = await new Promise((resolve, reject) => {
                child.once('error', reject);
                child.once('spawn', () => resolve(child.pid));
            });
            child.unref();
            m.process = (await procRef(started)) ?? { pid: started, startTime: 0 };
            m.startedAt = new Date().toISOString();
            await req.save();
        }
        finally {
            await log.close();
        }
    }
    isRunning(m) {
        return isAlive(m.process);
    }
    waitReady(m, ssh, deadline) {
        return waitReadyOverSsh(m, ssh, deadline, () => this.isRunning(m), 'container');
    }
    collectLogs(_state, m, ssh, dir) {
        return collectCommonLogs(m, ssh, dir);
    }
    async destroy(state, m, processes) {
        // Killing nspawn alone leaves the container running: kill its init (and every process in
        // the node's namespace) together with nspawn.
        const victims = [];
        if (m.process)
            victims.push(m.process);
        const ino = m.netns ? await netnsInode(netnsPath(m.netns)) : undefined;
        for (const p of processes ?? (await listProcesses())) {
            if ((ino !== undefined && p.netns === ino) || (m.process && p.ppid === m.process.pid))
                victims.push({ pid: p.pid, startTime: p.startTime });
        }
        await killAndWait(victims, 5000);
        for (const g of await cgroupsWithPrefix(m.machineId))
            await removeCgroupTree(g);
        if (m.mountPoint)
            await unmount(m.mountPoint);
        if (m.netns)
            await deleteNetns(m.netns);
        await (0,promises_.rm)(`/run/systemd/nspawn/propagate/${m.machineId}`, { recursive: true, force: true });
        await (0,promises_.rm)((0,external_node_path_.join)(state.dir, 'nodes', m.name), { recursive: true, force: true });
    }
}
/** Unmounts if mounted; a busy mount is detached lazily so teardown never stalls. */
async function unmount(path) {
    const mounted = async () => (await (0,promises_.readFile)('/proc/self/mountinfo', 'utf8')).split('\n').some((l) => l.split(' ')[4] === path);
    for (let i = 0; i < 3 && (await mounted()); i++) {
        const r = await run('umount', [path], { allowFailure: true });
        if (r.code === 0)
            return;
        await new Promise((res) => setTimeout(res, 100));
    }
    if (await mounted())
        await run('umount', ['-l', path], { allowFailure: true });
}
//# sourceMappingURL=nspawn.js.map
;// CONCATENATED MODULE: ./packages/machines/lib/src/providers/qemu.js












/**
 * KVM when /dev/kvm opens read-write and the CPU advertises virtualisation (a /dev/kvm that
 * opens without vmx/svm, as in some nested sandboxes, fails at the first emulated
 * instruction); software emulation (TCG) otherwise. KAROO_QEMU_ACCEL=kvm|tcg overrides.
 */
async function detectAccelerator() {
    const forced = process.env.KAROO_QEMU_ACCEL;
    if (forced === 'kvm' || forced === 'tcg')
        return forced;
    try {
        await (0,promises_.access)('/dev/kvm', external_node_fs_.constants.R_OK | external_node_fs_.constants.W_OK);
        const cpuinfo = await (0,promises_.readFile)('/proc/cpuinfo', 'utf8');
        return /^flags\s*:.*\b(vmx|svm)\b/m.test(cpuinfo) ? 'kvm' : 'tcg';
    }
    catch {
        return 'tcg';
    }
}
/** The host's CPU frequency in kHz, for the guest's clock under emulation (calibration fails on a busy host). */
async function hostKhz() {
    const m = /^cpu MHz\s*:\s*([0-9.]+)/m.exec(await (0,promises_.readFile)('/proc/cpuinfo', 'utf8').catch(() => ''));
    return m ? Math.round(Number(m[1]) * 1000) : undefined;
}
/** The qemu-system-x86_64 command line of one machine; the bench runs the same one bare. */
function qemuArgs(q) {
    const a = ['-name', `${q.name},process=${q.name}`, '-nodefaults', '-no-user-config', '-display', 'none', '-no-reboot'];
    if (q.accel === 'kvm')
        a.push('-machine', 'q35,accel=kvm', '-cpu', 'host');
    else
        a.push('-machine', 'q35', '-accel', 'tcg,thread=multi,tb-size=256', '-cpu', 'max');
    a.push('-smp', String(q.cpus), '-m', String(q.memory));
    if (q.kernel) {
        const cmdline = ['root=serial:karoo-root', 'rw', 'console=ttyS0', 'quiet', 'panic=-1'];
        if (q.accel === 'tcg')
            cmdline.push(...(q.kernel.khz ? [`tsc_early_khz=${q.kernel.khz}`] : []), 'tsc=reliable', 'no_timer_check');
        a.push('-kernel', q.kernel.kernel, '-initrd', q.kernel.initrd, '-append', cmdline.join(' '));
    }
    a.push('-drive', `file=${q.disk},if=none,id=root,format=qcow2,cache=unsafe,discard=unmap`, '-device', `virtio-blk-pci,drive=root,serial=karoo-root${q.kernel ? '' : ',bootindex=0'}`);
    if (q.seed.kind === 'tar')
        a.push('-drive', `file=${q.seed.path},if=none,id=seed,format=raw,readonly=on`, '-device', 'virtio-blk-pci,drive=seed,serial=karoo-seed');
    else
        a.push('-drive', `file=${q.seed.path},if=virtio,format=raw,media=cdrom,readonly=on`);
    a.push('-netdev', `tap,id=n0,ifname=${q.tap},script=no,downscript=no`, '-device', `virtio-net-pci,netdev=n0,mac=${q.mac}`);
    a.push('-device', 'virtio-rng-pci', '-serial', `file:${q.console}`);
    return a;
}
/** QEMU virtual machines on copy-on-write overlays of one base disk, taps on the environment's bridge. */
class QemuProvider {
    name = 'qemu';
    maxParallelBoots(state) {
        const forced = Number(process.env.KAROO_MAX_PARALLEL_BOOTS);
        if (forced > 0)
            return forced;
        // Under emulation machines compete for the cores: two at a time boot fastest on 2 cores.
        return state.accelerator === 'kvm' ? Math.max(2, (0,external_node_os_.cpus)().length) : Math.max(1, Math.floor((0,external_node_os_.cpus)().length / 2) || 1) + 1;
    }
    async prepare(state) {
        if (process.getuid?.() !== 0)
            throw new lib/* KarooError */.xD('refused', 'the qemu provider needs root (network namespace, taps); run as root or with sudo');
        await requireTools(['qemu-system-x86_64', 'qemu-img', 'ip']);
        if (state.image.kind === 'cloud')
            await requireTools(['genisoimage']);
        state.accelerator = await detectAccelerator();
    }
    async create(req) {
        const { state, machine: m, image } = req;
        const dir = (0,external_node_path_.join)(state.dir, 'nodes', m.name);
        // 0700: the seed holds the node's SSH host key; QEMU runs as root.
        await (0,promises_.mkdir)(dir, { recursive: true, mode: 0o700 });
        const disk = (0,external_node_path_.join)(dir, 'disk.qcow2');
        await req.save();
        const tap = await createNodeTap(state.environmentId, m.name, m.index);
        if (image.kind === 'karoo') {
            await run('qemu-img', ['create', '-q', '-f', 'qcow2', '-F', 'qcow2', '-b', image.disk, disk]);
        }
        else {
            await run('qemu-img', ['create', '-q', '-f', 'qcow2', '-F', image.format, '-b', image.disk, disk, '20G']);
        }
        let seed;
        if (image.kind === 'karoo') {
            seed = { path: (0,external_node_path_.join)(dir, 'seed.tar'), kind: 'tar' };
            await writeSecretFile(seed.path, await seedTar(req.seed));
        }
        else {
            seed = { path: (0,external_node_path_.join)(dir, 'seed.iso'), kind: 'iso' };
            await writeNoCloudSeed(dir, seed.path, {
                name: m.name,
                machineId: m.machineId,
                mac: m.mac,
                address: m.address,
                seed: req.seed,
                authorizedKey: req.authorizedKey,
            });
        }
        const args = qemuArgs({
            name: m.machineId,
            accel: state.accelerator ?? 'tcg',
            cpus: m.cpus ?? (state.accelerator === 'kvm' ? 1 : 2),
            memory: m.memory ?? 512,
            disk,
            seed,
            tap,
            mac: m.mac,
            console: m.consoleLog,
            kernel: image.kind === 'karoo' ? { kernel: image.kernel, initrd: image.initrd, khz: await hostKhz() } : undefined,
        });
        const log = await (0,promises_.open)((0,external_node_path_.join)(dir, 'qemu.log'), 'a');
        try {
            // `ip netns exec` execs QEMU inside the environment's namespace, where the tap is; the pid stays the same.
            const child = (0,external_node_child_process_.spawn)('ip', ['netns', 'exec', names.netns(state.environmentId), 'qemu-system-x86_64', ...args], {
                detached: true,
                stdio: ['ignore', log.fd, log.fd],
            });
            const pid = await new Promise((resolve, reject) => {
                child.once('error', reject);
                child.once('spawn', () => resolve(child.pid));
            });
            child.unref();
            m.process = (await procRef(pid)) ?? { pid, startTime: 0 };
            m.startedAt = new Date().toISOString();
            await req.save();
        }
        finally {
            await log.close();
        }
    }
    isRunning(m) {
        return isAlive(m.process);
    }
    async waitReady(m, ssh, deadline) {
        try {
            await waitReadyOverSsh(m, ssh, deadline, () => this.isRunning(m), 'virtual machine');
        }
        catch (e) {
            // QEMU's own complaints (bad option, no accelerator) are in qemu.log, not on the console.
            const q = (await (0,promises_.readFile)((0,external_node_path_.join)(m.consoleLog, '..', '..', 'nodes', m.name, 'qemu.log'), 'utf8').catch(() => '')).trim();
            if (q && e instanceof Error)
                e.message += `\nqemu: ${q.split('\n').slice(-5).join('\nqemu: ')}`;
            throw e;
        }
    }
    async collectLogs(state, m, ssh, dir) {
        const saved = await collectCommonLogs(m, ssh, dir);
        const q = await (0,promises_.readFile)((0,external_node_path_.join)(state.dir, 'nodes', m.name, 'qemu.log'), 'utf8').catch(() => '');
        if (q.trim()) {
            const p = (0,external_node_path_.join)(dir, `${m.name}.qemu.log`);
            await (0,promises_.writeFile)(p, q);
            saved.push(p);
        }
        return saved;
    }
    async destroy(state, m) {
        if (m.process)
            await killAndWait([m.process], 5000);
        // The tap goes with the environment's namespace; the overlay disk with the node directory.
        await (0,promises_.rm)((0,external_node_path_.join)(state.dir, 'nodes', m.name), { recursive: true, force: true });
    }
}
/**
 * cloud-init NoCloud seed: user (root) with the environment key, hostname, hosts, host key,
 * static network. Its files and the ISO hold the host's private key: they are created 0600 in a
 * 0700 directory, and the files are deleted once the ISO is made.
 */
async function writeNoCloudSeed(dir, iso, m) {
    const req = m;
    const file = (p) => req.seed.find((f) => f.path === p)?.content ?? '';
    // Written into YAML lines: a newline would add keys of its own.
    for (const [k, v] of Object.entries({
        name: m.name,
        machineId: m.machineId,
        mac: m.mac,
        address: m.address,
        authorizedKey: m.authorizedKey.trim(),
    }))
        (0,lib/* configText */.Ut)(`cloud-init seed ${k}`, v);
    const hostKey = file('/etc/ssh/ssh_host_ed25519_key');
    const indent = (s, n) => s
        .split('\n')
        .map((l) => (l ? ' '.repeat(n) + l : l))
        .join('\n');
    const userData = [
        '#cloud-config',
        `hostname: ${m.name}`,
        'manage_etc_hosts: false',
        'disable_root: false',
        'ssh_pwauth: false',
        'ssh_genkeytypes: [ed25519]',
        'ssh_deletekeys: true',
        'ssh_authorized_keys:',
        `  - ${req.authorizedKey.trim()}`,
        'ssh_keys:',
        '  ed25519_private: |',
        indent(hostKey.trim(), 4),
        `  ed25519_public: ${file('/etc/ssh/ssh_host_ed25519_key.pub').trim()}`,
        'write_files:',
        '  - path: /etc/hosts',
        '    permissions: "0644"',
        '    content: |',
        indent(file('/etc/hosts').trim(), 6),
        '',
    ].join('\n');
    const net = [
        'version: 2',
        'ethernets:',
        '  karoo0:',
        '    match:',
        `      macaddress: "${m.mac}"`,
        `    addresses: [${m.address}/24]`,
        '    dhcp4: false',
        '    dhcp6: false',
        '',
    ].join('\n');
    const src = (0,external_node_path_.join)(dir, 'cidata');
    await (0,promises_.mkdir)(src, { mode: 0o700 });
    try {
        await writeSecretFile((0,external_node_path_.join)(src, 'user-data'), userData);
        await writeSecretFile((0,external_node_path_.join)(src, 'meta-data'), `instance-id: ${m.machineId}\nlocal-hostname: ${m.name}\n`);
        await writeSecretFile((0,external_node_path_.join)(src, 'network-config'), net);
        // genisoimage truncates the file it is given and keeps its mode.
        await writeSecretFile(iso, '');
        await run('genisoimage', [
            '-quiet',
            '-output',
            iso,
            '-volid',
            'cidata',
            '-joliet',
            '-rock',
            (0,external_node_path_.join)(src, 'user-data'),
            (0,external_node_path_.join)(src, 'meta-data'),
            (0,external_node_path_.join)(src, 'network-config'),
        ]);
    }
    finally {
        await (0,promises_.rm)(src, { recursive: true, force: true });
    }
}
//# sourceMappingURL=qemu.js.map
;// CONCATENATED MODULE: ./packages/machines/lib/src/placement.js

/**
 * Places nodes on hosts before anything is created: largest nodes first (memory, then vCPUs),
 * each on the host with the most memory left that has room and holds no other node of an
 * anti-affine role. Pure and deterministic (ties go to the earlier host). When the nodes do
 * not fit, throws an `unavailable` error naming the node that does not fit and the shortfall.
 */
function place(nodes, hosts, antiAffinity = []) {
    if (hosts.length === 0)
        throw new lib/* KarooError */.xD('input', 'placement needs at least one host; list them under provision.hosts');
    for (const n of nodes) {
        if (!(Number.isInteger(n.cpus) && n.cpus > 0))
            throw new lib/* KarooError */.xD('input', `node "${n.name}": cpus must be a positive integer, got ${n.cpus}`);
        if (!(Number.isInteger(n.memory) && n.memory > 0))
            throw new lib/* KarooError */.xD('input', `node "${n.name}": memory must be a positive number of MiB, got ${n.memory}`);
    }
    const seen = new Set();
    for (const h of hosts) {
        if (seen.has(h.name))
            throw new lib/* KarooError */.xD('input', `host "${h.name}" is listed twice`);
        seen.add(h.name);
    }
    const usable = hosts.filter((h) => !h.unavailable);
    const down = hosts.filter((h) => h.unavailable).map((h) => `${h.name} (${h.unavailable})`);
    const downNote = down.length ? `; unreachable: ${down.join(', ')}` : '';
    if (usable.length === 0)
        throw new lib/* KarooError */.xD('unavailable', `no host of the pool can be used${downNote}`);
    // Totals first: the clearest message when the pool is simply too small.
    const need = { cpus: sum(nodes.map((n) => n.cpus)), memory: sum(nodes.map((n) => n.memory)) };
    const have = { cpus: sum(usable.map((h) => Math.max(0, h.cpus))), memory: sum(usable.map((h) => Math.max(0, h.memory))) };
    const short = [];
    if (need.cpus > have.cpus)
        short.push(`${need.cpus - have.cpus} vCPU(s)`);
    if (need.memory > have.memory)
        short.push(`${need.memory - have.memory} MiB of memory`);
    if (short.length) {
        throw new lib/* KarooError */.xD('unavailable', `the environment does not fit: its ${nodes.length} node(s) need ${need.cpus} vCPU(s) and ${need.memory} MiB, the usable hosts have ${have.cpus} vCPU(s) and ${have.memory} MiB free: short by ${short.join(' and ')}${downNote}`);
    }
    const anti = new Set(antiAffinity);
    for (const role of anti) {
        const count = nodes.filter((n) => n.role === role).length;
        if (count > usable.length) {
            throw new lib/* KarooError */.xD('unavailable', `anti-affinity of role "${role}": ${count} node(s) need ${count} different hosts, the pool has ${usable.length} usable${downNote}`);
        }
    }
    const free = new Map(usable.map((h) => [h.name, { cpus: h.cpus, memory: h.memory, roles: new Set(), nodes: [] }]));
    const order = nodes.map((n, i) => ({ n, i })).sort((a, b) => b.n.memory - a.n.memory || b.n.cpus - a.n.cpus || a.i - b.i);
    const hostOf = new Map();
    for (const { n } of order) {
        let best;
        const why = [];
        for (const h of usable) {
            const f = free.get(h.name);
            if (anti.has(n.role) && f.roles.has(n.role)) {
                why.push(`${h.name} already holds a "${n.role}" node (anti-affinity)`);
                continue;
            }
            if (f.cpus < n.cpus || f.memory < n.memory) {
                why.push(`${h.name} has ${f.cpus} vCPU(s) and ${f.memory} MiB left`);
                continue;
            }
            if (best === undefined || f.memory > free.get(best).memory)
                best = h.name;
        }
        if (best === undefined) {
            throw new lib/* KarooError */.xD('unavailable', `node "${n.name}" (${n.role}: ${n.cpus} vCPU(s), ${n.memory} MiB) fits on no host: ${why.join('; ')}${downNote}`);
        }
        const f = free.get(best);
        f.cpus -= n.cpus;
        f.memory -= n.memory;
        f.roles.add(n.role);
        f.nodes.push(n.name);
        hostOf.set(n.name, best);
    }
    return {
        assignments: nodes.map((n) => ({ node: n.name, role: n.role, host: hostOf.get(n.name), cpus: n.cpus, memory: n.memory })),
        hosts: hosts.map((h) => {
            const f = free.get(h.name);
            const nodesHere = nodes.filter((n) => hostOf.get(n.name) === h.name);
            return {
                host: h.name,
                nodes: nodesHere.map((n) => n.name),
                cpus: sum(nodesHere.map((n) => n.cpus)),
                memory: sum(nodesHere.map((n) => n.memory)),
                freeCpus: f ? f.cpus : 0,
                freeMemory: f ? f.memory : 0,
                ...(h.unavailable ? { unavailable: h.unavailable } : {}),
            };
        }),
    };
}
/** One line per host, for the provision output: `host: node, node (3 vCPUs, 1536 MiB; 5 vCPUs, 2560 MiB left)`. */
function describePlacement(p) {
    return p.hosts.map((h) => h.unavailable
        ? `${h.host}: unreachable (${h.unavailable})`
        : `${h.host}: ${h.nodes.length ? h.nodes.join(', ') : '(nothing)'} (${h.cpus} vCPU(s), ${h.memory} MiB; ${h.freeCpus} vCPU(s), ${h.freeMemory} MiB left)`);
}
function sum(xs) {
    return xs.reduce((a, b) => a + b, 0);
}
//# sourceMappingURL=placement.js.map
;// CONCATENATED MODULE: ./packages/machines/lib/src/providers/libvirt-xml.js

/** The XML namespace of karoo's stamp in a domain's or network's `<metadata>`. */
const KAROO_XMLNS = 'https://karoo.dev/xmlns/libvirt/1';
function xmlEscape(s) {
    return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&apos;');
}
function stampXml(s) {
    const node = s.node ? ` node="${xmlEscape(s.node)}"` : '';
    return `<karoo:environment xmlns:karoo="${KAROO_XMLNS}" id="${xmlEscape(s.environmentId)}" expires="${xmlEscape(s.expiresAt)}" runner="${xmlEscape(s.runner)}"${node}/>`;
}
const ATTR = (name) => new RegExp(`\\s${name}="([^"]*)"`);
/** Reads karoo's stamp from `virsh metadata … URI` output (the element alone); undefined when it is not karoo's. */
function parseStamp(xml) {
    const m = /<(?:[A-Za-z0-9_]+:)?environment\b([^>]*)\/?>/.exec(xml);
    if (!m)
        return undefined;
    const attrs = m[1];
    const get = (n) => {
        const v = ATTR(n).exec(attrs)?.[1];
        return v === undefined
            ? undefined
            : v
                .replace(/&quot;/g, '"')
                .replace(/&apos;/g, "'")
                .replace(/&lt;/g, '<')
                .replace(/&gt;/g, '>')
                .replace(/&amp;/g, '&');
    };
    const environmentId = get('id');
    const expiresAt = get('expires');
    if (!environmentId || !/^karoo-[0-9a-f]{8}$/.test(environmentId) || !expiresAt || Number.isNaN(Date.parse(expiresAt)))
        return undefined;
    const node = get('node');
    return { environmentId, expiresAt, runner: get('runner') ?? '', ...(node ? { node } : {}) };
}
/**
 * The domain of one node: the same machine as the qemu provider's command line (q35, virtio
 * disk with serial karoo-root, the seed as a second disk or a cloud-init CD, virtio NIC, serial
 * console into a file, no reboot), with karoo's stamp in `<metadata>` and `<description>`.
 */
function domainXml(d) {
    for (const [k, v] of Object.entries({ name: d.name, pool: d.pool, disk: d.disk, seed: d.seed.volume, network: d.network })) {
        if (!/^[A-Za-z0-9._-]+$/.test(v))
            throw new lib/* KarooError */.xD('input', `libvirt ${k} name "${v}" may hold only letters, digits, dot, dash and underscore`);
    }
    if (!/^([0-9a-f]{2}:){5}[0-9a-f]{2}$/.test(d.mac))
        throw new lib/* KarooError */.xD('input', `MAC address "${d.mac}" is not valid`);
    const os = ['    <type arch="x86_64" machine="q35">hvm</type>'];
    if (d.kernel) {
        const cmdline = ['root=serial:karoo-root', 'rw', 'console=ttyS0', 'quiet', 'panic=-1'];
        if (d.type === 'qemu')
            cmdline.push(...(d.kernel.khz ? [`tsc_early_khz=${d.kernel.khz}`] : []), 'tsc=reliable', 'no_timer_check');
        os.push(`    <kernel>${xmlEscape(d.kernel.kernel)}</kernel>`, `    <initrd>${xmlEscape(d.kernel.initrd)}</initrd>`, `    <cmdline>${xmlEscape(cmdline.join(' '))}</cmdline>`);
    }
    else {
        os.push('    <boot dev="hd"/>');
    }
    const seedDisk = d.seed.kind === 'tar'
        ? [
            '    <disk type="volume" device="disk">',
            '      <driver name="qemu" type="raw"/>',
            `      <source pool="${d.pool}" volume="${d.seed.volume}"/>`,
            '      <target dev="vdb" bus="virtio"/>',
            '      <serial>karoo-seed</serial>',
            '      <readonly/>',
            '    </disk>',
        ]
        : [
            '    <disk type="volume" device="cdrom">',
            '      <driver name="qemu" type="raw"/>',
            `      <source pool="${d.pool}" volume="${d.seed.volume}"/>`,
            '      <target dev="sda" bus="sata"/>',
            '      <readonly/>',
            '    </disk>',
        ];
    return [
        `<domain type="${d.type}">`,
        `  <name>${d.name}</name>`,
        `  <description>karoo environment ${xmlEscape(d.stamp.environmentId)}, node ${xmlEscape(d.stamp.node ?? '')}; expires ${xmlEscape(d.stamp.expiresAt)}; removed by karoo destroy or karoo reap</description>`,
        '  <metadata>',
        `    ${stampXml(d.stamp)}`,
        '  </metadata>',
        `  <memory unit="MiB">${d.memory}</memory>`,
        `  <vcpu>${d.cpus}</vcpu>`,
        '  <os>',
        ...os,
        '  </os>',
        d.type === 'kvm' ? '  <cpu mode="host-passthrough"/>' : '  <cpu mode="maximum"/>',
        // Under emulation QEMU's translation cache defaults to 1 GiB per machine.
        d.type === 'qemu' ? '  <features><acpi/><tcg><tb-cache unit="MiB">256</tb-cache></tcg></features>' : '  <features><acpi/></features>',
        '  <on_poweroff>destroy</on_poweroff>',
        '  <on_reboot>destroy</on_reboot>',
        '  <on_crash>destroy</on_crash>',
        '  <devices>',
        '    <disk type="volume" device="disk">',
        '      <driver name="qemu" type="qcow2" cache="unsafe" discard="unmap"/>',
        `      <source pool="${d.pool}" volume="${d.disk}"/>`,
        '      <target dev="vda" bus="virtio"/>',
        '      <serial>karoo-root</serial>',
        '    </disk>',
        ...seedDisk,
        '    <interface type="network">',
        `      <source network="${d.network}"/>`,
        `      <mac address="${d.mac}"/>`,
        '      <model type="virtio"/>',
        '    </interface>',
        '    <serial type="file">',
        `      <source path="${xmlEscape(d.console)}" append="on"/>`,
        '      <target port="0"/>',
        '    </serial>',
        '    <rng model="virtio"><backend model="random">/dev/urandom</backend></rng>',
        '    <controller type="usb" model="none"/>',
        '    <memballoon model="none"/>',
        '  </devices>',
        '</domain>',
        '',
    ].join('\n');
}
/**
 * An isolated network of one environment on one host: a bridge without an address, no DHCP, no
 * forwarding (nodes have static addresses from their seed); the runner reaches it through a veth
 * from the environment's namespace.
 */
function privateNetworkXml(name, bridge, stamp) {
    if (!/^[A-Za-z0-9._-]+$/.test(name) || !/^[a-z0-9]{1,15}$/.test(bridge))
        throw new lib/* KarooError */.xD('input', `libvirt network "${name}" / bridge "${bridge}" is not a valid name`);
    return [
        '<network>',
        `  <name>${name}</name>`,
        '  <metadata>',
        `    ${stampXml(stamp)}`,
        '  </metadata>',
        `  <bridge name="${bridge}" stp="off" delay="0"/>`,
        '</network>',
        '',
    ].join('\n');
}
//# sourceMappingURL=libvirt-xml.js.map
;// CONCATENATED MODULE: ./packages/machines/lib/src/providers/libvirt-client.js






/** The URI virsh connects with: karoo.yml's URI plus the credential files as libvirt's own URI parameters, never prompting. */
function connectUri(h) {
    const q = [];
    if (h.uri.startsWith('qemu+ssh:')) {
        if (h.sshKey)
            q.push(`keyfile=${encodeURIComponent(h.sshKey)}`);
        q.push('no_tty=1');
    }
    if (h.pkiDir && h.uri.startsWith('qemu+tls:'))
        q.push(`pkipath=${encodeURIComponent(h.pkiDir)}`);
    return q.length ? `${h.uri}${h.uri.includes('?') ? '&' : '?'}${q.join('&')}` : h.uri;
}
/** libvirt's "not found" errors: the thing is already gone. */
const NOT_FOUND = /(failed to get|not found|no (domain|network|storage (vol|pool)) with matching|Domain not found|Network not found|Storage volume not found)/i;
/** Errors that mean the host cannot be reached at all (as opposed to a refused request). */
const UNREACHABLE = /(failed to connect to the hypervisor|Cannot recv data|Connection refused|No route to host|Connection reset|Could not resolve|Network is unreachable|timed out|did not finish)/i;
function isUnreachable(e) {
    return e instanceof Error && UNREACHABLE.test(e.message);
}
/** One libvirt connection through virsh (libvirt's own client: no RPC of karoo's own). */
class Virsh {
    host;
    timeoutMs;
    uri;
    constructor(host, timeoutMs = 60_000) {
        this.host = host;
        this.timeoutMs = timeoutMs;
        this.uri = connectUri(host);
    }
    /** Runs `virsh --connect URI ARGS`; errors name the host and virsh's own message. */
    async run(args, opts = {}) {
        const r = await run('virsh', ['--quiet', '--connect', this.uri, ...args], {
            allowFailure: true,
            timeoutMs: opts.timeoutMs ?? this.timeoutMs,
            ...(opts.input !== undefined ? { input: opts.input } : {}),
        }).catch((e) => ({ code: -1, stdout: '', stderr: e.message, signal: null }));
        if (r.code !== 0) {
            const why = (r.stderr.trim() || r.stdout.trim())
                .replace(/^error:\s*/gm, '')
                .split('\n')
                .filter(Boolean)
                .join(' | ');
            const kind = UNREACHABLE.test(why) ? 'unavailable' : 'internal';
            throw new lib/* KarooError */.xD(kind, `libvirt host ${this.host.name} (${this.host.uri}): virsh ${args[0]} failed: ${why}`);
        }
        return r.stdout;
    }
    /** Like run, but a "not found" answer is undefined. */
    async maybe(args) {
        try {
            return await this.run(args);
        }
        catch (e) {
            if (NOT_FOUND.test(e.message))
                return undefined;
            throw e;
        }
    }
    async capacity() {
        const info = await this.run(['nodeinfo']);
        const cpus = Number(/^CPU\(s\):\s*(\d+)/m.exec(info)?.[1]);
        const free = await this.run(['freecell']);
        const kib = Number(/(\d+)\s*KiB/.exec(free)?.[1]);
        if (!(cpus > 0) || !(kib > 0))
            throw new lib/* KarooError */.xD('unavailable', `libvirt host ${this.host.name}: cannot read its CPUs and free memory (nodeinfo: ${info.trim().split('\n')[1] ?? '?'}, freecell: ${free.trim()})`);
        let karooCpus = 0;
        let karooMemory = 0;
        for (const d of await this.karooDomains()) {
            const di = await this.maybe(['dominfo', d.name]);
            if (!di)
                continue;
            karooCpus += Number(/^CPU\(s\):\s*(\d+)/m.exec(di)?.[1] ?? 0);
            karooMemory += Math.round(Number(/^Max memory:\s*(\d+)/m.exec(di)?.[1] ?? 0) / 1024);
        }
        const caps = await this.run(['capabilities']);
        return { cpus, freeMemory: Math.floor(kib / 1024), karooCpus, karooMemory, kvm: /<domain type=["']kvm["']/.test(caps) };
    }
    async poolPath(pool) {
        const xml = await this.run(['pool-dumpxml', pool]).catch((e) => {
            throw new lib/* KarooError */.xD(NOT_FOUND.test(e.message) ? 'input' : 'unavailable', `libvirt host ${this.host.name}: storage pool "${pool}" cannot be used (${e.message.replace(/^.*failed: /, '')}); name an existing, running pool in provision.hosts[].pool`);
        });
        const p = /<target>\s*<path>([^<]+)<\/path>/.exec(xml)?.[1];
        if (!p)
            throw new lib/* KarooError */.xD('input', `libvirt host ${this.host.name}: storage pool "${pool}" has no target path; use a directory pool`);
        return p;
    }
    async volExists(pool, name) {
        return (await this.maybe(['vol-info', '--pool', pool, name])) !== undefined;
    }
    /** Bytes allocated to a volume on disk, or undefined when there is no such volume. */
    async volAllocation(pool, name) {
        const info = await this.maybe(['vol-info', '--bytes', '--pool', pool, name]);
        return info === undefined ? undefined : Number(/^Allocation:\s*(\d+)/m.exec(info)?.[1] ?? 0);
    }
    async volPath(pool, name) {
        return (await this.run(['vol-path', '--pool', pool, name])).trim();
    }
    async volCapacity(pool, name) {
        const info = await this.run(['vol-info', '--bytes', '--pool', pool, name]);
        return Number(/^Capacity:\s*(\d+)/m.exec(info)?.[1] ?? 0);
    }
    /** Creates a volume and fills it with a local file's bytes (streamed over the connection). */
    async upload(pool, name, file) {
        const size = (await (0,promises_.stat)(file)).size;
        await this.run(['vol-create-as', pool, name, String(Math.max(size, 1)), '--format', 'raw']);
        await this.run(['vol-upload', '--pool', pool, name, file], { timeoutMs: 30 * 60_000 });
    }
    /** An empty raw volume (a marker, or a console file QEMU appends to). */
    async createEmpty(pool, name) {
        await this.run(['vol-create-as', pool, name, '0', '--format', 'raw']);
    }
    /** A qcow2 overlay whose backing file is `backing` (copy-on-write: instant, shares the base). */
    async createOverlay(pool, name, backing, backingFormat, capacityBytes) {
        await this.run([
            'vol-create-as',
            pool,
            name,
            String(capacityBytes),
            '--format',
            'qcow2',
            '--backing-vol',
            backing,
            '--backing-vol-format',
            backingFormat,
        ]);
    }
    async download(pool, name, file) {
        await this.run(['vol-download', '--pool', pool, name, file]);
    }
    /** Deletes a volume; gone already is fine. */
    async deleteVolume(pool, name) {
        await this.maybe(['vol-delete', '--pool', pool, name]);
    }
    async listVolumes(pool) {
        const out = await this.run(['vol-list', '--pool', pool]);
        return out
            .split('\n')
            .map((l) => l.trim().split(/\s+/)[0] ?? '')
            .filter(Boolean);
    }
    /** Defines a persistent domain (or network) from XML. */
    async define(kind, xml) {
        const dir = await (0,promises_.mkdtemp)((0,external_node_path_.join)((0,external_node_os_.tmpdir)(), 'karoo-virsh-'));
        try {
            const f = (0,external_node_path_.join)(dir, `${kind}.xml`);
            await (0,promises_.writeFile)(f, xml, { mode: 0o600 });
            await this.run([kind === 'domain' ? 'define' : 'net-define', f]);
        }
        finally {
            await (0,promises_.rm)(dir, { recursive: true, force: true });
        }
    }
    async start(name) {
        await this.run(['start', name], { timeoutMs: 120_000 });
    }
    /** `running`, `shut off`, … or undefined when no such domain exists. */
    async domainState(name) {
        return (await this.maybe(['domstate', name]))?.trim();
    }
    /** Stops (hard) and undefines a domain; gone already is fine. */
    async removeDomain(name) {
        const st = await this.domainState(name);
        if (st === undefined)
            return;
        if (st !== 'shut off')
            await this.maybe(['destroy', name]);
        await this.maybe(['undefine', name, '--nvram']).catch(() => this.maybe(['undefine', name]));
    }
    async listDomains() {
        return (await this.run(['list', '--all', '--name']))
            .split('\n')
            .map((s) => s.trim())
            .filter(Boolean);
    }
    /** karoo's stamp of a domain, or undefined when it has none (not karoo's, whatever its name). */
    async domainStamp(name) {
        const xml = await this.maybe(['metadata', name, KAROO_XMLNS, '--config']).catch(() => undefined);
        return xml ? parseStamp(xml) : undefined;
    }
    /** Domains named karoo-… that carry karoo's stamp. */
    async karooDomains() {
        const out = [];
        for (const name of await this.listDomains()) {
            if (!name.startsWith('karoo-'))
                continue;
            const stamp = await this.domainStamp(name);
            if (stamp && name.startsWith(`${stamp.environmentId}-`))
                out.push({ name, stamp });
        }
        return out;
    }
    async startNetwork(name) {
        await this.run(['net-start', name]);
    }
    /** The bridge device of a network, or undefined when there is no such network. */
    async networkBridge(name) {
        const xml = await this.maybe(['net-dumpxml', name]);
        if (xml === undefined)
            return undefined;
        return /<bridge\s[^>]*name=['"]([^'"]+)['"]/.exec(xml)?.[1];
    }
    async networkStamp(name) {
        const xml = await this.maybe(['net-dumpxml', name]).catch(() => undefined);
        return xml ? parseStamp(xml) : undefined;
    }
    async listNetworks() {
        return (await this.run(['net-list', '--all', '--name']))
            .split('\n')
            .map((s) => s.trim())
            .filter(Boolean);
    }
    async removeNetwork(name) {
        await this.maybe(['net-destroy', name]);
        await this.maybe(['net-undefine', name]);
    }
}
//# sourceMappingURL=libvirt-client.js.map
;// CONCATENATED MODULE: ./packages/machines/lib/src/providers/libvirt.js


















/** ProvisionOptions' libvirt part from karoo.yml's provision section (nothing for the other providers). */
function libvirtOptions(p) {
    return p.hosts?.length ? { libvirt: { hosts: p.hosts, ...(p.antiAffinity?.length ? { antiAffinity: p.antiAffinity } : {}) } } : {};
}
/** Node defaults when karoo.yml declares none: one vCPU (placement counts it), 512 MiB. */
const LIBVIRT_NODE_DEFAULTS = { cpus: 1, memory: 512 };
const recordPath = (state) => (0,external_node_path_.join)(state.dir, 'libvirt.json');
async function readRecord(state) {
    try {
        return JSON.parse(await (0,promises_.readFile)(recordPath(state), 'utf8'));
    }
    catch {
        return undefined;
    }
}
/** This runner: host name and boot. Orphans a runner made (no state left) may be reaped by it before they expire. */
async function runnerId() {
    return `${(0,external_node_os_.hostname)()}/${await bootId()}`;
}
/** The volume names of one node (all `karoo-<env>-<node>.…`). */
const libvirtNames = {
    domain: (env, node) => names.machine(env, node),
    disk: (env, node) => `${names.machine(env, node)}.qcow2`,
    seed: (env, node) => `${names.machine(env, node)}.seed`,
    console: (env, node) => `${names.machine(env, node)}.console`,
    network: (env) => env,
    /** Linux interface names: at most 15 bytes. */
    bridge: (env) => `kv${env.slice('karoo-'.length)}`,
    /** The runner's end of the link into a network's bridge (host side), the other end `lv0` in the environment's namespace. */
    link: (env) => `kl${env.slice('karoo-'.length)}`,
    base: (sha256, what) => `karoo-base-${sha256.slice(0, 24)}.${what}`,
};
/** Whether a URI names the libvirtd of the machine karoo runs on. */
function isLocalUri(uri) {
    return /^qemu(\+unix)?:\/\/\/(system|session)$/.test(uri);
}
/** sha256 of a file, remembered by path, size and mtime (the image files are large and do not change). */
async function fileSha256(path) {
    const st = await (0,promises_.stat)(path);
    const memo = (0,external_node_path_.join)(cacheRoot(), 'libvirt', `${(0,external_node_crypto_.createHash)('sha256').update(path).digest('hex').slice(0, 16)}.json`);
    try {
        const m = JSON.parse(await (0,promises_.readFile)(memo, 'utf8'));
        if (m.size === st.size && m.mtimeMs === st.mtimeMs)
            return m.sha256;
    }
    catch {
        // not yet
    }
    const h = (0,external_node_crypto_.createHash)('sha256');
    for await (const chunk of (0,external_node_fs_.createReadStream)(path))
        h.update(chunk);
    const sha256 = h.digest('hex');
    await (0,promises_.mkdir)((0,external_node_path_.join)(cacheRoot(), 'libvirt'), { recursive: true });
    await (0,lib/* writeFileAtomic */.Zf)(memo, JSON.stringify({ size: st.size, mtimeMs: st.mtimeMs, sha256 }));
    return sha256;
}
/** Hosts this runner has ever provisioned on: `karoo reap` sweeps every one of them. */
const KNOWN_HOSTS_FILE = () => (0,external_node_path_.join)(stateRoot(), 'libvirt-hosts.json');
/** What a teardown could not remove (host unreachable): retried by the next `karoo reap`. */
const PENDING_FILE = () => (0,external_node_path_.join)(stateRoot(), 'libvirt-pending.json');
async function readJsonList(path) {
    try {
        const v = JSON.parse(await (0,promises_.readFile)(path, 'utf8'));
        return Array.isArray(v) ? v : [];
    }
    catch {
        return [];
    }
}
async function rememberHosts(hosts) {
    const known = await readJsonList(KNOWN_HOSTS_FILE());
    let changed = false;
    for (const h of hosts) {
        const i = known.findIndex((k) => k.uri === h.uri);
        if (i < 0 || JSON.stringify(known[i]) !== JSON.stringify(h)) {
            if (i < 0)
                known.push({ ...h });
            else
                known[i] = { ...h };
            changed = true;
        }
    }
    if (changed) {
        await (0,promises_.mkdir)(stateRoot(), { recursive: true });
        await (0,lib/* writeFileAtomic */.Zf)(KNOWN_HOSTS_FILE(), `${JSON.stringify(known, null, 2)}\n`);
    }
}
async function addPending(p) {
    const list = await readJsonList(PENDING_FILE());
    const same = list.find((x) => x.host.uri === p.host.uri && x.environmentId === p.environmentId);
    if (same) {
        same.domains = [...new Set([...same.domains, ...p.domains])];
        same.volumes = [...new Set([...same.volumes, ...p.volumes])];
        same.networks = [...new Set([...same.networks, ...p.networks])];
        same.reason = p.reason;
    }
    else
        list.push(p);
    await (0,promises_.mkdir)(stateRoot(), { recursive: true });
    await (0,lib/* writeFileAtomic */.Zf)(PENDING_FILE(), `${JSON.stringify(list, null, 2)}\n`);
}
/**
 * Virtual machines on a pool of hypervisor hosts through libvirt (virsh --connect): placed by
 * declared vCPUs/memory against each host's free capacity before anything is made; karoo's image
 * uploaded once per host into its storage pool (named by its sha256, reused), one qcow2 overlay
 * per node; domains stamped with the environment and its expiry. The runner reaches the nodes
 * through the environment's namespace, linked by a veth to the network's bridge on this machine.
 */
class LibvirtProvider {
    settings;
    name = 'libvirt';
    progress;
    record;
    once = new Map();
    /** Without settings it can only tear down (the record in the environment's directory names the hosts). */
    constructor(settings) {
        this.settings = settings;
        this.progress = settings?.progress ?? lib/* silentProgress */.RZ;
    }
    memo(key, f) {
        let p = this.once.get(key);
        if (!p) {
            p = f();
            this.once.set(key, p);
            // A failure is the caller's to report; a later caller retries.
            p.catch(() => this.once.delete(key));
        }
        return p;
    }
    maxParallelBoots(state) {
        const forced = Number(process.env.KAROO_MAX_PARALLEL_BOOTS);
        if (forced > 0)
            return forced;
        // Creation is bounded per host by the hosts' own cores; two at a time per host under emulation.
        const hosts = this.settings?.hosts.length ?? 1;
        return Math.max(1, hosts * (state.accelerator === 'kvm' ? 4 : 2));
    }
    async prepare(state) {
        const settings = this.settings;
        if (!settings || settings.hosts.length === 0)
            throw new lib/* KarooError */.xD('input', 'provider libvirt needs hosts: list them under provision.hosts in karoo.yml');
        if (process.getuid?.() !== 0)
            throw new lib/* KarooError */.xD('refused', "the libvirt provider needs root on the runner (the environment's namespace and its link to the nodes' network); run as root or with sudo");
        await requireTools(['virsh', 'ip']);
        if (settings.hosts.length > 1 && settings.hosts.some((h) => !h.network)) {
            throw new lib/* KarooError */.xD('input', 'with several libvirt hosts every host needs network: the bridged libvirt network their nodes share');
        }
        for (const h of settings.hosts) {
            if (!h.network && !isLocalUri(h.uri)) {
                throw new lib/* KarooError */.xD('input', `libvirt host ${h.name} (${h.uri}) is not this machine: name the site's bridged network it shares with the runner (provision.hosts[].network)`);
            }
        }
        await rememberHosts(settings.hosts);
        // Ask every host at once; a host that does not answer takes no node and is named.
        const answers = await Promise.all(settings.hosts.map(async (h) => {
            try {
                const v = new Virsh(h, 30_000);
                const c = await v.capacity();
                await v.poolPath(h.pool);
                const cpus = (h.cpus ?? c.cpus) - c.karooCpus;
                const memory = Math.min((h.memory ?? c.freeMemory + c.karooMemory) - c.karooMemory, c.freeMemory);
                return { name: h.name, cpus, memory, kvm: c.kvm };
            }
            catch (e) {
                if (e instanceof lib/* KarooError */.xD && e.kind === 'input')
                    throw e;
                return {
                    name: h.name,
                    cpus: 0,
                    memory: 0,
                    kvm: false,
                    unavailable: e.message.replace(`libvirt host ${h.name} (${h.uri}): `, ''),
                };
            }
        }));
        const nodes = state.machines.map((m) => ({
            name: m.name,
            role: m.role,
            cpus: m.cpus ?? LIBVIRT_NODE_DEFAULTS.cpus,
            memory: m.memory ?? LIBVIRT_NODE_DEFAULTS.memory,
        }));
        for (const m of state.machines) {
            m.cpus ??= LIBVIRT_NODE_DEFAULTS.cpus;
            m.memory ??= LIBVIRT_NODE_DEFAULTS.memory;
        }
        const placement = place(nodes, answers, settings.antiAffinity ?? []);
        for (const line of describePlacement(placement))
            this.progress.info(`placement: ${line}`);
        const used = new Set(placement.assignments.map((a) => a.host));
        state.accelerator = answers.filter((a) => used.has(a.name)).every((a) => a.kvm) ? 'kvm' : 'tcg';
        this.record = {
            runner: await runnerId(),
            hosts: settings.hosts.filter((h) => used.has(h.name)).map((h) => ({ ...h })),
            placement: Object.fromEntries(placement.assignments.map((a) => [a.node, a.host])),
            networks: {},
            nodes: {},
        };
        await this.saveRecord(state);
    }
    async saveRecord(state) {
        await (0,lib/* writeFileAtomic */.Zf)(recordPath(state), `${JSON.stringify(this.record, null, 2)}\n`);
    }
    hostOf(m) {
        const r = this.record;
        const h = r?.hosts.find((x) => x.name === r.placement[m.name]);
        if (!h)
            throw new lib/* KarooError */.xD('internal', `node ${m.name} has no host in the placement`);
        return h;
    }
    async stamp(state, node) {
        return {
            environmentId: state.environmentId,
            expiresAt: state.expiresAt,
            runner: this.record?.runner ?? (await runnerId()),
            ...(node ? { node } : {}),
        };
    }
    /** The network the host's nodes join, and the runner's link to its bridge (once per bridge). */
    network(state, h) {
        return this.memo(`net:${h.name}`, async () => {
            const env = state.environmentId;
            const v = new Virsh(h);
            let net = h.network;
            if (!net) {
                net = libvirtNames.network(env);
                this.record.networks[h.name] = net;
                await this.saveRecord(state);
                await v.define('network', privateNetworkXml(net, libvirtNames.bridge(env), await this.stamp(state)));
                await v.startNetwork(net);
            }
            const bridge = await v.networkBridge(net);
            if (!bridge)
                throw new lib/* KarooError */.xD('input', `libvirt host ${h.name}: network "${net}" does not exist or has no bridge; name a bridged libvirt network the site provides`);
            // One leg per network: the runner joins the segment on its own machine, whose bridge may be
            // named differently from a remote host's (the network's name is what the hosts share).
            await this.memo(`link:${net}`, async () => {
                const local = isLocalUri(h.uri) ? undefined : this.settings?.hosts.find((x) => isLocalUri(x.uri) && x.network === net);
                const here = local ? await new Virsh(local).networkBridge(net) : bridge;
                return linkRunner(state, here ?? bridge, h, net);
            });
            return net;
        });
    }
    /** karoo's image in the host's pool, uploaded once per host (named by sha256, reused when its upload completed). */
    base(h, image) {
        return this.memo(`base:${h.name}`, async () => {
            const v = new Virsh(h);
            const files = image.kind === 'karoo'
                ? [
                    ['qcow2', image.disk],
                    ['vmlinux', image.kernel],
                    ['initrd', image.initrd],
                ]
                : [[image.format, image.disk]];
            const vols = {};
            for (const [what, file] of files) {
                const sha = image.kind === 'cloud' ? image.sha256 : await fileSha256(file);
                const vol = libvirtNames.base(sha, what);
                await ensureUploaded(v, h.pool, vol, file, this.progress);
                vols[what] = vol;
            }
            const disk = vols[image.kind === 'karoo' ? 'qcow2' : image.format];
            const format = image.kind === 'karoo' ? 'qcow2' : image.format;
            const capacity = image.kind === 'karoo'
                ? await qcow2VirtualSize(image.disk)
                : Math.max(20 * 2 ** 30, await qcow2VirtualSize(image.disk).catch(() => 0));
            return {
                disk,
                format,
                capacity,
                ...(image.kind === 'karoo'
                    ? { kernel: await v.volPath(h.pool, vols.vmlinux), initrd: await v.volPath(h.pool, vols.initrd) }
                    : {}),
            };
        });
    }
    async create(req) {
        const { state, machine: m, image } = req;
        if (!this.record)
            throw new lib/* KarooError */.xD('internal', 'libvirt provider: create before prepare');
        const env = state.environmentId;
        const h = this.hostOf(m);
        const v = new Virsh(h);
        const [net, base] = await Promise.all([this.network(state, h), this.base(h, image)]);
        const domain = libvirtNames.domain(env, m.name);
        const disk = libvirtNames.disk(env, m.name);
        const seedVol = libvirtNames.seed(env, m.name);
        const consoleVol = libvirtNames.console(env, m.name);
        // Recorded before anything is made: a crash from here on leaves a record teardown reads.
        this.record.nodes[m.name] = { host: h.name, domain, volumes: [disk, seedVol, consoleVol] };
        await this.saveRecord(state);
        await req.save();
        const dir = (0,external_node_path_.join)(state.dir, 'nodes', m.name);
        // 0700: the seed holds the node's SSH host key.
        await (0,promises_.mkdir)(dir, { recursive: true, mode: 0o700 });
        let seedFile;
        let seedKind;
        if (image.kind === 'karoo') {
            seedKind = 'tar';
            seedFile = (0,external_node_path_.join)(dir, 'seed.tar');
            await writeSecretFile(seedFile, await seedTar(req.seed));
        }
        else {
            seedKind = 'iso';
            seedFile = (0,external_node_path_.join)(dir, 'seed.iso');
            await writeNoCloudSeed(dir, seedFile, {
                name: m.name,
                machineId: m.machineId,
                mac: m.mac,
                address: m.address,
                seed: req.seed,
                authorizedKey: req.authorizedKey,
            });
        }
        try {
            await v.createOverlay(h.pool, disk, base.disk, base.format, base.capacity);
            await v.upload(h.pool, seedVol, seedFile);
        }
        finally {
            // The host key goes to the host's pool only; no copy stays on the runner.
            await (0,promises_.rm)(seedFile, { force: true });
        }
        await v.createEmpty(h.pool, consoleVol);
        const xml = domainXml({
            name: domain,
            type: state.accelerator === 'kvm' ? 'kvm' : 'qemu',
            cpus: m.cpus ?? LIBVIRT_NODE_DEFAULTS.cpus,
            memory: m.memory ?? LIBVIRT_NODE_DEFAULTS.memory,
            stamp: await this.stamp(state, m.name),
            pool: h.pool,
            disk,
            seed: { volume: seedVol, kind: seedKind },
            console: await v.volPath(h.pool, consoleVol),
            network: net,
            mac: m.mac,
            ...(base.kernel && base.initrd ? { kernel: { kernel: base.kernel, initrd: base.initrd, khz: await libvirt_hostKhz() } } : {}),
        });
        await v.define('domain', xml);
        await v.start(domain);
        m.startedAt = new Date().toISOString();
        await req.save();
    }
    async ensureRecord(state) {
        this.record ??= await readRecord(state);
        return this.record;
    }
    async isRunning(m) {
        const h = this.record && this.record.nodes[m.name] ? this.hostOf(m) : undefined;
        if (!h)
            return false;
        try {
            return (await new Virsh(h, 15_000).domainState(this.record.nodes[m.name].domain)) === 'running';
        }
        catch {
            // Cannot tell (host busy or briefly unreachable): keep waiting until the deadline.
            return true;
        }
    }
    /** Copies the node's console (a volume in its host's pool) to its consoleLog on the runner. */
    async fetchConsole(m) {
        const n = this.record?.nodes[m.name];
        if (!n)
            return;
        const h = this.record.hosts.find((x) => x.name === n.host);
        if (!h)
            return;
        await (0,promises_.mkdir)((0,external_node_path_.join)(m.consoleLog, '..'), { recursive: true });
        await new Virsh(h, 30_000).download(h.pool, n.volumes[2], m.consoleLog).catch(() => undefined);
    }
    async waitReady(m, ssh, deadline) {
        try {
            await waitForSsh(ssh, deadline, () => this.isRunning(m));
        }
        catch (e) {
            await this.fetchConsole(m);
            const tail = await consoleTail(m.consoleLog);
            throw new lib/* KarooError */.xD('unavailable', `libvirt domain ${m.machineId} on ${this.record?.placement[m.name] ?? '?'} is not reachable over SSH: ${e.message}; last console lines:\n${tail}`, {
                detail: { node: m.name, console: tail },
            });
        }
    }
    async collectLogs(state, m, ssh, dir) {
        await this.ensureRecord(state);
        await this.fetchConsole(m);
        return collectCommonLogs(m, ssh, dir);
    }
    /**
     * Removes the node's domain and volumes on its host; the last node of the environment on a host
     * also takes the environment's private network. An unreachable host is recorded for the next
     * `karoo reap` and reported (thrown).
     */
    async destroy(state, m) {
        const r = await this.ensureRecord(state);
        await (0,promises_.rm)((0,external_node_path_.join)(state.dir, 'nodes', m.name), { recursive: true, force: true });
        if (!r)
            return;
        const hostName = r.nodes[m.name]?.host ?? r.placement[m.name];
        const h = r.hosts.find((x) => x.name === hostName);
        if (!h)
            return;
        const env = state.environmentId;
        const domain = libvirtNames.domain(env, m.name);
        const volumes = [libvirtNames.disk(env, m.name), libvirtNames.seed(env, m.name), libvirtNames.console(env, m.name)];
        const network = r.networks[h.name];
        try {
            await removeOnHost(new Virsh(h), env, [domain], volumes, network ? [network] : []);
        }
        catch (e) {
            if (!isUnreachable(e) && !(e instanceof lib/* KarooError */.xD && e.kind === 'unavailable'))
                throw e;
            await addPending({
                host: h,
                environmentId: env,
                domains: [domain],
                volumes,
                networks: network ? [network] : [],
                reason: e.message,
            });
            throw new lib/* KarooError */.xD('unavailable', `libvirt host ${h.name} (${h.uri}) is unreachable: ${domain} and its volumes are left there; the next karoo reap retries`);
        }
    }
}
/** Removes domains, then their volumes, then (when no domain of the environment is left there) the environment's networks. */
async function removeOnHost(v, env, domains, volumes, networks) {
    for (const d of domains) {
        // Only ever a domain karoo stamped for this environment.
        const stamp = await v.domainStamp(d);
        if (stamp && stamp.environmentId !== env)
            continue;
        if (!stamp && (await v.domainState(d)) !== undefined)
            continue;
        await v.removeDomain(d);
    }
    for (const vol of volumes)
        if (vol.startsWith(`${env}-`))
            await v.deleteVolume(v.host.pool, vol);
    if (networks.length) {
        const left = (await v.listDomains()).filter((d) => d.startsWith(`${env}-`));
        if (left.length === 0) {
            for (const n of networks) {
                const stamp = await v.networkStamp(n);
                if (stamp?.environmentId === env)
                    await v.removeNetwork(n);
            }
        }
    }
}
/**
 * Uploads a file as a base volume unless a complete upload exists (its `.ok` marker volume is made
 * last). A volume without its marker is another environment's upload in progress while its
 * allocation grows: waited for; once it has not grown for `staleMs` it is an upload cut short,
 * deleted and made again. Returns whether this call uploaded.
 */
async function ensureUploaded(v, pool, vol, file, progress, staleMs = 15_000) {
    const marker = `${vol}.ok`;
    const deadline = Date.now() + 60 * 60_000;
    let last;
    let since = Date.now();
    while (Date.now() < deadline) {
        if (await v.volExists(pool, marker))
            return false;
        const allocation = await v.volAllocation(pool, vol);
        if (allocation === undefined) {
            const started = Date.now();
            try {
                await v.upload(pool, vol, file);
            }
            catch (e) {
                // Another environment created it first: wait for its upload as above.
                if (/already exists|already in use|exists already/i.test(e.message))
                    continue;
                // Nothing half-made stays under the name that is trusted once its marker exists.
                await v.deleteVolume(pool, vol).catch(() => undefined);
                throw e;
            }
            await v.createEmpty(pool, marker);
            progress.info(`libvirt host ${v.host.name}: uploaded ${vol} (${Math.round((await (0,promises_.stat)(file)).size / 2 ** 20)} MiB) in ${Math.round((Date.now() - started) / 100) / 10} s`);
            return true;
        }
        if (allocation !== last) {
            last = allocation;
            since = Date.now();
        }
        else if (Date.now() - since >= staleMs) {
            progress.info(`libvirt host ${v.host.name}: ${vol} is an upload cut short (no marker, not growing); made again`);
            await v.deleteVolume(pool, vol);
            last = undefined;
            continue;
        }
        await new Promise((r) => setTimeout(r, Math.min(1000, Math.max(100, staleMs / 5))));
    }
    throw new lib/* KarooError */.xD('unavailable', `libvirt host ${v.host.name}: ${vol} did not finish uploading within an hour; delete it (virsh vol-delete --pool ${pool} ${vol}) and retry`);
}
async function qcow2VirtualSize(file) {
    const r = await run('qemu-img', ['info', '--output=json', file]);
    return Number(JSON.parse(r.stdout)['virtual-size']);
}
async function libvirt_hostKhz() {
    const m = /^cpu MHz\s*:\s*([0-9.]+)/m.exec(await (0,promises_.readFile)('/proc/cpuinfo', 'utf8').catch(() => ''));
    return m ? Math.round(Number(m[1]) * 1000) : undefined;
}
/**
 * Links the environment's namespace (its bridge, where the forwarder connects from) to the
 * bridge of the nodes' network on this machine with a veth pair. The pair goes with the namespace.
 */
async function linkRunner(state, bridge, h, net) {
    const shown = await run('ip', ['link', 'show', 'dev', bridge], { allowFailure: true });
    if (shown.code !== 0) {
        throw new lib/* KarooError */.xD('unavailable', `the runner has no leg on network "${net}" of host ${h.name}: bridge ${bridge} is not on this machine; the site must provide the network's bridge on the runner too (see packages/machines/README.md)`);
    }
    const env = state.environmentId;
    const link = libvirtNames.link(env);
    await ipBatch(undefined, [
        `link add ${link} type veth peer name lv0 netns ${names.netns(env)}`,
        `link set ${link} alias ${env}-link`,
        `link set ${link} master ${bridge} up`,
    ]);
    await ipBatch(names.netns(env), [`link set lv0 master ${names.bridge} up`]);
}
//# sourceMappingURL=libvirt.js.map
;// CONCATENATED MODULE: ./packages/machines/lib/src/state.js





function statePath(env) {
    return (0,external_node_path_.join)(envDir(env), 'state.json');
}
async function saveState(s) {
    await (0,lib/* writeFileAtomic */.Zf)(statePath(s.environmentId), `${JSON.stringify(s, null, 2)}\n`);
}
async function loadState(env) {
    try {
        return JSON.parse(await (0,promises_.readFile)(statePath(env), 'utf8'));
    }
    catch {
        return undefined;
    }
}
async function listStateDirs() {
    try {
        return (await (0,promises_.readdir)(envsRoot())).filter(isEnvironmentId).sort();
    }
    catch {
        return [];
    }
}
//# sourceMappingURL=state.js.map
;// CONCATENATED MODULE: ./packages/machines/lib/src/providers/libvirt-reap.js






/**
 * Sweeps every libvirt host this runner has provisioned on (or `hosts`): first the removals a
 * teardown could not finish (host unreachable then), then domains and networks carrying karoo's
 * stamp whose environment has no state here and that expired, or that this runner made (an
 * orphan of a killed provisioning). Environments with a state directory here are the ordinary
 * reap's (their teardown reads the record). Nothing without karoo's stamp is ever touched.
 * Hosts that do not answer are reported and stay on the list for the next reap.
 */
async function reapLibvirt(opts = {}) {
    const progress = opts.progress ?? lib/* silentProgress */.RZ;
    const now = opts.now ?? Date.now();
    const hosts = opts.hosts ?? (await readJsonList(KNOWN_HOSTS_FILE()));
    const out = [];
    const pending = await readJsonList(PENDING_FILE());
    const still = [];
    for (const p of pending) {
        try {
            await removeOnHost(new Virsh(p.host, 30_000), p.environmentId, p.domains, p.volumes, p.networks);
            out.push({
                environmentId: p.environmentId,
                host: p.host.name,
                reason: 'left by a teardown while its host was unreachable',
                leftovers: [],
            });
        }
        catch (e) {
            still.push({ ...p, reason: e.message });
            const leftovers = [...p.domains.map((d) => `domain ${d}`), ...p.volumes.map((v) => `volume ${v}`)];
            out.push({ environmentId: p.environmentId, host: p.host.name, reason: `host unreachable: ${e.message}`, leftovers });
            progress.warn(`libvirt host ${p.host.name} (${p.host.uri}) is still unreachable; ${leftovers.join(', ')} of ${p.environmentId} left there, retried by the next reap`);
        }
    }
    if (pending.length) {
        await (0,promises_.mkdir)(stateRoot(), { recursive: true });
        await (0,lib/* writeFileAtomic */.Zf)(PENDING_FILE(), `${JSON.stringify(still, null, 2)}\n`);
    }
    const me = await runnerId();
    for (const h of hosts) {
        const v = new Virsh(h, 30_000);
        let domains;
        let networks;
        try {
            domains = await v.karooDomains();
            networks = (await v.listNetworks()).filter((n) => /^karoo-[0-9a-f]{8}$/.test(n));
        }
        catch (e) {
            if (!still.some((p) => p.host.uri === h.uri))
                progress.warn(`libvirt host ${h.name} (${h.uri}) did not answer: ${e.message}; swept by the next reap`);
            out.push({ environmentId: '', host: h.name, reason: `host unreachable: ${e.message}`, leftovers: [] });
            continue;
        }
        const byEnv = new Map();
        for (const d of domains) {
            const e = byEnv.get(d.stamp.environmentId) ?? { stamp: d.stamp, domains: [] };
            e.domains.push(d.name);
            byEnv.set(d.stamp.environmentId, e);
        }
        for (const n of networks) {
            const stamp = await v.networkStamp(n).catch(() => undefined);
            if (stamp && stamp.environmentId === n && !byEnv.has(n))
                byEnv.set(n, { stamp, domains: [] });
        }
        for (const [env, e] of byEnv) {
            // Its own state here: the ordinary reap decides (owner, TTL) and tears down through the record.
            if ((0,external_node_fs_.existsSync)(envDir(env)))
                continue;
            const expired = Date.parse(e.stamp.expiresAt) <= now;
            const orphan = e.stamp.runner === me;
            if (!expired && !orphan)
                continue;
            const reason = expired
                ? `expired at ${e.stamp.expiresAt}`
                : 'made by this runner, which has no state of it (left by a killed process)';
            const pool = await v.listVolumes(h.pool).catch(() => []);
            const volumes = pool.filter((x) => x.startsWith(`${env}-`));
            try {
                await removeOnHost(v, env, e.domains, volumes, [env]);
                progress.info(`reaped ${env} on libvirt host ${h.name}: ${reason}`);
                out.push({ environmentId: env, host: h.name, reason, leftovers: [] });
            }
            catch (err) {
                out.push({
                    environmentId: env,
                    host: h.name,
                    reason: `${reason}; removal failed: ${err.message}`,
                    leftovers: e.domains.map((d) => `domain ${d}`),
                });
            }
        }
    }
    return out;
}
//# sourceMappingURL=libvirt-reap.js.map
;// CONCATENATED MODULE: ./packages/machines/lib/src/teardown.js


















function providerOf(name) {
    if (name === 'libvirt')
        return new LibvirtProvider();
    return name === 'qemu' ? new QemuProvider() : new NspawnProvider();
}
/** Console logs and journals of every machine, into `dir`. */
async function saveLogs(state, provider, dir) {
    await (0,promises_.mkdir)(dir, { recursive: true });
    const keyPath = (0,external_node_path_.join)(state.dir, 'id_ed25519');
    const all = await Promise.all(state.machines.map(async (m) => {
        const ssh = m.sshPort && (await provider.isRunning(m))
            ? {
                host: '127.0.0.1',
                port: m.sshPort,
                user: 'root',
                keyPath,
                knownHostsPath: (0,external_node_path_.join)(state.dir, 'known_hosts'),
                hostKeyAlias: m.machineId,
            }
            : undefined;
        return provider.collectLogs(state, m, ssh, dir).catch(() => []);
    }));
    return all.flat();
}
/** Set by the watchdog for the teardown it starts (its onExpire): the lock is held for that process. */
const TEARDOWN_LOCK_ENV = 'KAROO_TEARDOWN_LOCK';
/**
 * Holds the lock for as long as its stdin is open (this process's life at most). Node cannot
 * bind an abstract unix socket, so a small Python process (python3 is a required tool) does.
 */
const HOLD_TEARDOWN_LOCK_PY = `import errno, socket, sys, time
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
deadline = time.time() + float(sys.argv[2])
while True:
    try:
        s.bind(b"\\0karoo-teardown-" + sys.argv[1].encode())
        break
    except OSError as e:
        if e.errno != errno.EADDRINUSE or time.time() > deadline:
            sys.exit(75)
        time.sleep(0.1)
sys.stdout.write("held\\n")
sys.stdout.flush()
sys.stdin.read()
`;
/**
 * One teardown of an environment at a time, across processes: an abstract unix socket named
 * for the environment (`@karoo-teardown-<id>`, in this network namespace) is bound while it
 * runs. Binding is atomic and the kernel frees the name when its holder dies, so a killed
 * teardown leaves no stale lock. The watchdog (helpers/forward.py) binds the same name before
 * it runs its onExpire and holds it until that process ends, telling it so through
 * KAROO_TEARDOWN_LOCK=<id>. A teardown that finds the lock taken waits: when it returns, the
 * other one has finished too.
 */
async function teardownLock(env, timeoutSeconds = 180) {
    if (process.env[TEARDOWN_LOCK_ENV] === env)
        return { forWatchdog: true, release: async () => { } };
    const holder = (0,external_node_child_process_.spawn)(systemPython(), ['-I', '-S', '-c', HOLD_TEARDOWN_LOCK_PY, env, String(timeoutSeconds)], {
        stdio: ['pipe', 'pipe', 'ignore'],
    });
    const exited = new Promise((r) => holder.once('close', () => r()));
    await new Promise((resolve, reject) => {
        holder.once('error', reject);
        holder.stdout.once('data', () => resolve());
        holder.once('exit', (code) => reject(code === 75
            ? new lib/* KarooError */.xD('conflict', `environment ${env} is still being torn down by another process after ${timeoutSeconds} s; run karoo reap --env ${env} once it has finished`)
            : new lib/* KarooError */.xD('internal', `the teardown lock of ${env} could not be taken (python3 exited with ${code})`)));
    });
    return {
        forWatchdog: false,
        release: async () => {
            holder.stdin.end();
            await exited;
        },
    };
}
async function underTeardownLock(env, fn) {
    const lock = await teardownLock(env);
    try {
        return await fn(lock.forWatchdog);
    }
    finally {
        await lock.release();
    }
}
/**
 * Destroys everything of an environment: machines (nspawn: the container's init; qemu: the
 * VM process), the forwarder, overlays and disks, namespaces with their bridge, veths and
 * taps, keys and the state directory. Then sweeps anything else carrying the environment id.
 * Under the environment's teardown lock: a teardown already running elsewhere (its watchdog's,
 * another reap) is waited for, and what it removed is not touched again.
 */
function destroyState(state, opts = {}) {
    return underTeardownLock(state.environmentId, (forWatchdog) => destroyLocked(state, opts, forWatchdog));
}
async function destroyLocked(state, opts, forWatchdog) {
    const progress = opts.progress ?? lib/* silentProgress */.RZ;
    const env = state.environmentId;
    const started = Date.now();
    if (!(0,external_node_fs_.existsSync)(state.dir)) {
        // Destroyed by another teardown while this one waited for the lock: only the sweep is left.
        const leftovers = await sweep(env, state.paths, state.related);
        return { environmentId: env, seconds: Math.round((Date.now() - started) / 10) / 100, leftovers };
    }
    const provider = providerOf(state.provider);
    if (opts.saveLogsTo) {
        const saved = await saveLogs(state, provider, opts.saveLogsTo).catch(() => []);
        if (saved.length)
            progress.info(`saved ${saved.length} console log(s) and journal(s) in ${opts.saveLogsTo}`);
    }
    state.phase = 'destroying';
    await saveState(state).catch(() => { });
    const failures = [];
    const processes = await listProcesses();
    await Promise.all(state.machines.map((m) => provider.destroy(state, m, processes).catch((e) => {
        failures.push(`${m.name}: ${e.message}`);
    })));
    // The watchdog goes last: if this process dies half-way, it still removes the rest. When it
    // started this teardown, it holds the lock for it and ends by itself.
    if (state.forwarder && !forWatchdog)
        await killAndWait([state.forwarder], 2000);
    // The sweep also kills what the owner started for the environment (the acceptance command and its children).
    const leftovers = await sweep(env, state.paths, state.related);
    for (const f of failures)
        progress.warn(`destroying ${f}`);
    const seconds = Math.round((Date.now() - started) / 10) / 100;
    progress.info(`environment ${env} destroyed in ${seconds} s${leftovers.length ? `; left over: ${leftovers.join(', ')}` : ''}`);
    return { environmentId: env, seconds, leftovers };
}
async function destroyEnvironment(target, opts = {}) {
    let env = target.environmentId;
    if (!env && target.inventory)
        env = (await readInventory(target.inventory)).environmentId;
    if (!env)
        throw new lib/* KarooError */.xD('input', 'name the environment: --inventory INVENTORY or --env karoo-XXXXXXXX');
    if (!isEnvironmentId(env))
        throw new lib/* KarooError */.xD('input', `inventory environment "${env}" is not an ephemeral karoo environment (karoo-XXXXXXXX); real hosts are never destroyed`);
    const state = await loadState(env);
    if (state)
        return destroyState(state, opts);
    const started = Date.now();
    const leftovers = await underTeardownLock(env, () => sweep(env));
    return { environmentId: env, seconds: Math.round((Date.now() - started) / 10) / 100, leftovers };
}
/**
 * Removes whatever still carries the environment's id: processes (by command line or by
 * network namespace), overlay mounts, namespaces, nspawn's runtime directories, the state
 * directory. Touches nothing whose name is not `karoo-<8 hex>` of this environment.
 * Returns what could not be removed.
 */
async function sweep(env, paths = [], related = []) {
    checkEnvironmentId(env);
    const dirs = [envDir(env), ...paths.filter(isOwnTempDir)];
    const used = [...dirs, ...related.filter((p) => p.startsWith('/') && p.split('/').length >= 3)];
    const ours = (s) => s === env || s.startsWith(`${env}-`) || s.startsWith(`${envDir(env)}/`);
    const namespaces = (await listNetns()).filter(ours);
    const inodes = new Set();
    for (const ns of namespaces) {
        const ino = await netnsInode(netnsPath(ns));
        if (ino !== undefined)
            inodes.add(ino);
    }
    const victims = [];
    const procs = await listProcesses();
    const ancestors = ancestorsOf(process.pid, procs);
    for (const p of procs) {
        if (ancestors.has(p.pid))
            continue;
        const inNamespace = p.netns !== undefined && inodes.has(p.netns);
        if (inNamespace || (isOurKind(p.argv) && mentions(p.argv, env)))
            victims.push({ pid: p.pid, startTime: p.startTime });
    }
    for (const p of await processesUsing(used))
        if (!ancestors.has(p.pid))
            victims.push(p);
    const stubborn = await killAndWait(victims, 5000);
    for (const g of await cgroupsWithPrefix(env))
        await removeCgroupTree(g);
    for (const m of await ourMounts(env))
        await unmount(m);
    for (const ns of namespaces)
        await deleteNetns(ns);
    try {
        for (const d of await (0,promises_.readdir)('/run/systemd/nspawn/propagate'))
            if (ours(d))
                await (0,promises_.rm)((0,external_node_path_.join)('/run/systemd/nspawn/propagate', d), { recursive: true, force: true });
    }
    catch {
        // no nspawn runtime directory
    }
    for (const d of dirs)
        await (0,promises_.rm)(d, { recursive: true, force: true });
    const left = await resourcesOf(env);
    for (const d of dirs.slice(1))
        if (await (0,promises_.readdir)(d).then(() => true, () => false))
            left.push(`directory ${d}`);
    return [...stubborn.map((p) => `process ${p.pid}`), ...left];
}
/**
 * Only karoo's own temporary directories are ever removed on the word of a state file: absolute,
 * named `karoo-<kind>-<random>`, directly in a temporary directory.
 */
function isOwnTempDir(p) {
    return p.startsWith('/') && !p.includes('/../') && /^karoo-[a-z]+-[A-Za-z0-9]{6,}$/.test((0,external_node_path_.basename)(p)) && p.split('/').length >= 3;
}
/**
 * karoo's temporary directories (`karoo-up-*`, …, made by ownedTempDir) whose owner process is
 * gone: what a killed `karoo up` left before (or besides) its environment's stamp.
 */
async function reapTempDirs(progress = lib/* silentProgress */.RZ) {
    const removed = [];
    for (const base of new Set([(0,external_node_os_.tmpdir)(), '/tmp'])) {
        for (const name of await (0,promises_.readdir)(base).catch(() => [])) {
            const dir = (0,external_node_path_.join)(base, name);
            if (!isOwnTempDir(dir))
                continue;
            let owner;
            try {
                owner = JSON.parse(await (0,promises_.readFile)((0,external_node_path_.join)(dir, OWNER_FILE), 'utf8'));
            }
            catch {
                continue;
            }
            if (!(await ownerGone(owner)))
                continue;
            await killAndWait(await processesUsing([dir]), 3000);
            await (0,promises_.rm)(dir, { recursive: true, force: true });
            progress.info(`removed ${dir}: its process ${owner.pid} is gone`);
            removed.push(dir);
        }
    }
    return removed;
}
function idsIn(text) {
    return Array.from(text.matchAll(ENV_ID_IN_TEXT_RE), (m) => m[0]);
}
function mentions(argv, env) {
    return argv.some((a) => idsIn(a).includes(env));
}
/**
 * Only processes karoo starts are killed by name: the machine monitors, the forwarder, and
 * ssh/scp/ip commands aimed at the environment. Shells or CLIs that merely mention the id
 * (e.g. `karoo destroy --env …`) are left alone.
 */
function isOurKind(argv) {
    const exe = (argv[0] ?? '').split('/').pop() ?? '';
    if (exe === 'systemd-nspawn' || exe.startsWith('qemu-system-') || exe === 'ssh' || exe === 'scp' || exe === 'ip')
        return true;
    return exe.startsWith('python3') && argv.some((a) => a.endsWith('/forward.py'));
}
function ancestorsOf(pid, procs) {
    const parent = new Map(procs.map((p) => [p.pid, p.ppid]));
    const out = new Set([pid]);
    let cur = process.ppid;
    while (cur > 1 && !out.has(cur)) {
        out.add(cur);
        cur = parent.get(cur) ?? 0;
    }
    return out;
}
async function ourMounts(env) {
    const info = await (0,promises_.readFile)('/proc/self/mountinfo', 'utf8').catch(() => '');
    const out = [];
    for (const line of info.split('\n')) {
        const f = line.split(' ');
        const mountPoint = f[4];
        const sep = f.indexOf('-');
        const source = sep > 0 ? f[sep + 2] : undefined;
        if (!mountPoint)
            continue;
        if (mountPoint.startsWith(`${envDir(env)}/`) || source === env || source?.startsWith(`${env}-`))
            out.push(mountPoint);
    }
    // Deepest first.
    return out.sort((a, b) => b.length - a.length);
}
/** Everything on this machine that still belongs to the environment: processes, mounts, namespaces, files. */
async function resourcesOf(env) {
    const ours = (s) => s === env || s.startsWith(`${env}-`);
    const out = [];
    for (const ns of await listNetns())
        if (ours(ns))
            out.push(`netns ${ns}`);
    for (const m of await ourMounts(env))
        out.push(`mount ${m}`);
    for (const g of await cgroupsWithPrefix(env))
        out.push(`cgroup ${g}`);
    const procs = await listProcesses();
    // Never the caller's own ancestors: the watchdog waiting for the teardown it started.
    const ancestors = ancestorsOf(process.pid, procs);
    for (const p of procs) {
        if (!ancestors.has(p.pid) && isOurKind(p.argv) && mentions(p.argv, env))
            out.push(`process ${p.pid} (${p.argv.slice(0, 3).join(' ')})`);
    }
    if (await (0,promises_.readdir)(envDir(env)).then(() => true, () => false))
        out.push(`directory ${envDir(env)}`);
    return out;
}
/** Every environment id with something on this machine: state directories, namespaces, processes, mounts. */
async function knownEnvironments() {
    const ids = new Set(await listStateDirs());
    for (const ns of await listNetns())
        for (const m of idsIn(ns))
            if (ns.startsWith(m))
                ids.add(m);
    for (const p of await listProcesses())
        if (isOurKind(p.argv))
            for (const a of p.argv)
                for (const m of idsIn(a))
                    ids.add(m);
    const info = await (0,promises_.readFile)('/proc/self/mountinfo', 'utf8').catch(() => '');
    for (const m of idsIn(info))
        ids.add(m);
    for (const r of await cgroupRoots())
        for (const e of await (0,promises_.readdir)(r).catch(() => []))
            for (const m of idsIn(e))
                if (e.startsWith(m))
                    ids.add(m);
    return [...ids].sort();
}
/** Why an environment may be reaped, or undefined when it is still wanted. */
async function reapReason(env, state, opts) {
    const now = opts.now ?? Date.now();
    if (opts.environmentId)
        return opts.environmentId === env ? 'asked for' : undefined;
    if (!state)
        return 'no state (left by a killed process)';
    if (state.lifetime === 'owner' && (await ownerGone(state.owner)))
        return `its owner process ${state.owner.pid} is gone`;
    if (state.owner.bootId && state.owner.bootId !== (await bootId()))
        return 'made before this machine last started';
    if (Date.parse(state.expiresAt) <= now)
        return `expired at ${state.expiresAt}`;
    if (opts.olderThanSeconds !== undefined && Date.parse(state.createdAt) <= now - opts.olderThanSeconds * 1000)
        return `older than ${opts.olderThanSeconds} s`;
    const ownerAlive = await isAlive(state.owner);
    if ((state.phase === 'provisioning' || state.phase === 'destroying') && !ownerAlive)
        return `its ${state.phase} process ${state.owner.pid} is gone`;
    if (state.phase === 'failed' && !state.keep && !ownerAlive)
        return 'failed and not kept';
    return undefined;
}
/** Finds environments that are gone, expired or orphaned (stamps and owners) and removes what they left. */
async function reap(opts = {}) {
    const progress = opts.progress ?? lib/* silentProgress */.RZ;
    if (opts.environmentId)
        checkEnvironmentId(opts.environmentId);
    const out = [];
    for (const env of await knownEnvironments()) {
        const state = await loadState(env);
        const reason = await reapReason(env, state, opts);
        if (!reason)
            continue;
        progress.info(`reaping ${env}: ${reason}`);
        const leftovers = state ? (await destroyState(state, { progress })).leftovers : await underTeardownLock(env, () => sweep(env));
        out.push({ environmentId: env, reason, leftovers });
    }
    if (!opts.environmentId)
        await reapTempDirs(progress);
    // libvirt hosts this runner used: stamped domains whose environment has no state here.
    if (!opts.environmentId) {
        for (const r of await reapLibvirt({ progress, ...(opts.now !== undefined ? { now: opts.now } : {}) })) {
            if (r.environmentId)
                out.push({ environmentId: r.environmentId, reason: `${r.reason} (libvirt host ${r.host})`, leftovers: r.leftovers });
        }
    }
    return out;
}
//# sourceMappingURL=teardown.js.map
;// CONCATENATED MODULE: ./packages/machines/lib/src/environment.js






















const PROVIDERS = ['nspawn', 'qemu', 'libvirt'];
function providerFor(name, libvirt) {
    if (name === 'nspawn')
        return new NspawnProvider();
    if (name === 'qemu')
        return new QemuProvider();
    if (name === 'libvirt')
        return new LibvirtProvider(libvirt);
    throw new lib/* KarooError */.xD('input', `provider "${name}" is not known; use one of: ${PROVIDERS.join(', ')}`);
}
const now = () => Date.now();
const secs = (ms) => Math.round(ms / 10) / 100;
/**
 * Creates an ephemeral environment: one machine per node on a private network of its own,
 * a fresh SSH key pair, a forwarder on 127.0.0.1 for the runner, and the inventory. On any
 * failure, console logs and journals are saved beside the inventory and everything is
 * destroyed (unless `keep`), then the error names the node and its last console lines.
 *
 * The phases, in order: check the request → find the image → reap → stamp the environment
 * (state and watchdog, before any resource) → prepare the provider → keys beside the network →
 * forwarding beside the machines → create and wait for every machine → hand on (inventory).
 */
async function provision(opts) {
    const progress = opts.progress ?? lib/* silentProgress */.RZ;
    const t0 = now();
    const request = await checkRequest(opts);
    const image = await machineImage(opts, request.provider, progress);
    const tImage = now();
    await reapFirst(opts, progress);
    const { state, watchdog } = await stampEnvironment(opts, request, image, progress);
    const record = timingRecorder(state);
    const stop = new Interruption(state.environmentId, opts.signal);
    const p = { opts, progress, provider: request.provider, image, state, stop, save: () => saveState(state), record };
    try {
        stop.checkpoint();
        await prepareProvider(p);
        const tPrepared = now();
        const keys = await makeKeysBesideNetwork(p, tPrepared);
        const tBridge = now();
        stop.checkpoint();
        const forwarding = new SideStep(startForwarding(state, watchdog).then(() => record('forwarder', tBridge)));
        record('prepare', tImage, tPrepared);
        const tNet = now();
        await createMachines(p, keys, forwarding);
        await forwarding.join();
        stop.checkpoint();
        const tReady = now();
        record('image', t0, tImage);
        record('network', tImage, tNet);
        record('machines', tNet, tReady);
        record('total', t0, tReady);
        return await handOn(p);
    }
    catch (e) {
        await cleanUpAfterFailure(p);
        throw e;
    }
    finally {
        stop.dispose();
    }
}
function timingRecorder(state) {
    return (name, from, to = now()) => {
        state.timings[name] = secs(to - from);
    };
}
/**
 * A step started now and joined later (`join()`), while other steps run beside it. Until the
 * join its failure is held rather than reported as an unhandled rejection; at the join it is
 * thrown. When another step fails first, that error ends provisioning and this one is dropped
 * (the teardown that follows removes whatever the step made).
 */
class SideStep {
    running;
    constructor(running) {
        this.running = running;
        running.catch(() => undefined);
    }
    join() {
        return this.running;
    }
}
/**
 * Provisioning stopped, by the caller (its signal) or by the first machine that fails: no new
 * step starts after it (`checkpoint`), and steps that wait (`race`) stop waiting.
 */
class Interruption {
    env;
    signal;
    controller = new AbortController();
    stopped;
    onAbort;
    constructor(env, signal) {
        this.env = env;
        this.signal = signal;
        this.onAbort = () => this.controller.abort(signal?.reason);
        signal?.addEventListener('abort', this.onAbort, { once: true });
        if (signal?.aborted)
            this.onAbort();
        // Only ever raced against a step; held until then, as a SideStep is.
        this.stopped = new SideStep(new Promise((_, reject) => this.controller.signal.addEventListener('abort', () => reject(new lib/* KarooError */.xD('refused', `provisioning of ${env} was interrupted`)), { once: true }))).join();
    }
    get aborted() {
        return this.controller.signal.aborted;
    }
    /** Why provisioning stopped: the first failure, or the caller's reason. */
    get reason() {
        return this.controller.signal.reason;
    }
    abort(reason) {
        if (!this.aborted)
            this.controller.abort(reason);
    }
    /** Throws when provisioning was stopped: called before each step that makes something. */
    checkpoint() {
        const reason = this.reason;
        if (this.aborted)
            throw reason instanceof Error
                ? reason
                : new lib/* KarooError */.xD('refused', `provisioning of ${this.env} was interrupted${reason ? ` (${String(reason)})` : ''}`);
    }
    /** Waits for a step, or throws as soon as provisioning is stopped. */
    race(step) {
        return Promise.race([step, this.stopped]);
    }
    dispose() {
        this.signal?.removeEventListener('abort', this.onAbort);
    }
}
/** Phase 1: the request is checked before anything is made (nodes, TTL, owner, tools). */
async function checkRequest(opts) {
    const provider = providerFor(opts.provider ?? 'nspawn', opts.libvirt && { progress: opts.progress, ...opts.libvirt });
    if (opts.nodes.length === 0)
        throw new lib/* KarooError */.xD('input', 'the configuration lists no nodes; add at least one under nodes:');
    const seen = new Set();
    for (const n of opts.nodes) {
        checkNodeName(n.name);
        if (seen.has(n.name))
            throw new lib/* KarooError */.xD('input', `node "${n.name}" is listed twice`);
        seen.add(n.name);
    }
    const ttl = opts.ttlSeconds ?? 3600;
    if (!(ttl > 0))
        throw new lib/* KarooError */.xD('input', `ttl must be positive, got ${ttl}`);
    if (opts.ownerPid !== undefined && opts.lifetime !== 'owner')
        throw new lib/* KarooError */.xD('input', `an owner process (${opts.ownerPid}) needs lifetime 'owner'; an environment handed on lives until its TTL`);
    // Checked before anything is made: a dead owner would have the environment removed at once.
    const foreignOwner = opts.ownerPid !== undefined ? await ownerOf(opts.ownerPid) : undefined;
    await requireTools(['ip', 'ssh', 'ssh-keygen', 'python3']);
    return { provider, ttl, foreignOwner };
}
/** Phase 2: the image the machines boot: a cloud image (qemu), or karoo's own (built when missing). */
async function machineImage(opts, provider, progress) {
    if (opts.image) {
        if (provider.name !== 'qemu')
            throw new lib/* KarooError */.xD('input', `a cloud image (${opts.image}) needs the qemu provider; the ${provider.name} provider boots karoo's own image`);
        return fetchCloudImage(opts.image, opts.imageSha256, progress);
    }
    const found = await findImage();
    if (found)
        return found;
    if (opts.buildImage === false)
        throw new lib/* KarooError */.xD('unavailable', "karoo's machine image is not built; run karoo image build");
    return buildImage({ progress });
}
/** Phase 3: expired and orphaned environments are removed first (unless `reapFirst: false`). */
async function reapFirst(opts, progress) {
    if (opts.reapFirst === false)
        return;
    const reaped = await reap({ progress: lib/* silentProgress */.RZ });
    if (reaped.length)
        progress.info(`reaped ${reaped.length} expired or orphaned environment(s): ${reaped.map((r) => r.environmentId).join(', ')}`);
}
/**
 * Phase 4: the environment's stamp, before any resource: its state directory (appearing with
 * its state.json inside) and its watchdog; then the caller hears of it (onEnvironmentCreated).
 */
async function stampEnvironment(opts, request, image, progress) {
    const { provider, ttl } = request;
    const env = newEnvironmentId();
    const dir = envDir(env);
    const outDir = (0,external_node_path_.resolve)(opts.outDir ?? (0,external_node_path_.join)('.karoo', env));
    const net = subnetOf(env);
    const created = new Date();
    const owner = request.foreignOwner ?? (await ownerRef());
    const lifetime = opts.lifetime ?? 'ttl';
    const state = {
        version: 1,
        environmentId: env,
        provider: provider.name,
        phase: 'provisioning',
        createdAt: created.toISOString(),
        expiresAt: new Date(created.getTime() + ttl * 1000).toISOString(),
        ttlSeconds: ttl,
        owner,
        lifetime,
        ...(opts.paths?.length ? { paths: opts.paths.map((p) => (0,external_node_path_.resolve)(p)) } : {}),
        ...(opts.related?.length ? { related: opts.related.map((p) => (0,external_node_path_.resolve)(p)) } : {}),
        keep: opts.keep ?? false,
        netns: names.netns(env),
        cidr: net.cidr,
        dir,
        outDir,
        image: { id: image.id, kind: image.kind, ...(image.kind === 'cloud' ? { sha256: image.sha256 } : {}) },
        machines: opts.nodes.map((n, index) => ({
            name: n.name,
            role: n.role,
            index,
            address: net.address(index),
            mac: macOf(env, index),
            machineId: names.machine(env, n.name),
            consoleLog: (0,external_node_path_.join)(dir, 'console', `${n.name}.log`),
            hostKey: '',
            cpus: n.cpus,
            memory: n.memory,
        })),
        timings: {},
    };
    // The stamp comes first: from here on every resource can be traced back to this state.
    // The directory appears with its state.json inside (rename), so the reaper never sees one without the other.
    const staging = (0,external_node_path_.join)(envsRoot(), `.${env}.new`);
    // 0755: an unprivileged deploy step (the invoking user of sudo) reaches its key in here.
    await (0,promises_.mkdir)(staging, { recursive: true, mode: 0o755 });
    await (0,promises_.mkdir)((0,external_node_path_.join)(staging, 'console'), { mode: 0o700 });
    await (0,promises_.writeFile)((0,external_node_path_.join)(staging, 'state.json'), `${JSON.stringify(state, null, 2)}\n`);
    await (0,promises_.rename)(staging, dir);
    // The watchdog comes before any resource: from here on, the owner's death or the TTL removes whatever exists.
    const watchdog = await startWatchdog(state, opts.onExpire);
    await saveState(state);
    await (0,promises_.mkdir)(outDir, { recursive: true });
    await opts.onEnvironmentCreated?.(env, outDir);
    progress.info(`environment ${env}: ${opts.nodes.length} node(s) with ${provider.name}, network ${net.cidr}, expires ${state.expiresAt}${lifetime === 'owner' ? `, lives as long as process ${owner.pid}` : ''}`);
    return { state, watchdog };
}
/** Phase 5: the provider checks its tools and records its facts (e.g. kvm or tcg). */
async function prepareProvider({ provider, state, save, progress }) {
    await provider.prepare(state);
    await save();
    if (state.accelerator)
        progress.info(`qemu acceleration: ${state.accelerator}${state.accelerator === 'tcg' ? ' (software emulation: no usable /dev/kvm)' : ''}`);
}
function keyPathOf(state) {
    return (0,external_node_path_.join)(state.dir, 'id_ed25519');
}
function knownHostsOf(state) {
    return (0,external_node_path_.join)(state.dir, 'known_hosts');
}
/**
 * Phase 6: keys (the environment's client key, and a host key per node so the runner checks
 * host keys strictly) are made beside the network, which does not depend on them; joined when
 * both are done.
 */
async function makeKeysBesideNetwork(p, tPrepared) {
    const { state, stop, record } = p;
    const dir = state.dir;
    const keyPath = keyPathOf(state);
    const knownHosts = knownHostsOf(state);
    stop.checkpoint();
    const network = new SideStep(createEnvNetwork(state.environmentId, subnetOf(state.environmentId).gateway).then(() => record('bridge', tPrepared)));
    await (0,promises_.mkdir)((0,external_node_path_.join)(dir, 'hostkeys'), { recursive: true });
    const keygen = (file, comment) => run('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', comment, '-f', file]);
    const [, ...hostKeys] = await Promise.all([
        keygen(keyPath, state.environmentId),
        ...state.machines.map(async (m) => {
            const path = (0,external_node_path_.join)(dir, 'hostkeys', m.name);
            await keygen(path, m.machineId);
            return { priv: await (0,promises_.readFile)(path, 'utf8'), pub: await (0,promises_.readFile)(`${path}.pub`, 'utf8') };
        }),
    ]);
    const authorizedKey = await (0,promises_.readFile)(`${keyPath}.pub`, 'utf8');
    state.machines.forEach((m, i) => (m.hostKey = hostKeys[i].pub.trim().split(' ').slice(0, 2).join(' ')));
    await (0,promises_.writeFile)(knownHosts, state.machines.map((m) => `${m.machineId} ${m.hostKey}\n`).join(''));
    await handToInvokingUser([keyPath, `${keyPath}.pub`, knownHosts]);
    await (0,promises_.rm)((0,external_node_path_.join)(dir, 'hostkeys'), { recursive: true, force: true });
    record('keys', tPrepared);
    await network.join();
    return { authorizedKey, hostKeys };
}
/**
 * Phase 7: every machine is created (as many at once as the provider allows) and waited for
 * until it answers SSH (once forwarding is up). The first failure stops the others: none
 * starts a machine after it, none waits on. Every machine task has settled before this
 * returns or throws, so none is made after the teardown that follows a failure.
 */
async function createMachines(p, keys, forwarding) {
    const { opts, provider, image, state, stop, save, record, progress } = p;
    const hosts = state.machines.map((m) => ({ name: m.name, address: m.address }));
    const timeoutMs = (opts.bootTimeoutSeconds ?? (provider.name === 'qemu' || provider.name === 'libvirt' ? 600 : 120)) * 1000;
    const limit = (0,p_limit/* default */.A)(provider.maxParallelBoots(state));
    const tasks = state.machines.map((m, i) => limit(async () => {
        stop.checkpoint();
        const started = now();
        const hostKey = keys.hostKeys[i];
        await provider.create({
            state,
            machine: m,
            image,
            authorizedKey: keys.authorizedKey,
            save,
            seed: seedFiles({
                node: m.name,
                address: m.address,
                mac: m.mac,
                prefixLength: 24,
                hosts,
                authorizedKey: keys.authorizedKey,
                hostPrivateKey: hostKey.priv,
                hostPublicKey: hostKey.pub,
            }),
        });
        record(`create:${m.name}`, started);
        await opts.onMachineStarted?.(m, state);
        stop.checkpoint();
        await stop.race(forwarding.join());
        await stop.race(provider.waitReady(m, endpointOf(state, m), started + timeoutMs));
        m.readyAt = new Date().toISOString();
        record(`ready:${m.name}`, started);
        progress.info(`${m.name} (${m.role}) ready at ${m.address}, ssh 127.0.0.1:${m.sshPort} after ${secs(now() - started)} s`);
    }).catch((e) => {
        stop.abort(e);
        throw e;
    }));
    const settled = await Promise.allSettled(tasks);
    const failed = settled.find((r) => r.status === 'rejected');
    if (failed)
        throw stop.reason instanceof Error ? stop.reason : failed.reason;
}
/** Phase 8: the inventory is written and the environment is ready; with lifetime `ttl` it is handed on. */
async function handOn({ state, save, progress }) {
    const inventory = inventoryOf(state);
    const inventoryPath = (0,external_node_path_.join)(state.outDir, 'inventory.json');
    await writeInventory(inventoryPath, inventory);
    await handToInvokingUser([state.outDir, inventoryPath]);
    state.inventoryPath = inventoryPath;
    state.phase = 'ready';
    await save();
    // Handed on: from now on only the TTL (or destroy) ends it.
    if (state.lifetime === 'ttl')
        await tellWatchdog(state, { owner: null });
    progress.info(`environment ${state.environmentId} ready in ${state.timings.total} s; inventory ${inventoryPath}`);
    return { inventory, inventoryPath, state, timings: state.timings };
}
/**
 * After any failure: the state says so, logs are saved, and the environment is destroyed, or
 * with `keep` handed on until its TTL with an inventory to reach it. Nothing here throws: the
 * caller rethrows the failure itself.
 */
async function cleanUpAfterFailure({ opts, provider, state, save, progress }) {
    const env = state.environmentId;
    state.phase = 'failed';
    await save().catch(() => { });
    const logsDir = (0,external_node_path_.join)(state.outDir, 'logs');
    await saveLogs(state, provider, logsDir).catch(() => []);
    if (opts.keep) {
        // Kept for debugging until the TTL, whoever made it: the watchdog no longer watches the owner.
        await handOver(state).catch(() => { });
        // Kept for debugging: write the inventory anyway, so the machines can be reached.
        const inventoryPath = (0,external_node_path_.join)(state.outDir, 'inventory.json');
        const kept = state.machines.find((m) => m.sshPort && m.hostKey);
        if (kept)
            await writeInventory(inventoryPath, inventoryOf(state)).catch(() => { });
        progress.warn(`provisioning failed; keeping environment ${env} until ${state.expiresAt} (karoo destroy --env ${env}); logs in ${logsDir}` +
            (kept ? `; inventory ${inventoryPath}; ssh: ${sshCommandLine(endpointOf(state, kept))}` : ''));
    }
    else {
        progress.info(`provisioning failed; logs saved in ${logsDir}; destroying ${env}`);
        await destroyState(state, { progress }).catch((d) => progress.warn(`destroying ${env} failed too: ${d.message}`));
    }
}
/** How the runner reaches a machine: its port on the forwarder, the environment's key, its host key. */
function endpointOf(state, m) {
    return {
        host: '127.0.0.1',
        port: m.sshPort ?? 0,
        user: 'root',
        keyPath: keyPathOf(state),
        knownHostsPath: knownHostsOf(state),
        hostKeyAlias: m.machineId,
        hostKey: m.hostKey,
    };
}
function inventoryOf(state) {
    return {
        version: 1,
        environmentId: state.environmentId,
        createdAt: state.createdAt,
        ttlSeconds: state.ttlSeconds,
        expiresAt: state.expiresAt,
        provider: state.provider,
        ...(state.accelerator ? { accelerator: state.accelerator } : {}),
        image: state.image,
        network: { cidr: state.cidr, namespace: state.netns },
        logsDir: (0,external_node_path_.join)(state.outDir, 'logs'),
        nodes: state.machines.map((m) => ({
            name: m.name,
            role: m.role,
            address: m.address,
            ssh: endpointOf(state, m),
            provider: state.provider,
            machineId: m.machineId,
            ...(m.cpus ? { cpus: m.cpus } : {}),
            ...(m.memory ? { memory: m.memory } : {}),
        })),
    };
}
function watchdogConfigPath(state) {
    return (0,external_node_path_.join)(state.dir, 'forward.json');
}
async function writeWatchdogConfig(state, config) {
    const path = watchdogConfigPath(state);
    await (0,promises_.writeFile)(`${path}.tmp`, JSON.stringify(config, null, 2));
    await (0,promises_.rename)(`${path}.tmp`, path);
}
/**
 * Starts the environment's watchdog (helpers/forward.py, detached): it removes the environment
 * (runs `onExpire`) when the TTL passes or, while it has one, when the owner process is gone;
 * later it also becomes the SSH forwarder (startForwarding). Returns once the process exists;
 * `ready` is joined (by startForwarding) once its signal handlers are set.
 */
async function startWatchdog(state, onExpire) {
    const dir = state.dir;
    const script = (0,external_node_path_.join)(dir, 'forward.py');
    await (0,promises_.writeFile)(script, ASSETS['helpers/forward.py']);
    const readyFile = (0,external_node_path_.join)(dir, 'watchdog.ready');
    await writeWatchdogConfig(state, {
        netnsPath: netnsPath(state.netns),
        portsFile: (0,external_node_path_.join)(dir, 'ports.json'),
        readyFile,
        expiresAt: Date.parse(state.expiresAt) / 1000,
        onExpire: onExpire?.map((a) => a.replace(/\{env\}/g, state.environmentId)) ?? null,
        owner: { pid: state.owner.pid, startTime: state.owner.startTime },
        nodes: [],
    });
    const log = await (0,promises_.open)((0,external_node_path_.join)(dir, 'forward.log'), 'a');
    try {
        const child = (0,external_node_child_process_.spawn)(systemPython(), ['-I', '-S', script, state.environmentId, watchdogConfigPath(state)], {
            detached: true,
            stdio: ['ignore', log.fd, log.fd],
        });
        const pid = await new Promise((res, rej) => {
            child.once('error', rej);
            child.once('spawn', () => res(child.pid));
        });
        child.unref();
        state.forwarder = (await procRef(pid)) ?? { pid, startTime: 0 };
    }
    finally {
        await log.close();
    }
    const ready = new SideStep((async () => {
        const deadline = now() + 10_000;
        while (!(0,external_node_fs_.existsSync)(readyFile)) {
            if (!(await isAlive(state.forwarder)) || now() > deadline)
                throw await watchdogFailure(state, 'start');
            await sleep(10);
        }
    })());
    return { ready };
}
async function watchdogFailure(state, what) {
    const why = await (0,promises_.readFile)((0,external_node_path_.join)(state.dir, 'forward.log'), 'utf8').catch(() => '');
    return new lib/* KarooError */.xD('internal', `the watchdog of ${state.environmentId} did not ${what}: ${why.trim().split('\n').pop() ?? ''}`);
}
/** Changes what the watchdog watches (owner) or forwards (nodes), then wakes it (SIGUSR1: it reads its config again). */
async function tellWatchdog(state, change) {
    const config = JSON.parse(await (0,promises_.readFile)(watchdogConfigPath(state), 'utf8'));
    await writeWatchdogConfig(state, { ...config, ...change });
    // Before its handlers exist a SIGUSR1 would kill it; it reads its config once more when they do.
    if ((0,external_node_fs_.existsSync)(config.readyFile) && state.forwarder && (await isAlive(state.forwarder)))
        process.kill(state.forwarder.pid, 'SIGUSR1');
}
/** Has the watchdog forward 127.0.0.1 ports to the nodes' SSH (connections made inside the namespace) and records the ports. */
async function startForwarding(state, watchdog) {
    await watchdog.ready.join();
    await tellWatchdog(state, { nodes: state.machines.map((m) => ({ name: m.name, address: m.address, port: 22 })) });
    const portsFile = (0,external_node_path_.join)(state.dir, 'ports.json');
    const deadline = now() + 10_000;
    for (;;) {
        try {
            const p = JSON.parse(await (0,promises_.readFile)(portsFile, 'utf8'));
            for (const m of state.machines)
                m.sshPort = p.ports[m.name];
            return;
        }
        catch {
            if (!(await isAlive(state.forwarder)) || now() > deadline)
                throw await watchdogFailure(state, 'start forwarding');
            await sleep(20);
        }
    }
}
/**
 * Hands an environment on: it no longer ends with the process that made it, only when it is
 * destroyed or its TTL passes (karoo up --keep, a provisioning failure kept for debugging).
 */
async function handOver(state) {
    state.lifetime = 'ttl';
    await saveState(state);
    await tellWatchdog(state, { owner: null });
}
/**
 * Run through sudo (as the provision action does on GitHub's runners), the files the next,
 * unprivileged steps need (the key, known_hosts, the inventory) are given to the invoking user.
 */
async function handToInvokingUser(paths) {
    const uid = Number(process.env.SUDO_UID);
    const gid = Number(process.env.SUDO_GID);
    if (process.getuid?.() !== 0 || !(uid > 0))
        return;
    for (const p of paths)
        await (0,promises_.chown)(p, uid, gid > 0 ? gid : uid);
}
/** Runs a command on a node of an inventory; refuses when the environment's TTL has passed. */
async function execOnNode(inv, node, command, opts = {}) {
    return sshExec(nodeEndpoint(inv, node), command, opts);
}
function nodeEndpoint(inv, node) {
    checkNotExpired(inv);
    const n = inv.nodes.find((x) => x.name === node);
    if (!n)
        throw new lib/* KarooError */.xD('input', `node "${node}" is not in the inventory of ${inv.environmentId} (nodes: ${inv.nodes.map((x) => x.name).join(', ')})`);
    return { ...n.ssh, port: sshPort(n.ssh), user: sshUser(n.ssh) };
}
function checkNotExpired(inv, at = Date.now()) {
    if (inv.expiresAt && Date.parse(inv.expiresAt) <= at) {
        throw new lib/* KarooError */.xD('refused', `environment ${inv.environmentId} expired at ${inv.expiresAt} (TTL ${inv.ttlSeconds ?? '?'} s); provision a new one (karoo reap removes what is left)`);
    }
}
//# sourceMappingURL=environment.js.map
;// CONCATENATED MODULE: ./packages/machines/lib/src/index.js
/**
 * Ephemeral machines for acceptance runs: providers (systemd-nspawn containers, QEMU virtual
 * machines), environments with a private network and a fresh SSH key, the inventory deploy
 * reads, and teardown that always happens (destroy, TTL, reap).
 */



















//# sourceMappingURL=index.js.map

/***/ })

};
