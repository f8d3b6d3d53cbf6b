/** Where long-running library code reports what it is doing. The CLI prints to stderr; actions use core.info. */
export interface Progress {
  info(message: string): void;
  warn(message: string): void;
}

export const silentProgress: Progress = { info: () => {}, warn: () => {} };

export function stderrProgress(prefix = 'karoo'): Progress {
  return {
    info: (m) => process.stderr.write(`${prefix}: ${m}\n`),
    warn: (m) => process.stderr.write(`${prefix}: warning: ${m}\n`),
  };
}
