import { describe, expect, it } from '@jest/globals';
import { configText, controlCharacterIn, isKarooError, quoteValue, sshConfigValue } from './index.js';

describe('values written into configuration files', () => {
  it('finds every character that ends, hides or splits a line', () => {
    for (const c of ['\n', '\r', '\u0000', '\t', '\u001b', '\u007f', '\u0085', '\u2028', '\u2029'])
      expect(controlCharacterIn(`a${c}b`)).toMatch(/^U\+[0-9A-F]{4}$/);
    expect(controlCharacterIn('\n')).toBe('U+000A');
    for (const ok of ['plain', 'ünïcødé 名前', '$(x) `y` ; \'"', '']) expect(controlCharacterIn(ok)).toBeUndefined();
  });

  it('are refused with one line naming them when they hold one', () => {
    let e: unknown;
    try {
      configText('inventory node "n1" ssh.host', 'x\n  ProxyCommand touch /tmp/pwned');
    } catch (x) {
      e = x;
    }
    expect(isKarooError(e) && e.kind).toBe('input');
    expect((e as Error).message).toBe(
      'inventory node "n1" ssh.host "x\\n  ProxyCommand touch /tmp/pwned" contains a control character (U+000A); it would be written into a configuration file, so it must be one line of printable text',
    );
    expect(quoteValue('a'.repeat(100))).toBe(`"${'a'.repeat(59)}…"`);
  });

  it('for OpenSSH: plain values as they are, spaces and # quoted, quotes and backslashes refused', () => {
    expect(sshConfigValue('k', '/var/lib/karoo/id_ed25519')).toBe('/var/lib/karoo/id_ed25519');
    expect(sshConfigValue('k', '/a b/#1')).toBe('"/a b/#1"');
    expect(sshConfigValue('k', "it's=x")).toBe('"it\'s=x"');
    expect(() => sshConfigValue('k', '/k" ProxyCommand "x')).toThrow(/contains " or \\/);
    expect(() => sshConfigValue('k', 'a\\b')).toThrow(/contains " or \\/);
    expect(() => sshConfigValue('k', '')).toThrow(/k is empty/);
    expect(() => sshConfigValue('k', 'a\rb')).toThrow(/U\+000D/);
  });
});
