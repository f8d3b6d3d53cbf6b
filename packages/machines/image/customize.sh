#!/bin/sh
# karoo's machine image, customised by mmdebstrap (--customize-hook) with the root as $1 and
# KAROO_BOOT set to a directory that receives the kernel and the initrd for direct boot.
# Every machine gets its identity (hostname, machine-id, SSH host key, addresses, authorized
# key) from a per-machine seed applied before systemd starts, so the image holds none.
set -eu
root=$1
boot=$KAROO_BOOT
in_root() { chroot "$root" "$@"; }

# --- boot files for QEMU: the distribution kernel without its slow initramfs hook, and a
# --- ~2 MB busybox initrd that loads only the virtio, ext4 and isofs modules.
in_root sh -c 'mkdir -p /tmp/karoo-dl && cd /tmp/karoo-dl &&
  kpkg=$(apt-cache depends --important linux-image-amd64 | sed -n "s/.*Depends: //p" | head -n1) &&
  apt-get download -q "$kpkg" busybox-static >/dev/null &&
  mkdir -p /tmp/karoo-k /tmp/karoo-bb && dpkg -x linux-image-*.deb /tmp/karoo-k && dpkg -x busybox-static_*.deb /tmp/karoo-bb'
kver=$(ls "$root/tmp/karoo-k/lib/modules")
in_root depmod -b /tmp/karoo-k "$kver"
mods=$(for m in virtio_pci virtio_blk virtio_net virtio_rng ext4 isofs; do
    in_root modprobe -d /tmp/karoo-k -S "$kver" --show-depends "$m"
  done | sed -n 's/^insmod \([^ ]*\).*/\1/p' | awk '!seen[$0]++')
ird=$root/tmp/karoo-initrd
mkdir -p "$ird/bin" "$ird/dev" "$ird/proc" "$ird/sys" "$ird/newroot" "$ird/lib/modules"
cp "$root/tmp/karoo-bb/bin/busybox" "$ird/bin/busybox"
: > "$ird/modules.list"
for m in $mods; do
  cp "$root$m" "$ird/lib/modules/"
  echo "/lib/modules/$(basename "$m")" >> "$ird/modules.list"
done
cp "$KAROO_RECIPE/initrd-init.sh" "$ird/init"
chmod 0755 "$ird/init" "$ird/bin/busybox"
(cd "$ird" && find . -mindepth 1 | LC_ALL=C sort | "$root/tmp/karoo-bb/bin/busybox" cpio -o -H newc 2>/dev/null) > "$boot/initrd.img"
cp "$root/tmp/karoo-k/boot/vmlinuz-$kver" "$boot/vmlinuz"
echo "$kver" > "$boot/kernel-version"
rm -rf "$root/tmp/karoo-dl" "$root/tmp/karoo-k" "$root/tmp/karoo-bb" "$ird"

# --- systemd tuned for machines that live minutes: networkd only, volatile journal, nothing
# --- periodic, no gettys, no waiting for disks that fstab does not list.
in_root systemctl enable -q systemd-networkd.service
for unit in e2scrub_reap.service e2scrub_all.timer apt-daily.timer apt-daily-upgrade.timer \
  dpkg-db-backup.timer fstrim.timer man-db.timer getty@.service serial-getty@.service \
  console-getty.service getty-static.service systemd-networkd-wait-online.service \
  systemd-timesyncd.service systemd-pstore.service systemd-firstboot.service \
  ldconfig.service systemd-hwdb-update.service; do
  in_root systemctl mask -q "$unit"
done
mkdir -p "$root/etc/systemd/journald.conf.d" "$root/etc/ssh/sshd_config.d"
printf '[Journal]\nStorage=volatile\nRuntimeMaxUse=32M\n' > "$root/etc/systemd/journald.conf.d/karoo.conf"
printf 'HostKey /etc/ssh/ssh_host_ed25519_key\nPasswordAuthentication no\nKbdInteractiveAuthentication no\nPermitRootLogin prohibit-password\nUseDNS no\n' \
  > "$root/etc/ssh/sshd_config.d/karoo.conf"
rm -f "$root"/etc/ssh/ssh_host_*
: > "$root/etc/fstab"
: > "$root/etc/machine-id"
rm -f "$root/var/lib/dbus/machine-id"
echo localhost > "$root/etc/hostname"
: > "$root/etc/resolv.conf"
install -d -m 0700 "$root/root/.ssh"
rm -rf "$root"/var/lib/apt/lists/* "$root"/var/cache/apt/*.bin "$root"/var/log/*.log
