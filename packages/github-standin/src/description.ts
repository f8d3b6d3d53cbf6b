import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { Ajv, type ValidateFunction, type ErrorObject } from 'ajv';
import addFormatsModule from 'ajv-formats';

// ajv-formats is CommonJS: its default export arrives wrapped under ESM.
const addFormats = ((addFormatsModule as unknown as { default?: unknown }).default ?? addFormatsModule) as (ajv: Ajv) => Ajv;

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };
type JsonObject = { [k: string]: Json };

export interface Parameter {
  readonly name: string;
  readonly in: 'path' | 'query' | 'header' | 'cookie';
  readonly required: boolean;
  readonly schema: JsonObject;
}

/** One operation of GitHub's REST description, with compiled checks. */
export interface Operation {
  readonly operationId: string;
  readonly method: string;
  /** The path template as the description spells it, e.g. `/repos/{owner}/{repo}`. */
  readonly path: string;
  readonly parameters: readonly Parameter[];
  readonly hasBody: boolean;
  readonly bodyRequired: boolean;
  /** Status codes the description lists for this operation. */
  readonly statuses: readonly string[];
}

interface Route {
  readonly template: string;
  readonly segments: readonly string[];
  /** Literal segments count: the more, the more specific the template. */
  readonly literals: number;
  readonly methods: ReadonlyMap<string, Operation>;
}

export interface RouteMatch {
  readonly route: string;
  readonly params: Record<string, string>;
  readonly operation: Operation | undefined;
  readonly allowed: readonly string[];
}

/**
 * GitHub's published REST description (`@octokit/openapi`, `generated/api.github.com.json`),
 * indexed for routing, with request checks stricter than the description itself: every
 * request object schema gets `additionalProperties: false` where GitHub's omits it, so a
 * misspelled field is caught instead of silently ignored.
 */
export class GitHubDescription {
  readonly version: string;
  private readonly doc: JsonObject;
  private readonly routes: Route[];
  private readonly byId = new Map<string, Operation>();
  private readonly ajv: Ajv;
  private readonly paramAjv: Ajv;
  private readonly cache = new Map<string, ValidateFunction>();

  constructor(doc: JsonObject) {
    this.doc = doc;
    this.version = String((doc.info as JsonObject | undefined)?.version ?? 'unknown');
    this.ajv = new Ajv({ strict: false, validateSchema: false, allErrors: true });
    addFormats(this.ajv);
    untypedNullable(doc);
    this.ajv.addSchema(doc as object, 'gh');
    this.paramAjv = new Ajv({ strict: false, validateSchema: false, allErrors: true, coerceTypes: true });
    addFormats(this.paramAjv);
    this.routes = [];
    for (const [template, item] of Object.entries(doc.paths as JsonObject)) {
      const methods = new Map<string, Operation>();
      const itemObj = item as JsonObject;
      const shared = (itemObj.parameters as Json[] | undefined) ?? [];
      for (const [method, raw] of Object.entries(itemObj)) {
        if (!['get', 'post', 'put', 'patch', 'delete', 'head', 'options'].includes(method)) continue;
        const op = raw as JsonObject;
        const params = [...shared, ...((op.parameters as Json[] | undefined) ?? [])].map((p) => this.deref(p) as JsonObject);
        const body = op.requestBody ? (this.deref(op.requestBody) as JsonObject) : undefined;
        const operation: Operation = {
          operationId: String(op.operationId),
          method: method.toUpperCase(),
          path: template,
          parameters: params.map((p) => ({
            name: String(p.name),
            in: p.in as Parameter['in'],
            required: p.required === true,
            schema: (p.schema as JsonObject | undefined) ?? {},
          })),
          hasBody: body !== undefined,
          bodyRequired: body?.required === true,
          statuses: Object.keys(op.responses as JsonObject),
        };
        methods.set(operation.method, operation);
        this.byId.set(operation.operationId, operation);
      }
      const segments = template.split('/').slice(1);
      this.routes.push({ template, segments, literals: segments.filter((s) => !s.startsWith('{')).length, methods });
    }
    // Most specific first: `/repos/{owner}/{repo}/issues/comments/{comment_id}` before
    // `/repos/{owner}/{repo}/issues/{issue_number}/{x}`.
    this.routes.sort((a, b) => b.literals - a.literals || a.template.localeCompare(b.template));
  }

  operation(operationId: string): Operation | undefined {
    return this.byId.get(operationId);
  }

  /** Finds the path template (and operation for `method`) that a request path matches. */
  match(method: string, pathname: string): RouteMatch | undefined {
    const parts = pathname.split('/').slice(1);
    for (const r of this.routes) {
      if (r.segments.length !== parts.length) continue;
      const params: Record<string, string> = {};
      let ok = true;
      for (let i = 0; i < parts.length && ok; i++) {
        const seg = r.segments[i]!;
        const part = parts[i]!;
        if (seg.startsWith('{') && seg.endsWith('}')) {
          if (part === '') ok = false;
          else params[seg.slice(1, -1)] = decodeURIComponent(part);
        } else if (seg !== part) ok = false;
      }
      if (!ok) continue;
      return { route: r.template, params, operation: r.methods.get(method.toUpperCase()), allowed: [...r.methods.keys()] };
    }
    return undefined;
  }

