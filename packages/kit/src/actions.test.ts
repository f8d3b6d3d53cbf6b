/**
 * Every action's one table of input and output names (src/constants.ts) is what its action.yml
 * declares; every declared input is read and every declared output is set through that table (or
 * through kit's readers of the inputs every store, index or token-using action shares, and kit's
 * setter of the evidence outputs); and no input is read by a name spelled inline.
 */
import { describe, expect, it } from '@jest/globals';
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';

const ACTIONS = join(dirname(fileURLToPath(import.meta.url)), '../../../actions');
const steps = readdirSync(ACTIONS)
  .filter((d) => readdirSync(join(ACTIONS, d)).includes('action.yml'))
  .sort();

/** kit's readers of shared inputs, and the names each reads. */
const KIT_READERS: Record<string, readonly string[]> = {
  attestInputs: ['attest', 'attest-key', 'attest-keyless'],
  githubTokenInput: ['github-token', 'token'],
  indexCredentialsInput: ['index-username', 'index-password'],
  storeInputs: ['store', 'registry-username', 'registry-password'],
};
/** kit's setters of shared outputs, and the names each sets. */
const KIT_SETTERS: Record<string, readonly string[]> = {
  evidenceOutputs: ['environment', 'has-evidence', 'evidence', 'system-id', 'evidence-path', 'environments-path'],
};
const INLINE_NAME =
  /\b(?:input|optionalInput|booleanInput|choiceInput|integerInput|durationInput|listInput|getInput|getBooleanInput|getMultilineInput|getState|saveState)\(\s*['"`]/;

const sorted = (xs: Iterable<string>) => [...xs].sort();

function sources(step: string): string {
  const dir = join(ACTIONS, step, 'src');
  return readdirSync(dir)
    .filter((f) => f.endsWith('.ts') && !f.endsWith('.test.ts'))
    .map((f) => readFileSync(join(dir, f), 'utf8'))
    .join('\n');
}

describe.each(steps)('actions/%s', (step) => {
  const yml = parse(readFileSync(join(ACTIONS, step, 'action.yml'), 'utf8')) as {
    inputs?: Record<string, unknown>;
    outputs?: Record<string, unknown>;
  };
  const declaredInputs = sorted(Object.keys(yml.inputs ?? {}));
  const declaredOutputs = sorted(Object.keys(yml.outputs ?? {}));
  const load = async () =>
    (await import(join(ACTIONS, step, 'src', 'constants.ts'))) as { INPUT: Record<string, string>; OUTPUT: Record<string, string> };

  it('names in its constants table exactly the inputs and outputs action.yml declares', async () => {
    const { INPUT, OUTPUT } = await load();
    expect(sorted(Object.values(INPUT))).toEqual(declaredInputs);
    expect(sorted(Object.values(OUTPUT))).toEqual(declaredOutputs);
  });

  it('reads every declared input and sets every declared output through the table, and reads no other input', async () => {
    const { INPUT, OUTPUT } = await load();
    const src = sources(step);
    const read = new Set<string>();
    for (const [key, name] of Object.entries(INPUT)) if (new RegExp(`\\bINPUT\\.${key}\\b`).test(src)) read.add(name);
    for (const [reader, names] of Object.entries(KIT_READERS)) if (src.includes(`${reader}(`)) names.forEach((n) => read.add(n));
    expect({
      unread: declaredInputs.filter((n) => !read.has(n)),
      undeclared: sorted([...read].filter((n) => !declaredInputs.includes(n))),
    }).toEqual({ unread: [], undeclared: [] });
    const setByKit = new Set(Object.entries(KIT_SETTERS).flatMap(([setter, names]) => (src.includes(`${setter}(`) ? names : [])));
    const unset = Object.entries(OUTPUT)
      .filter(([key, name]) => !new RegExp(`\\bOUTPUT\\.${key}\\b`).test(src) && !setByKit.has(name))
      .map(([, name]) => name);
    expect(unset).toEqual([]);
    expect(src.match(INLINE_NAME)?.[0]).toBeUndefined();
  });
});
