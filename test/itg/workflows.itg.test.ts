/**
 * Every workflow in .github/workflows/ and workflows-templates/: GitHub's own parser (with the
 * reusable-workflow calls checked against the called files), actionlint, karoo's actions used
 * with the inputs they declare, third-party actions pinned by SHA, no expressions in run:
 * scripts, least-privilege permissions; karoo's own steps by `$/` (and the generated GitHub
 * Enterprise Server variants current), third-party actions at their Node 24 versions, no
 * concurrency group that could drop a release.
 */
import { describe, expect, it } from '@jest/globals';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { ROOT } from '../support/cli.js';
import {
  actionFiles,
  actionlint,
  checkKarooUses,
  parseActionWithGitHub,
  checkPermissions,
  checkPinned,
  checkRunScripts,
  localPath,
  parseWithGitHub,
  workflowFiles,
} from '../support/workflows.js';

const files = workflowFiles();

describe('workflows', () => {
  it('are all there', () => {
    expect(files).toEqual(
      expect.arrayContaining([
        '.github/workflows/candidate.yml',
        '.github/workflows/candidate-ghes.yml',
        '.github/workflows/ci.yml',
        '.github/workflows/release.yml',
        '.github/workflows/release-ghes.yml',
        'workflows-templates/karoo-candidate.yml',
        'workflows-templates/karoo-release.yml',
        'workflows-templates/karoo-report-comment.yml',
      ]),
    );
  });

  describe.each(files)('%s', (file) => {
    it("parses with GitHub's workflow parser, reusable-workflow calls included", async () => {
      expect(await parseWithGitHub(file)).toEqual([]);
    });
    it('passes actionlint', async () => {
      expect(await actionlint(file)).toEqual([]);
    });
    it("uses karoo's actions and workflows with inputs they declare, required ones included", () => {
      expect(checkKarooUses(file)).toEqual([]);
    });
    it('pins third-party actions by full commit SHA, keeps expressions out of run:, grants least privilege', () => {
      expect([...checkPinned(file), ...checkRunScripts(file), ...checkPermissions(file)]).toEqual([]);
    });
  });

  it('templates come with their .properties.json', () => {
    for (const f of files.filter((x) => x.startsWith('workflows-templates/'))) {
      const props = JSON.parse(readFileSync(join(ROOT, f.replace(/\.ya?ml$/, '.properties.json')), 'utf8')) as Record<string, unknown>;
      expect(props).toEqual(
        expect.objectContaining({
          name: expect.any(String),
          description: expect.any(String),
          iconName: 'karoo',
          categories: expect.any(Array),
        }),
      );
      readFileSync(join(ROOT, 'workflows-templates', `${String(props.iconName)}.svg`));
    }
  });

  it('releases run under the environment, with no concurrency group that would drop a pending dispatch, and the gate from the default branch', () => {
    type Job = { environment?: { name: string }; concurrency?: unknown; steps: Array<{ uses?: string; with?: Record<string, string> }> };
    for (const f of ['.github/workflows/release.yml', 'workflows-templates/karoo-release.yml']) {
      const doc = parseYaml(readFileSync(join(ROOT, f), 'utf8')) as { concurrency?: unknown; jobs: Record<string, Partial<Job>> };
      // GitHub keeps one pending run per group and cancels the older one: a third dispatch would drop the second.
      expect(doc.concurrency).toBeUndefined();
      for (const j of Object.values(doc.jobs)) expect(j.concurrency).toBeUndefined();
    }
    const doc = parseYaml(readFileSync(join(ROOT, '.github/workflows/release.yml'), 'utf8')) as { jobs: Record<string, Job> };
    const job = doc.jobs.promote!;
    expect(job.environment?.name).toContain('inputs.environment');
    const gateCheckout = job.steps.find((s) => s.with?.ref === '${{ github.event.repository.default_branch }}');
    expect(gateCheckout?.with?.path).toBe('.karoo/default-branch');
    const promote = job.steps.find((s) => s.uses === '$/actions/promote');
    expect(promote?.with?.['gate-config']).toBe('.karoo/default-branch/${{ inputs.config }}');
    const dispatch = parseYaml(readFileSync(join(ROOT, 'workflows-templates/karoo-release.yml'), 'utf8')) as {
      on: { workflow_dispatch: { inputs: Record<string, { type: string }> } };
    };
    expect(Object.fromEntries(Object.entries(dispatch.on.workflow_dispatch.inputs).map(([k, v]) => [k, v.type]))).toMatchObject({
      candidate: 'string',
      environment: 'environment',
      reason: 'string',
    });
  });
});