  /** Checks path and query parameters; unknown query parameters are errors. Returns problems, empty when valid. */
  checkParameters(op: Operation, params: Record<string, string>, query: URLSearchParams): string[] {
    const problems: string[] = [];
    const check = (where: 'path' | 'query', values: Record<string, string>) => {
      const declared = op.parameters.filter((p) => p.in === where);
      for (const name of Object.keys(values)) {
        if (!declared.some((p) => p.name === name)) problems.push(`${where} parameter "${name}" is not in ${op.operationId}`);
      }
      for (const p of declared) {
        const v = values[p.name];
        if (v === undefined) {
          if (p.required) problems.push(`${where} parameter "${p.name}" is required by ${op.operationId}`);
          continue;
        }
        const validate = this.compileParam(op, p);
        const holder = { v: p.schema.type === 'array' ? v.split(',') : v };
        if (!validate(holder)) problems.push(`${where} parameter "${p.name}"=${JSON.stringify(v)}: ${formatErrors(validate.errors, '')}`);
      }
    };
    check('path', params);
    const q: Record<string, string> = {};
    for (const [k, v] of query) {
      if (k in q) problems.push(`query parameter "${k}" given twice`);
      q[k] = v;
    }
    check('query', q);
    return problems;
  }

  /** Checks a JSON request body against the operation's schema, made strict. */
  checkBody(op: Operation, body: unknown): string[] {
    const key = `body ${op.operationId}`;
    let validate = this.cache.get(key);
    if (!validate) {
      const pathItem = (this.doc.paths as JsonObject)[op.path] as JsonObject;
      const rb = this.deref((pathItem[op.method.toLowerCase()] as JsonObject).requestBody!) as JsonObject;
      const media = (rb.content as JsonObject)['application/json'] as JsonObject | undefined;
      const schema = media?.schema === undefined ? {} : strictSchema(this.inline(media.schema));
      validate = this.ajv.compile(schema as object);
      this.cache.set(key, validate);
    }
    return validate(body) ? [] : [`request body: ${formatErrors(validate.errors, 'body')}`];
  }

  /** Checks a response body against the schema the description gives for that status; empty when valid or not described. */
  checkResponse(op: Operation, status: number, body: unknown): string[] {
    const key = `response ${op.operationId} ${status}`;
    let validate = this.cache.get(key);
    if (!validate) {
      const pointer = this.responseSchemaPointer(op, status);
      if (!pointer) return [];
      validate = this.ajv.compile({ $ref: `gh${pointer}` });
      this.cache.set(key, validate);
    }
    return validate(body) ? [] : [`response ${status} of ${op.operationId}: ${formatErrors(validate.errors, 'response')}`];
  }

  /** The description's own example for a response, deep-copied, when it has one. */
  example(op: Operation, status: number): unknown {
    const resp = this.response(op, status);
    const media = (resp?.obj.content as JsonObject | undefined)?.['application/json'] as JsonObject | undefined;
    const examples = media?.examples as JsonObject | undefined;
    if (!examples) return undefined;
    const first = this.deref(Object.values(examples)[0]!) as JsonObject;
    return structuredClone(first.value);
  }

  private response(op: Operation, status: number): { obj: JsonObject; pointer: string } | undefined {
    const responses = (((this.doc.paths as JsonObject)[op.path] as JsonObject)[op.method.toLowerCase()] as JsonObject)
      .responses as JsonObject;
    const raw = responses[String(status)];
    if (raw === undefined) return undefined;
    const ref = (raw as JsonObject).$ref;
    if (typeof ref === 'string') return { obj: this.deref(raw) as JsonObject, pointer: ref.slice(1) };
    return { obj: raw as JsonObject, pointer: `/paths/${escapePointer(op.path)}/${op.method.toLowerCase()}/responses/${status}` };
  }

  private responseSchemaPointer(op: Operation, status: number): string | undefined {
    const r = this.response(op, status);
    const media = (r?.obj.content as JsonObject | undefined)?.['application/json'] as JsonObject | undefined;
    if (!r || media?.schema === undefined) return undefined;
    return `#${r.pointer}/content/application~1json/schema`;
  }

  private compileParam(op: Operation, p: Parameter): ValidateFunction {
    const key = `param ${op.operationId} ${p.in} ${p.name}`;
    let v = this.cache.get(key);
    if (!v) {
      v = this.paramAjv.compile({ type: 'object', properties: { v: this.inline(p.schema) as object }, required: ['v'] });
      this.cache.set(key, v);
    }
    return v;
  }

  private deref(value: Json): Json {
    let v = value;
    for (let i = 0; i < 10 && v && typeof v === 'object' && !Array.isArray(v) && typeof v.$ref === 'string'; i++) {
      v = this.pointer(v.$ref as string);
    }
    return v;
  }

