import { describe, expect, it } from '@jest/globals';
import { parseDistFilename, wheelFitsTarget } from './filenames.js';
import { satisfies } from '@karoo/lock';

const target = { python: '3.11', platforms: ['manylinux_2_28_x86_64'], implementation: 'cp' };

describe('distribution file names', () => {
  it('parses wheels with and without build tags, and sdists', () => {
    expect(parseDistFilename('Cam_Core-1.2.0.dev3-py3-none-any.whl')).toMatchObject({
      kind: 'wheel',
      name: 'cam-core',
      version: '1.2.0.dev3',
    });
    expect(parseDistFilename('numpy-1.26.4-1-cp311-cp311-manylinux_2_17_x86_64.manylinux2014_x86_64.whl')?.tags).toHaveLength(2);
    expect(parseDistFilename('katcp-0.9.3.tar.gz')).toMatchObject({ kind: 'sdist', name: 'katcp', version: '0.9.3' });
    expect(parseDistFilename('README.txt')).toBeUndefined();
  });

  it('decides whether a wheel fits the target, not the machine', () => {
    const fits = (f: string) => wheelFitsTarget(parseDistFilename(f)!, target);
    expect(fits('a-1-py3-none-any.whl')).toBe(true);
    expect(fits('a-1-cp311-cp311-manylinux_2_17_x86_64.whl')).toBe(true);
    expect(fits('a-1-cp311-abi3-manylinux2014_x86_64.whl')).toBe(true);
    expect(fits('a-1-cp38-abi3-manylinux_2_28_x86_64.whl')).toBe(true);
    expect(fits('a-1-cp312-cp312-manylinux_2_17_x86_64.whl')).toBe(false);
    expect(fits('a-1-cp311-cp311-manylinux_2_34_x86_64.whl')).toBe(false);
    expect(fits('a-1-cp311-cp311-win_amd64.whl')).toBe(false);
    expect(fits('a-1-cp311-cp311-manylinux_2_17_aarch64.whl')).toBe(false);
    expect(fits('a-1-py2-none-any.whl')).toBe(false);
  });

  it('evaluates Requires-Python for the target', () => {
    expect(satisfies('3.11', '>=3.8')).toBe(true);
    expect(satisfies('3.11', '>=3.8, <3.11')).toBe(false);
    expect(satisfies('3.11', '!=3.11.*')).toBe(false);
    expect(satisfies('3.11', '~=3.10')).toBe(true);
    expect(satisfies('3.11', '==3.*')).toBe(true);
    expect(satisfies('3.11', 'garbage')).toBeUndefined();
  });
});
