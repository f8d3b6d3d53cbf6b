export * from './errors.js';
export * from './digest.js';
export { canonicalJson } from './canonical-json.js';
export { writeFileAtomic, writeFilesAtomic, sha256File } from './fs.js';
export { type Progress, silentProgress, stderrProgress } from './progress.js';
