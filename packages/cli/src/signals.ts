import { constants } from 'node:os';

const SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;

export interface Interrupt {
  /** Aborted by the first SIGINT, SIGTERM or SIGHUP. */
  readonly signal: AbortSignal;
  /** The signal received, if any. */
  received(): NodeJS.Signals | undefined;
  /** Exits with 128 + the signal's number when one was received (after the command's teardown). */
  exitIfInterrupted(): void;
  dispose(): void;
}

/**
 * Turns SIGINT, SIGTERM and SIGHUP into an abort: the command stops what it does and runs the
 * same teardown as at a normal end, once. The same signal again (or another) exits at once,
 * leaving what is left to the environment's watchdog.
 */
export function interruptible(what: string): Interrupt {
  const controller = new AbortController();
  let got: NodeJS.Signals | undefined;
  const code = (s: NodeJS.Signals) => 128 + (constants.signals[s] ?? 0);
  const handler = (s: NodeJS.Signals) => {
    if (got) {
      process.stderr.write(
        `karoo: ${s} again: exiting without waiting for the teardown (the environment's watchdog removes what is left)\n`,
      );
      process.exit(code(s));
    }
    got = s;
    process.stderr.write(`karoo: ${s}: stopping ${what} and tearing down (${s} again exits at once)\n`);
    controller.abort(s);
  };
  for (const s of SIGNALS) process.on(s, handler);
  return {
    signal: controller.signal,
    received: () => got,
    exitIfInterrupted: () => {
      if (got) process.exit(code(got));
    },
    dispose: () => {
      for (const s of SIGNALS) process.off(s, handler);
    },
  };
}
