/**
 * Every `${{ }}` is evaluated here, with GitHub's own expression library (@actions/expressions):
 * its lexer, parser and evaluator, plus the runner's extension functions (the status functions
 * and `hashFiles`). Template tokens from @actions/workflow-parser (where `a ${{ b }}` has
 * already become `format('a {0}', b)`) are walked and each expression token evaluated.
 */
import { Evaluator, Lexer, Parser, data } from '@actions/expressions';
import type { FunctionDefinition } from '@actions/expressions/funcs/info';
import { truthy } from '@actions/expressions/result';
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { TemplateToken } from '@actions/workflow-parser/templates/tokens/template-token';
import type { BasicExpressionToken } from '@actions/workflow-parser/templates/tokens/basic-expression-token';
import { parse as parseYaml } from 'yaml';
import { isBasicExpression, isBoolean, isMapping, isNumber, isSequence, isString } from '@actions/workflow-parser';

/** Where an expression is evaluated: decides what the status functions answer. */
export interface StatusSource {
  success(): boolean;
  failure(): boolean;
  cancelled(): boolean;
}

export interface Scope {
  /** Context name → plain JSON value (github, env, vars, secrets, inputs, needs, steps, job, runner, matrix, strategy, jobs). */
  readonly contexts: Record<string, unknown>;
  readonly status?: StatusSource;
  /** Directory `hashFiles()` searches (github.workspace). */
  readonly workspace?: string;
}

export class ExpressionFailure extends Error {
  override name = 'ExpressionFailure';
}

const CONTEXT_NAMES = ['github', 'env', 'vars', 'secrets', 'inputs', 'needs', 'steps', 'job', 'jobs', 'runner', 'matrix', 'strategy'];

/** Plain JSON → the expression library's data model. */
export function toData(value: unknown): data.ExpressionData {
  if (value === undefined) return new data.Null();
  return JSON.parse(JSON.stringify(value), data.reviver) as data.ExpressionData;
}

/** The expression library's data model → plain JSON. */
export function fromData(value: data.ExpressionData): unknown {
  return JSON.parse(JSON.stringify(value, data.replacer)) as unknown;
}

const HASH_FILES_HELPER = fileURLToPath(new URL('./hash-files.mjs', import.meta.url));

function functions(scope: Scope): Map<string, FunctionDefinition> {
  const status = scope.status;
  const bool = (f: () => boolean) => () => new data.BooleanData(f());
  const need = (name: string) => {
    if (!status) throw new ExpressionFailure(`${name}() is not allowed here`);
    return status;
  };
  const defs: FunctionDefinition[] = [
    { name: 'success', minArgs: 0, maxArgs: 0, call: bool(() => need('success').success()) },
    { name: 'failure', minArgs: 0, maxArgs: 0, call: bool(() => need('failure').failure()) },
    { name: 'cancelled', minArgs: 0, maxArgs: 0, call: bool(() => need('cancelled').cancelled()) },
    { name: 'always', minArgs: 0, maxArgs: 0, call: () => new data.BooleanData(true) },
    {
      name: 'hashFiles',
      minArgs: 1,
      maxArgs: 255,
      call: (...args) => {
        if (!scope.workspace) throw new ExpressionFailure('hashFiles() is not allowed here');
        // @actions/glob's hashFiles is the runner's algorithm, but asynchronous; the evaluator is not.
        const patterns = args.map((a) => a.coerceString()).join('\n');
        const out = execFileSync(process.execPath, [HASH_FILES_HELPER, scope.workspace, patterns], {
          encoding: 'utf8',
          env: { PATH: process.env.PATH ?? '' },
        });
        return new data.StringData(/hash=(.*)\s*$/.exec(out)?.[1] ?? '');
      },
    },
  ];
  return new Map(defs.map((d) => [d.name.toLowerCase(), d]));
}

/** Evaluates one expression (the text between `${{` and `}}`) to plain JSON. */
export function evaluate(expression: string, scope: Scope): unknown {
  const fns = functions(scope);
  let tree;
  try {
    const lexed = new Lexer(expression).lex();
    tree = new Parser(lexed.tokens, CONTEXT_NAMES, [...fns.values()]).parse();
  } catch (e) {
    throw new ExpressionFailure(`expression "${expression}" does not parse: ${(e as Error).message}`);
  }
  const contexts = new data.Dictionary();
  for (const name of CONTEXT_NAMES)
    contexts.add(name, toData(scope.contexts[name] ?? (name === 'matrix' || name === 'inputs' ? null : {})));
  try {
    return fromData(new Evaluator(tree, contexts, fns).evaluate());
  } catch (e) {
    if (e instanceof ExpressionFailure) throw e;
    throw new ExpressionFailure(`expression "${expression}" failed: ${(e as Error).message}`);
  }
}

