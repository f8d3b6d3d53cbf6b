export { resolveLock, type ResolveOptions, type ResolveResult, type LeafChoice } from './resolve.js';
export type { ResolverBackend, ResolveRequest, ResolvedDistribution, RootRequirement } from './backend.js';
export { IndexClient, stripCredentials, urlWithCredentials, authorizationFor, type IndexFile, type ProjectPage } from './index-client.js';
export { parseDistFilename, wheelFitsTarget, type DistFile } from './filenames.js';
export { serveMergedIndex, type MergedIndex } from './merged-index.js';
export { findPython, isolatedPipEnv } from './python.js';
export { lastLockKeys, pipCacheDir, pipCacheKeys, pipHttpCacheDirs } from './pip-cache.js';
export { writeLockFiles, readExistingLock, PYLOCK, REQUIREMENTS, type WrittenLock } from './lockfiles.js';

/** The pip backend, loaded on demand (it pulls in @actions/exec). */
export async function pipBackend(): Promise<import('./backend.js').ResolverBackend> {
  return new (await import('./pip.js')).PipBackend();
}