describe("karoo's steps in the reusable workflows", () => {
  const reusable = ['.github/workflows/candidate.yml', '.github/workflows/release.yml'];
  const usesOf = (f: string) => [...readFileSync(join(ROOT, f), 'utf8').matchAll(/^\s*(?:-\s*)?uses:\s*([^\s#]+)/gm)].map((m) => m[1]!);

  it.each(reusable)("%s reaches them by $/ (this repository at the running commit), never the caller's ./actions", (f) => {
    const karoo = usesOf(f).filter((u) => localPath(u) !== undefined);
    expect(karoo.length).toBeGreaterThan(0);
    for (const u of karoo) expect(u).toMatch(/^\$\/actions\/[a-z]+$/);
  });

  it('the GitHub Enterprise Server variants are generated from them, current, and use only the checkout of karoo', () => {
    execFileSync(process.execPath, [join(ROOT, 'scripts/ghes-workflows.mjs'), '--check'], { cwd: ROOT, stdio: 'pipe' });
    for (const f of reusable.map((r) => r.replace(/\.yml$/, '-ghes.yml'))) {
      const karoo = usesOf(f).filter((u) => localPath(u) !== undefined);
      expect(karoo.length).toBeGreaterThan(0);
      for (const u of karoo) expect(u).toMatch(/^\.\/\.karoo\/karoo\/actions\/[a-z]+$/);
      const doc = parseYaml(readFileSync(join(ROOT, f), 'utf8')) as {
        on: { workflow_call: { inputs: Record<string, { required?: boolean }> } };
      };
      expect(doc.on.workflow_call.inputs['karoo-ref']?.required).toBe(true);
    }
  });

  it('third-party actions, in every workflow and action.yml, are at the versions that run on Node 24, pinned by SHA with that version in a comment (shared/notes/actions-pins.md)', () => {
    const node24: Record<string, string> = {
      'actions/checkout@3d3c42e5aac5ba805825da76410c181273ba90b1': 'v7.0.1',
      'actions/upload-artifact@bbbca2ddaa5d8feaa63e36b76fdaad77386f024f': 'v7.0.0',
      'actions/download-artifact@3e5f45b2cfb9172054b4087a40e8e0b5a5461e7c': 'v8.0.1',
      'actions/setup-node@820762786026740c76f36085b0efc47a31fe5020': 'v7.0.0',
    };
    const thirdParty = [...files, ...actionFiles()].flatMap((file) =>
      [...readFileSync(join(ROOT, file), 'utf8').matchAll(/^\s*(?:-\s*)?uses:\s*([^\s#]+)[ \t]*(?:#[ \t]*(\S+))?/gm)]
        .filter((m) => localPath(m[1]!) === undefined)
        .map((m) => ({ file, uses: m[1]!, comment: m[2] ?? '(no version comment)' })),
    );
    expect(thirdParty.length).toBeGreaterThan(20);
    for (const { file, uses, comment } of thirdParty) {
      expect(`${file}: ${uses} # ${comment}`).toBe(
        `${file}: ${uses in node24 ? uses : 'a Node 24 pin'} # ${node24[uses] ?? 'its version'}`,
      );
    }
  });

  it("templates reach karoo as OWNER/karoo/…@v1, and no consumer-facing file names the caller's ./actions", () => {
    for (const f of files.filter((x) => x.startsWith('workflows-templates/'))) {
      const karoo = usesOf(f).filter((u) => localPath(u) !== undefined);
      expect(karoo.length).toBeGreaterThan(0);
      for (const u of karoo) expect(`${f}: ${u}`).toMatch(/: OWNER\/karoo\/(?:actions\/[a-z]+|\.github\/workflows\/[a-z]+\.yml)@v1$/);
    }
    // karoo's own CI (ci.yml) may call ./.github/workflows of this repository; nothing a consumer runs may.
    for (const f of [...files.filter((x) => x !== '.github/workflows/ci.yml'), ...actionFiles()]) {
      for (const u of usesOf(f)) expect(`${f}: ${u}`).not.toMatch(/: \.\/(?!\.karoo\/karoo\/)/);
    }
  });

  it("actionlint's finding on $/ is the only one dropped, and only for $/", async () => {
    const { isSelfRepositoryFinding } = await import('../support/workflows.js');
    expect(
      isSelfRepositoryFinding({
        kind: 'action',
        message: 'specifying action "$/actions/resolve" in invalid format because ref is missing. available formats are ...',
      }),
    ).toBe(true);
    expect(
      isSelfRepositoryFinding({
        kind: 'action',
        message: 'specifying action "actions/checkout" in invalid format because ref is missing. available formats are ...',
      }),
    ).toBe(false);
    expect(
      isSelfRepositoryFinding({ kind: 'expression', message: 'specifying action "$/x" in invalid format because ref is missing' }),
    ).toBe(false);
  });
});

describe("candidate.yml's outputs, evaluated with GitHub's expression library", () => {
  type Jobs = Record<string, { outputs: Record<string, string> }>;
  const outputs = (
    parseYaml(readFileSync(join(ROOT, '.github/workflows/candidate.yml'), 'utf8')) as {
      on: { workflow_call: { outputs: Record<string, { value: string }> } };
    }
  ).on.workflow_call.outputs;
  async function value(name: string, jobs: Jobs): Promise<unknown> {
    const { Evaluator, Lexer, Parser, data } = await import('@actions/expressions');
    const text = /^\$\{\{(.*)\}\}$/s.exec(outputs[name]!.value.trim())![1]!;
    const tree = new Parser(new Lexer(text).lex().tokens, ['jobs'], []).parse();
    const context = JSON.parse(JSON.stringify({ jobs }), data.reviver) as InstanceType<typeof data.Dictionary>;
    return JSON.parse(JSON.stringify(new Evaluator(tree, context, new Map()).evaluate(), data.replacer));
  }
  // A job that did not run, or died before setting an output, has '' for it.
  const run = (build: Record<string, string>, accept: Record<string, string> = {}, report: Record<string, string> = {}): Jobs => ({
    build: {
      outputs: {
        candidate: 'sha256:c',
        'lock-digest': 'sha256:l',
        'has-evidence': 'false',
        acceptance: 'true',
        evidence: '',
        'system-id': '',
        ...build,
      },
    },
    accept: { outputs: { result: '', evidence: '', 'system-id': '', reason: '', ...accept } },
    report: { outputs: { 'comment-url': '', ...report } },
  });

  it('declares every output a caller needs', () => {
    expect(Object.keys(outputs).sort()).toEqual(['candidate', 'comment-url', 'evidence', 'lock-digest', 'reason', 'result', 'system-id']);
  });

  it.each([
    ['tests passed', run({}, { result: 'passed', evidence: 'sha256:e', 'system-id': 'sha256:s' }), 'passed', ''],
    [
      'tests failed',
      run({}, { result: 'failed', reason: 'the acceptance tests failed (2 failed)' }),
      'failed',
      'the acceptance tests failed (2 failed)',
    ],
    ['earlier passing evidence', run({ 'has-evidence': 'true', evidence: 'sha256:old', 'system-id': 'sha256:s' }), 'passed', ''],
    [
      'provisioning failed (the accept job died before the tests)',
      run({}, { reason: 'provisioning the machines failed: apt-get install exited 100' }),
      'failed',
      'provisioning the machines failed: apt-get install exited 100',
    ],
    ['the accept job was cancelled or timed out (no outputs at all)', run({}), 'failed', ''],
    ['acceptance off', run({ acceptance: 'false' }), 'skipped', ''],
    [
      'resolve or build failed',
      run({ candidate: '', 'lock-digest': '', 'has-evidence': '' }),
      'failed',
      'resolve or build failed; see the build job',
    ],
  ])('%s', async (_what, jobs, result, reason) => {
    expect(await value('result', jobs)).toBe(result);
    expect(await value('reason', jobs)).toBe(reason);
  });

  it('evidence, system id and comment come from the job that has them', async () => {
    const fresh = run(
      {},
      { result: 'passed', evidence: 'sha256:e', 'system-id': 'sha256:s' },
      { 'comment-url': 'https://github.com/acme/cam/pull/1#issuecomment-2' },
    );
    expect([
      await value('evidence', fresh),
      await value('system-id', fresh),
      await value('comment-url', fresh),
      await value('lock-digest', fresh),
    ]).toEqual(['sha256:e', 'sha256:s', 'https://github.com/acme/cam/pull/1#issuecomment-2', 'sha256:l']);
    const earlier = run({ 'has-evidence': 'true', evidence: 'sha256:old', 'system-id': 'sha256:s0' });
    expect([await value('evidence', earlier), await value('system-id', earlier)]).toEqual(['sha256:old', 'sha256:s0']);
  });
});

describe.each(actionFiles())('action %s', (file) => {
  it("parses with GitHub's action parser", async () => {
    expect(await parseActionWithGitHub(file)).toEqual([]);
  });
});

describe('the checks themselves catch mistakes', () => {
  it('a misspelled input, a missing required input, an unpinned action, an expression in run:', async () => {
    const { writeFileSync, rmSync, mkdirSync } = await import('node:fs');
    const dir = join(ROOT, 'workflows-templates');
    const bad = 'zz-bad-workflow-check.yml';
    mkdirSync(dir, { recursive: true });
    writeFileSync(
      join(dir, bad),
      `name: bad
on: push
jobs:
  x:
    runs-on: ubuntu-24.04
    steps:
      - uses: actions/checkout@v4
      - id: p
        uses: ./actions/promote
        with:
          enviroment: production
      - uses: ./actions/promote
        with:
          candidate: \${{ steps.p.outputs.digest }}
      - run: echo "\${{ github.event.head_commit.message }}"
  y:
    uses: ./.github/workflows/release.yml
    with:
      candidate: sha256:abc
      environmnet: production
`,
    );
    try {
      const f = `workflows-templates/${bad}`;
      expect(checkKarooUses(f)).toEqual([
        expect.stringContaining('passes "enviroment" to ./actions/promote, which has no such input'),
        expect.stringContaining('./actions/promote requires input "candidate"'),
        expect.stringContaining('steps.p.outputs.digest is not an output of ./actions/promote'),
        expect.stringContaining('passes "environmnet" to ./.github/workflows/release.yml'),
        expect.stringContaining('./.github/workflows/release.yml requires input "environment"'),
      ]);
      expect(checkPinned(f)).toEqual([`${f}: actions/checkout@v4 is not pinned by a full commit SHA`]);
      expect(checkRunScripts(f)).toHaveLength(1);
      expect(checkPermissions(f)).toEqual([
        `${f}: no top-level permissions: (use {} and grant per job)`,
        `${f} jobs.x: no permissions:`,
        `${f} jobs.y: no permissions:`,
        // A caller that grants less than the called jobs ask for: GitHub refuses it outright.
        expect.stringMatching(
          /^\S+ jobs\.y: \.github\/workflows\/release\.yml's job 'promote' asks for contents: write, .*which this job does not grant/,
        ),
      ]);
      const parsed = await parseWithGitHub(f);
      expect(parsed.join('\n')).toMatch(/environmnet/);
      expect(parsed.join('\n')).toMatch(/environment/);
    } finally {
      rmSync(join(dir, bad), { force: true });
    }
    expect(localPath('OWNER/karoo/actions/report@v1')).toBe('actions/report');
    expect(localPath('$/actions/report')).toBe('actions/report');
    expect(localPath('./.karoo/karoo/actions/report')).toBe('actions/report');
    expect(localPath('actions/checkout@abc')).toBeUndefined();
  });
});
