export { type ZipEntry, type ZipOptions, type ReadZipEntry, writeZip, readZip, crc32 } from './zip.js';
export {
  type WheelSpec,
  type BuiltWheel,
  type WheelInfo,
  DEFAULT_GENERATOR,
  buildWheel,
  wheelMetadata,
  wheelDistName,
  readWheelMetadata,
} from './wheel.js';
export {
  type IndexFileInput,
  type IndexProjectInput,
  type IndexFileEntry,
  type IndexProjectEntry,
  type IndexTree,
  SIMPLE_JSON,
  SIMPLE_HTML,
  writeIndex,
  wheelFile,
  escapeHtml,
} from './tree.js';
export { publishToIndex } from './publish.js';
export { type IndexFormat, type ServeIndexOptions, type IndexRequest, type IndexServer, serveIndex, negotiate } from './serve.js';
export {
  type ExampleRelease,
  type ExampleDistribution,
  type GenerateExampleOptions,
  type GeneratedExample,
  type CatalogFile,
  type NativeExtension,
  CAM_DISTRIBUTIONS,
  NATIVE_CFLAGS,
  buildNative,
  DEBIAN_WHEELS,
  DEFAULT_DEBIAN_WHEELS_DIR,
  exampleUploadTime,
  generateExample,
} from './cam.js';
