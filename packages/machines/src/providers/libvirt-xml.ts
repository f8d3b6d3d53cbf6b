import { KarooError } from '@karoo/common';

/** The XML namespace of karoo's stamp in a domain's or network's `<metadata>`. */
export const KAROO_XMLNS = 'https://karoo.dev/xmlns/libvirt/1';

/** What karoo stamps on everything it defines in libvirt: which environment, until when, made by which runner. */
export interface Stamp {
  environmentId: string;
  expiresAt: string;
  /** The runner's host name and boot id: orphans of this runner may be reaped before they expire. */
  runner: string;
  node?: string;
}

export function xmlEscape(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&apos;');
}

export function stampXml(s: Stamp): string {
  const node = s.node ? ` node="${xmlEscape(s.node)}"` : '';
  return `<karoo:environment xmlns:karoo="${KAROO_XMLNS}" id="${xmlEscape(s.environmentId)}" expires="${xmlEscape(s.expiresAt)}" runner="${xmlEscape(s.runner)}"${node}/>`;
}

const ATTR = (name: string) => new RegExp(`\\s${name}="([^"]*)"`);

/** Reads karoo's stamp from `virsh metadata … URI` output (the element alone); undefined when it is not karoo's. */
export function parseStamp(xml: string): Stamp | undefined {
  const m = /<(?:[A-Za-z0-9_]+:)?environment\b([^>]*)\/?>/.exec(xml);
  if (!m) return undefined;
  const attrs = m[1]!;
  const get = (n: string) => {
    const v = ATTR(n).exec(attrs)?.[1];
    return v === undefined
      ? undefined
      : v
          .replace(/&quot;/g, '"')
          .replace(/&apos;/g, "'")
          .replace(/&lt;/g, '<')
          .replace(/&gt;/g, '>')
          .replace(/&amp;/g, '&');
  };
  const environmentId = get('id');
  const expiresAt = get('expires');
  if (!environmentId || !/^karoo-[0-9a-f]{8}$/.test(environmentId) || !expiresAt || Number.isNaN(Date.parse(expiresAt))) return undefined;
  const node = get('node');
  return { environmentId, expiresAt, runner: get('runner') ?? '', ...(node ? { node } : {}) };
}

export interface DomainSpec {
  name: string;
  /** `kvm` when the host has it, `qemu` (TCG) otherwise. */
  type: 'kvm' | 'qemu';
  cpus: number;
  /** MiB. */
  memory: number;
  stamp: Stamp;
  pool: string;
  disk: string;
  seed: { volume: string; kind: 'tar' | 'iso' };
  console: string;
  network: string;
  mac: string;
  /** Direct kernel boot (karoo's image): paths on the host (volumes of its pool). */
  kernel?: { kernel: string; initrd: string; khz?: number };
}

/**
 * The domain of one node: the same machine as the qemu provider's command line (q35, virtio
 * disk with serial karoo-root, the seed as a second disk or a cloud-init CD, virtio NIC, serial
 * console into a file, no reboot), with karoo's stamp in `<metadata>` and `<description>`.
 */
