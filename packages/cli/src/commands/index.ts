import type { Command } from 'commander';
import { registerLock } from './lock.js';

/**
 * Every CLI command registers itself here. Registration is cheap: a command imports the
 * libraries it needs only when it runs, so `karoo --help` and fast paths start quickly.
 */
export const commands: Array<(program: Command) => void> = [registerLock];
