import { describe, expect, it } from '@jest/globals';
import { pipError } from './pip.js';

// Output shapes as pip 23 prints them (see the itg tests for the real thing).
describe('pip failures become one line', () => {
  it("keeps pip's explanation of a conflict", () => {
    const out = `ERROR: Cannot install cam-portal==2.0 and cam-store==1.0 because these package versions have conflicting dependencies.

The conflict is caused by:
    The user requested cam-store==1.0
    cam-portal 2.0 depends on cam-store>=2

To fix this you could try to:
1. loosen the range of package versions you've specified
2. remove package versions to allow pip attempt to solve the dependency conflict

ERROR: ResolutionImpossible: for help visit https://pip.pypa.io/en/latest/topics/dependency-resolution/#dealing-with-dependency-conflicts
`;
    const e = pipError(out, 1);
    expect(e.kind).toBe('input');
    expect(e.message).toBe(
      'conflicting requirements, pip explains: The user requested cam-store==1.0; cam-portal 2.0 depends on cam-store>=2',
    );
  });

  it('names the package and both hashes of a mismatch', () => {
    const out = `ERROR: THESE PACKAGES DO NOT MATCH THE HASHES FROM THE REQUIREMENTS FILE. If you have updated the package versions, please update the hashes. Otherwise, examine the package contents carefully; someone may have tampered with them.
    cam-core==1.0 from http://u:secret@127.0.0.1:1/files/cam_core-1.0-py3-none-any.whl#sha256=${'a'.repeat(64)}:
        Expected sha256 ${'a'.repeat(64)}
             Got        ${'b'.repeat(64)}
`;
    const e = pipError(out, 1);
    expect(e.kind).toBe('integrity');
    expect(e.message).toContain('cam-core==1.0');
    expect(e.message).toContain(`index says sha256 ${'a'.repeat(64)}, file has ${'b'.repeat(64)}`);
    expect(e.message).not.toContain('secret');
  });

  it('names a requirement nothing satisfies', () => {
    const e = pipError(
      'ERROR: Could not find a version that satisfies the requirement zzz>=9 (from versions: 1.0, 2.0)\nERROR: No matching distribution found for zzz>=9\n',
      1,
    );
    expect(e.message).toBe(
      'no version of zzz>=9 fits the target (available: 1.0, 2.0); check the constraints, the target platforms and the index',
    );
  });
});
