import type { Command } from 'commander';
import { registerBuild } from './build.js';
import { registerDemo } from './demo.js';
import { registerDigest } from './digest.js';
import { registerExport } from './export.js';
import { registerImport } from './import.js';
import { registerLock } from './lock.js';
import { registerReport } from './report.js';
import { registerResolve } from './resolve.js';
import { registerVerify } from './verify.js';
import { registerProvision } from './provision.js';
import { registerDestroy } from './destroy.js';
import { registerReap } from './reap.js';
import { registerImage } from './image.js';
import { registerHistory, registerPromote } from './promote.js';
import { registerStatus } from './status.js';
import { registerDeploy } from './deploy.js';
import { registerAccept } from './accept.js';
import { registerEvidence } from './evidence.js';
import { registerUp } from './up.js';
import { registerRebuild } from './rebuild.js';
import { registerBisect } from './bisect.js';
import { registerAttestations } from './attestations.js';

/**
 * Every CLI command registers itself here. Registration is cheap: a command imports the
 * libraries it needs only when it runs, so `karoo --help` and fast paths start quickly.
 */
export const commands: Array<(program: Command) => void> = [
  registerDemo,
  registerResolve,
  registerLock,
  registerBuild,
  registerDigest,
  registerVerify,
  registerExport,
  registerImport,
  registerReport,
  registerProvision,
  registerDestroy,
  registerReap,
  registerImage,
  registerPromote,
  registerHistory,
  registerStatus,
  registerDeploy,
  registerAccept,
  registerEvidence,
  registerUp,
  registerRebuild,
  registerBisect,
  registerAttestations,
];
