import { describe, expect, it } from '@jest/globals';
import { connectUri, kvmUsable } from './libvirt-client.js';
import { isLocalUri, libvirtNames, libvirtOptions } from './libvirt.js';
import { domainXml, parseStamp, privateNetworkXml, stampXml, type DomainSpec } from './libvirt-xml.js';

const spec: DomainSpec = {
  name: 'karoo-0123abcd-web',
  type: 'qemu',
  cpus: 2,
  memory: 512,
  stamp: { environmentId: 'karoo-0123abcd', expiresAt: '2026-11-30T07:00:00.000Z', runner: 'runner-1/boot', node: 'web' },
  pool: 'default',
  disk: 'karoo-0123abcd-web.qcow2',
  seed: { volume: 'karoo-0123abcd-web.seed', kind: 'tar' },
  console: '/var/lib/libvirt/images/karoo-0123abcd-web.console',
  network: 'karoo-0123abcd',
  mac: '52:54:01:23:ab:00',
  kernel: { kernel: '/p/k', initrd: '/p/i', khz: 2096000 },
};

describe('libvirt XML', () => {
  it("stamps the domain in karoo's metadata namespace, and reads the stamp back", () => {
    const xml = domainXml(spec);
    expect(xml).toContain(
      '<karoo:environment xmlns:karoo="https://karoo.dev/xmlns/libvirt/1" id="karoo-0123abcd" expires="2026-11-30T07:00:00.000Z" runner="runner-1/boot" node="web"/>',
    );
    expect(xml).toContain(
      '<cmdline>root=serial:karoo-root rw console=ttyS0 quiet panic=-1 tsc_early_khz=2096000 tsc=reliable no_timer_check</cmdline>',
    );
    expect(xml).toContain('<serial>karoo-seed</serial>');
    expect(xml).toContain('<tb-cache unit="MiB">256</tb-cache>');
    // Every PCI device on q35's root bus, each in a slot of its own (as the qemu provider's), so
    // libvirt adds no PCIe root ports for the guest to probe at boot.
    const slots = [...xml.matchAll(/<address type="pci" domain="0x0000" bus="0x00" slot="(0x[0-9a-f]{2})" function="0x0"\/>/g)].map(
      (m) => m[1],
    );
    expect(slots).toEqual(['0x02', '0x03', '0x04', '0x05']);
    // What `virsh metadata` prints (libvirt re-serialises with its own prefix).
    expect(
      parseStamp(
        '<karoo:environment xmlns:karoo="https://karoo.dev/xmlns/libvirt/1" id="karoo-0123abcd" expires="2026-11-30T07:00:00.000Z" runner="r" node="web"/>',
      ),
    ).toEqual({
      environmentId: 'karoo-0123abcd',
      expiresAt: '2026-11-30T07:00:00.000Z',
      runner: 'r',
      node: 'web',
    });
    expect(parseStamp(stampXml({ ...spec.stamp, runner: 'a"b<c>&' }))?.runner).toBe('a"b<c>&');
  });

  it('reads no stamp from anything that is not a well-formed karoo stamp', () => {
    expect(parseStamp('')).toBeUndefined();
    expect(parseStamp('<environment id="karoo-0123abcd"/>')).toBeUndefined();
    expect(parseStamp('<environment id="other-0123abcd" expires="2026-01-01T00:00:00Z"/>')).toBeUndefined();
    expect(parseStamp('<environment id="karoo-0123abcd" expires="soon"/>')).toBeUndefined();
  });

  it('refuses names that would break out of the XML, and a malformed MAC address', () => {
    expect(() => domainXml({ ...spec, pool: 'a"/><disk' })).toThrow('libvirt pool name "a"/><disk" may hold only letters');
    expect(() => domainXml({ ...spec, mac: '52:54:00' })).toThrow('MAC address "52:54:00" is not valid');
    expect(() => privateNetworkXml('karoo-0123abcd', 'bridge-name-too-long', spec.stamp)).toThrow(/is not a valid name/);
    // Text escaped, not interpreted.
    expect(domainXml({ ...spec, console: '/x/</source><evil/>' })).toContain('source path="/x/&lt;/source&gt;&lt;evil/&gt;"');
  });

  it('names everything karoo-<env>-…, interfaces within 15 bytes', () => {
    expect(libvirtNames.domain('karoo-0123abcd', 'web')).toBe('karoo-0123abcd-web');
    expect(libvirtNames.bridge('karoo-0123abcd')).toBe('kv0123abcd');
    expect(libvirtNames.link('karoo-0123abcd').length).toBeLessThanOrEqual(15);
    expect(libvirtNames.base('f'.repeat(64), 'qcow2')).toBe(`karoo-base-${'f'.repeat(24)}.qcow2`);
  });

  it("puts credential files into libvirt's own URI parameters, never prompting", () => {
    expect(connectUri({ uri: 'qemu+ssh://karoo@hv2/system', sshKey: '/k/id ed25519' })).toBe(
      'qemu+ssh://karoo@hv2/system?keyfile=%2Fk%2Fid%20ed25519&no_tty=1',
    );
    expect(connectUri({ uri: 'qemu+tls://hv3/system', pkiDir: '/pki' })).toBe('qemu+tls://hv3/system?pkipath=%2Fpki');
    expect(connectUri({ uri: 'qemu:///system' })).toBe('qemu:///system');
    expect(isLocalUri('qemu:///system')).toBe(true);
    expect(isLocalUri('qemu+ssh://h/system')).toBe(false);
  });

  it("passes karoo.yml's pool to provision only for libvirt", () => {
    expect(libvirtOptions({})).toEqual({});
    const hosts = [{ name: 'a', uri: 'qemu:///system', pool: 'default' }];
    expect(libvirtOptions({ hosts, antiAffinity: ['control'] })).toEqual({ libvirt: { hosts, antiAffinity: ['control'] } });
  });
});

describe('kvmUsable', () => {
  const caps = (hostFeatures: string[], domainTypes: string[]) => `<capabilities>
  <host>
    <uuid>00000000-0000-0000-0000-000000000000</uuid>
    <cpu>
      <arch>x86_64</arch>
      <model>Broadwell</model>
      <vendor>Intel</vendor>
${hostFeatures.map((f) => `      <feature name='${f}'/>`).join('\n')}
    </cpu>
  </host>
  <guest>
    <os_type>hvm</os_type>
    <arch name='x86_64'>
      <emulator>/usr/bin/qemu-system-x86_64</emulator>
${domainTypes.map((t) => `      <domain type='${t}'/>`).join('\n')}
    </arch>
    <features><cpuselection/><feature name='vmx'/></features>
  </guest>
</capabilities>`;

  it('gives KVM to a host whose CPU lists vmx or svm and that offers kvm domains', () => {
    expect(kvmUsable(caps(['vme', 'vmx', 'ss'], ['qemu', 'kvm']))).toBe(true);
    expect(kvmUsable(caps(['svm'], ['qemu', 'kvm']))).toBe(true);
  });

  it('runs TCG on a nested sandbox (kvm domains offered, no vmx/svm on the host CPU), or without kvm domains', () => {
    // As `virsh capabilities` reads on a microVM runner: /dev/kvm is there, and its domains die at the first emulated instruction.
    expect(kvmUsable(caps(['vme', 'ss', 'hypervisor', 'avx512f'], ['qemu', 'kvm']))).toBe(false);
    expect(kvmUsable(caps(['vmx'], ['qemu']))).toBe(false);
    expect(kvmUsable('')).toBe(false);
  });
});
