/** Markdown building blocks for job summaries and pull request comments (GitHub Flavored Markdown). */

/** Text safe inside a table cell: pipes escaped, line breaks flattened, HTML brackets neutralised. */
export function cell(text: string | number | undefined | null): string {
  if (text === undefined || text === null || text === '') return '';
  return String(text).replace(/\\/g, '\\\\').replace(/\|/g, '\\|').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/\r?\n/g, ' ');
}

/** Inline code that survives backticks in the text. */
export function code(text: string): string {
  const flat = text.replace(/\r?\n/g, ' ');
  const longest = Math.max(0, ...[...flat.matchAll(/`+/g)].map((m) => m[0].length));
  const fence = '`'.repeat(longest + 1);
  const pad = flat.startsWith('`') || flat.endsWith('`') ? ' ' : '';
  return `${fence}${pad}${flat}${pad}${fence}`;
}

/** Inline code inside a table cell (pipes must still be escaped there). */
export function codeCell(text: string): string {
  return code(text).replace(/\|/g, '\\|');
}

/** A link, or the plain label when there is no URL. */
export function link(label: string, url: string | undefined): string {
  if (!url) return label;
  return `[${label.replace(/[[\]]/g, '\\$&')}](${url.replace(/[()\s]/g, encodeURIComponent)})`;
}

export type Align = 'left' | 'right' | 'center';

/** A table; cells are used as given (escape them with `cell`/`codeCell`). */
export function table(header: readonly string[], rows: readonly (readonly string[])[], align: readonly Align[] = []): string {
  const sep = header.map((_, i) => (align[i] === 'right' ? '---:' : align[i] === 'center' ? ':---:' : '---'));
  const line = (r: readonly string[]) => `| ${header.map((_, i) => r[i] ?? '').join(' | ')} |`;
  return [line(header), `| ${sep.join(' | ')} |`, ...rows.map(line)].join('\n');
}

/** A folded section. The blank lines let GitHub render the markdown inside. */
export function details(summary: string, body: string, open = false): string {
  return `<details${open ? ' open' : ''}><summary>${summary}</summary>\n\n${body}\n\n</details>`;
}

/** `1 h 2 min`, `3 min 4 s`, `5.2 s`, `120 ms`. */
export function duration(ms: number): string {
  if (!Number.isFinite(ms) || ms < 0) return '';
  if (ms < 1000) return `${Math.round(ms)} ms`;
  const s = ms / 1000;
  if (s < 60) return `${s < 10 ? s.toFixed(1) : Math.round(s)} s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m} min ${Math.round(s - m * 60)} s`;
  return `${Math.floor(m / 60)} h ${m % 60} min`;
}

/** `1.5 MB` (powers of 1000, as registries report sizes). */
export function bytes(n: number): string {
  if (!Number.isFinite(n) || n < 0) return '';
  const units = ['B', 'kB', 'MB', 'GB', 'TB'];
  let v = n;
  let i = 0;
  while (v >= 1000 && i < units.length - 1) {
    v /= 1000;
    i++;
  }
  return i === 0 ? `${v} B` : `${v < 10 ? v.toFixed(2) : v < 100 ? v.toFixed(1) : Math.round(v)} ${units[i]}`;
}

/** The 12-hex-digit short form of `sha256:…`, as the candidate is named in prose. */
export function shortDigest(digest: string, n = 12): string {
  return digest.replace(/^sha256:/, '').slice(0, n);
}

/**
 * `1,234`: groups of three digits, as `toLocaleString('en-US')` writes them. Integers are grouped
 * here: the first `toLocaleString` call of a process loads ICU's locale data (~40 ms), and every
 * karoo step counts something.
 */
export function count(n: number): string {
  return Number.isSafeInteger(n) ? String(n).replace(/\B(?=(\d{3})+$)/g, ',') : n.toLocaleString('en-US');
}

/** `✅ passed` / `❌ failed` / other results as given. */
export function result(r: string): string {
  return r === 'passed' || r === 'success' ? `✅ ${r}` : r === 'failed' || r === 'failure' ? `❌ ${r}` : r === 'skipped' ? `⏭️ ${r}` : r;
}
