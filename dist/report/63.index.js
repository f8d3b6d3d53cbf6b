export const id = 63;
export const ids = [63];
export const modules = {

/***/ 89063:
/***/ ((__unused_webpack___webpack_module__, __webpack_exports__, __webpack_require__) => {

__webpack_require__.r(__webpack_exports__);
/* harmony export */ __webpack_require__.d(__webpack_exports__, {
/* harmony export */   STORE_INPUTS: () => (/* binding */ STORE_INPUTS),
/* harmony export */   storeFromInputs: () => (/* binding */ storeFromInputs),
/* harmony export */   storeReferenceFromInputs: () => (/* binding */ storeReferenceFromInputs)
/* harmony export */ });
/* harmony import */ var node_path__WEBPACK_IMPORTED_MODULE_0__ = __webpack_require__(76760);
/* harmony import */ var _actions_core__WEBPACK_IMPORTED_MODULE_1__ = __webpack_require__(6257);
/* harmony import */ var _karoo_common__WEBPACK_IMPORTED_MODULE_2__ = __webpack_require__(46787);
/* harmony import */ var _karoo_oci__WEBPACK_IMPORTED_MODULE_3__ = __webpack_require__(99713);
/* harmony import */ var _index_js__WEBPACK_IMPORTED_MODULE_4__ = __webpack_require__(96854);





/** The inputs every store-using action declares, kebab-case as in action.yml. */
const STORE_INPUTS = { store: 'store', registryUsername: 'registry-username', registryPassword: 'registry-password' };
/**
 * The store reference of an action: the `store` input, else `store:` of karoo.yml (an
 * `oci-layout:` path there is relative to the file), else `ghcr.io/<owner>/<repo>`.
 */
function storeReferenceFromInputs(config, env = process.env) {
    const given = (0,_index_js__WEBPACK_IMPORTED_MODULE_4__/* .optionalInput */ .$m)(STORE_INPUTS.store);
    if (given)
        return given;
    const s = config?.store;
    if (s)
        return s.startsWith('oci-layout:') && !(0,node_path__WEBPACK_IMPORTED_MODULE_0__.isAbsolute)(s.slice(11)) ? `oci-layout:${(0,node_path__WEBPACK_IMPORTED_MODULE_0__.resolve)(config.dir, s.slice(11))}` : s;
    const repo = env.GITHUB_REPOSITORY;
    if (!repo)
        throw new _karoo_common__WEBPACK_IMPORTED_MODULE_2__/* .KarooError */ .xD('input', 'input "store" is empty, the configuration has no store and GITHUB_REPOSITORY is not set; give a store reference');
    return `ghcr.io/${repo.toLowerCase()}`;
}
/**
 * Opens the action's store. Explicit registry credentials win; the GitHub token (the
 * action's token input) is sent to ghcr.io only, never to another registry.
 */
function storeFromInputs(config, githubToken, env = process.env) {
    const ref = storeReferenceFromInputs(config, env);
    const parsed = (0,_karoo_oci__WEBPACK_IMPORTED_MODULE_3__/* .parseStoreRef */ .mZ)(ref);
    let credentials;
    if (parsed.kind === 'registry') {
        const username = (0,_index_js__WEBPACK_IMPORTED_MODULE_4__/* .optionalInput */ .$m)(STORE_INPUTS.registryUsername) ?? env.GITHUB_ACTOR ?? 'karoo';
        const password = (0,_index_js__WEBPACK_IMPORTED_MODULE_4__/* .optionalInput */ .$m)(STORE_INPUTS.registryPassword);
        if (password) {
            _actions_core__WEBPACK_IMPORTED_MODULE_1__.setSecret(password);
            credentials = { username, password };
        }
        else if (parsed.registry === 'ghcr.io' && githubToken) {
            credentials = { username, password: githubToken };
        }
    }
    return (0,_karoo_oci__WEBPACK_IMPORTED_MODULE_3__/* .openStore */ .Ch)(ref, { credentials, progress: _index_js__WEBPACK_IMPORTED_MODULE_4__/* .actionProgress */ .cv });
}
//# sourceMappingURL=store.js.map

/***/ })

};