/** The expression library's truthiness (`''`, `0`, `null`, `false` are false). */
export function isTruthy(value: unknown): boolean {
  return truthy(toData(value));
}

/** A condition (`if:`), already wrapped in `success() && (…)` by the parser where needed. */
export function evaluateCondition(condition: string, scope: Scope): boolean {
  return isTruthy(evaluate(condition, scope));
}

/**
 * The text of a string the parser turned into `format('…', …)`, decoded as YAML decodes it.
 * Two gaps in GitHub's TypeScript libraries make evaluating that format() wrong where the
 * runner is right: for a multi-line (block) scalar the parser builds the format string from the
 * YAML source (indentation and chomping left in), and the lexer unescapes only the first `''`
 * of a string literal. So such strings are interpolated segment by segment instead, each
 * `${{ }}` still evaluated by @actions/expressions.
 */
function formatSource(token: BasicExpressionToken): string | undefined {
  if (!token.originalExpressions || token.source === undefined) return undefined;
  const range = token.range;
  const multiLine = range !== undefined && range.start.line !== range.end.line;
  if (!multiLine) return token.source;
  const doc = token.blockScalarHeader ? `x: ${token.blockScalarHeader}\n${token.source}` : `x: ${token.source}`;
  const value = (parseYaml(doc) as { x?: unknown }).x;
  return typeof value === 'string' ? value : undefined;
}

/** `a ${{ b }} c` → the text with each expression's value (format()'s string conversion). */
export function interpolate(text: string, scope: Scope): string {
  let out = '';
  let i = 0;
  while (i < text.length) {
    const start = text.indexOf('${{', i);
    if (start < 0) {
      out += text.slice(i);
      break;
    }
    out += text.slice(i, start);
    let end = -1;
    let inString = false;
    for (let j = start + 3; j < text.length; j++) {
      if (text[j] === "'") inString = !inString;
      else if (!inString && text[j] === '}' && text[j - 1] === '}') {
        end = j;
        break;
      }
    }
    if (end < 0) throw new ExpressionFailure(`The expression is not closed: ${text.slice(start)}`);
    out += toData(evaluate(text.slice(start + 3, end - 1).trim(), scope)).coerceString();
    i = end + 1;
  }
  return out;
}

/** Evaluates a template token (a whole YAML value) to plain JSON. */
export function evaluateToken(token: TemplateToken | undefined, scope: Scope): unknown {
  if (!token) return undefined;
  if (isBasicExpression(token)) {
    const text = formatSource(token);
    return text !== undefined ? interpolate(text, scope) : evaluate(token.expression, scope);
  }
  if (isString(token)) return token.value;
  if (isNumber(token)) return token.value;
  if (isBoolean(token)) return token.value;
  if (isSequence(token)) {
    const out: unknown[] = [];
    for (const item of token) out.push(evaluateToken(item, scope));
    return out;
  }
  if (isMapping(token)) {
    const out: Record<string, unknown> = {};
    for (const pair of token) out[String(evaluateToken(pair.key, scope))] = evaluateToken(pair.value, scope);
    return out;
  }
  if (token.isExpression) throw new ExpressionFailure(`${token.typeName()} expressions are not supported by the workflow runner`);
  return null;
}

/** Converts an evaluated value to the string a step sees (env values, inputs, outputs). */
export function asString(value: unknown): string {
  if (value === null || value === undefined) return '';
  if (typeof value === 'string') return value;
  if (typeof value === 'number') return String(+value.toFixed(15));
  if (typeof value === 'boolean') return value ? 'true' : 'false';
  return JSON.stringify(value, null, 2);
}

/** Evaluates a token and converts it to a string. */
export function evaluateString(token: TemplateToken | undefined, scope: Scope): string {
  return asString(evaluateToken(token, scope));
}

/** Evaluates a mapping of strings (env:, with:, outputs:), keeping key order. */
export function evaluateMapping(token: TemplateToken | undefined, scope: Scope): Record<string, string> {
  const v = evaluateToken(token, scope);
  if (v === undefined || v === null) return {};
  if (typeof v !== 'object' || Array.isArray(v)) throw new ExpressionFailure(`expected a mapping, got ${JSON.stringify(v)}`);
  return Object.fromEntries(Object.entries(v as Record<string, unknown>).map(([k, x]) => [k, asString(x)]));
}
