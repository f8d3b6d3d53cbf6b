/**
 * Configuration file templates: `{{ path }}` inserts a value as text (strings as they are,
 * anything else as JSON), `{{ path | json }}` as a JSON literal (safe for any string in a JSON
 * file). `path` is dotted (`values.store_url`, `values.proxy_urls.0`, `node.name`). Nothing else
 * is interpreted: values are data, whatever characters they hold.
 */
export class TemplateError extends Error {
  override name = 'TemplateError';
  constructor(
    message: string,
    readonly line: number,
  ) {
    super(message);
  }
}

const TAG = /\{\{\s*([^{}|]*?)\s*(?:\|\s*([a-z]+)\s*)?\}\}/g;
const PATH = /^[A-Za-z_][A-Za-z0-9_-]*(\.[A-Za-z0-9_-]+)*$/;

export function renderTemplate(text: string, context: Readonly<Record<string, unknown>>): string {
  return text.replace(TAG, (_m, rawPath: string, filter: string | undefined, offset: number) => {
    const line = text.slice(0, offset).split('\n').length;
    if (!PATH.test(rawPath)) throw new TemplateError(`"{{ ${rawPath} }}" is not a dotted path such as values.name`, line);
    const value = lookup(context, rawPath);
    if (value === undefined) {
      throw new TemplateError(`"${rawPath}" is not defined; add it under values (or the environment's values) in karoo.yml`, line);
    }
    if (filter === undefined) return typeof value === 'string' ? value : JSON.stringify(value);
    if (filter === 'json') return JSON.stringify(value);
    throw new TemplateError(`unknown filter "${filter}" (only | json)`, line);
  });
}

function lookup(context: Readonly<Record<string, unknown>>, path: string): unknown {
  let cur: unknown = context;
  for (const part of path.split('.')) {
    if (cur === null || typeof cur !== 'object') return undefined;
    if (Array.isArray(cur)) {
      if (!/^[0-9]+$/.test(part)) return undefined;
      cur = cur[Number(part)];
    } else {
      if (!Object.prototype.hasOwnProperty.call(cur, part)) return undefined;
      cur = (cur as Record<string, unknown>)[part];
    }
  }
  return cur;
}
