/**
 * Every workflow in .github/workflows/ and workflows-templates/: GitHub's own parser (with the
 * reusable-workflow calls checked against the called files), actionlint, karoo's actions used
 * with the inputs they declare, third-party actions pinned by SHA, no expressions in run:
 * scripts, least-privilege permissions, and releases queued per environment.
 */
import { describe, expect, it } from '@jest/globals';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { ROOT } from '../support/cli.js';
import { actionFiles, actionlint, checkKarooUses, parseActionWithGitHub, checkPermissions, checkPinned, checkRunScripts, localPath, parseWithGitHub, workflowFiles } from '../support/workflows.js';

const files = workflowFiles();

describe('workflows', () => {
  it('are all there', () => {
    expect(files).toEqual(
      expect.arrayContaining([
        '.github/workflows/candidate.yml',
        '.github/workflows/ci.yml',
        '.github/workflows/release.yml',
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
      expect(props).toEqual(expect.objectContaining({ name: expect.any(String), description: expect.any(String), iconName: 'karoo', categories: expect.any(Array) }));
      readFileSync(join(ROOT, 'workflows-templates', `${String(props.iconName)}.svg`));
    }
  });

  it('releases run under the environment and queue per environment instead of cancelling', () => {
    const doc = parseYaml(readFileSync(join(ROOT, '.github/workflows/release.yml'), 'utf8')) as { jobs: Record<string, { environment?: { name: string }; concurrency?: { group: string; 'cancel-in-progress': boolean } }> };
    const job = doc.jobs.promote!;
    expect(job.environment?.name).toContain('inputs.environment');
    expect(job.concurrency).toEqual({ group: 'karoo-release-${{ inputs.environment }}', 'cancel-in-progress': false });
    const dispatch = parseYaml(readFileSync(join(ROOT, 'workflows-templates/karoo-release.yml'), 'utf8')) as { on: { workflow_dispatch: { inputs: Record<string, { type: string }> } } };
    expect(Object.fromEntries(Object.entries(dispatch.on.workflow_dispatch.inputs).map(([k, v]) => [k, v.type]))).toMatchObject({ candidate: 'string', environment: 'environment', reason: 'string' });
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
      expect(checkPermissions(f)).toHaveLength(3);
      const parsed = await parseWithGitHub(f);
      expect(parsed.join('\n')).toMatch(/environmnet/);
      expect(parsed.join('\n')).toMatch(/environment/);
    } finally {
      rmSync(join(dir, bad), { force: true });
    }
    expect(localPath('OWNER/karoo/actions/report@v1')).toBe('actions/report');
    expect(localPath('actions/checkout@abc')).toBeUndefined();
  });
});
