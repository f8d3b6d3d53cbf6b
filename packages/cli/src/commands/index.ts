import type { Command } from 'commander';
import { registerDemo } from './demo.js';
import { registerLock } from './lock.js';
import { registerResolve } from './resolve.js';

/**
 * Every CLI command registers itself here. Registration is cheap: a command imports the
 * libraries it needs only when it runs, so `karoo --help` and fast paths start quickly.
 */
export const commands: Array<(program: Command) => void> = [registerDemo, registerResolve, registerLock];
