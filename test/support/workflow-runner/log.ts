/**
 * What a step writes: its log (masked as the runner masks it), workflow commands on stdout
 * (`::add-mask::`, `::error::`, `::group::`, …) and file commands (GITHUB_OUTPUT, GITHUB_ENV,
 * GITHUB_PATH, GITHUB_STATE, GITHUB_STEP_SUMMARY).
 */
import { readFileSync } from 'node:fs';

/** Replaces every registered secret (and its encodings) with `***`, as the runner's secret masker does. */
export class Masker {
  /** Each text masked → the secret it is (or encodes). */
  private readonly values = new Map<string, string>();
  private readonly hits = new Set<string>();

  add(value: string | undefined): void {
    if (!value) return;
    const variants = [value, Buffer.from(value).toString('base64'), JSON.stringify(value).slice(1, -1), encodeURIComponent(value)];
    // The runner masks each line of a multi-line secret too.
    for (const line of value.split(/\r?\n/)) if (line.trim().length >= 1) variants.push(line);
    for (const v of variants) if (v.length > 0 && !this.values.has(v)) this.values.set(v, value);
  }

  /** True when `text` contains any registered secret (a job output GitHub then drops: counted in `masked`). */
  contains(text: string): boolean {
    for (const [v, secret] of this.values) {
      if (!text.includes(v)) continue;
      this.hits.add(secret);
      return true;
    }
    return false;
  }

  mask(text: string): string {
    // Longest first, so a secret that contains another is masked whole.
    const sorted = [...this.values.keys()].sort((a, b) => b.length - a.length);
    let out = text;
    for (const v of sorted) {
      if (!out.includes(v)) continue;
      this.hits.add(this.values.get(v)!);
      out = out.split(v).join('***');
    }
    return out;
  }

  /**
   * The secrets that had to be hidden: a step printed them (or an encoding of them) or set an
   * output holding one. GitHub hides them too, but a test of secret handling wants none: a copy the masker does not know
   * (another encoding, a secret split over lines) would be in the log in clear.
   */
  get masked(): string[] {
    return [...this.hits];
  }
}

export interface Annotation {
  readonly level: 'error' | 'warning' | 'notice';
  readonly message: string;
  readonly properties: Record<string, string>;
}

/** Reacts to the workflow commands in a step's stdout, line by line. */
export class CommandProcessor {
  readonly annotations: Annotation[] = [];
  /** Outputs and state set through the deprecated `::set-output`/`::save-state` commands. */
  readonly outputs: Record<string, string> = {};
  readonly state: Record<string, string> = {};
  private stopToken: string | undefined;
  private readonly lines: string[] = [];

  /** `emit` receives each log line, masked with what is known at that moment. */
  constructor(
    private readonly masker: Masker,
    private readonly emit: (line: string) => void = () => undefined,
  ) {}

  private push(line: string): void {
    const masked = this.masker.mask(line);
    this.lines.push(masked);
    this.emit(masked);
  }

  /** Processes one line of a step's output (stdout or stderr). */
  line(raw: string): void {
    const m = /^::([A-Za-z-]+)(?: ([^:]*))?::(.*)$/.exec(raw.trimStart());
    if (this.stopToken !== undefined) {
      if (m && m[1] === this.stopToken) this.stopToken = undefined;
      else this.push(raw);
      return;
    }
    if (!m) {
      this.push(raw);
      return;
    }
    const [, command, props = '', value = ''] = m;
    const data = unescapeData(value);
    const properties = Object.fromEntries(
      props
        .split(',')
        .filter(Boolean)
        .map((p) => {
          const i = p.indexOf('=');
          return [p.slice(0, i).trim(), unescapeProperty(p.slice(i + 1))];
        }),
    );
    switch (command) {
      case 'add-mask':
        this.masker.add(data);
        this.push('::add-mask::***');
        return;
      case 'error':
      case 'warning':
      case 'notice':
        this.annotations.push({ level: command, message: data, properties });
        this.push(`${command === 'error' ? 'Error' : command === 'warning' ? 'Warning' : 'Notice'}: ${data}`);
        return;
      case 'group':
        this.push(`##[group]${data}`);
        return;
      case 'endgroup':
        this.push('##[endgroup]');
        return;
      case 'debug':
        this.push(`##[debug]${data}`);
        return;
      case 'stop-commands':
        this.stopToken = data;
        return;
      case 'set-output':
        if (properties.name) this.outputs[properties.name] = data;
        this.push(`Warning: The \`set-output\` command is deprecated`);
        return;
      case 'save-state':
        if (properties.name) this.state[properties.name] = data;
        return;
      default:
        this.push(raw);
    }
  }

  /** The processed log lines so far, masked. */
  log(): string[] {
    return [...this.lines];
  }
}

function unescapeData(s: string): string {
  return s.replace(/%0D/g, '\r').replace(/%0A/g, '\n').replace(/%25/g, '%');
}

function unescapeProperty(s: string): string {
  return s.replace(/%0D/g, '\r').replace(/%0A/g, '\n').replace(/%3A/g, ':').replace(/%2C/g, ',').replace(/%25/g, '%');
}

/**
 * Reads a GITHUB_OUTPUT/GITHUB_ENV/GITHUB_STATE file: `name=value` lines and
 * `name<<DELIMITER` … `DELIMITER` blocks, as the runner's FileCommandManager does.
 */
export function readKeyValueFile(path: string): Record<string, string> {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch {
    return {};
  }
  const out: Record<string, string> = {};
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!.replace(/\r$/, '');
    if (line === '') continue;
    const eq = line.indexOf('=');
    const hd = line.indexOf('<<');
    if (hd > 0 && (eq < 0 || hd < eq)) {
      const name = line.slice(0, hd);
      const delimiter = line.slice(hd + 2);
      const body: string[] = [];
      let closed = false;
      for (i++; i < lines.length; i++) {
        const l = lines[i]!.replace(/\r$/, '');
        if (l === delimiter) {
          closed = true;
          break;
        }
        body.push(l);
      }
      if (!closed) throw new Error(`Matching delimiter not found '${delimiter}'`);
      out[name] = body.join('\n');
    } else if (eq > 0) {
      out[line.slice(0, eq)] = line.slice(eq + 1);
    } else {
      throw new Error(`Invalid format '${line}'`);
    }
  }
  return out;
}

/** Reads a GITHUB_PATH file: one directory a line. */
export function readPathFile(path: string): string[] {
  try {
    return readFileSync(path, 'utf8')
      .split('\n')
      .map((l) => l.replace(/\r$/, ''))
      .filter(Boolean);
  } catch {
    return [];
  }
}
