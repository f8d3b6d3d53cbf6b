import { KarooError } from './errors.js';

/**
 * Characters that end, hide or split a line of a configuration file: C0 controls (newline,
 * carriage return, NUL, …), DEL, C1 controls, and the Unicode line and paragraph separators.
 * A newline in a value written into ssh_config, known_hosts, a unit file or cloud-init starts
 * a new directive there (`ProxyCommand …`).
 */
const CONTROL = /[\u0000-\u001f\u007f-\u009f\u2028\u2029]/u;

/** The first control character of `value` as `U+000A`, or undefined when it has none. */
export function controlCharacterIn(value: string): string | undefined {
  const m = CONTROL.exec(value);
  return m ? `U+${m[0].charCodeAt(0).toString(16).toUpperCase().padStart(4, '0')}` : undefined;
}

/** A value for an error message: JSON-quoted (so it stays on one line) and cut to 60 characters. */
export function quoteValue(value: string): string {
  const q = JSON.stringify(value);
  return q.length > 62 ? `${q.slice(0, 60)}…"` : q;
}

/**
 * Every value karoo writes into a configuration file or a command-line option that a tool
 * parses as configuration goes through here: it comes back unchanged, or the call throws an
 * input error naming `what` (e.g. `inventory node "n1" ssh.host`).
 */
export function configText(what: string, value: string): string {
  if (typeof value !== 'string') throw new KarooError('input', `${what} must be a string, not ${value === null ? 'null' : typeof value}`);
  const c = controlCharacterIn(value);
  if (c !== undefined) {
    throw new KarooError(
      'input',
      `${what} ${quoteValue(value)} contains a control character (${c}); it would be written into a configuration file, so it must be one line of printable text`,
    );
  }
  return value;
}

/**
 * A value for an OpenSSH configuration line (`Key value` in ssh_config, `-o Key=value`):
 * checked by configText, refused when it holds `"` or `\` (no quoting survives every OpenSSH
 * version), double-quoted when it holds a space, `#`, `'` or `=`.
 */
export function sshConfigValue(what: string, value: string): string {
  configText(what, value);
  if (value === '') throw new KarooError('input', `${what} is empty`);
  if (/["\\]/.test(value))
    throw new KarooError('input', `${what} ${quoteValue(value)} contains " or \\, which an OpenSSH configuration cannot hold; rename it`);
  return /[\s#'=]/.test(value) ? `"${value}"` : value;
}
