#!/bin/busybox sh
# karoo's initrd: load the few modules a virtio machine needs, mount the root disk, apply the
# machine's seed (a tar archive on the virtio disk whose serial is karoo-seed), start systemd.
/bin/busybox mkdir -p /usr/bin /sbin /usr/sbin
/bin/busybox --install -s
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
while read -r m; do insmod "$m" || echo "karoo-initrd: insmod $m failed" >&2; done < /modules.list
root=; fstype=ext4; dev=
for arg in $(cat /proc/cmdline); do
  case $arg in
    root=*) root=${arg#root=} ;;
    rootfstype=*) fstype=${arg#rootfstype=} ;;
  esac
done
# Disks are found by their virtio serial (root=serial:NAME): PCI order is not stable.
by_serial() {
  for d in /sys/block/vd*; do
    [ "$(cat "$d/serial" 2>/dev/null)" = "$1" ] && { echo "/dev/${d##*/}"; return 0; }
  done
  return 1
}
for i in $(seq 1 200); do
  case $root in serial:*) dev=$(by_serial "${root#serial:}") ;; *) dev=$root ;; esac
  [ -n "$dev" ] && [ -b "$dev" ] && break
  sleep 0.05
done
root=${dev:-$root}
if ! mount -t "$fstype" -o rw "$root" /newroot; then
  echo "karoo-initrd: cannot mount the root file system $root; powering off" >&2
  sleep 1; poweroff -f
fi
seed=$(by_serial karoo-seed) && tar -x -f "$seed" -C /newroot && echo "karoo-initrd: seed applied from $seed"
umount /proc /sys
mount --move /dev /newroot/dev 2>/dev/null || umount /dev
exec switch_root /newroot /sbin/init
