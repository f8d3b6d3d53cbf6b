import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import { main } from '../main.js';

const H1 = 'a'.repeat(64);
const H2 = 'b'.repeat(64);
let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'karoo-lock-cli-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function run(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const out = jest.spyOn(process.stdout, 'write').mockImplementation((s: string | Uint8Array) => ((stdout += String(s)), true));
  const err = jest.spyOn(process.stderr, 'write').mockImplementation((s: string | Uint8Array) => ((stderr += String(s)), true));
  try {
    const code = await main(args);
    return { code, stdout, stderr };
  } finally {
    out.mockRestore();
    err.mockRestore();
  }
}

describe('karoo lock', () => {
  it('prints the canonical packages and the digest a pylock.toml with the same files also gives', async () => {
    const req = join(dir, 'requirements.txt');
    await writeFile(req, `# pinned\nSix==1.16.0 \\\n    --hash=sha256:${H2} \\\n    --hash=sha256:${H1}\n`);
    const pylock = join(dir, 'pylock.toml');
    await writeFile(
      pylock,
      `lock-version = "1.0"\ncreated-by = "test"\n[[packages]]\nname = "six"\nversion = "1.16.0"\nsdist = { url = "https://f/six-1.16.0.tar.gz", size = 1, hashes = { sha256 = "${H1}" } }\nwheels = [{ url = "https://f/six-1.16.0-py2.py3-none-any.whl", size = 2, hashes = { sha256 = "${H2}" } }]\n`,
    );
    const a = await run(['lock', req, '--json']);
    const b = await run(['lock', pylock, '--json']);
    expect([a.code, b.code]).toEqual([0, 0]);
    const ja = JSON.parse(a.stdout);
    const jb = JSON.parse(b.stdout);
    expect(ja).toMatchObject({
      format: 'requirements',
      complete: false,
      packages: [{ name: 'six', version: '1.16.0', sha256: [H1, H2] }],
      unpinned: [],
    });
    expect(jb).toMatchObject({ format: 'pylock', complete: true });
    expect(ja.lockDigest).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect(ja.lockDigest).toBe(jb.lockDigest);
  });

  it('lists unpinned requirements as warnings and exits 0', async () => {
    const f = join(dir, 'requirements.in');
    await writeFile(f, 'numpy\nscipy>=1.10\nsix==1.16.0\n');
    const r = await run(['lock', f]);
    expect(r.code).toBe(0);
    expect(r.stderr).toContain(`karoo: warning: ${f}:1: numpy: not pinned (no version specifier)`);
    expect(r.stderr).toContain(`${f}:2: scipy: not pinned (>=1.10)`);
    expect(r.stdout).toContain('1 packages (requirements), 2 unpinned, 1 without a sha256 or file size — not a complete lock');
  });

  it('rejects a malformed file with FILE:LINE: reason and a non-zero exit', async () => {
    const f = join(dir, 'SUT_requirements.txt');
    await writeFile(f, '--extra-index-url https://example.org/simple\nska-oso-oet=5.0.0\n');
    const r = await run(['lock', f]);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toBe(
      `karoo: error: ${f}:2: invalid requirement 'ska-oso-oet=5.0.0': '=' is not a valid operator; did you mean '=='?\n`,
    );
    expect(r.stdout).toBe('');
  });
});
