import { describe, expect, it } from '@jest/globals';
import { exitCodeOf, isFileError } from '@karoo/common';
import { parseConfig } from './config.js';

const base = `system: cam
leaves: [katcore]
indexes:
  - url: ./index/simple
nodes:
  - { name: control-1, role: control }
  - { name: control-2, role: control }
  - { name: worker, role: worker, cpus: 2, memory: 1024 }
`;

function error(text: string): { message: string; code: number } {
  try {
    parseConfig(text, '/x/karoo.yml');
  } catch (e) {
    if (isFileError(e)) return { message: e.message, code: exitCodeOf(e) };
    throw e;
  }
  throw new Error('no error');
}

describe('karoo.yml provision: libvirt', () => {
  it('reads a pool of hosts with credentials as paths and anti-affinity', () => {
    const c = parseConfig(
      `${base}provision:
  provider: libvirt
  hosts:
    - uri: qemu:///system
      network: site-br
      cpus: 4
      memory: 4096
    - uri: qemu+ssh://karoo@hv2.example/system
      ssh-key: keys/hv2
      pool: images
      network: site-br
  placement:
    anti-affinity: [control]
`,
      '/x/karoo.yml',
    );
    expect(c.provision.provider).toBe('libvirt');
    expect(c.provision.hosts).toEqual([
      { name: 'local', uri: 'qemu:///system', cpus: 4, memory: 4096, pool: 'default', network: 'site-br' },
      { name: 'hv2-example', uri: 'qemu+ssh://karoo@hv2.example/system', pool: 'images', network: 'site-br', sshKey: '/x/keys/hv2' },
    ]);
    expect(c.provision.antiAffinity).toEqual(['control']);
  });

  it('rejects bad pools with one line naming the key, exit 2', () => {
    const cases: Array<[string, RegExp]> = [
      ['provision:\n  provider: libvirt\n', /provision: provider: libvirt needs hosts/],
      [
        'provision:\n  provider: qemu\n  hosts: [{ uri: "qemu:///system" }]\n',
        /provision.hosts: hosts are for provider: libvirt, not qemu/,
      ],
      // A password or any query (keyfile=, pkipath=) in the URI: credentials are only file paths in their own keys.
      [
        'provision:\n  provider: libvirt\n  hosts: [{ uri: "qemu+ssh://u:secret@h/system" }]\n',
        /provision.hosts\[0\].uri: value does not match/,
      ],
      [
        'provision:\n  provider: libvirt\n  hosts: [{ uri: "qemu+ssh://h/system?keyfile=/k" }]\n',
        /provision.hosts\[0\].uri: value does not match/,
      ],
      [
        'provision:\n  provider: libvirt\n  hosts: [{ uri: "qemu:///system", password: x }]\n',
        /provision.hosts\[0\].password: unknown key/,
      ],
      [
        'provision:\n  provider: libvirt\n  hosts: [{ uri: "qemu:///system", ssh-key: k }]\n',
        /provision.hosts\[0\].ssh-key: ssh-key is for qemu\+ssh:\/\/ hosts/,
      ],
      [
        'provision:\n  provider: libvirt\n  hosts: [{ uri: "qemu:///system" }, { uri: "qemu+ssh://b/system", network: n }]\n',
        /provision.hosts\[0\]: with several hosts every host needs network/,
      ],
      [
        'provision:\n  provider: libvirt\n  hosts: [{ uri: "qemu:///system" }]\n  placement: { anti-affinity: [db] }\n',
        /provision.placement.anti-affinity\[0\]: "db" is not the role of any node/,
      ],
      ['provision:\n  provider: libvirt\n  hosts: [{ uri: "qemu:///system", memory: 64 }]\n', /provision.hosts\[0\].memory: /],
    ];
    for (const [tail, re] of cases) {
      const e = error(base + tail);
      expect(e.message).toMatch(re);
      expect(e.message.split('\n')).toHaveLength(1);
      expect(e.code).toBe(2);
    }
  });
});
