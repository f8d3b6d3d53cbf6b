// Module hooks for scripts/run-workflow.mjs, so the runner's TypeScript runs on plain Node
// without a build: `.ts` sources transpiled on load (TypeScript's transpileModule), `./x.js`
// resolved to `./x.ts`, `@karoo/<pkg>` mapped to packages/<pkg>/src/index.ts as jest maps it,
// and the JSON schema @actions/workflow-parser imports without an import attribute (which
// Node 20 refuses) loaded as JSON.
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';

const ROOT = new URL('../../../', import.meta.url);

export async function resolve(specifier, context, next) {
  const pkg = /^@karoo\/([a-z-]+)$/.exec(specifier);
  if (pkg) return { url: new URL(`packages/${pkg[1]}/src/index.ts`, ROOT).href, shortCircuit: true };
  if ((specifier.startsWith('./') || specifier.startsWith('../')) && specifier.endsWith('.js') && context.parentURL?.endsWith('.ts')) {
    const ts = new URL(specifier.replace(/\.js$/, '.ts'), context.parentURL);
    if (existsSync(fileURLToPath(ts))) return { url: ts.href, shortCircuit: true };
  }
  return next(specifier, context);
}

export async function load(url, context, next) {
  if (url.endsWith('.ts')) {
    const source = readFileSync(fileURLToPath(url), 'utf8');
    const out = ts.transpileModule(source, {
      fileName: fileURLToPath(url),
      compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022, verbatimModuleSyntax: true, sourceMap: false },
    });
    return { format: 'module', source: out.outputText, shortCircuit: true };
  }
  if (url.endsWith('.json') && url.includes('/@actions/workflow-parser/')) {
    return next(url, { ...context, importAttributes: { type: 'json' } });
  }
  return next(url, context);
}