export function domainXml(d: DomainSpec): string {
  for (const [k, v] of Object.entries({ name: d.name, pool: d.pool, disk: d.disk, seed: d.seed.volume, network: d.network })) {
    if (!/^[A-Za-z0-9._-]+$/.test(v))
      throw new KarooError('input', `libvirt ${k} name "${v}" may hold only letters, digits, dot, dash and underscore`);
  }
  if (!/^([0-9a-f]{2}:){5}[0-9a-f]{2}$/.test(d.mac)) throw new KarooError('input', `MAC address "${d.mac}" is not valid`);
  const os = ['    <type arch="x86_64" machine="q35">hvm</type>'];
  if (d.kernel) {
    const cmdline = ['root=serial:karoo-root', 'rw', 'console=ttyS0', 'quiet', 'panic=-1'];
    if (d.type === 'qemu') cmdline.push(...(d.kernel.khz ? [`tsc_early_khz=${d.kernel.khz}`] : []), 'tsc=reliable', 'no_timer_check');
    os.push(
      `    <kernel>${xmlEscape(d.kernel.kernel)}</kernel>`,
      `    <initrd>${xmlEscape(d.kernel.initrd)}</initrd>`,
      `    <cmdline>${xmlEscape(cmdline.join(' '))}</cmdline>`,
    );
  } else {
    os.push('    <boot dev="hd"/>');
  }
  const seedDisk =
    d.seed.kind === 'tar'
      ? [
          '    <disk type="volume" device="disk">',
          '      <driver name="qemu" type="raw"/>',
          `      <source pool="${d.pool}" volume="${d.seed.volume}"/>`,
          '      <target dev="vdb" bus="virtio"/>',
          '      <serial>karoo-seed</serial>',
          '      <readonly/>',
          `      ${onRootBus(3)}`,
          '    </disk>',
        ]
      : [
          '    <disk type="volume" device="cdrom">',
          '      <driver name="qemu" type="raw"/>',
          `      <source pool="${d.pool}" volume="${d.seed.volume}"/>`,
          '      <target dev="sda" bus="sata"/>',
          '      <readonly/>',
          '    </disk>',
        ];
  return [
    `<domain type="${d.type}">`,
    `  <name>${d.name}</name>`,
    `  <description>karoo environment ${xmlEscape(d.stamp.environmentId)}, node ${xmlEscape(d.stamp.node ?? '')}; expires ${xmlEscape(d.stamp.expiresAt)}; removed by karoo destroy or karoo reap</description>`,
    '  <metadata>',
    `    ${stampXml(d.stamp)}`,
    '  </metadata>',
    `  <memory unit="MiB">${d.memory}</memory>`,
    `  <vcpu>${d.cpus}</vcpu>`,
    '  <os>',
    ...os,
    '  </os>',
    d.type === 'kvm' ? '  <cpu mode="host-passthrough"/>' : '  <cpu mode="maximum"/>',
    // Under emulation QEMU's translation cache defaults to 1 GiB per machine.
    d.type === 'qemu' ? '  <features><acpi/><tcg><tb-cache unit="MiB">256</tb-cache></tcg></features>' : '  <features><acpi/></features>',
    '  <on_poweroff>destroy</on_poweroff>',
    '  <on_reboot>destroy</on_reboot>',
    '  <on_crash>destroy</on_crash>',
    '  <devices>',
    '    <disk type="volume" device="disk">',
    '      <driver name="qemu" type="qcow2" cache="unsafe" discard="unmap"/>',
    `      <source pool="${d.pool}" volume="${d.disk}"/>`,
    '      <target dev="vda" bus="virtio"/>',
    '      <serial>karoo-root</serial>',
    `      ${onRootBus(2)}`,
    '    </disk>',
    ...seedDisk,
    '    <interface type="network">',
    `      <source network="${d.network}"/>`,
    `      <mac address="${d.mac}"/>`,
    '      <model type="virtio"/>',
    `      ${onRootBus(4)}`,
    '    </interface>',
    '    <serial type="file">',
    `      <source path="${xmlEscape(d.console)}" append="on"/>`,
    '      <target port="0"/>',
    '    </serial>',
    `    <rng model="virtio"><backend model="random">/dev/urandom</backend>${onRootBus(5)}</rng>`,
    '    <controller type="usb" model="none"/>',
    '    <memballoon model="none"/>',
    '  </devices>',
    '</domain>',
    '',
  ].join('\n');
}

/**
 * A PCI address on q35's root bus (an integrated endpoint), where the qemu provider's command line
 * puts its devices too. Without one, libvirt puts each device behind a PCIe root port of its own
 * (five of them for a node), which the guest's kernel enumerates and probes for hot-plug at boot.
 */
function onRootBus(slot: number): string {
  return `<address type="pci" domain="0x0000" bus="0x00" slot="0x${slot.toString(16).padStart(2, '0')}" function="0x0"/>`;
}

/**
 * An isolated network of one environment on one host: a bridge without an address, no DHCP, no
 * forwarding (nodes have static addresses from their seed); the runner reaches it through a veth
 * from the environment's namespace.
 */
export function privateNetworkXml(name: string, bridge: string, stamp: Stamp): string {
  if (!/^[A-Za-z0-9._-]+$/.test(name) || !/^[a-z0-9]{1,15}$/.test(bridge))
    throw new KarooError('input', `libvirt network "${name}" / bridge "${bridge}" is not a valid name`);
  return [
    '<network>',
    `  <name>${name}</name>`,
    '  <metadata>',
    `    ${stampXml(stamp)}`,
    '  </metadata>',
    `  <bridge name="${bridge}" stp="off" delay="0"/>`,
    '</network>',
    '',
  ].join('\n');
}
