import { execFileSync } from 'node:child_process';
import { cpSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from '@jest/globals';
import { buildNative, CAM_DISTRIBUTIONS } from './cam.js';

// The example's C extension, compiled with this machine's cc against the Python 3.11 headers.
const exampleDir = fileURLToPath(new URL('../../../examples/cam/', import.meta.url));
const dist = CAM_DISTRIBUTIONS.find((d) => d.native)!;
const work = mkdtempSync(join(tmpdir(), 'karoo-native-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

describe('the example C extension', () => {
  it('compiles to the same bytes twice, from any source directory, and imports under CPython 3.11', async () => {
    const a = join(work, 'a');
    const b = join(work, 'somewhere', 'else');
    cpSync(join(exampleDir, dist.source), a, { recursive: true });
    cpSync(join(exampleDir, dist.source), b, { recursive: true });
    const first = await buildNative(a, dist.native!, true);
    const second = await buildNative(b, dist.native!, true);
    expect(first.compiled && second.compiled).toBe(true);
    expect(second.data.equals(first.data)).toBe(true);
    // Kept under prebuilt/ by its key; a second build without rebuild uses it.
    expect(readdirSync(join(a, 'prebuilt'))).toEqual([first.path.split('/').pop()]);
    expect((await buildNative(a, dist.native!)).compiled).toBe(false);
    const probe = join(work, 'probe.py');
    writeFileSync(
      probe,
      'import importlib.util, sys, json\nspec = importlib.util.spec_from_file_location("cam_signal._native", sys.argv[1])\nm = importlib.util.module_from_spec(spec)\nspec.loader.exec_module(m)\nprint(json.dumps([m.rms([3.0, 4.0, 3.0, 4.0]), m.adler32(b"Wikipedia")]))\n',
    );
    const [rms, adler] = JSON.parse(execFileSync('python3.11', [probe, first.path], { encoding: 'utf8' })) as [number, number];
    expect(rms).toBeCloseTo(Math.sqrt(12.5), 9);
    expect(adler).toBe(0x11e60398);
  }, 120_000);

  it('a changed source is compiled again, not taken from the kept build', async () => {
    const c = join(work, 'c');
    cpSync(join(exampleDir, dist.source), c, { recursive: true });
    const kept = await buildNative(c, dist.native!);
    expect(kept.compiled).toBe(false);
    writeFileSync(
      join(c, dist.native!.source),
      `/* changed */\n${execFileSync('cat', [join(c, dist.native!.source)], { encoding: 'utf8' })}`,
    );
    const again = await buildNative(c, dist.native!);
    expect(again.compiled).toBe(true);
    expect(again.path).not.toBe(kept.path);
    expect(readdirSync(join(c, 'prebuilt'))).toEqual([again.path.split('/').pop()]);
  }, 120_000);
});