  private pointer(ref: string): Json {
    if (!ref.startsWith('#/')) throw new Error(`GitHub description: unsupported $ref ${ref}`);
    let cur: Json = this.doc;
    for (const raw of ref.slice(2).split('/')) {
      const key = raw.replace(/~1/g, '/').replace(/~0/g, '~');
      cur = (cur as JsonObject)[key]!;
      if (cur === undefined) throw new Error(`GitHub description: dangling $ref ${ref}`);
    }
    return cur;
  }

  /** Copies a schema with every `$ref` inlined; a reference cycle becomes `{}` (anything) at the repeat. */
  private inline(schema: Json, stack: string[] = []): Json {
    if (Array.isArray(schema)) return schema.map((s) => this.inline(s, stack));
    if (!schema || typeof schema !== 'object') return schema;
    if (typeof schema.$ref === 'string') {
      const ref = schema.$ref;
      if (stack.includes(ref)) return {};
      return this.inline(this.pointer(ref), [...stack, ref]);
    }
    const out: JsonObject = {};
    for (const [k, v] of Object.entries(schema)) {
      // `properties`, `examples` and `enum` hold names or data, not schemas; recursing is harmless for refs.
      out[k] = k === 'enum' || k === 'example' || k === 'examples' || k === 'default' ? v : this.inline(v, stack);
    }
    return out;
  }
}

/**
 * Adds `additionalProperties: false` to every object schema that lists `properties` and says
 * nothing about extra ones. Members of `allOf` are left open (closing each would reject the
 * properties the other members declare).
 */
export function strictSchema(schema: Json, inAllOf = false): Json {
  if (Array.isArray(schema)) return schema.map((s) => strictSchema(s, inAllOf));
  if (!schema || typeof schema !== 'object') return schema;
  const out: JsonObject = {};
  for (const [k, v] of Object.entries(schema)) {
    if (k === 'properties' && v && typeof v === 'object' && !Array.isArray(v)) {
      out[k] = Object.fromEntries(Object.entries(v).map(([name, s]) => [name, strictSchema(s)]));
    } else if (k === 'allOf') out[k] = strictSchema(v, true);
    else if (k === 'items' || k === 'oneOf' || k === 'anyOf' || k === 'not' || k === 'additionalProperties') out[k] = strictSchema(v);
    else out[k] = v;
  }
  if (!inAllOf && out.properties !== undefined && out.additionalProperties === undefined) out.additionalProperties = false;
  return out;
}

function escapePointer(s: string): string {
  return s.replace(/~/g, '~0').replace(/\//g, '~1');
}

function formatErrors(errors: ErrorObject[] | null | undefined, root: string): string {
  if (!errors?.length) return 'invalid';
  const seen = new Set<string>();
  const out: string[] = [];
  for (const e of errors) {
    let what = e.message ?? e.keyword;
    if (e.keyword === 'additionalProperties')
      what = `has unknown property "${(e.params as { additionalProperty: string }).additionalProperty}"`;
    if (e.keyword === 'enum') what = `must be one of ${JSON.stringify((e.params as { allowedValues: unknown[] }).allowedValues)}`;
    const path = root === '' ? e.instancePath.replace(/^\/v(?=\/|$)/, '') : e.instancePath;
    const line = `${root}${path} ${what}`.trim();
    if (!seen.has(line)) {
      seen.add(line);
      out.push(line);
    }
  }
  return out.slice(0, 5).join('; ');
}

let loading: Promise<GitHubDescription> | undefined;

/**
 * Loads GitHub's REST description once per module instance (jest gives each test file its
 * own): ~13 MB of JSON, a fraction of a second.
 */
export function loadGitHubDescription(): Promise<GitHubDescription> {
  loading ??= (async () => {
    const require = createRequire(import.meta.url);
    const file = require.resolve('@octokit/openapi/generated/api.github.com.json');
    return new GitHubDescription(JSON.parse(await readFile(file, 'utf8')) as JsonObject);
  })();
  return loading;
}

/**
 * Ajv refuses `nullable` without `type` (GitHub's description has it beside `anyOf`, e.g. in
 * `issue-field-value`, which every issue response references): such a node becomes `anyOf`
 * with `{type: 'null'}` added, the meaning OpenAPI 3.0 gives it. Vendor extensions are left alone.
 */
function untypedNullable(node: Json, seen = new Set<object>()): void {
  if (!node || typeof node !== 'object' || seen.has(node)) return;
  seen.add(node);
  if (Array.isArray(node)) {
    for (const n of node) untypedNullable(n, seen);
    return;
  }
  const o = node as JsonObject;
  if ('nullable' in o && !('type' in o) && typeof o.nullable === 'boolean') {
    if (o.nullable && Array.isArray(o.anyOf)) o.anyOf = [...o.anyOf, { type: 'null' }];
    else if (o.nullable && Array.isArray(o.oneOf)) o.oneOf = [...o.oneOf, { type: 'null' }];
    delete o.nullable;
  }
  for (const [k, v] of Object.entries(o)) if (!k.startsWith('x-')) untypedNullable(v, seen);
}
