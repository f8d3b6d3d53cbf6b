/**
 * A failed node's deploy exits with the kind its error carried (issue 13: "every agent failure
 * becomes conflict, even install python3-venv"): input for a node without python3-venv, internal
 * for an agent bug; the older flags only where no kind travelled.
 */
import { describe, expect, it } from '@jest/globals';
import { failureKind } from './deploy.js';

describe('failureKind', () => {
  it.each([
    [{ errorKind: 'input' as const }, 'input'],
    [{ errorKind: 'internal' as const }, 'internal'],
    [{ errorKind: 'integrity' as const, integrity: true }, 'integrity'],
    [{ errorKind: 'unavailable' as const, unreachable: true }, 'unavailable'],
    [{ unreachable: true }, 'unavailable'],
    [{ integrity: true }, 'integrity'],
    [{}, 'conflict'],
  ])('%j → %s', (r, kind) => {
    expect(failureKind(r)).toBe(kind);
  });
});
