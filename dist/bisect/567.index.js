export const id = 567;
export const ids = [567];
export const modules = {

/***/ 45567:
/***/ ((__unused_webpack___webpack_module__, __webpack_exports__, __webpack_require__) => {

__webpack_require__.r(__webpack_exports__);
/* harmony export */ __webpack_require__.d(__webpack_exports__, {
/* harmony export */   PipBackend: () => (/* binding */ PipBackend),
/* harmony export */   pipError: () => (/* binding */ pipError),
/* harmony export */   targetMarkerEnvironment: () => (/* binding */ targetMarkerEnvironment)
/* harmony export */ });
/* harmony import */ var node_fs_promises__WEBPACK_IMPORTED_MODULE_0__ = __webpack_require__(51455);
/* harmony import */ var node_path__WEBPACK_IMPORTED_MODULE_1__ = __webpack_require__(76760);
/* harmony import */ var _actions_exec__WEBPACK_IMPORTED_MODULE_2__ = __webpack_require__(27187);
/* harmony import */ var _karoo_common__WEBPACK_IMPORTED_MODULE_3__ = __webpack_require__(46787);
/* harmony import */ var _karoo_lock__WEBPACK_IMPORTED_MODULE_4__ = __webpack_require__(34764);
/* harmony import */ var _index_client_js__WEBPACK_IMPORTED_MODULE_5__ = __webpack_require__(66520);
/* harmony import */ var _python_js__WEBPACK_IMPORTED_MODULE_6__ = __webpack_require__(23062);







/**
 * pip as the resolver: `pip install --dry-run --report` for the target platform, isolated
 * from every pip setting on the machine. pip downloads only what it must to read metadata
 * (nothing at all where the index serves PEP 658 metadata files).
 */
class PipBackend {
    name = 'pip';
    async commandLine(req) {
        const python = await (0,_python_js__WEBPACK_IMPORTED_MODULE_6__/* .findPython */ .Kq)(req.env);
        const reqFile = (0,node_path__WEBPACK_IMPORTED_MODULE_1__.join)(req.workDir, 'requirements.in');
        // Not --quiet: pip explains resolution conflicts at info level.
        const args = [
            '-c',
            targetMarkersShim(req.target),
            '--isolated',
            'install',
            '--dry-run',
            '--ignore-installed',
            '--no-color',
            '--progress-bar',
            'off',
        ];
        args.push('--report', (0,node_path__WEBPACK_IMPORTED_MODULE_1__.join)(req.workDir, 'report.json'), '--target', (0,node_path__WEBPACK_IMPORTED_MODULE_1__.join)(req.workDir, 'target'));
        args.push('--only-binary=:all:', '--python-version', req.target.python, '--implementation', req.target.implementation ?? 'cp');
        for (const p of req.target.platforms)
            args.push('--platform', p);
        const [first, ...rest] = req.indexes;
        args.push('--index-url', (0,_index_client_js__WEBPACK_IMPORTED_MODULE_5__/* .urlWithCredentials */ .uy)(first.url, first, req.env));
        for (const ix of rest)
            args.push('--extra-index-url', (0,_index_client_js__WEBPACK_IMPORTED_MODULE_5__/* .urlWithCredentials */ .uy)(ix.url, ix, req.env));
        for (const c of req.constraints)
            args.push('--constraint', c);
        args.push('--requirement', reqFile);
        return { command: python, args, env: (0,_python_js__WEBPACK_IMPORTED_MODULE_6__/* .isolatedPipEnv */ .Sd)(req.env) };
    }
    async resolve(req, progress) {
        const lines = req.requirements.map((r) => `${r.name}${r.extras.length ? `[${r.extras.join(',')}]` : ''}==${r.version}`);
        await (0,node_fs_promises__WEBPACK_IMPORTED_MODULE_0__.writeFile)((0,node_path__WEBPACK_IMPORTED_MODULE_1__.join)(req.workDir, 'requirements.in'), `${lines.join('\n')}\n`);
        const { command, args, env } = await this.commandLine(req);
        progress.info(`resolving ${req.requirements.length} leaves with pip for python ${req.target.python} on ${req.target.platforms.join(', ')}`);
        const res = await (0,_actions_exec__WEBPACK_IMPORTED_MODULE_2__/* .getExecOutput */ .H)(command, args, { env, silent: true, ignoreReturnCode: true, cwd: req.workDir });
        if (res.exitCode !== 0)
            throw pipError(`${res.stdout}\n${res.stderr}`, res.exitCode);
        let report;
        try {
            report = JSON.parse(await (0,node_fs_promises__WEBPACK_IMPORTED_MODULE_0__.readFile)((0,node_path__WEBPACK_IMPORTED_MODULE_1__.join)(req.workDir, 'report.json'), 'utf8'));
        }
        catch (e) {
            throw new _karoo_common__WEBPACK_IMPORTED_MODULE_3__/* .KarooError */ .xD('internal', `pip succeeded but wrote no readable report (${String(e)})`);
        }
        return (report.install ?? []).map((item) => {
            const name = (0,_karoo_lock__WEBPACK_IMPORTED_MODULE_4__/* .normalizeName */ .Pc)(item.metadata?.name ?? '');
            const url = (0,_index_client_js__WEBPACK_IMPORTED_MODULE_5__/* .stripCredentials */ .PH)(item.download_info?.url ?? '');
            const hashes = item.download_info?.archive_info?.hashes ?? {};
            const legacy = item.download_info?.archive_info?.hash;
            const sha256 = hashes.sha256 ?? (legacy?.startsWith('sha256=') ? legacy.slice(7) : undefined);
            return { name, version: (0,_karoo_lock__WEBPACK_IMPORTED_MODULE_4__/* .normalizeVersion */ .Qj)(item.metadata?.version ?? ''), url, sha256, requested: item.requested === true };
        });
    }
}
/**
 * pip evaluates environment markers against the interpreter running it, even with
 * `--python-version` and `--platform` (those only filter wheel tags). To resolve for the
 * target, pip runs with packaging's marker environment replaced by the target's.
 */
function targetMarkerEnvironment(target) {
    const plat = target.platforms[0] ?? 'linux_x86_64';
    const machine = /(x86_64|aarch64|i686|armv7l|ppc64le|s390x|arm64|amd64)$/.exec(plat)?.[1] ?? 'x86_64';
    const os = plat.startsWith('macosx') ? 'darwin' : plat.startsWith('win') ? 'win32' : 'linux';
    const impl = (target.implementation ?? 'cp') === 'pp' ? ['pypy', 'PyPy'] : ['cpython', 'CPython'];
    return {
        implementation_name: impl[0],
        implementation_version: `${target.python}.0`,
        os_name: os === 'win32' ? 'nt' : 'posix',
        platform_machine: os === 'win32' && machine === 'x86_64' ? 'AMD64' : machine === 'amd64' ? 'AMD64' : machine,
        platform_release: '',
        platform_system: os === 'darwin' ? 'Darwin' : os === 'win32' ? 'Windows' : 'Linux',
        platform_version: '',
        python_full_version: `${target.python}.0`,
        platform_python_implementation: impl[1],
        python_version: target.python,
        sys_platform: os,
    };
}
function targetMarkersShim(target) {
    const env = JSON.stringify(targetMarkerEnvironment(target));
    return [
        'import json, runpy, sys',
        'import pip._vendor.packaging.markers as markers',
        `_target = json.loads(${JSON.stringify(env)})`,
        'markers.default_environment = lambda: dict(_target)',
        "sys.argv[0] = 'pip'",
        "runpy.run_module('pip', run_name='__main__', alter_sys=True)",
    ].join('\n');
}
/** Turns pip's failure output into one line that says what was wrong, keeping pip's own explanation. */
function pipError(output, exitCode) {
    const text = output.replace(/\r/g, '');
    const detail = { pipExitCode: exitCode, pipOutput: text.slice(-8000) };
    if (text.includes('THESE PACKAGES DO NOT MATCH THE HASHES')) {
        const m = /^\s*(\S+)(?: from (\S+?))?(?: \(from .*\))?:[ \t]*\n\s*Expected sha256 ([0-9a-f]+)\n\s*Got\s+([0-9a-f]+)/m.exec(text.split('THESE PACKAGES DO NOT MATCH THE HASHES')[1] ?? '');
        const url = m?.[2] ? (0,_index_client_js__WEBPACK_IMPORTED_MODULE_5__/* .stripCredentials */ .PH)(m[2].split('#')[0]) : undefined;
        const what = m ? `${m[1]}${url ? ` (${url})` : ''}: index says sha256 ${m[3]}, file has ${m[4]}` : 'a file';
        return new _karoo_common__WEBPACK_IMPORTED_MODULE_3__/* .KarooError */ .xD('integrity', `hash mismatch in the index for ${what}; the index serves bytes that do not match its own hash — fix or republish the file`, { detail });
    }
    const conflict = text.split('The conflict is caused by:')[1];
    if (conflict !== undefined) {
        const lines = conflict
            .split('\n')
            .map((l) => l.trim())
            .filter((l) => l !== '' && !l.startsWith('To fix this') && !l.startsWith('ERROR') && !l.startsWith('1.') && !l.startsWith('2.'));
        return new _karoo_common__WEBPACK_IMPORTED_MODULE_3__/* .KarooError */ .xD('input', `conflicting requirements, pip explains: ${lines.slice(0, 6).join('; ')}`, { detail });
    }
    const nf = /Could not find a version that satisfies the requirement ([^\s]+)(?: \(from versions: ([^)]*)\))?/.exec(text);
    if (nf) {
        return new _karoo_common__WEBPACK_IMPORTED_MODULE_3__/* .KarooError */ .xD('input', `no version of ${nf[1]} fits the target${nf[2] ? ` (available: ${nf[2]})` : ''}; check the constraints, the target platforms and the index`, { detail });
    }
    const err = text
        .split('\n')
        .map((l) => l.trim())
        .find((l) => l.startsWith('ERROR:'));
    return new _karoo_common__WEBPACK_IMPORTED_MODULE_3__/* .KarooError */ .xD('input', `pip failed (exit ${exitCode}): ${err ?? text.trim().split('\n').pop() ?? 'no output'}`, { detail });
}
//# sourceMappingURL=pip.js.map

/***/ })

};
