export const id = 706;
export const ids = [706];
export const modules = {

/***/ 71706:
/***/ ((__unused_webpack___webpack_module__, __webpack_exports__, __webpack_require__) => {

// ESM COMPAT FLAG
__webpack_require__.r(__webpack_exports__);

// EXPORTS
__webpack_require__.d(__webpack_exports__, {
  DEFAULT_EVIDENCE_WORKFLOW: () => (/* reexport */ DEFAULT_EVIDENCE_WORKFLOW),
  DEFAULT_TARGET: () => (/* reexport */ DEFAULT_TARGET),
  loadConfig: () => (/* reexport */ loadConfig),
  parseConfig: () => (/* reexport */ parseConfig),
  parseDuration: () => (/* reexport */ parseDuration)
});

// EXTERNAL MODULE: external "node:fs/promises"
var promises_ = __webpack_require__(51455);
// EXTERNAL MODULE: external "node:path"
var external_node_path_ = __webpack_require__(76760);
// EXTERNAL MODULE: external "node:url"
var external_node_url_ = __webpack_require__(73136);
// EXTERNAL MODULE: ./packages/common/lib/index.js + 10 modules
var lib = __webpack_require__(46787);
// EXTERNAL MODULE: ./packages/lock/lib/index.js + 22 modules
var lock_lib = __webpack_require__(34764);
// EXTERNAL MODULE: ./node_modules/yaml/dist/index.js
var dist = __webpack_require__(38815);
;// CONCATENATED MODULE: ./packages/config/lib/src/checks.js


/**
 * Checks on every string of a karoo.yml that the schema's per-field patterns do not make:
 * values are data, never shell text or paths outside their directory.
 *
 * - Names, paths, URLs and every other single value must be one line of printable text
 *   (no control characters, at most 4096 characters): they end up in file names, command-line
 *   options and configuration files, where a newline starts a new directive.
 * - Command arguments and service environment values may hold any text but NUL (no argument
 *   vector or environment can carry it); they are passed as data, never to a shell.
 * - `values` and file contents may hold anything: they are data for templates and files.
 * - Role names are plain names, like node and service names.
 * - Paths karoo writes or deletes (`lock`, `acceptance.junit`) stay inside their directory.
 */
function checkConfigStrings(raw, fail) {
    walk(raw, [], fail);
    for (const role of Object.keys(raw.roles ?? {})) {
        if (!ROLE_NAME.test(role))
            fail(['roles', role], `role name ${(0,lib/* quoteValue */.cl)(role)} is not a plain name (letters, digits, _ . -, at most 63)`);
    }
    (raw.nodes ?? []).forEach((n, i) => {
        if (typeof n.role === 'string' && !ROLE_NAME.test(n.role))
            fail(['nodes', i, 'role'], `role name ${(0,lib/* quoteValue */.cl)(n.role)} is not a plain name (letters, digits, _ . -, at most 63)`);
    });
    const inside = (keyPath, p, base) => {
        if (typeof p !== 'string')
            return;
        if ((0,external_node_path_.isAbsolute)(p) || p.split(/[\\/]/).includes('..'))
            fail(keyPath, `${(0,lib/* quoteValue */.cl)(p)} must be a relative path inside ${base}, without ..`);
    };
    inside(['lock'], raw.lock, 'the directory of this file');
    inside(['acceptance', 'junit'], raw.acceptance?.junit, 'the acceptance working directory (karoo deletes it before each run)');
}
const ROLE_NAME = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,62}$/;
const MAX_LINE = 4096;
function ruleOf(p) {
    const [a, b, c, , e] = p;
    if (a === 'values')
        return 'data';
    if (a === 'environments' && c === 'values')
        return 'data';
    if (a === 'roles' && c === 'files' && e === 'content' && p.length === 5)
        return 'data';
    if (a === 'roles' && c === 'services' && e === 'command' && p.length === 6)
        return 'argv';
    if (a === 'roles' && c === 'services' && e === 'environment' && p.length === 6)
        return 'argv';
    if (a === 'acceptance' && b === 'command' && p.length === 3)
        return 'argv';
    if (a === 'acceptance' && b === 'env' && p.length === 3)
        return 'argv';
    return 'line';
}
function walk(v, p, fail) {
    if (typeof v === 'string')
        return checkString(v, p, ruleOf(p), fail);
    if (Array.isArray(v))
        return v.forEach((x, i) => walk(x, [...p, i], fail));
    if (v !== null && typeof v === 'object') {
        for (const [k, x] of Object.entries(v)) {
            // A key is a name wherever its value is not free data (the keys of `values` are data).
            if (ruleOf(p) !== 'data')
                checkString(k, [...p, k], 'line', fail);
            walk(x, [...p, k], fail);
        }
    }
}
function checkString(s, p, rule, fail) {
    if (rule === 'data')
        return;
    if (rule === 'argv') {
        if (s.includes('\u0000'))
            fail(p, `${(0,lib/* quoteValue */.cl)(s)} contains a NUL character, which no command line or environment can carry`);
        return;
    }
    const c = (0,lib/* controlCharacterIn */.k2)(s);
    if (c !== undefined)
        fail(p, `${(0,lib/* quoteValue */.cl)(s)} contains a control character (${c}); names, paths and URLs must be one line of printable text`);
    if (s.length > MAX_LINE)
        fail(p, `is ${s.length} characters long; at most ${MAX_LINE}`);
}
//# sourceMappingURL=checks.js.map
;// CONCATENATED MODULE: ./packages/config/lib/src/generated/schema-validator.js
// @ts-nocheck
// Generated by scripts/gen-config-validator.mjs from schema/karoo.schema.json. Do not edit.

const validate = validate10;
/* harmony default export */ const schema_validator = ((/* unused pure expression or super */ null && (validate10)));
const schema11 = { "$schema": "http://json-schema.org/draft-07/schema#", "$id": "https://karoo.dev/schema/karoo.schema.json", "title": "karoo.yml", "description": "Configuration of a system delivered by karoo: its leaf packages, indexes, target platform, nodes, roles, environments and acceptance tests.", "type": "object", "additionalProperties": false, "required": ["system", "leaves", "indexes"], "properties": { "$schema": { "type": "string" }, "system": { "description": "Name of the system; used in store paths, release directories and machine names.", "type": "string", "pattern": "^[a-z0-9]([a-z0-9-]{0,38}[a-z0-9])?$" }, "leaves": { "description": "The packages the team builds itself. Resolution starts from the newest build of each in the private index.", "type": "array", "minItems": 1, "items": { "oneOf": [{ "type": "string", "pattern": "^[A-Za-z0-9]([A-Za-z0-9._-]*[A-Za-z0-9])?$" }, { "type": "object", "additionalProperties": false, "required": ["name"], "properties": { "name": { "type": "string", "pattern": "^[A-Za-z0-9]([A-Za-z0-9._-]*[A-Za-z0-9])?$" }, "pin": { "description": "Exact version to use instead of the newest build.", "type": "string", "minLength": 1 }, "allow-prerelease": { "description": "Let the newest pre-release or dev build of this leaf be chosen.", "type": "boolean" }, "extras": { "type": "array", "items": { "type": "string", "pattern": "^[A-Za-z0-9]([A-Za-z0-9._-]*[A-Za-z0-9])?$" } } } }] } }, "indexes": { "description": "Package indexes, the private one first. A name found in the private index is never taken from another index.", "type": "array", "minItems": 1, "items": { "type": "object", "additionalProperties": false, "required": ["url"], "properties": { "name": { "type": "string", "pattern": "^[a-z0-9][a-z0-9-]*$" }, "url": { "description": "PEP 503/691 simple index: http(s)://…, file://…, or a path relative to this file.", "type": "string", "minLength": 1 }, "private": { "description": "Whether this index holds the team's own packages. Default: true for the first index only.", "type": "boolean" }, "username-env": { "description": "Environment variable holding the user name for basic auth.", "type": "string" }, "password-env": { "description": "Environment variable holding the password or token.", "type": "string" } } } }, "target": { "description": "The platform the system runs on. Locks are resolved for it, not for the resolving machine.", "type": "object", "additionalProperties": false, "properties": { "python": { "type": "string", "pattern": "^3\\.[0-9]{1,2}$" }, "platforms": { "type": "array", "minItems": 1, "items": { "type": "string", "pattern": "^[a-z0-9_]+$" } }, "implementation": { "type": "string", "enum": ["cp", "pp"] } } }, "constraints": { "description": "Constraint files (pip -c syntax), relative to this file.", "type": "array", "items": { "type": "string", "minLength": 1 } }, "resolver": { "type": "string", "enum": ["pip", "uv", "auto"] }, "as-of": { "description": "Upload-time cutoff for resolve: only files the indexes received at or before it are visible. An RFC 3339 date-time with offset (2026-01-31T12:00:00Z), \"leaves\" (the newest upload time among the chosen leaf builds: the same leaf builds give the same lock whenever resolve runs) or \"none\" (default).", "type": "string", "minLength": 1 }, "lock": { "description": "Where the lock lives, relative to this file (default: the directory of this file).", "type": "string" }, "store": { "description": "Where candidates are stored: oci-layout:PATH or REGISTRY/REPOSITORY.", "type": "string" }, "nodes": { "description": "The machines of the system, one per logical node.", "type": "array", "items": { "type": "object", "additionalProperties": false, "required": ["name", "role"], "properties": { "name": { "type": "string", "pattern": "^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$" }, "role": { "type": "string" }, "cpus": { "type": "integer", "minimum": 1 }, "memory": { "description": "Memory in MiB.", "type": "integer", "minimum": 128 } } } }, "roles": { "description": "What runs on a node of each role.", "type": "object", "additionalProperties": { "type": "object", "additionalProperties": false, "properties": { "leaves": { "type": "array", "items": { "type": "string" } }, "services": { "type": "array", "items": { "type": "object", "additionalProperties": false, "required": ["name", "command"], "properties": { "name": { "type": "string", "pattern": "^[a-z0-9][a-z0-9-]*$" }, "command": { "type": "array", "minItems": 1, "items": { "type": "string" } }, "environment": { "type": "object", "additionalProperties": { "type": "string" } }, "working-directory": { "type": "string" }, "port": { "type": "integer", "minimum": 1, "maximum": 65535 } } } }, "files": { "type": "array", "items": { "type": "object", "additionalProperties": false, "required": ["path"], "properties": { "path": { "type": "string" }, "template": { "type": "string" }, "content": { "type": "string" }, "mode": { "type": "string", "pattern": "^0?[0-7]{3}$" } } } } } } }, "values": { "description": "Values available to templates in every environment.", "type": "object" }, "environments": { "description": "Ordered stages a candidate is promoted through.", "type": "array", "items": { "type": "object", "additionalProperties": false, "required": ["name"], "properties": { "name": { "type": "string", "pattern": "^[a-z0-9][a-z0-9-]*$" }, "requires": { "description": "Environments whose passing evidence a candidate needs to enter this one (default: the one before).", "type": "array", "items": { "type": "string" } }, "soak": { "description": "Minimum time in the required environments, e.g. 30m, 24h.", "type": "string", "pattern": "^[0-9]+(s|m|h|d)$" }, "github-environment": { "description": "GitHub Environment whose protection rules guard this stage.", "type": "string" }, "inventory": { "description": "Inventory of real hosts, relative to this file; absent for ephemeral environments.", "type": "string" }, "values": { "type": "object" } } } }, "acceptance": { "type": "object", "additionalProperties": false, "required": ["command"], "properties": { "command": { "type": "array", "minItems": 1, "items": { "type": "string" } }, "timeout": { "type": "string", "pattern": "^[0-9]+(s|m|h)$" }, "junit": { "type": "string" }, "working-directory": { "type": "string" }, "allow-no-tests": { "type": "boolean", "description": "Let a run in which no test ran pass (default false: zero tests run is a failure)." }, "pass-env": { "description": "Variables of karoo's own environment the tests get besides PATH, HOME, locale and KAROO_* (nothing else is passed: no tokens, no INPUT_*).", "type": "array", "items": { "type": "string", "pattern": "^[A-Za-z_][A-Za-z0-9_]*$" } }, "env": { "description": "Variables with fixed values for the tests.", "type": "object", "propertyNames": { "pattern": "^[A-Za-z_][A-Za-z0-9_]*$" }, "additionalProperties": { "type": "string" } }, "workflows": { "description": "Workflow files whose runs may produce evidence a promotion inside GitHub Actions accepts (default: .github/workflows/karoo-candidate.yml).", "type": "array", "items": { "type": "string", "pattern": "^\\.github/workflows/[A-Za-z0-9_.-]+\\.ya?ml$" } } } }, "provision": { "type": "object", "additionalProperties": false, "properties": { "provider": { "type": "string", "enum": ["nspawn", "qemu"] }, "image": { "type": "string" }, "image-sha256": { "type": "string", "pattern": "^[0-9a-f]{64}$" }, "ttl": { "type": "string", "pattern": "^[0-9]+(s|m|h)$" } } } } };
const func2 = Object.prototype.hasOwnProperty;
const pattern0 = new RegExp("^[a-z0-9]([a-z0-9-]{0,38}[a-z0-9])?$", "u");
const pattern1 = new RegExp("^[A-Za-z0-9]([A-Za-z0-9._-]*[A-Za-z0-9])?$", "u");
const pattern4 = new RegExp("^[a-z0-9][a-z0-9-]*$", "u");
const pattern5 = new RegExp("^3\\.[0-9]{1,2}$", "u");
const pattern6 = new RegExp("^[a-z0-9_]+$", "u");
const pattern7 = new RegExp("^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$", "u");
const pattern9 = new RegExp("^0?[0-7]{3}$", "u");
const pattern11 = new RegExp("^[0-9]+(s|m|h|d)$", "u");
const pattern12 = new RegExp("^[0-9]+(s|m|h)$", "u");
const pattern13 = new RegExp("^[A-Za-z_][A-Za-z0-9_]*$", "u");
const pattern15 = new RegExp("^\\.github/workflows/[A-Za-z0-9_.-]+\\.ya?ml$", "u");
const pattern16 = new RegExp("^[0-9a-f]{64}$", "u");
function validate10(data, { instancePath = "", parentData, parentDataProperty, rootData = data } = {}) { /*# sourceURL="https://karoo.dev/schema/karoo.schema.json" */ ; let vErrors = null; let errors = 0; if (data && typeof data == "object" && !Array.isArray(data)) {
    if (data.system === undefined) {
        const err0 = { instancePath, schemaPath: "#/required", keyword: "required", params: { missingProperty: "system" }, message: "must have required property '" + "system" + "'" };
        if (vErrors === null) {
            vErrors = [err0];
        }
        else {
            vErrors.push(err0);
        }
        errors++;
    }
    if (data.leaves === undefined) {
        const err1 = { instancePath, schemaPath: "#/required", keyword: "required", params: { missingProperty: "leaves" }, message: "must have required property '" + "leaves" + "'" };
        if (vErrors === null) {
            vErrors = [err1];
        }
        else {
            vErrors.push(err1);
        }
        errors++;
    }
    if (data.indexes === undefined) {
        const err2 = { instancePath, schemaPath: "#/required", keyword: "required", params: { missingProperty: "indexes" }, message: "must have required property '" + "indexes" + "'" };
        if (vErrors === null) {
            vErrors = [err2];
        }
        else {
            vErrors.push(err2);
        }
        errors++;
    }
    for (const key0 in data) {
        if (!(func2.call(schema11.properties, key0))) {
            const err3 = { instancePath, schemaPath: "#/additionalProperties", keyword: "additionalProperties", params: { additionalProperty: key0 }, message: "must NOT have additional properties" };
            if (vErrors === null) {
                vErrors = [err3];
            }
            else {
                vErrors.push(err3);
            }
            errors++;
        }
    }
    if (data.$schema !== undefined) {
        if (typeof data.$schema !== "string") {
            const err4 = { instancePath: instancePath + "/$schema", schemaPath: "#/properties/%24schema/type", keyword: "type", params: { type: "string" }, message: "must be string" };
            if (vErrors === null) {
                vErrors = [err4];
            }
            else {
                vErrors.push(err4);
            }
            errors++;
        }
    }
    if (data.system !== undefined) {
        let data1 = data.system;
        if (typeof data1 === "string") {
            if (!pattern0.test(data1)) {
                const err5 = { instancePath: instancePath + "/system", schemaPath: "#/properties/system/pattern", keyword: "pattern", params: { pattern: "^[a-z0-9]([a-z0-9-]{0,38}[a-z0-9])?$" }, message: "must match pattern \"" + "^[a-z0-9]([a-z0-9-]{0,38}[a-z0-9])?$" + "\"" };
                if (vErrors === null) {
                    vErrors = [err5];
                }
                else {
                    vErrors.push(err5);
                }
                errors++;
            }
        }
        else {
            const err6 = { instancePath: instancePath + "/system", schemaPath: "#/properties/system/type", keyword: "type", params: { type: "string" }, message: "must be string" };
            if (vErrors === null) {
                vErrors = [err6];
            }
            else {
                vErrors.push(err6);
            }
            errors++;
        }
    }
    if (data.leaves !== undefined) {
        let data2 = data.leaves;
        if (Array.isArray(data2)) {
            if (data2.length < 1) {
                const err7 = { instancePath: instancePath + "/leaves", schemaPath: "#/properties/leaves/minItems", keyword: "minItems", params: { limit: 1 }, message: "must NOT have fewer than 1 items" };
                if (vErrors === null) {
                    vErrors = [err7];
                }
                else {
                    vErrors.push(err7);
                }
                errors++;
            }
            const len0 = data2.length;
            for (let i0 = 0; i0 < len0; i0++) {
                let data3 = data2[i0];
                const _errs9 = errors;
                let valid3 = false;
                let passing0 = null;
                const _errs10 = errors;
                if (typeof data3 === "string") {
                    if (!pattern1.test(data3)) {
                        const err8 = { instancePath: instancePath + "/leaves/" + i0, schemaPath: "#/properties/leaves/items/oneOf/0/pattern", keyword: "pattern", params: { pattern: "^[A-Za-z0-9]([A-Za-z0-9._-]*[A-Za-z0-9])?$" }, message: "must match pattern \"" + "^[A-Za-z0-9]([A-Za-z0-9._-]*[A-Za-z0-9])?$" + "\"" };
                        if (vErrors === null) {
                            vErrors = [err8];
                        }
                        else {
                            vErrors.push(err8);
                        }
                        errors++;
                    }
                }
                else {
                    const err9 = { instancePath: instancePath + "/leaves/" + i0, schemaPath: "#/properties/leaves/items/oneOf/0/type", keyword: "type", params: { type: "string" }, message: "must be string" };
                    if (vErrors === null) {
                        vErrors = [err9];
                    }
                    else {
                        vErrors.push(err9);
                    }
                    errors++;
                }
                var _valid0 = _errs10 === errors;
                if (_valid0) {
                    valid3 = true;
                    passing0 = 0;
                }
                const _errs12 = errors;
                if (data3 && typeof data3 == "object" && !Array.isArray(data3)) {
                    if (data3.name === undefined) {
                        const err10 = { instancePath: instancePath + "/leaves/" + i0, schemaPath: "#/properties/leaves/items/oneOf/1/required", keyword: "required", params: { missingProperty: "name" }, message: "must have required property '" + "name" + "'" };
                        if (vErrors === null) {
                            vErrors = [err10];
                        }
                        else {
                            vErrors.push(err10);
                        }
                        errors++;
                    }
                    for (const key1 in data3) {
                        if (!((((key1 === "name") || (key1 === "pin")) || (key1 === "allow-prerelease")) || (key1 === "extras"))) {
                            const err11 = { instancePath: instancePath + "/leaves/" + i0, schemaPath: "#/properties/leaves/items/oneOf/1/additionalProperties", keyword: "additionalProperties", params: { additionalProperty: key1 }, message: "must NOT have additional properties" };
                            if (vErrors === null) {
                                vErrors = [err11];
                            }
                            else {
                                vErrors.push(err11);
                            }
                            errors++;
                        }
                    }
                    if (data3.name !== undefined) {
                        let data4 = data3.name;
                        if (typeof data4 === "string") {
                            if (!pattern1.test(data4)) {
                                const err12 = { instancePath: instancePath + "/leaves/" + i0 + "/name", schemaPath: "#/properties/leaves/items/oneOf/1/properties/name/pattern", keyword: "pattern", params: { pattern: "^[A-Za-z0-9]([A-Za-z0-9._-]*[A-Za-z0-9])?$" }, message: "must match pattern \"" + "^[A-Za-z0-9]([A-Za-z0-9._-]*[A-Za-z0-9])?$" + "\"" };
                                if (vErrors === null) {
                                    vErrors = [err12];
                                }
                                else {
                                    vErrors.push(err12);
                                }
                                errors++;
                            }
                        }
                        else {
                            const err13 = { instancePath: instancePath + "/leaves/" + i0 + "/name", schemaPath: "#/properties/leaves/items/oneOf/1/properties/name/type", keyword: "type", params: { type: "string" }, message: "must be string" };
                            if (vErrors === null) {
                                vErrors = [err13];
                            }
                            else {
                                vErrors.push(err13);
                            }
                            errors++;
                        }
                    }
                    if (data3.pin !== undefined) {
                        let data5 = data3.pin;
                        if (typeof data5 === "string") {
                            if (data5.length < 1) {
                                const err14 = { instancePath: instancePath + "/leaves/" + i0 + "/pin", schemaPath: "#/properties/leaves/items/oneOf/1/properties/pin/minLength", keyword: "minLength", params: { limit: 1 }, message: "must NOT have fewer than 1 characters" };
                                if (vErrors === null) {
                                    vErrors = [err14];
                                }
                                else {
                                    vErrors.push(err14);
                                }
                                errors++;
                            }
                        }
                        else {
                            const err15 = { instancePath: instancePath + "/leaves/" + i0 + "/pin", schemaPath: "#/properties/leaves/items/oneOf/1/properties/pin/type", keyword: "type", params: { type: "string" }, message: "must be string" };
                            if (vErrors === null) {
                                vErrors = [err15];
                            }
                            else {
                                vErrors.push(err15);
                            }
                            errors++;
                        }
                    }
                    if (data3["allow-prerelease"] !== undefined) {
                        if (typeof data3["allow-prerelease"] !== "boolean") {
                            const err16 = { instancePath: instancePath + "/leaves/" + i0 + "/allow-prerelease", schemaPath: "#/properties/leaves/items/oneOf/1/properties/allow-prerelease/type", keyword: "type", params: { type: "boolean" }, message: "must be boolean" };
                            if (vErrors === null) {
                                vErrors = [err16];
                            }
                            else {
                                vErrors.push(err16);
                            }
                            errors++;
                        }
                    }
                    if (data3.extras !== undefined) {
                        let data7 = data3.extras;
                        if (Array.isArray(data7)) {
                            const len1 = data7.length;
                            for (let i1 = 0; i1 < len1; i1++) {
                                let data8 = data7[i1];
                                if (typeof data8 === "string") {
                                    if (!pattern1.test(data8)) {
                                        const err17 = { instancePath: instancePath + "/leaves/" + i0 + "/extras/" + i1, schemaPath: "#/properties/leaves/items/oneOf/1/properties/extras/items/pattern", keyword: "pattern", params: { pattern: "^[A-Za-z0-9]([A-Za-z0-9._-]*[A-Za-z0-9])?$" }, message: "must match pattern \"" + "^[A-Za-z0-9]([A-Za-z0-9._-]*[A-Za-z0-9])?$" + "\"" };
                                        if (vErrors === null) {
                                            vErrors = [err17];
                                        }
                                        else {
                                            vErrors.push(err17);
                                        }
                                        errors++;
                                    }
                                }
                                else {
                                    const err18 = { instancePath: instancePath + "/leaves/" + i0 + "/extras/" + i1, schemaPath: "#/properties/leaves/items/oneOf/1/properties/extras/items/type", keyword: "type", params: { type: "string" }, message: "must be string" };
                                    if (vErrors === null) {
                                        vErrors = [err18];
                                    }
                                    else {
                                        vErrors.push(err18);
                                    }
                                    errors++;
                                }
                            }
                        }
                        else {
                            const err19 = { instancePath: instancePath + "/leaves/" + i0 + "/extras", schemaPath: "#/properties/leaves/items/oneOf/1/properties/extras/type", keyword: "type", params: { type: "array" }, message: "must be array" };
                            if (vErrors === null) {
                                vErrors = [err19];
                            }
                            else {
                                vErrors.push(err19);
                            }
                            errors++;
                        }
                    }
                }
                else {
                    const err20 = { instancePath: instancePath + "/leaves/" + i0, schemaPath: "#/properties/leaves/items/oneOf/1/type", keyword: "type", params: { type: "object" }, message: "must be object" };
                    if (vErrors === null) {
                        vErrors = [err20];
                    }
                    else {
                        vErrors.push(err20);
                    }
                    errors++;
                }
                var _valid0 = _errs12 === errors;
                if (_valid0 && valid3) {
                    valid3 = false;
                    passing0 = [passing0, 1];
                }
                else {
                    if (_valid0) {
                        valid3 = true;
                        passing0 = 1;
                    }
                }
                if (!valid3) {
                    const err21 = { instancePath: instancePath + "/leaves/" + i0, schemaPath: "#/properties/leaves/items/oneOf", keyword: "oneOf", params: { passingSchemas: passing0 }, message: "must match exactly one schema in oneOf" };
                    if (vErrors === null) {
                        vErrors = [err21];
                    }
                    else {
                        vErrors.push(err21);
                    }
                    errors++;
                }
                else {
                    errors = _errs9;
                    if (vErrors !== null) {
                        if (_errs9) {
                            vErrors.length = _errs9;
                        }
                        else {
                            vErrors = null;
                        }
                    }
                }
            }
        }
        else {
            const err22 = { instancePath: instancePath + "/leaves", schemaPath: "#/properties/leaves/type", keyword: "type", params: { type: "array" }, message: "must be array" };
            if (vErrors === null) {
                vErrors = [err22];
            }
            else {
                vErrors.push(err22);
            }
            errors++;
        }
    }
    if (data.indexes !== undefined) {
        let data9 = data.indexes;
        if (Array.isArray(data9)) {
            if (data9.length < 1) {
                const err23 = { instancePath: instancePath + "/indexes", schemaPath: "#/properties/indexes/minItems", keyword: "minItems", params: { limit: 1 }, message: "must NOT have fewer than 1 items" };
                if (vErrors === null) {
                    vErrors = [err23];
                }
                else {
                    vErrors.push(err23);
                }
                errors++;
            }
            const len2 = data9.length;
            for (let i2 = 0; i2 < len2; i2++) {
                let data10 = data9[i2];
                if (data10 && typeof data10 == "object" && !Array.isArray(data10)) {
                    if (data10.url === undefined) {
                        const err24 = { instancePath: instancePath + "/indexes/" + i2, schemaPath: "#/properties/indexes/items/required", keyword: "required", params: { missingProperty: "url" }, message: "must have required property '" + "url" + "'" };
                        if (vErrors === null) {
                            vErrors = [err24];
                        }
                        else {
                            vErrors.push(err24);
                        }
                        errors++;
                    }
                    for (const key2 in data10) {
                        if (!(((((key2 === "name") || (key2 === "url")) || (key2 === "private")) || (key2 === "username-env")) || (key2 === "password-env"))) {
                            const err25 = { instancePath: instancePath + "/indexes/" + i2, schemaPath: "#/properties/indexes/items/additionalProperties", keyword: "additionalProperties", params: { additionalProperty: key2 }, message: "must NOT have additional properties" };
                            if (vErrors === null) {
                                vErrors = [err25];
                            }
                            else {
                                vErrors.push(err25);
                            }
                            errors++;
                        }
                    }
                    if (data10.name !== undefined) {
                        let data11 = data10.name;
                        if (typeof data11 === "string") {
                            if (!pattern4.test(data11)) {
                                const err26 = { instancePath: instancePath + "/indexes/" + i2 + "/name", schemaPath: "#/properties/indexes/items/properties/name/pattern", keyword: "pattern", params: { pattern: "^[a-z0-9][a-z0-9-]*$" }, message: "must match pattern \"" + "^[a-z0-9][a-z0-9-]*$" + "\"" };
                                if (vErrors === null) {
                                    vErrors = [err26];
                                }
                                else {
                                    vErrors.push(err26);
                                }
                                errors++;
                            }
                        }
                        else {
                            const err27 = { instancePath: instancePath + "/indexes/" + i2 + "/name", schemaPath: "#/properties/indexes/items/properties/name/type", keyword: "type", params: { type: "string" }, message: "must be string" };
                            if (vErrors === null) {
                                vErrors = [err27];
                            }
                            else {
                                vErrors.push(err27);
                            }
                            errors++;
                        }
                    }
                    if (data10.url !== undefined) {
                        let data12 = data10.url;
                        if (typeof data12 === "string") {
                            if (data12.length < 1) {
                                const err28 = { instancePath: instancePath + "/indexes/" + i2 + "/url", schemaPath: "#/properties/indexes/items/properties/url/minLength", keyword: "minLength", params: { limit: 1 }, message: "must NOT have fewer than 1 characters" };
                                if (vErrors === null) {
                                    vErrors = [err28];
                                }
                                else {
                                    vErrors.push(err28);
                                }
                                errors++;
                            }
                        }
                        else {
                            const err29 = { instancePath: instancePath + "/indexes/" + i2 + "/url", schemaPath: "#/properties/indexes/items/properties/url/type", keyword: "type", params: { type: "string" }, message: "must be string" };
                            if (vErrors === null) {
                                vErrors = [err29];
                            }
                            else {
                                vErrors.push(err29);
                            }
                            errors++;
                        }
                    }
                    if (data10.private !== undefined) {
                        if (typeof data10.private !== "boolean") {
                            const err30 = { instancePath: instancePath + "/indexes/" + i2 + "/private", schemaPath: "#/properties/indexes/items/properties/private/type", keyword: "type", params: { type: "boolean" }, message: "must be boolean" };
                            if (vErrors === null) {
                                vErrors = [err30];
                            }
                            else {
                                vErrors.push(err30);
                            }
                            errors++;
                        }
                    }
                    if (data10["username-env"] !== undefined) {
                        if (typeof data10["username-env"] !== "string") {
                            const err31 = { instancePath: instancePath + "/indexes/" + i2 + "/username-env", schemaPath: "#/properties/indexes/items/properties/username-env/type", keyword: "type", params: { type: "string" }, message: "must be string" };
                            if (vErrors === null) {
                                vErrors = [err31];
                            }
                            else {
                                vErrors.push(err31);
                            }
                            errors++;
                        }
                    }
                    if (data10["password-env"] !== undefined) {
                        if (typeof data10["password-env"] !== "string") {
                            const err32 = { instancePath: instancePath + "/indexes/" + i2 + "/password-env", schemaPath: "#/properties/indexes/items/properties/password-env/type", keyword: "type", params: { type: "string" }, message: "must be string" };
                            if (vErrors === null) {
                                vErrors = [err32];
                            }
                            else {
                                vErrors.push(err32);
                            }
                            errors++;
                        }
                    }
                }
                else {
                    const err33 = { instancePath: instancePath + "/indexes/" + i2, schemaPath: "#/properties/indexes/items/type", keyword: "type", params: { type: "object" }, message: "must be object" };
                    if (vErrors === null) {
                        vErrors = [err33];
                    }
                    else {
                        vErrors.push(err33);
                    }
                    errors++;
                }
            }
        }
        else {
            const err34 = { instancePath: instancePath + "/indexes", schemaPath: "#/properties/indexes/type", keyword: "type", params: { type: "array" }, message: "must be array" };
            if (vErrors === null) {
                vErrors = [err34];
            }
            else {
                vErrors.push(err34);
            }
            errors++;
        }
    }
    if (data.target !== undefined) {
        let data16 = data.target;
        if (data16 && typeof data16 == "object" && !Array.isArray(data16)) {
            for (const key3 in data16) {
                if (!(((key3 === "python") || (key3 === "platforms")) || (key3 === "implementation"))) {
                    const err35 = { instancePath: instancePath + "/target", schemaPath: "#/properties/target/additionalProperties", keyword: "additionalProperties", params: { additionalProperty: key3 }, message: "must NOT have additional properties" };
                    if (vErrors === null) {
                        vErrors = [err35];
                    }
                    else {
                        vErrors.push(err35);
                    }
                    errors++;
                }
            }
            if (data16.python !== undefined) {
                let data17 = data16.python;
                if (typeof data17 === "string") {
                    if (!pattern5.test(data17)) {
                        const err36 = { instancePath: instancePath + "/target/python", schemaPath: "#/properties/target/properties/python/pattern", keyword: "pattern", params: { pattern: "^3\\.[0-9]{1,2}$" }, message: "must match pattern \"" + "^3\\.[0-9]{1,2}$" + "\"" };
                        if (vErrors === null) {
                            vErrors = [err36];
                        }
                        else {
                            vErrors.push(err36);
                        }
                        errors++;
                    }
                }
                else {
                    const err37 = { instancePath: instancePath + "/target/python", schemaPath: "#/properties/target/properties/python/type", keyword: "type", params: { type: "string" }, message: "must be string" };
                    if (vErrors === null) {
                        vErrors = [err37];
                    }
                    else {
                        vErrors.push(err37);
                    }
                    errors++;
                }
            }
            if (data16.platforms !== undefined) {
                let data18 = data16.platforms;
                if (Array.isArray(data18)) {
                    if (data18.length < 1) {
                        const err38 = { instancePath: instancePath + "/target/platforms", schemaPath: "#/properties/target/properties/platforms/minItems", keyword: "minItems", params: { limit: 1 }, message: "must NOT have fewer than 1 items" };
                        if (vErrors === null) {
                            vErrors = [err38];
                        }
                        else {
                            vErrors.push(err38);
                        }
                        errors++;
                    }
                    const len3 = data18.length;
                    for (let i3 = 0; i3 < len3; i3++) {
                        let data19 = data18[i3];
                        if (typeof data19 === "string") {
                            if (!pattern6.test(data19)) {
                                const err39 = { instancePath: instancePath + "/target/platforms/" + i3, schemaPath: "#/properties/target/properties/platforms/items/pattern", keyword: "pattern", params: { pattern: "^[a-z0-9_]+$" }, message: "must match pattern \"" + "^[a-z0-9_]+$" + "\"" };
                                if (vErrors === null) {
                                    vErrors = [err39];
                                }
                                else {
                                    vErrors.push(err39);
                                }
                                errors++;
                            }
                        }
                        else {
                            const err40 = { instancePath: instancePath + "/target/platforms/" + i3, schemaPath: "#/properties/target/properties/platforms/items/type", keyword: "type", params: { type: "string" }, message: "must be string" };
                            if (vErrors === null) {
                                vErrors = [err40];
                            }
                            else {
                                vErrors.push(err40);
                            }
                            errors++;
                        }
                    }
                }
                else {
                    const err41 = { instancePath: instancePath + "/target/platforms", schemaPath: "#/properties/target/properties/platforms/type", keyword: "type", params: { type: "array" }, message: "must be array" };
                    if (vErrors === null) {
                        vErrors = [err41];
                    }
                    else {
                        vErrors.push(err41);
                    }
                    errors++;
                }
            }
            if (data16.implementation !== undefined) {
                let data20 = data16.implementation;
                if (typeof data20 !== "string") {
                    const err42 = { instancePath: instancePath + "/target/implementation", schemaPath: "#/properties/target/properties/implementation/type", keyword: "type", params: { type: "string" }, message: "must be string" };
                    if (vErrors === null) {
                        vErrors = [err42];
                    }
                    else {
                        vErrors.push(err42);
                    }
                    errors++;
                }
                if (!((data20 === "cp") || (data20 === "pp"))) {
                    const err43 = { instancePath: instancePath + "/target/implementation", schemaPath: "#/properties/target/properties/implementation/enum", keyword: "enum", params: { allowedValues: schema11.properties.target.properties.implementation.enum }, message: "must be equal to one of the allowed values" };
                    if (vErrors === null) {
                        vErrors = [err43];
                    }
                    else {
                        vErrors.push(err43);
                    }
                    errors++;
                }
            }
        }
        else {
            const err44 = { instancePath: instancePath + "/target", schemaPath: "#/properties/target/type", keyword: "type", params: { type: "object" }, message: "must be object" };
            if (vErrors === null) {
                vErrors = [err44];
            }
            else {
                vErrors.push(err44);
            }
            errors++;
        }
    }
    if (data.constraints !== undefined) {
        let data21 = data.constraints;
        if (Array.isArray(data21)) {
            const len4 = data21.length;
            for (let i4 = 0; i4 < len4; i4++) {
                let data22 = data21[i4];
                if (typeof data22 === "string") {
                    if (data22.length < 1) {
                        const err45 = { instancePath: instancePath + "/constraints/" + i4, schemaPath: "#/properties/constraints/items/minLength", keyword: "minLength", params: { limit: 1 }, message: "must NOT have fewer than 1 characters" };
                        if (vErrors === null) {
                            vErrors = [err45];
                        }
                        else {
                            vErrors.push(err45);
                        }
                        errors++;
                    }
                }
                else {
                    const err46 = { instancePath: instancePath + "/constraints/" + i4, schemaPath: "#/properties/constraints/items/type", keyword: "type", params: { type: "string" }, message: "must be string" };
                    if (vErrors === null) {
                        vErrors = [err46];
                    }
                    else {
                        vErrors.push(err46);
                    }
                    errors++;
                }
            }
        }
        else {
            const err47 = { instancePath: instancePath + "/constraints", schemaPath: "#/properties/constraints/type", keyword: "type", params: { type: "array" }, message: "must be array" };
            if (vErrors === null) {
                vErrors = [err47];
            }
            else {
                vErrors.push(err47);
            }
            errors++;
        }
    }
    if (data.resolver !== undefined) {
        let data23 = data.resolver;
        if (typeof data23 !== "string") {
            const err48 = { instancePath: instancePath + "/resolver", schemaPath: "#/properties/resolver/type", keyword: "type", params: { type: "string" }, message: "must be string" };
            if (vErrors === null) {
                vErrors = [err48];
            }
            else {
                vErrors.push(err48);
            }
            errors++;
        }
        if (!(((data23 === "pip") || (data23 === "uv")) || (data23 === "auto"))) {
            const err49 = { instancePath: instancePath + "/resolver", schemaPath: "#/properties/resolver/enum", keyword: "enum", params: { allowedValues: schema11.properties.resolver.enum }, message: "must be equal to one of the allowed values" };
            if (vErrors === null) {
                vErrors = [err49];
            }
            else {
                vErrors.push(err49);
            }
            errors++;
        }
    }
    if (data["as-of"] !== undefined) {
        let data24 = data["as-of"];
        if (typeof data24 === "string") {
            if (data24.length < 1) {
                const err50 = { instancePath: instancePath + "/as-of", schemaPath: "#/properties/as-of/minLength", keyword: "minLength", params: { limit: 1 }, message: "must NOT have fewer than 1 characters" };
                if (vErrors === null) {
                    vErrors = [err50];
                }
                else {
                    vErrors.push(err50);
                }
                errors++;
            }
        }
        else {
            const err51 = { instancePath: instancePath + "/as-of", schemaPath: "#/properties/as-of/type", keyword: "type", params: { type: "string" }, message: "must be string" };
            if (vErrors === null) {
                vErrors = [err51];
            }
            else {
                vErrors.push(err51);
            }
            errors++;
        }
    }
    if (data.lock !== undefined) {
        if (typeof data.lock !== "string") {
            const err52 = { instancePath: instancePath + "/lock", schemaPath: "#/properties/lock/type", keyword: "type", params: { type: "string" }, message: "must be string" };
            if (vErrors === null) {
                vErrors = [err52];
            }
            else {
                vErrors.push(err52);
            }
            errors++;
        }
    }
    if (data.store !== undefined) {
        if (typeof data.store !== "string") {
            const err53 = { instancePath: instancePath + "/store", schemaPath: "#/properties/store/type", keyword: "type", params: { type: "string" }, message: "must be string" };
            if (vErrors === null) {
                vErrors = [err53];
            }
            else {
                vErrors.push(err53);
            }
            errors++;
        }
    }
    if (data.nodes !== undefined) {
        let data27 = data.nodes;
        if (Array.isArray(data27)) {
            const len5 = data27.length;
            for (let i5 = 0; i5 < len5; i5++) {
                let data28 = data27[i5];
                if (data28 && typeof data28 == "object" && !Array.isArray(data28)) {
                    if (data28.name === undefined) {
                        const err54 = { instancePath: instancePath + "/nodes/" + i5, schemaPath: "#/properties/nodes/items/required", keyword: "required", params: { missingProperty: "name" }, message: "must have required property '" + "name" + "'" };
                        if (vErrors === null) {
                            vErrors = [err54];
                        }
                        else {
                            vErrors.push(err54);
                        }
                        errors++;
                    }
                    if (data28.role === undefined) {
                        const err55 = { instancePath: instancePath + "/nodes/" + i5, schemaPath: "#/properties/nodes/items/required", keyword: "required", params: { missingProperty: "role" }, message: "must have required property '" + "role" + "'" };
                        if (vErrors === null) {
                            vErrors = [err55];
                        }
                        else {
                            vErrors.push(err55);
                        }
                        errors++;
                    }
                    for (const key4 in data28) {
                        if (!((((key4 === "name") || (key4 === "role")) || (key4 === "cpus")) || (key4 === "memory"))) {
                            const err56 = { instancePath: instancePath + "/nodes/" + i5, schemaPath: "#/properties/nodes/items/additionalProperties", keyword: "additionalProperties", params: { additionalProperty: key4 }, message: "must NOT have additional properties" };
                            if (vErrors === null) {
                                vErrors = [err56];
                            }
                            else {
                                vErrors.push(err56);
                            }
                            errors++;
                        }
                    }
                    if (data28.name !== undefined) {
                        let data29 = data28.name;
                        if (typeof data29 === "string") {
                            if (!pattern7.test(data29)) {
                                const err57 = { instancePath: instancePath + "/nodes/" + i5 + "/name", schemaPath: "#/properties/nodes/items/properties/name/pattern", keyword: "pattern", params: { pattern: "^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$" }, message: "must match pattern \"" + "^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$" + "\"" };
                                if (vErrors === null) {
                                    vErrors = [err57];
                                }
                                else {
                                    vErrors.push(err57);
                                }
                                errors++;
                            }
                        }
                        else {
                            const err58 = { instancePath: instancePath + "/nodes/" + i5 + "/name", schemaPath: "#/properties/nodes/items/properties/name/type", keyword: "type", params: { type: "string" }, message: "must be string" };
                            if (vErrors === null) {
                                vErrors = [err58];
                            }
                            else {
                                vErrors.push(err58);
                            }
                            errors++;
                        }
                    }
                    if (data28.role !== undefined) {
                        if (typeof data28.role !== "string") {
                            const err59 = { instancePath: instancePath + "/nodes/" + i5 + "/role", schemaPath: "#/properties/nodes/items/properties/role/type", keyword: "type", params: { type: "string" }, message: "must be string" };
                            if (vErrors === null) {
                                vErrors = [err59];
                            }
                            else {
                                vErrors.push(err59);
                            }
                            errors++;
                        }
                    }
                    if (data28.cpus !== undefined) {
                        let data31 = data28.cpus;
                        if (!((typeof data31 == "number") && (!(data31 % 1) && !isNaN(data31)))) {
                            const err60 = { instancePath: instancePath + "/nodes/" + i5 + "/cpus", schemaPath: "#/properties/nodes/items/properties/cpus/type", keyword: "type", params: { type: "integer" }, message: "must be integer" };
                            if (vErrors === null) {
                                vErrors = [err60];
                            }
                            else {
                                vErrors.push(err60);
                            }
                            errors++;
                        }
                        if (typeof data31 == "number") {
                            if (data31 < 1 || isNaN(data31)) {
                                const err61 = { instancePath: instancePath + "/nodes/" + i5 + "/cpus", schemaPath: "#/properties/nodes/items/properties/cpus/minimum", keyword: "minimum", params: { comparison: ">=", limit: 1 }, message: "must be >= 1" };
                                if (vErrors === null) {
                                    vErrors = [err61];
                                }
                                else {
                                    vErrors.push(err61);
                                }
                                errors++;
                            }
                        }
                    }
                    if (data28.memory !== undefined) {
                        let data32 = data28.memory;
                        if (!((typeof data32 == "number") && (!(data32 % 1) && !isNaN(data32)))) {
                            const err62 = { instancePath: instancePath + "/nodes/" + i5 + "/memory", schemaPath: "#/properties/nodes/items/properties/memory/type", keyword: "type", params: { type: "integer" }, message: "must be integer" };
                            if (vErrors === null) {
                                vErrors = [err62];
                            }
                            else {
                                vErrors.push(err62);
                            }
                            errors++;
                        }
                        if (typeof data32 == "number") {
                            if (data32 < 128 || isNaN(data32)) {
                                const err63 = { instancePath: instancePath + "/nodes/" + i5 + "/memory", schemaPath: "#/properties/nodes/items/properties/memory/minimum", keyword: "minimum", params: { comparison: ">=", limit: 128 }, message: "must be >= 128" };
                                if (vErrors === null) {
                                    vErrors = [err63];
                                }
                                else {
                                    vErrors.push(err63);
                                }
                                errors++;
                            }
                        }
                    }
                }
                else {
                    const err64 = { instancePath: instancePath + "/nodes/" + i5, schemaPath: "#/properties/nodes/items/type", keyword: "type", params: { type: "object" }, message: "must be object" };
                    if (vErrors === null) {
                        vErrors = [err64];
                    }
                    else {
                        vErrors.push(err64);
                    }
                    errors++;
                }
            }
        }
        else {
            const err65 = { instancePath: instancePath + "/nodes", schemaPath: "#/properties/nodes/type", keyword: "type", params: { type: "array" }, message: "must be array" };
            if (vErrors === null) {
                vErrors = [err65];
            }
            else {
                vErrors.push(err65);
            }
            errors++;
        }
    }
    if (data.roles !== undefined) {
        let data33 = data.roles;
        if (data33 && typeof data33 == "object" && !Array.isArray(data33)) {
            for (const key5 in data33) {
                let data34 = data33[key5];
                if (data34 && typeof data34 == "object" && !Array.isArray(data34)) {
                    for (const key6 in data34) {
                        if (!(((key6 === "leaves") || (key6 === "services")) || (key6 === "files"))) {
                            const err66 = { instancePath: instancePath + "/roles/" + key5.replace(/~/g, "~0").replace(/\//g, "~1"), schemaPath: "#/properties/roles/additionalProperties/additionalProperties", keyword: "additionalProperties", params: { additionalProperty: key6 }, message: "must NOT have additional properties" };
                            if (vErrors === null) {
                                vErrors = [err66];
                            }
                            else {
                                vErrors.push(err66);
                            }
                            errors++;
                        }
                    }
                    if (data34.leaves !== undefined) {
                        let data35 = data34.leaves;
                        if (Array.isArray(data35)) {
                            const len6 = data35.length;
                            for (let i6 = 0; i6 < len6; i6++) {
                                if (typeof data35[i6] !== "string") {
                                    const err67 = { instancePath: instancePath + "/roles/" + key5.replace(/~/g, "~0").replace(/\//g, "~1") + "/leaves/" + i6, schemaPath: "#/properties/roles/additionalProperties/properties/leaves/items/type", keyword: "type", params: { type: "string" }, message: "must be string" };
                                    if (vErrors === null) {
                                        vErrors = [err67];
                                    }
                                    else {
                                        vErrors.push(err67);
                                    }
                                    errors++;
                                }
                            }
                        }
                        else {
                            const err68 = { instancePath: instancePath + "/roles/" + key5.replace(/~/g, "~0").replace(/\//g, "~1") + "/leaves", schemaPath: "#/properties/roles/additionalProperties/properties/leaves/type", keyword: "type", params: { type: "array" }, message: "must be array" };
                            if (vErrors === null) {
                                vErrors = [err68];
                            }
                            else {
                                vErrors.push(err68);
                            }
                            errors++;
                        }
                    }
                    if (data34.services !== undefined) {
                        let data37 = data34.services;
                        if (Array.isArray(data37)) {
                            const len7 = data37.length;
                            for (let i7 = 0; i7 < len7; i7++) {
                                let data38 = data37[i7];
                                if (data38 && typeof data38 == "object" && !Array.isArray(data38)) {
                                    if (data38.name === undefined) {
                                        const err69 = { instancePath: instancePath + "/roles/" + key5.replace(/~/g, "~0").replace(/\//g, "~1") + "/services/" + i7, schemaPath: "#/properties/roles/additionalProperties/properties/services/items/required", keyword: "required", params: { missingProperty: "name" }, message: "must have required property '" + "name" + "'" };
                                        if (vErrors === null) {
                                            vErrors = [err69];
                                        }
                                        else {
                                            vErrors.push(err69);
                                        }
                                        errors++;
                                    }
                                    if (data38.command === undefined) {
                                        const err70 = { instancePath: instancePath + "/roles/" + key5.replace(/~/g, "~0").replace(/\//g, "~1") + "/services/" + i7, schemaPath: "#/properties/roles/additionalProperties/properties/services/items/required", keyword: "required", params: { missingProperty: "command" }, message: "must have required property '" + "command" + "'" };
                                        if (vErrors === null) {
                                            vErrors = [err70];
                                        }
                                        else {
                                            vErrors.push(err70);
                                        }
                                        errors++;
                                    }
                                    for (const key7 in data38) {
                                        if (!(((((key7 === "name") || (key7 === "command")) || (key7 === "environment")) || (key7 === "working-directory")) || (key7 === "port"))) {
                                            const err71 = { instancePath: instancePath + "/roles/" + key5.replace(/~/g, "~0").replace(/\//g, "~1") + "/services/" + i7, schemaPath: "#/properties/roles/additionalProperties/properties/services/items/additionalProperties", keyword: "additionalProperties", params: { additionalProperty: key7 }, message: "must NOT have additional properties" };
                                            if (vErrors === null) {
                                                vErrors = [err71];
                                            }
                                            else {
                                                vErrors.push(err71);
                                            }
                                            errors++;
                                        }
                                    }
                                    if (data38.name !== undefined) {
                                        let data39 = data38.name;
                                        if (typeof data39 === "string") {
                                            if (!pattern4.test(data39)) {
                                                const err72 = { instancePath: instancePath + "/roles/" + key5.replace(/~/g, "~0").replace(/\//g, "~1") + "/services/" + i7 + "/name", schemaPath: "#/properties/roles/additionalProperties/properties/services/items/properties/name/pattern", keyword: "pattern", params: { pattern: "^[a-z0-9][a-z0-9-]*$" }, message: "must match pattern \"" + "^[a-z0-9][a-z0-9-]*$" + "\"" };
                                                if (vErrors === null) {
                                                    vErrors = [err72];
                                                }
                                                else {
                                                    vErrors.push(err72);
                                                }
                                                errors++;
                                            }
                                        }
                                        else {
                                            const err73 = { instancePath: instancePath + "/roles/" + key5.replace(/~/g, "~0").replace(/\//g, "~1") + "/services/" + i7 + "/name", schemaPath: "#/properties/roles/additionalProperties/properties/services/items/properties/name/type", keyword: "type", params: { type: "string" }, message: "must be string" };
                                            if (vErrors === null) {
                                                vErrors = [err73];
                                            }
                                            else {
                                                vErrors.push(err73);
                                            }
                                            errors++;
                                        }
                                    }
                                    if (data38.command !== undefined) {
                                        let data40 = data38.command;
                                        if (Array.isArray(data40)) {
                                            if (data40.length < 1) {
                                                const err74 = { instancePath: instancePath + "/roles/" + key5.replace(/~/g, "~0").replace(/\//g, "~1") + "/services/" + i7 + "/command", schemaPath: "#/properties/roles/additionalProperties/properties/services/items/properties/command/minItems", keyword: "minItems", params: { limit: 1 }, message: "must NOT have fewer than 1 items" };
                                                if (vErrors === null) {
                                                    vErrors = [err74];
                                                }
                                                else {
                                                    vErrors.push(err74);
                                                }
                                                errors++;
                                            }
                                            const len8 = data40.length;
                                            for (let i8 = 0; i8 < len8; i8++) {
                                                if (typeof data40[i8] !== "string") {
                                                    const err75 = { instancePath: instancePath + "/roles/" + key5.replace(/~/g, "~0").replace(/\//g, "~1") + "/services/" + i7 + "/command/" + i8, schemaPath: "#/properties/roles/additionalProperties/properties/services/items/properties/command/items/type", keyword: "type", params: { type: "string" }, message: "must be string" };
                                                    if (vErrors === null) {
                                                        vErrors = [err75];
                                                    }
                                                    else {
                                                        vErrors.push(err75);
                                                    }
                                                    errors++;
                                                }
                                            }
                                        }
                                        else {
                                            const err76 = { instancePath: instancePath + "/roles/" + key5.replace(/~/g, "~0").replace(/\//g, "~1") + "/services/" + i7 + "/command", schemaPath: "#/properties/roles/additionalProperties/properties/services/items/properties/command/type", keyword: "type", params: { type: "array" }, message: "must be array" };
                                            if (vErrors === null) {
                                                vErrors = [err76];
                                            }
                                            else {
                                                vErrors.push(err76);
                                            }
                                            errors++;
                                        }
                                    }
                                    if (data38.environment !== undefined) {
                                        let data42 = data38.environment;
                                        if (data42 && typeof data42 == "object" && !Array.isArray(data42)) {
                                            for (const key8 in data42) {
                                                if (typeof data42[key8] !== "string") {
                                                    const err77 = { instancePath: instancePath + "/roles/" + key5.replace(/~/g, "~0").replace(/\//g, "~1") + "/services/" + i7 + "/environment/" + key8.replace(/~/g, "~0").replace(/\//g, "~1"), schemaPath: "#/properties/roles/additionalProperties/properties/services/items/properties/environment/additionalProperties/type", keyword: "type", params: { type: "string" }, message: "must be string" };
                                                    if (vErrors === null) {
                                                        vErrors = [err77];
                                                    }
                                                    else {
                                                        vErrors.push(err77);
                                                    }
                                                    errors++;
                                                }
                                            }
                                        }
                                        else {
                                            const err78 = { instancePath: instancePath + "/roles/" + key5.replace(/~/g, "~0").replace(/\//g, "~1") + "/services/" + i7 + "/environment", schemaPath: "#/properties/roles/additionalProperties/properties/services/items/properties/environment/type", keyword: "type", params: { type: "object" }, message: "must be object" };
                                            if (vErrors === null) {
                                                vErrors = [err78];
                                            }
                                            else {
                                                vErrors.push(err78);
                                            }
                                            errors++;
                                        }
                                    }
                                    if (data38["working-directory"] !== undefined) {
                                        if (typeof data38["working-directory"] !== "string") {
                                            const err79 = { instancePath: instancePath + "/roles/" + key5.replace(/~/g, "~0").replace(/\//g, "~1") + "/services/" + i7 + "/working-directory", schemaPath: "#/properties/roles/additionalProperties/properties/services/items/properties/working-directory/type", keyword: "type", params: { type: "string" }, message: "must be string" };
                                            if (vErrors === null) {
                                                vErrors = [err79];
                                            }
                                            else {
                                                vErrors.push(err79);
                                            }
                                            errors++;
                                        }
                                    }
                                    if (data38.port !== undefined) {
                                        let data45 = data38.port;
                                        if (!((typeof data45 == "number") && (!(data45 % 1) && !isNaN(data45)))) {
                                            const err80 = { instancePath: instancePath + "/roles/" + key5.replace(/~/g, "~0").replace(/\//g, "~1") + "/services/" + i7 + "/port", schemaPath: "#/properties/roles/additionalProperties/properties/services/items/properties/port/type", keyword: "type", params: { type: "integer" }, message: "must be integer" };
                                            if (vErrors === null) {
                                                vErrors = [err80];
                                            }
                                            else {
                                                vErrors.push(err80);
                                            }
                                            errors++;
                                        }
                                        if (typeof data45 == "number") {
                                            if (data45 > 65535 || isNaN(data45)) {
                                                const err81 = { instancePath: instancePath + "/roles/" + key5.replace(/~/g, "~0").replace(/\//g, "~1") + "/services/" + i7 + "/port", schemaPath: "#/properties/roles/additionalProperties/properties/services/items/properties/port/maximum", keyword: "maximum", params: { comparison: "<=", limit: 65535 }, message: "must be <= 65535" };
                                                if (vErrors === null) {
                                                    vErrors = [err81];
                                                }
                                                else {
                                                    vErrors.push(err81);
                                                }
                                                errors++;
                                            }
                                            if (data45 < 1 || isNaN(data45)) {
                                                const err82 = { instancePath: instancePath + "/roles/" + key5.replace(/~/g, "~0").replace(/\//g, "~1") + "/services/" + i7 + "/port", schemaPath: "#/properties/roles/additionalProperties/properties/services/items/properties/port/minimum", keyword: "minimum", params: { comparison: ">=", limit: 1 }, message: "must be >= 1" };
                                                if (vErrors === null) {
                                                    vErrors = [err82];
                                                }
                                                else {
                                                    vErrors.push(err82);
                                                }
                                                errors++;
                                            }
                                        }
                                    }
                                }
                                else {
                                    const err83 = { instancePath: instancePath + "/roles/" + key5.replace(/~/g, "~0").replace(/\//g, "~1") + "/services/" + i7, schemaPath: "#/properties/roles/additionalProperties/properties/services/items/type", keyword: "type", params: { type: "object" }, message: "must be object" };
                                    if (vErrors === null) {
                                        vErrors = [err83];
                                    }
                                    else {
                                        vErrors.push(err83);
                                    }
                                    errors++;
                                }
                            }
                        }
                        else {
                            const err84 = { instancePath: instancePath + "/roles/" + key5.replace(/~/g, "~0").replace(/\//g, "~1") + "/services", schemaPath: "#/properties/roles/additionalProperties/properties/services/type", keyword: "type", params: { type: "array" }, message: "must be array" };
                            if (vErrors === null) {
                                vErrors = [err84];
                            }
                            else {
                                vErrors.push(err84);
                            }
                            errors++;
                        }
                    }
                    if (data34.files !== undefined) {
                        let data46 = data34.files;
                        if (Array.isArray(data46)) {
                            const len9 = data46.length;
                            for (let i9 = 0; i9 < len9; i9++) {
                                let data47 = data46[i9];
                                if (data47 && typeof data47 == "object" && !Array.isArray(data47)) {
                                    if (data47.path === undefined) {
                                        const err85 = { instancePath: instancePath + "/roles/" + key5.replace(/~/g, "~0").replace(/\//g, "~1") + "/files/" + i9, schemaPath: "#/properties/roles/additionalProperties/properties/files/items/required", keyword: "required", params: { missingProperty: "path" }, message: "must have required property '" + "path" + "'" };
                                        if (vErrors === null) {
                                            vErrors = [err85];
                                        }
                                        else {
                                            vErrors.push(err85);
                                        }
                                        errors++;
                                    }
                                    for (const key9 in data47) {
                                        if (!((((key9 === "path") || (key9 === "template")) || (key9 === "content")) || (key9 === "mode"))) {
                                            const err86 = { instancePath: instancePath + "/roles/" + key5.replace(/~/g, "~0").replace(/\//g, "~1") + "/files/" + i9, schemaPath: "#/properties/roles/additionalProperties/properties/files/items/additionalProperties", keyword: "additionalProperties", params: { additionalProperty: key9 }, message: "must NOT have additional properties" };
                                            if (vErrors === null) {
                                                vErrors = [err86];
                                            }
                                            else {
                                                vErrors.push(err86);
                                            }
                                            errors++;
                                        }
                                    }
                                    if (data47.path !== undefined) {
                                        if (typeof data47.path !== "string") {
                                            const err87 = { instancePath: instancePath + "/roles/" + key5.replace(/~/g, "~0").replace(/\//g, "~1") + "/files/" + i9 + "/path", schemaPath: "#/properties/roles/additionalProperties/properties/files/items/properties/path/type", keyword: "type", params: { type: "string" }, message: "must be string" };
                                            if (vErrors === null) {
                                                vErrors = [err87];
                                            }
                                            else {
                                                vErrors.push(err87);
                                            }
                                            errors++;
                                        }
                                    }
                                    if (data47.template !== undefined) {
                                        if (typeof data47.template !== "string") {
                                            const err88 = { instancePath: instancePath + "/roles/" + key5.replace(/~/g, "~0").replace(/\//g, "~1") + "/files/" + i9 + "/template", schemaPath: "#/properties/roles/additionalProperties/properties/files/items/properties/template/type", keyword: "type", params: { type: "string" }, message: "must be string" };
                                            if (vErrors === null) {
                                                vErrors = [err88];
                                            }
                                            else {
                                                vErrors.push(err88);
                                            }
                                            errors++;
                                        }
                                    }
                                    if (data47.content !== undefined) {
                                        if (typeof data47.content !== "string") {
                                            const err89 = { instancePath: instancePath + "/roles/" + key5.replace(/~/g, "~0").replace(/\//g, "~1") + "/files/" + i9 + "/content", schemaPath: "#/properties/roles/additionalProperties/properties/files/items/properties/content/type", keyword: "type", params: { type: "string" }, message: "must be string" };
                                            if (vErrors === null) {
                                                vErrors = [err89];
                                            }
                                            else {
                                                vErrors.push(err89);
                                            }
                                            errors++;
                                        }
                                    }
                                    if (data47.mode !== undefined) {
                                        let data51 = data47.mode;
                                        if (typeof data51 === "string") {
                                            if (!pattern9.test(data51)) {
                                                const err90 = { instancePath: instancePath + "/roles/" + key5.replace(/~/g, "~0").replace(/\//g, "~1") + "/files/" + i9 + "/mode", schemaPath: "#/properties/roles/additionalProperties/properties/files/items/properties/mode/pattern", keyword: "pattern", params: { pattern: "^0?[0-7]{3}$" }, message: "must match pattern \"" + "^0?[0-7]{3}$" + "\"" };
                                                if (vErrors === null) {
                                                    vErrors = [err90];
                                                }
                                                else {
                                                    vErrors.push(err90);
                                                }
                                                errors++;
                                            }
                                        }
                                        else {
                                            const err91 = { instancePath: instancePath + "/roles/" + key5.replace(/~/g, "~0").replace(/\//g, "~1") + "/files/" + i9 + "/mode", schemaPath: "#/properties/roles/additionalProperties/properties/files/items/properties/mode/type", keyword: "type", params: { type: "string" }, message: "must be string" };
                                            if (vErrors === null) {
                                                vErrors = [err91];
                                            }
                                            else {
                                                vErrors.push(err91);
                                            }
                                            errors++;
                                        }
                                    }
                                }
                                else {
                                    const err92 = { instancePath: instancePath + "/roles/" + key5.replace(/~/g, "~0").replace(/\//g, "~1") + "/files/" + i9, schemaPath: "#/properties/roles/additionalProperties/properties/files/items/type", keyword: "type", params: { type: "object" }, message: "must be object" };
                                    if (vErrors === null) {
                                        vErrors = [err92];
                                    }
                                    else {
                                        vErrors.push(err92);
                                    }
                                    errors++;
                                }
                            }
                        }
                        else {
                            const err93 = { instancePath: instancePath + "/roles/" + key5.replace(/~/g, "~0").replace(/\//g, "~1") + "/files", schemaPath: "#/properties/roles/additionalProperties/properties/files/type", keyword: "type", params: { type: "array" }, message: "must be array" };
                            if (vErrors === null) {
                                vErrors = [err93];
                            }
                            else {
                                vErrors.push(err93);
                            }
                            errors++;
                        }
                    }
                }
                else {
                    const err94 = { instancePath: instancePath + "/roles/" + key5.replace(/~/g, "~0").replace(/\//g, "~1"), schemaPath: "#/properties/roles/additionalProperties/type", keyword: "type", params: { type: "object" }, message: "must be object" };
                    if (vErrors === null) {
                        vErrors = [err94];
                    }
                    else {
                        vErrors.push(err94);
                    }
                    errors++;
                }
            }
        }
        else {
            const err95 = { instancePath: instancePath + "/roles", schemaPath: "#/properties/roles/type", keyword: "type", params: { type: "object" }, message: "must be object" };
            if (vErrors === null) {
                vErrors = [err95];
            }
            else {
                vErrors.push(err95);
            }
            errors++;
        }
    }
    if (data.values !== undefined) {
        let data52 = data.values;
        if (!(data52 && typeof data52 == "object" && !Array.isArray(data52))) {
            const err96 = { instancePath: instancePath + "/values", schemaPath: "#/properties/values/type", keyword: "type", params: { type: "object" }, message: "must be object" };
            if (vErrors === null) {
                vErrors = [err96];
            }
            else {
                vErrors.push(err96);
            }
            errors++;
        }
    }
    if (data.environments !== undefined) {
        let data53 = data.environments;
        if (Array.isArray(data53)) {
            const len10 = data53.length;
            for (let i10 = 0; i10 < len10; i10++) {
                let data54 = data53[i10];
                if (data54 && typeof data54 == "object" && !Array.isArray(data54)) {
                    if (data54.name === undefined) {
                        const err97 = { instancePath: instancePath + "/environments/" + i10, schemaPath: "#/properties/environments/items/required", keyword: "required", params: { missingProperty: "name" }, message: "must have required property '" + "name" + "'" };
                        if (vErrors === null) {
                            vErrors = [err97];
                        }
                        else {
                            vErrors.push(err97);
                        }
                        errors++;
                    }
                    for (const key10 in data54) {
                        if (!((((((key10 === "name") || (key10 === "requires")) || (key10 === "soak")) || (key10 === "github-environment")) || (key10 === "inventory")) || (key10 === "values"))) {
                            const err98 = { instancePath: instancePath + "/environments/" + i10, schemaPath: "#/properties/environments/items/additionalProperties", keyword: "additionalProperties", params: { additionalProperty: key10 }, message: "must NOT have additional properties" };
                            if (vErrors === null) {
                                vErrors = [err98];
                            }
                            else {
                                vErrors.push(err98);
                            }
                            errors++;
                        }
                    }
                    if (data54.name !== undefined) {
                        let data55 = data54.name;
                        if (typeof data55 === "string") {
                            if (!pattern4.test(data55)) {
                                const err99 = { instancePath: instancePath + "/environments/" + i10 + "/name", schemaPath: "#/properties/environments/items/properties/name/pattern", keyword: "pattern", params: { pattern: "^[a-z0-9][a-z0-9-]*$" }, message: "must match pattern \"" + "^[a-z0-9][a-z0-9-]*$" + "\"" };
                                if (vErrors === null) {
                                    vErrors = [err99];
                                }
                                else {
                                    vErrors.push(err99);
                                }
                                errors++;
                            }
                        }
                        else {
                            const err100 = { instancePath: instancePath + "/environments/" + i10 + "/name", schemaPath: "#/properties/environments/items/properties/name/type", keyword: "type", params: { type: "string" }, message: "must be string" };
                            if (vErrors === null) {
                                vErrors = [err100];
                            }
                            else {
                                vErrors.push(err100);
                            }
                            errors++;
                        }
                    }
                    if (data54.requires !== undefined) {
                        let data56 = data54.requires;
                        if (Array.isArray(data56)) {
                            const len11 = data56.length;
                            for (let i11 = 0; i11 < len11; i11++) {
                                if (typeof data56[i11] !== "string") {
                                    const err101 = { instancePath: instancePath + "/environments/" + i10 + "/requires/" + i11, schemaPath: "#/properties/environments/items/properties/requires/items/type", keyword: "type", params: { type: "string" }, message: "must be string" };
                                    if (vErrors === null) {
                                        vErrors = [err101];
                                    }
                                    else {
                                        vErrors.push(err101);
                                    }
                                    errors++;
                                }
                            }
                        }
                        else {
                            const err102 = { instancePath: instancePath + "/environments/" + i10 + "/requires", schemaPath: "#/properties/environments/items/properties/requires/type", keyword: "type", params: { type: "array" }, message: "must be array" };
                            if (vErrors === null) {
                                vErrors = [err102];
                            }
                            else {
                                vErrors.push(err102);
                            }
                            errors++;
                        }
                    }
                    if (data54.soak !== undefined) {
                        let data58 = data54.soak;
                        if (typeof data58 === "string") {
                            if (!pattern11.test(data58)) {
                                const err103 = { instancePath: instancePath + "/environments/" + i10 + "/soak", schemaPath: "#/properties/environments/items/properties/soak/pattern", keyword: "pattern", params: { pattern: "^[0-9]+(s|m|h|d)$" }, message: "must match pattern \"" + "^[0-9]+(s|m|h|d)$" + "\"" };
                                if (vErrors === null) {
                                    vErrors = [err103];
                                }
                                else {
                                    vErrors.push(err103);
                                }
                                errors++;
                            }
                        }
                        else {
                            const err104 = { instancePath: instancePath + "/environments/" + i10 + "/soak", schemaPath: "#/properties/environments/items/properties/soak/type", keyword: "type", params: { type: "string" }, message: "must be string" };
                            if (vErrors === null) {
                                vErrors = [err104];
                            }
                            else {
                                vErrors.push(err104);
                            }
                            errors++;
                        }
                    }
                    if (data54["github-environment"] !== undefined) {
                        if (typeof data54["github-environment"] !== "string") {
                            const err105 = { instancePath: instancePath + "/environments/" + i10 + "/github-environment", schemaPath: "#/properties/environments/items/properties/github-environment/type", keyword: "type", params: { type: "string" }, message: "must be string" };
                            if (vErrors === null) {
                                vErrors = [err105];
                            }
                            else {
                                vErrors.push(err105);
                            }
                            errors++;
                        }
                    }
                    if (data54.inventory !== undefined) {
                        if (typeof data54.inventory !== "string") {
                            const err106 = { instancePath: instancePath + "/environments/" + i10 + "/inventory", schemaPath: "#/properties/environments/items/properties/inventory/type", keyword: "type", params: { type: "string" }, message: "must be string" };
                            if (vErrors === null) {
                                vErrors = [err106];
                            }
                            else {
                                vErrors.push(err106);
                            }
                            errors++;
                        }
                    }
                    if (data54.values !== undefined) {
                        let data61 = data54.values;
                        if (!(data61 && typeof data61 == "object" && !Array.isArray(data61))) {
                            const err107 = { instancePath: instancePath + "/environments/" + i10 + "/values", schemaPath: "#/properties/environments/items/properties/values/type", keyword: "type", params: { type: "object" }, message: "must be object" };
                            if (vErrors === null) {
                                vErrors = [err107];
                            }
                            else {
                                vErrors.push(err107);
                            }
                            errors++;
                        }
                    }
                }
                else {
                    const err108 = { instancePath: instancePath + "/environments/" + i10, schemaPath: "#/properties/environments/items/type", keyword: "type", params: { type: "object" }, message: "must be object" };
                    if (vErrors === null) {
                        vErrors = [err108];
                    }
                    else {
                        vErrors.push(err108);
                    }
                    errors++;
                }
            }
        }
        else {
            const err109 = { instancePath: instancePath + "/environments", schemaPath: "#/properties/environments/type", keyword: "type", params: { type: "array" }, message: "must be array" };
            if (vErrors === null) {
                vErrors = [err109];
            }
            else {
                vErrors.push(err109);
            }
            errors++;
        }
    }
    if (data.acceptance !== undefined) {
        let data62 = data.acceptance;
        if (data62 && typeof data62 == "object" && !Array.isArray(data62)) {
            if (data62.command === undefined) {
                const err110 = { instancePath: instancePath + "/acceptance", schemaPath: "#/properties/acceptance/required", keyword: "required", params: { missingProperty: "command" }, message: "must have required property '" + "command" + "'" };
                if (vErrors === null) {
                    vErrors = [err110];
                }
                else {
                    vErrors.push(err110);
                }
                errors++;
            }
            for (const key11 in data62) {
                if (!((((((((key11 === "command") || (key11 === "timeout")) || (key11 === "junit")) || (key11 === "working-directory")) || (key11 === "allow-no-tests")) || (key11 === "pass-env")) || (key11 === "env")) || (key11 === "workflows"))) {
                    const err111 = { instancePath: instancePath + "/acceptance", schemaPath: "#/properties/acceptance/additionalProperties", keyword: "additionalProperties", params: { additionalProperty: key11 }, message: "must NOT have additional properties" };
                    if (vErrors === null) {
                        vErrors = [err111];
                    }
                    else {
                        vErrors.push(err111);
                    }
                    errors++;
                }
            }
            if (data62.command !== undefined) {
                let data63 = data62.command;
                if (Array.isArray(data63)) {
                    if (data63.length < 1) {
                        const err112 = { instancePath: instancePath + "/acceptance/command", schemaPath: "#/properties/acceptance/properties/command/minItems", keyword: "minItems", params: { limit: 1 }, message: "must NOT have fewer than 1 items" };
                        if (vErrors === null) {
                            vErrors = [err112];
                        }
                        else {
                            vErrors.push(err112);
                        }
                        errors++;
                    }
                    const len12 = data63.length;
                    for (let i12 = 0; i12 < len12; i12++) {
                        if (typeof data63[i12] !== "string") {
                            const err113 = { instancePath: instancePath + "/acceptance/command/" + i12, schemaPath: "#/properties/acceptance/properties/command/items/type", keyword: "type", params: { type: "string" }, message: "must be string" };
                            if (vErrors === null) {
                                vErrors = [err113];
                            }
                            else {
                                vErrors.push(err113);
                            }
                            errors++;
                        }
                    }
                }
                else {
                    const err114 = { instancePath: instancePath + "/acceptance/command", schemaPath: "#/properties/acceptance/properties/command/type", keyword: "type", params: { type: "array" }, message: "must be array" };
                    if (vErrors === null) {
                        vErrors = [err114];
                    }
                    else {
                        vErrors.push(err114);
                    }
                    errors++;
                }
            }
            if (data62.timeout !== undefined) {
                let data65 = data62.timeout;
                if (typeof data65 === "string") {
                    if (!pattern12.test(data65)) {
                        const err115 = { instancePath: instancePath + "/acceptance/timeout", schemaPath: "#/properties/acceptance/properties/timeout/pattern", keyword: "pattern", params: { pattern: "^[0-9]+(s|m|h)$" }, message: "must match pattern \"" + "^[0-9]+(s|m|h)$" + "\"" };
                        if (vErrors === null) {
                            vErrors = [err115];
                        }
                        else {
                            vErrors.push(err115);
                        }
                        errors++;
                    }
                }
                else {
                    const err116 = { instancePath: instancePath + "/acceptance/timeout", schemaPath: "#/properties/acceptance/properties/timeout/type", keyword: "type", params: { type: "string" }, message: "must be string" };
                    if (vErrors === null) {
                        vErrors = [err116];
                    }
                    else {
                        vErrors.push(err116);
                    }
                    errors++;
                }
            }
            if (data62.junit !== undefined) {
                if (typeof data62.junit !== "string") {
                    const err117 = { instancePath: instancePath + "/acceptance/junit", schemaPath: "#/properties/acceptance/properties/junit/type", keyword: "type", params: { type: "string" }, message: "must be string" };
                    if (vErrors === null) {
                        vErrors = [err117];
                    }
                    else {
                        vErrors.push(err117);
                    }
                    errors++;
                }
            }
            if (data62["working-directory"] !== undefined) {
                if (typeof data62["working-directory"] !== "string") {
                    const err118 = { instancePath: instancePath + "/acceptance/working-directory", schemaPath: "#/properties/acceptance/properties/working-directory/type", keyword: "type", params: { type: "string" }, message: "must be string" };
                    if (vErrors === null) {
                        vErrors = [err118];
                    }
                    else {
                        vErrors.push(err118);
                    }
                    errors++;
                }
            }
            if (data62["allow-no-tests"] !== undefined) {
                if (typeof data62["allow-no-tests"] !== "boolean") {
                    const err119 = { instancePath: instancePath + "/acceptance/allow-no-tests", schemaPath: "#/properties/acceptance/properties/allow-no-tests/type", keyword: "type", params: { type: "boolean" }, message: "must be boolean" };
                    if (vErrors === null) {
                        vErrors = [err119];
                    }
                    else {
                        vErrors.push(err119);
                    }
                    errors++;
                }
            }
            if (data62["pass-env"] !== undefined) {
                let data69 = data62["pass-env"];
                if (Array.isArray(data69)) {
                    const len13 = data69.length;
                    for (let i13 = 0; i13 < len13; i13++) {
                        let data70 = data69[i13];
                        if (typeof data70 === "string") {
                            if (!pattern13.test(data70)) {
                                const err120 = { instancePath: instancePath + "/acceptance/pass-env/" + i13, schemaPath: "#/properties/acceptance/properties/pass-env/items/pattern", keyword: "pattern", params: { pattern: "^[A-Za-z_][A-Za-z0-9_]*$" }, message: "must match pattern \"" + "^[A-Za-z_][A-Za-z0-9_]*$" + "\"" };
                                if (vErrors === null) {
                                    vErrors = [err120];
                                }
                                else {
                                    vErrors.push(err120);
                                }
                                errors++;
                            }
                        }
                        else {
                            const err121 = { instancePath: instancePath + "/acceptance/pass-env/" + i13, schemaPath: "#/properties/acceptance/properties/pass-env/items/type", keyword: "type", params: { type: "string" }, message: "must be string" };
                            if (vErrors === null) {
                                vErrors = [err121];
                            }
                            else {
                                vErrors.push(err121);
                            }
                            errors++;
                        }
                    }
                }
                else {
                    const err122 = { instancePath: instancePath + "/acceptance/pass-env", schemaPath: "#/properties/acceptance/properties/pass-env/type", keyword: "type", params: { type: "array" }, message: "must be array" };
                    if (vErrors === null) {
                        vErrors = [err122];
                    }
                    else {
                        vErrors.push(err122);
                    }
                    errors++;
                }
            }
            if (data62.env !== undefined) {
                let data71 = data62.env;
                if (data71 && typeof data71 == "object" && !Array.isArray(data71)) {
                    for (const key12 in data71) {
                        const _errs161 = errors;
                        if (typeof key12 === "string") {
                            if (!pattern13.test(key12)) {
                                const err123 = { instancePath: instancePath + "/acceptance/env", schemaPath: "#/properties/acceptance/properties/env/propertyNames/pattern", keyword: "pattern", params: { pattern: "^[A-Za-z_][A-Za-z0-9_]*$" }, message: "must match pattern \"" + "^[A-Za-z_][A-Za-z0-9_]*$" + "\"", propertyName: key12 };
                                if (vErrors === null) {
                                    vErrors = [err123];
                                }
                                else {
                                    vErrors.push(err123);
                                }
                                errors++;
                            }
                        }
                        var valid41 = _errs161 === errors;
                        if (!valid41) {
                            const err124 = { instancePath: instancePath + "/acceptance/env", schemaPath: "#/properties/acceptance/properties/env/propertyNames", keyword: "propertyNames", params: { propertyName: key12 }, message: "property name must be valid" };
                            if (vErrors === null) {
                                vErrors = [err124];
                            }
                            else {
                                vErrors.push(err124);
                            }
                            errors++;
                        }
                    }
                    for (const key13 in data71) {
                        if (typeof data71[key13] !== "string") {
                            const err125 = { instancePath: instancePath + "/acceptance/env/" + key13.replace(/~/g, "~0").replace(/\//g, "~1"), schemaPath: "#/properties/acceptance/properties/env/additionalProperties/type", keyword: "type", params: { type: "string" }, message: "must be string" };
                            if (vErrors === null) {
                                vErrors = [err125];
                            }
                            else {
                                vErrors.push(err125);
                            }
                            errors++;
                        }
                    }
                }
                else {
                    const err126 = { instancePath: instancePath + "/acceptance/env", schemaPath: "#/properties/acceptance/properties/env/type", keyword: "type", params: { type: "object" }, message: "must be object" };
                    if (vErrors === null) {
                        vErrors = [err126];
                    }
                    else {
                        vErrors.push(err126);
                    }
                    errors++;
                }
            }
            if (data62.workflows !== undefined) {
                let data73 = data62.workflows;
                if (Array.isArray(data73)) {
                    const len14 = data73.length;
                    for (let i14 = 0; i14 < len14; i14++) {
                        let data74 = data73[i14];
                        if (typeof data74 === "string") {
                            if (!pattern15.test(data74)) {
                                const err127 = { instancePath: instancePath + "/acceptance/workflows/" + i14, schemaPath: "#/properties/acceptance/properties/workflows/items/pattern", keyword: "pattern", params: { pattern: "^\\.github/workflows/[A-Za-z0-9_.-]+\\.ya?ml$" }, message: "must match pattern \"" + "^\\.github/workflows/[A-Za-z0-9_.-]+\\.ya?ml$" + "\"" };
                                if (vErrors === null) {
                                    vErrors = [err127];
                                }
                                else {
                                    vErrors.push(err127);
                                }
                                errors++;
                            }
                        }
                        else {
                            const err128 = { instancePath: instancePath + "/acceptance/workflows/" + i14, schemaPath: "#/properties/acceptance/properties/workflows/items/type", keyword: "type", params: { type: "string" }, message: "must be string" };
                            if (vErrors === null) {
                                vErrors = [err128];
                            }
                            else {
                                vErrors.push(err128);
                            }
                            errors++;
                        }
                    }
                }
                else {
                    const err129 = { instancePath: instancePath + "/acceptance/workflows", schemaPath: "#/properties/acceptance/properties/workflows/type", keyword: "type", params: { type: "array" }, message: "must be array" };
                    if (vErrors === null) {
                        vErrors = [err129];
                    }
                    else {
                        vErrors.push(err129);
                    }
                    errors++;
                }
            }
        }
        else {
            const err130 = { instancePath: instancePath + "/acceptance", schemaPath: "#/properties/acceptance/type", keyword: "type", params: { type: "object" }, message: "must be object" };
            if (vErrors === null) {
                vErrors = [err130];
            }
            else {
                vErrors.push(err130);
            }
            errors++;
        }
    }
    if (data.provision !== undefined) {
        let data75 = data.provision;
        if (data75 && typeof data75 == "object" && !Array.isArray(data75)) {
            for (const key14 in data75) {
                if (!((((key14 === "provider") || (key14 === "image")) || (key14 === "image-sha256")) || (key14 === "ttl"))) {
                    const err131 = { instancePath: instancePath + "/provision", schemaPath: "#/properties/provision/additionalProperties", keyword: "additionalProperties", params: { additionalProperty: key14 }, message: "must NOT have additional properties" };
                    if (vErrors === null) {
                        vErrors = [err131];
                    }
                    else {
                        vErrors.push(err131);
                    }
                    errors++;
                }
            }
            if (data75.provider !== undefined) {
                let data76 = data75.provider;
                if (typeof data76 !== "string") {
                    const err132 = { instancePath: instancePath + "/provision/provider", schemaPath: "#/properties/provision/properties/provider/type", keyword: "type", params: { type: "string" }, message: "must be string" };
                    if (vErrors === null) {
                        vErrors = [err132];
                    }
                    else {
                        vErrors.push(err132);
                    }
                    errors++;
                }
                if (!((data76 === "nspawn") || (data76 === "qemu"))) {
                    const err133 = { instancePath: instancePath + "/provision/provider", schemaPath: "#/properties/provision/properties/provider/enum", keyword: "enum", params: { allowedValues: schema11.properties.provision.properties.provider.enum }, message: "must be equal to one of the allowed values" };
                    if (vErrors === null) {
                        vErrors = [err133];
                    }
                    else {
                        vErrors.push(err133);
                    }
                    errors++;
                }
            }
            if (data75.image !== undefined) {
                if (typeof data75.image !== "string") {
                    const err134 = { instancePath: instancePath + "/provision/image", schemaPath: "#/properties/provision/properties/image/type", keyword: "type", params: { type: "string" }, message: "must be string" };
                    if (vErrors === null) {
                        vErrors = [err134];
                    }
                    else {
                        vErrors.push(err134);
                    }
                    errors++;
                }
            }
            if (data75["image-sha256"] !== undefined) {
                let data78 = data75["image-sha256"];
                if (typeof data78 === "string") {
                    if (!pattern16.test(data78)) {
                        const err135 = { instancePath: instancePath + "/provision/image-sha256", schemaPath: "#/properties/provision/properties/image-sha256/pattern", keyword: "pattern", params: { pattern: "^[0-9a-f]{64}$" }, message: "must match pattern \"" + "^[0-9a-f]{64}$" + "\"" };
                        if (vErrors === null) {
                            vErrors = [err135];
                        }
                        else {
                            vErrors.push(err135);
                        }
                        errors++;
                    }
                }
                else {
                    const err136 = { instancePath: instancePath + "/provision/image-sha256", schemaPath: "#/properties/provision/properties/image-sha256/type", keyword: "type", params: { type: "string" }, message: "must be string" };
                    if (vErrors === null) {
                        vErrors = [err136];
                    }
                    else {
                        vErrors.push(err136);
                    }
                    errors++;
                }
            }
            if (data75.ttl !== undefined) {
                let data79 = data75.ttl;
                if (typeof data79 === "string") {
                    if (!pattern12.test(data79)) {
                        const err137 = { instancePath: instancePath + "/provision/ttl", schemaPath: "#/properties/provision/properties/ttl/pattern", keyword: "pattern", params: { pattern: "^[0-9]+(s|m|h)$" }, message: "must match pattern \"" + "^[0-9]+(s|m|h)$" + "\"" };
                        if (vErrors === null) {
                            vErrors = [err137];
                        }
                        else {
                            vErrors.push(err137);
                        }
                        errors++;
                    }
                }
                else {
                    const err138 = { instancePath: instancePath + "/provision/ttl", schemaPath: "#/properties/provision/properties/ttl/type", keyword: "type", params: { type: "string" }, message: "must be string" };
                    if (vErrors === null) {
                        vErrors = [err138];
                    }
                    else {
                        vErrors.push(err138);
                    }
                    errors++;
                }
            }
        }
        else {
            const err139 = { instancePath: instancePath + "/provision", schemaPath: "#/properties/provision/type", keyword: "type", params: { type: "object" }, message: "must be object" };
            if (vErrors === null) {
                vErrors = [err139];
            }
            else {
                vErrors.push(err139);
            }
            errors++;
        }
    }
}
else {
    const err140 = { instancePath, schemaPath: "#/type", keyword: "type", params: { type: "object" }, message: "must be object" };
    if (vErrors === null) {
        vErrors = [err140];
    }
    else {
        vErrors.push(err140);
    }
    errors++;
} validate10.errors = vErrors; return errors === 0; }
//# sourceMappingURL=schema-validator.js.map
;// CONCATENATED MODULE: ./packages/config/lib/src/config.js








const DEFAULT_TARGET = { python: '3.11', platforms: ['manylinux_2_28_x86_64'], implementation: 'cp' };
// Precompiled from schema/karoo.schema.json by scripts/gen-config-validator.mjs: no schema
// compilation at start-up.
function config_validate(value) {
    const v = validate;
    return v(value) ? [] : [...(v.errors ?? [])];
}
/** Reads and validates a karoo.yml. Errors name the file, line and key. */
async function loadConfig(path) {
    const abs = (0,external_node_path_.resolve)(path);
    let text;
    try {
        text = await (0,promises_.readFile)(abs, 'utf8');
    }
    catch (e) {
        const code = e.code;
        throw new lib/* KarooError */.xD('input', `configuration ${path} cannot be read (${code ?? String(e)}); pass --config with the path of your karoo.yml`);
    }
    return parseConfig(text, abs);
}
function parseConfig(text, path) {
    const lc = new dist/* LineCounter */.HN();
    const doc = (0,dist/* parseDocument */.Tp)(text, { lineCounter: lc, uniqueKeys: true, prettyErrors: false });
    const at = (node) => {
        const off = node?.range?.[0];
        return off === undefined ? undefined : lc.linePos(off).line;
    };
    if (doc.errors.length > 0) {
        const e = doc.errors[0];
        throw new lib/* FileError */.f6(path, lc.linePos(e.pos[0]).line, `invalid YAML: ${e.message.split('\n')[0]}`);
    }
    const value = doc.toJS();
    if (value === null || typeof value !== 'object' || Array.isArray(value)) {
        throw new lib/* FileError */.f6(path, 1, 'the configuration must be a mapping with at least system, leaves and indexes');
    }
    const errors = config_validate(value);
    if (errors.length > 0) {
        const e = pickError(errors);
        const { line, key } = locate(doc, e, at);
        throw new lib/* FileError */.f6(path, line, `${key}: ${describe(e)}`);
    }
    return normalise(value, path, (keyPath) => at(doc.getIn(keyPath, true)));
}
// The most useful of ajv's errors: prefer the deepest one, and a real constraint over oneOf noise.
function pickError(errors) {
    const useful = errors.filter((e) => e.keyword !== 'oneOf' && e.keyword !== 'anyOf' && e.keyword !== 'if');
    const pool = useful.length > 0 ? useful : errors;
    // A `type` error usually comes from the oneOf branch the value was not meant for.
    const rank = (e) => e.instancePath.split('/').length * 2 + (e.keyword === 'type' ? 0 : 1);
    return [...pool].sort((a, b) => rank(b) - rank(a))[0];
}
function pathOf(instancePath) {
    if (instancePath === '')
        return [];
    return instancePath
        .slice(1)
        .split('/')
        .map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'))
        .map((s) => (/^[0-9]+$/.test(s) ? Number(s) : s));
}
function keyName(p) {
    if (p.length === 0)
        return '(top level)';
    // A key with a control character is shown JSON-quoted: an error message stays one line.
    const safe = (s) => ((0,lib/* controlCharacterIn */.k2)(s) === undefined ? s : (0,lib/* quoteValue */.cl)(s));
    return p.map((s, i) => (typeof s === 'number' ? `[${s}]` : i === 0 ? safe(s) : `.${safe(s)}`)).join('');
}
function locate(doc, e, at) {
    const p = pathOf(e.instancePath);
    if (e.keyword === 'additionalProperties') {
        const extra = e.params.additionalProperty;
        const parent = p.length === 0 ? doc.contents : doc.getIn(p, true);
        let line;
        if ((0,dist/* isMap */.jh)(parent)) {
            const pair = parent.items.find((it) => it.key?.value === extra);
            line = at(pair?.key);
        }
        return { line: line ?? at(parent), key: keyName([...p, extra]) };
    }
    let node = doc.getIn(p, true);
    if (p.length === 0)
        node = doc.contents;
    return { line: at(node) ?? 1, key: keyName(p) };
}
function describe(e) {
    const params = e.params;
    switch (e.keyword) {
        case 'additionalProperties':
            return 'unknown key; check its spelling against the karoo.yml schema';
        case 'required':
            return `missing required key "${String(params.missingProperty)}"`;
        case 'enum':
            return `must be one of ${params.allowedValues.map((v) => JSON.stringify(v)).join(', ')}`;
        case 'pattern':
            return `value does not match ${String(params.pattern)}`;
        case 'type':
            return `must be ${String(params.type)}`;
        case 'minItems':
            return `must have at least ${String(params.limit)} item(s)`;
        default:
            return e.message ?? e.keyword;
    }
}
/** The workflow whose runs produce acceptance evidence, unless karoo.yml `acceptance.workflows` names others. */
const DEFAULT_EVIDENCE_WORKFLOW = '.github/workflows/karoo-candidate.yml';
/** Names the tests may never be given from karoo's environment: action inputs, runner tokens, karoo's own variables. */
function checkPassEnv(passEnv, env, fail) {
    const forbidden = (n) => /^(INPUT_|ACTIONS_|KAROO_)/i.test(n) || /^(GITHUB_TOKEN|GH_TOKEN)$/i.test(n);
    passEnv.forEach((n, i) => {
        if (forbidden(n))
            fail(['acceptance', 'pass-env', i], `"${n}" may not be passed to the tests (INPUT_*, ACTIONS_*, KAROO_* and GitHub tokens never are); remove it`);
    });
    for (const n of env)
        if (forbidden(n))
            fail(['acceptance', 'env', n], `"${n}" may not be set for the tests (INPUT_*, ACTIONS_*, KAROO_* and GitHub tokens); remove it`);
}
/** `30s`, `10m`, `2h`, `1d` → seconds. */
function parseDuration(s) {
    const m = /^([0-9]+)(s|m|h|d)$/.exec(s.trim());
    if (!m)
        throw new lib/* KarooError */.xD('input', `duration "${s}" is not of the form 30s, 10m, 2h or 1d`);
    return Number(m[1]) * { s: 1, m: 60, h: 3600, d: 86400 }[m[2]];
}
function asOfOf(value, fail) {
    if (value === undefined || value === 'none')
        return {};
    if (value !== 'leaves' && (0,lock_lib/* parseInstant */.nV)(value) === undefined) {
        fail(['as-of'], `"${value}" is not an RFC 3339 date-time with an offset (e.g. 2026-01-31T12:00:00Z), "leaves" or "none"`);
    }
    return { asOf: value };
}
function indexUrl(url, dir) {
    let u;
    if (/^[a-z][a-z0-9+.-]*:\/\//i.test(url))
        u = url;
    else
        u = (0,external_node_url_.pathToFileURL)((0,external_node_path_.isAbsolute)(url) ? url : (0,external_node_path_.resolve)(dir, url)).href;
    return u.endsWith('/') ? u : `${u}/`;
}
function normalise(raw, path, line) {
    const dir = (0,external_node_path_.dirname)(path);
    const fail = (keyPath, reason) => {
        throw new lib/* FileError */.f6(path, line(keyPath), `${keyName(keyPath)}: ${reason}`);
    };
    checkConfigStrings(raw, fail);
    const leaves = [];
    const seenLeaves = new Set();
    raw.leaves.forEach((l, i) => {
        const o = typeof l === 'string' ? { name: l } : l;
        const key = (0,lock_lib/* normalizeName */.Pc)(o.name);
        if (seenLeaves.has(key))
            fail(['leaves', i], `leaf "${o.name}" is listed twice`);
        seenLeaves.add(key);
        if (o.pin !== undefined && !(0,lock_lib/* isValidVersion */.ri)(o.pin))
            fail(['leaves', i, 'pin'], `"${o.pin}" is not a PEP 440 version`);
        leaves.push({
            name: o.name,
            key,
            pin: o.pin,
            allowPrerelease: o['allow-prerelease'] ?? false,
            extras: (o.extras ?? []).map(lock_lib/* normalizeName */.Pc).sort(),
        });
    });
    const indexNames = new Set();
    const indexes = raw.indexes.map((ix, i) => {
        const name = ix.name ?? (i === 0 ? 'private' : `extra-${i}`);
        if (indexNames.has(name))
            fail(['indexes', i, 'name'], `index name "${name}" is used twice`);
        indexNames.add(name);
        let url;
        try {
            url = indexUrl(ix.url, dir);
            new URL(url);
        }
        catch {
            return fail(['indexes', i, 'url'], `"${ix.url}" is not a URL or path`);
        }
        if (new URL(url).username || new URL(url).password) {
            fail(['indexes', i, 'url'], 'credentials must not be written in the configuration; use username-env and password-env');
        }
        return { name, url, private: ix.private ?? i === 0, usernameEnv: ix['username-env'], passwordEnv: ix['password-env'] };
    });
    if (!indexes.some((ix) => ix.private))
        fail(['indexes'], 'no index is private; mark the index holding your leaves with private: true');
    const target = {
        python: raw.target?.python ?? DEFAULT_TARGET.python,
        platforms: raw.target?.platforms ?? DEFAULT_TARGET.platforms,
        implementation: raw.target?.implementation ?? DEFAULT_TARGET.implementation,
    };
    const roles = {};
    for (const [name, r] of Object.entries(raw.roles ?? {})) {
        (r.leaves ?? []).forEach((l, i) => {
            if (!seenLeaves.has((0,lock_lib/* normalizeName */.Pc)(l)))
                fail(['roles', name, 'leaves', i], `"${l}" is not one of the leaves`);
        });
        roles[name] = {
            name,
            leaves: (r.leaves ?? []).map(lock_lib/* normalizeName */.Pc),
            services: (r.services ?? []).map((s) => ({
                name: s.name,
                command: s.command,
                environment: s.environment ?? {},
                workingDirectory: s['working-directory'],
                port: s.port,
            })),
            files: (r.files ?? []).map((f, i) => {
                if ((f.template === undefined) === (f.content === undefined))
                    fail(['roles', name, 'files', i], 'give exactly one of template or content');
                return { path: f.path, template: f.template === undefined ? undefined : (0,external_node_path_.resolve)(dir, f.template), content: f.content, mode: f.mode };
            }),
        };
    }
    const nodeNames = new Set();
    const nodes = (raw.nodes ?? []).map((n, i) => {
        if (nodeNames.has(n.name))
            fail(['nodes', i, 'name'], `node "${n.name}" is listed twice`);
        nodeNames.add(n.name);
        if (raw.roles && !(n.role in roles))
            fail(['nodes', i, 'role'], `role "${n.role}" is not defined under roles (known: ${Object.keys(roles).join(', ') || 'none'})`);
        return { name: n.name, role: n.role, cpus: n.cpus, memory: n.memory };
    });
    const envNames = [];
    const environments = (raw.environments ?? []).map((e, i) => {
        if (envNames.includes(e.name))
            fail(['environments', i, 'name'], `environment "${e.name}" is listed twice`);
        const requires = e.requires ?? (i > 0 ? [raw.environments[i - 1].name] : []);
        requires.forEach((r, j) => {
            if (!envNames.includes(r))
                fail(['environments', i, 'requires', j], `"${r}" is not an environment listed before "${e.name}"`);
        });
        envNames.push(e.name);
        return {
            name: e.name,
            requires,
            soakSeconds: e.soak === undefined ? undefined : parseDuration(e.soak),
            githubEnvironment: e['github-environment'],
            inventory: e.inventory === undefined ? undefined : (0,external_node_path_.resolve)(dir, e.inventory),
            values: e.values ?? {},
        };
    });
    if (raw.acceptance)
        checkPassEnv(raw.acceptance['pass-env'] ?? [], Object.keys(raw.acceptance.env ?? {}), fail);
    const acceptance = raw.acceptance && {
        command: raw.acceptance.command,
        timeoutSeconds: raw.acceptance.timeout ? parseDuration(raw.acceptance.timeout) : 600,
        junit: raw.acceptance.junit,
        workingDirectory: (0,external_node_path_.resolve)(dir, raw.acceptance['working-directory'] ?? '.'),
        ...(raw.acceptance['allow-no-tests'] === true ? { allowNoTests: true } : {}),
        ...(raw.acceptance['pass-env'] ? { passEnv: [...raw.acceptance['pass-env']] } : {}),
        ...(raw.acceptance.env ? { env: { ...raw.acceptance.env } } : {}),
        workflows: raw.acceptance.workflows ?? [DEFAULT_EVIDENCE_WORKFLOW],
    };
    return {
        path,
        dir,
        system: raw.system,
        leaves,
        indexes,
        target,
        constraints: (raw.constraints ?? []).map((c) => (0,external_node_path_.resolve)(dir, c)),
        resolver: raw.resolver ?? 'pip',
        ...asOfOf(raw['as-of'], fail),
        lockDir: (0,external_node_path_.resolve)(dir, raw.lock ?? '.'),
        store: raw.store,
        nodes,
        roles,
        values: raw.values ?? {},
        environments,
        acceptance,
        provision: {
            provider: raw.provision?.provider,
            image: raw.provision?.image,
            imageSha256: raw.provision?.['image-sha256'],
            ttlSeconds: raw.provision?.ttl ? parseDuration(raw.provision.ttl) : 3600,
        },
        raw: raw,
    };
}
//# sourceMappingURL=config.js.map
;// CONCATENATED MODULE: ./packages/config/lib/src/index.js

//# sourceMappingURL=index.js.map

/***/ })

};
