export { type BuildOptions, type BuildResult, build } from './build.js';
export { type DownloadOptions, type Downloaded, downloadLockedFile, indexAuthHeaders } from './download.js';
export { fillDownloadDir, pruneDownloadDir, wheelCacheKeys } from './download-cache.js';
