export const id = 494;
export const ids = [494];
export const modules = {

/***/ 46494:
/***/ ((__unused_webpack___webpack_module__, __webpack_exports__, __webpack_require__) => {

// ESM COMPAT FLAG
__webpack_require__.r(__webpack_exports__);

// EXPORTS
__webpack_require__.d(__webpack_exports__, {
  IMAGE_PACKAGES: () => (/* reexport */ IMAGE_PACKAGES),
  INVENTORY_SCHEMA_ID: () => (/* reexport */ INVENTORY_SCHEMA_ID),
  KAROO_XMLNS: () => (/* reexport */ KAROO_XMLNS),
  LIBVIRT_NODE_DEFAULTS: () => (/* reexport */ LIBVIRT_NODE_DEFAULTS),
  LibvirtProvider: () => (/* reexport */ LibvirtProvider),
  MAX_NODE_NAME: () => (/* reexport */ MAX_NODE_NAME),
  NspawnProvider: () => (/* reexport */ NspawnProvider),
  OWNER_FILE: () => (/* reexport */ OWNER_FILE),
  PROVIDERS: () => (/* reexport */ PROVIDERS),
  QemuProvider: () => (/* reexport */ QemuProvider),
  RUNNER_JOB_PROCESS: () => (/* reexport */ RUNNER_JOB_PROCESS),
  SSH_DEFAULTS: () => (/* reexport */ SSH_DEFAULTS),
  Virsh: () => (/* reexport */ Virsh),
  bootId: () => (/* reexport */ bootId),
  buildImage: () => (/* reexport */ buildImage),
  cacheRoot: () => (/* reexport */ cacheRoot),
  checkNodeName: () => (/* reexport */ checkNodeName),
  checkNotExpired: () => (/* reexport */ checkNotExpired),
  checkSshEndpoint: () => (/* reexport */ checkSshEndpoint),
  connectUri: () => (/* reexport */ connectUri),
  describePlacement: () => (/* reexport */ describePlacement),
  destroyEnvironment: () => (/* reexport */ destroyEnvironment),
  destroyState: () => (/* reexport */ destroyState),
  detectAccelerator: () => (/* reexport */ detectAccelerator),
  domainXml: () => (/* reexport */ domainXml),
  envDir: () => (/* reexport */ envDir),
  execOnNode: () => (/* reexport */ execOnNode),
  fetchCloudImage: () => (/* reexport */ fetchCloudImage),
  findImage: () => (/* reexport */ findImage),
  findJobProcess: () => (/* reexport */ findJobProcess),
  handOver: () => (/* reexport */ handOver),
  hasTool: () => (/* reexport */ hasTool),
  hostKeyAlias: () => (/* reexport */ hostKeyAlias),
  imageId: () => (/* reexport */ imageId),
  imageRecipe: () => (/* reexport */ imageRecipe),
  imagesRoot: () => (/* reexport */ imagesRoot),
  isAlive: () => (/* reexport */ isAlive),
  isEnvironmentId: () => (/* reexport */ isEnvironmentId),
  isLocalUri: () => (/* reexport */ isLocalUri),
  knownEnvironments: () => (/* reexport */ knownEnvironments),
  libvirtNames: () => (/* reexport */ libvirtNames),
  libvirtOptions: () => (/* reexport */ libvirtOptions),
  listProcesses: () => (/* reexport */ listProcesses),
  listStateDirs: () => (/* reexport */ listStateDirs),
  loadState: () => (/* reexport */ loadState),
  newEnvironmentId: () => (/* reexport */ newEnvironmentId),
  nodeEndpoint: () => (/* reexport */ nodeEndpoint),
  nspawnArgs: () => (/* reexport */ nspawnArgs),
  ownedTempDir: () => (/* reexport */ ownedTempDir),
  ownerGone: () => (/* reexport */ ownerGone),
  ownerOf: () => (/* reexport */ ownerOf),
  ownerRef: () => (/* reexport */ ownerRef),
  parseInventory: () => (/* reexport */ parseInventory),
  parseStamp: () => (/* reexport */ parseStamp),
  place: () => (/* reexport */ place),
  procRef: () => (/* reexport */ procRef),
  processesUsing: () => (/* reexport */ processesUsing),
  providerFor: () => (/* reexport */ providerFor),
  provision: () => (/* reexport */ provision),
  qemuArgs: () => (/* reexport */ qemuArgs),
  readInventory: () => (/* reexport */ readInventory),
  reap: () => (/* reexport */ reap),
  reapLibvirt: () => (/* reexport */ reapLibvirt),
  reapReason: () => (/* reexport */ reapReason),
  reapTempDirs: () => (/* reexport */ reapTempDirs),
  resourcesOf: () => (/* reexport */ resourcesOf),
  run: () => (/* reexport */ run),
  saveLogs: () => (/* reexport */ saveLogs),
  seedFiles: () => (/* reexport */ seedFiles),
  seedTar: () => (/* reexport */ seedTar),
  sshCommandLine: () => (/* reexport */ sshCommandLine),
  sshConfigEntry: () => (/* reexport */ sshConfigEntry),
  sshDestination: () => (/* reexport */ sshDestination),
  sshExec: () => (/* reexport */ sshExec),
  sshOptions: () => (/* reexport */ sshOptions),
  sshPort: () => (/* reexport */ sshPort),
  sshSettings: () => (/* reexport */ sshSettings),
  sshUser: () => (/* reexport */ sshUser),
  stampXml: () => (/* reexport */ stampXml),
  stateRoot: () => (/* reexport */ stateRoot),
  subnetOf: () => (/* reexport */ subnetOf),
  sweep: () => (/* reexport */ sweep),
  waitForSsh: () => (/* reexport */ waitForSsh),
  writeInventory: () => (/* reexport */ writeInventory),
  writeNoCloudSeed: () => (/* reexport */ writeNoCloudSeed)
});

// EXTERNAL MODULE: external "node:child_process"
var external_node_child_process_ = __webpack_require__(31421);
// EXTERNAL MODULE: external "node:fs"
var external_node_fs_ = __webpack_require__(73024);
// EXTERNAL MODULE: external "node:fs/promises"
var promises_ = __webpack_require__(51455);
// EXTERNAL MODULE: external "node:path"
var external_node_path_ = __webpack_require__(76760);
// EXTERNAL MODULE: ./packages/common/lib/index.js + 10 modules
var lib = __webpack_require__(46787);
// EXTERNAL MODULE: ./node_modules/p-limit/index.js + 1 modules
var p_limit = __webpack_require__(70370);
;// CONCATENATED MODULE: ./packages/machines/lib/src/generated/assets.js
// Generated by packages/machines/scripts/gen-assets.mjs from image/ and helpers/. Do not edit.
const ASSETS = {
    "image/customize.sh": "#!/bin/sh\n# karoo's machine image, customised by mmdebstrap (--customize-hook) with the root as $1 and\n# KAROO_BOOT set to a directory that receives the kernel and the initrd for direct boot.\n# Every machine gets its identity (hostname, machine-id, SSH host key, addresses, authorized\n# key) from a per-machine seed applied before systemd starts, so the image holds none.\nset -eu\nroot=$1\nboot=$KAROO_BOOT\nin_root() { chroot \"$root\" \"$@\"; }\n\n# --- boot files for QEMU: the distribution kernel without its slow initramfs hook, and a\n# --- ~2 MB busybox initrd that loads only the virtio, ext4 and isofs modules.\nin_root sh -c 'mkdir -p /tmp/karoo-dl && cd /tmp/karoo-dl &&\n  kpkg=$(apt-cache depends --important linux-image-amd64 | sed -n \"s/.*Depends: //p\" | head -n1) &&\n  apt-get download -q \"$kpkg\" busybox-static >/dev/null &&\n  mkdir -p /tmp/karoo-k /tmp/karoo-bb && dpkg -x linux-image-*.deb /tmp/karoo-k && dpkg -x busybox-static_*.deb /tmp/karoo-bb'\nkver=$(ls \"$root/tmp/karoo-k/lib/modules\")\nin_root depmod -b /tmp/karoo-k \"$kver\"\nmods=$(for m in virtio_pci virtio_blk virtio_net virtio_rng ext4 isofs; do\n    in_root modprobe -d /tmp/karoo-k -S \"$kver\" --show-depends \"$m\"\n  done | sed -n 's/^insmod \\([^ ]*\\).*/\\1/p' | awk '!seen[$0]++')\nird=$root/tmp/karoo-initrd\nmkdir -p \"$ird/bin\" \"$ird/dev\" \"$ird/proc\" \"$ird/sys\" \"$ird/newroot\" \"$ird/lib/modules\"\ncp \"$root/tmp/karoo-bb/bin/busybox\" \"$ird/bin/busybox\"\n: > \"$ird/modules.list\"\nfor m in $mods; do\n  cp \"$root$m\" \"$ird/lib/modules/\"\n  echo \"/lib/modules/$(basename \"$m\")\" >> \"$ird/modules.list\"\ndone\ncp \"$KAROO_RECIPE/initrd-init.sh\" \"$ird/init\"\nchmod 0755 \"$ird/init\" \"$ird/bin/busybox\"\n(cd \"$ird\" && find . -mindepth 1 | LC_ALL=C sort | \"$root/tmp/karoo-bb/bin/busybox\" cpio -o -H newc 2>/dev/null) > \"$boot/initrd.img\"\ncp \"$root/tmp/karoo-k/boot/vmlinuz-$kver\" \"$boot/vmlinuz\"\necho \"$kver\" > \"$boot/kernel-version\"\nrm -rf \"$root/tmp/karoo-dl\" \"$root/tmp/karoo-k\" \"$root/tmp/karoo-bb\" \"$ird\"\n\n# --- systemd tuned for machines that live minutes: networkd only, volatile journal, nothing\n# --- periodic, no gettys, no waiting for disks that fstab does not list.\nin_root systemctl enable -q systemd-networkd.service\nfor unit in e2scrub_reap.service e2scrub_all.timer apt-daily.timer apt-daily-upgrade.timer \\\n  dpkg-db-backup.timer fstrim.timer man-db.timer getty@.service serial-getty@.service \\\n  console-getty.service getty-static.service systemd-networkd-wait-online.service \\\n  systemd-timesyncd.service systemd-pstore.service systemd-firstboot.service \\\n  ldconfig.service systemd-hwdb-update.service; do\n  in_root systemctl mask -q \"$unit\"\ndone\nmkdir -p \"$root/etc/systemd/journald.conf.d\" \"$root/etc/ssh/sshd_config.d\"\nprintf '[Journal]\\nStorage=volatile\\nRuntimeMaxUse=32M\\n' > \"$root/etc/systemd/journald.conf.d/karoo.conf\"\nprintf 'HostKey /etc/ssh/ssh_host_ed25519_key\\nPasswordAuthentication no\\nKbdInteractiveAuthentication no\\nPermitRootLogin prohibit-password\\nUseDNS no\\n' \\\n  > \"$root/etc/ssh/sshd_config.d/karoo.conf\"\nrm -f \"$root\"/etc/ssh/ssh_host_*\n: > \"$root/etc/fstab\"\n: > \"$root/etc/machine-id\"\nrm -f \"$root/var/lib/dbus/machine-id\"\necho localhost > \"$root/etc/hostname\"\n: > \"$root/etc/resolv.conf\"\ninstall -d -m 0700 \"$root/root/.ssh\"\nrm -rf \"$root\"/var/lib/apt/lists/* \"$root\"/var/cache/apt/*.bin \"$root\"/var/log/*.log\n",
    "image/initrd-init.sh": "#!/bin/busybox sh\n# karoo's initrd: load the few modules a virtio machine needs, mount the root disk, apply the\n# machine's seed (a tar archive on the virtio disk whose serial is karoo-seed), start systemd.\n/bin/busybox mkdir -p /usr/bin /sbin /usr/sbin\n/bin/busybox --install -s\nmount -t proc proc /proc\nmount -t sysfs sysfs /sys\nmount -t devtmpfs devtmpfs /dev\nwhile read -r m; do insmod \"$m\" || echo \"karoo-initrd: insmod $m failed\" >&2; done < /modules.list\nroot=; fstype=ext4; dev=\nfor arg in $(cat /proc/cmdline); do\n  case $arg in\n    root=*) root=${arg#root=} ;;\n    rootfstype=*) fstype=${arg#rootfstype=} ;;\n  esac\ndone\n# Disks are found by their virtio serial (root=serial:NAME): PCI order is not stable.\nby_serial() {\n  for d in /sys/block/vd*; do\n    [ \"$(cat \"$d/serial\" 2>/dev/null)\" = \"$1\" ] && { echo \"/dev/${d##*/}\"; return 0; }\n  done\n  return 1\n}\nfor i in $(seq 1 200); do\n  case $root in serial:*) dev=$(by_serial \"${root#serial:}\") ;; *) dev=$root ;; esac\n  [ -n \"$dev\" ] && [ -b \"$dev\" ] && break\n  sleep 0.05\ndone\nroot=${dev:-$root}\nif ! mount -t \"$fstype\" -o rw \"$root\" /newroot; then\n  echo \"karoo-initrd: cannot mount the root file system $root; powering off\" >&2\n  sleep 1; poweroff -f\nfi\nseed=$(by_serial karoo-seed) && tar -x -f \"$seed\" -C /newroot && echo \"karoo-initrd: seed applied from $seed\"\numount /proc /sys\nmount --move /dev /newroot/dev 2>/dev/null || umount /dev\nexec switch_root /newroot /sbin/init\n",
    "helpers/forward.py": "\"\"\"karoo's watchdog and SSH forwarder for one environment.\n\nUsage: python3 forward.py ENVIRONMENT-ID CONFIG.json\n\nStarted right after the environment's stamp, before any of its resources exists, it watches:\n- the owner (\"owner\": {\"pid\", \"startTime\"} in the config, or null): the moment that process is\n  gone (exited, killed, its pid reused), it takes the environment's teardown lock, runs\n  \"onExpire\" (an argv, usually `karoo reap --env ID`), waits for it and exits. An owner-bound environment (karoo up) keeps its owner for its\n  whole life; one handed on (karoo provision) has its owner cleared once it is ready.\n- the TTL (\"expiresAt\", Unix seconds): when it passes, the same.\nOne rule decides about the owner: the config on disk. SIGUSR1 means \"read it again\" (a new\nowner, or none; nodes to forward to), and the owner's exit is believed only after one more read\nmade once the exit was seen: the owner can write nothing after it, so a release it wrote before\nit ended is always honoured, whichever event arrives first. Once \"nodes\" are listed it\nstarts forwarding: it listens on 127.0.0.1 (one ephemeral port per node, in the runner's\nnetwork namespace), then joins the environment's own namespace (\"netnsPath\"), so that every\nconnection it makes goes to a node address that exists only there, and writes\n{\"ports\": {node: port}} to \"portsFile\". It writes \"readyFile\" once its signal handlers are set.\n\"\"\"\nimport ctypes\nimport errno\nimport json\nimport os\nimport select\nimport signal\nimport socket\nimport subprocess\nimport sys\nimport threading\nimport time\n\nCLONE_NEWNET = 0x40000000\n\n\ndef log(env_id, text):\n    sys.stderr.write(\"karoo-watchdog %s: %s\\n\" % (env_id, text))\n    sys.stderr.flush()\n\n\ndef pump(src, dst):\n    try:\n        while True:\n            data = src.recv(65536)\n            if not data:\n                break\n            dst.sendall(data)\n    except OSError:\n        pass\n    finally:\n        for s in (src, dst):\n            try:\n                s.shutdown(socket.SHUT_RDWR)\n            except OSError:\n                pass\n\n\ndef serve(client, address):\n    try:\n        upstream = socket.create_connection(address, timeout=1)\n        upstream.settimeout(None)\n    except OSError:\n        client.close()\n        return\n    client.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)\n    upstream.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)\n    t = threading.Thread(target=pump, args=(upstream, client), daemon=True)\n    t.start()\n    pump(client, upstream)\n    t.join()\n    client.close()\n    upstream.close()\n\n\ndef start_time(pid):\n    \"\"\"Start time (clock ticks since boot) of a live process, or None when it is gone or a zombie.\"\"\"\n    try:\n        with open(\"/proc/%d/stat\" % pid) as f:\n            s = f.read()\n    except OSError:\n        return None\n    rest = s[s.rindex(\")\") + 2:].split(\" \")\n    if rest[0] in (\"Z\", \"X\"):\n        return None\n    return int(rest[19])\n\n\nclass Owner:\n    \"\"\"The owner process: a pidfd that becomes readable when it exits, else polled every second.\"\"\"\n\n    def __init__(self, ref):\n        self.pid = int(ref[\"pid\"])\n        self.start = int(ref[\"startTime\"])\n        self.fd = None\n        try:\n            self.fd = os.pidfd_open(self.pid)\n        except (AttributeError, OSError):\n            self.fd = None\n\n    def gone(self):\n        # Checked after opening the pidfd: if the start time still matches, the pidfd is the owner's.\n        return start_time(self.pid) != self.start\n\n    def close(self):\n        if self.fd is not None:\n            os.close(self.fd)\n            self.fd = None\n\n\ndef teardown_lock(env_id):\n    \"\"\"The environment's teardown lock (packages/machines/src/teardown.ts): an abstract unix socket\n    bound while a teardown runs, freed by the kernel when its holder dies. Waits while another\n    teardown holds it (that one ends by killing this process).\"\"\"\n    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)\n    while True:\n        try:\n            s.bind(b\"\\0karoo-teardown-\" + env_id.encode())\n            return s\n        except OSError as e:\n            if e.errno != errno.EADDRINUSE:\n                raise\n            time.sleep(0.1)\n\n\ndef load(path):\n    with open(path) as f:\n        return json.load(f)\n\n\ndef reload(env_id, path, config):\n    \"\"\"The config as it is on disk now; the one in hand when it cannot be read.\"\"\"\n    try:\n        return load(path)\n    except (OSError, ValueError) as e:\n        log(env_id, \"cannot read %s: %s\" % (path, e))\n        return config\n\n\ndef main():\n    env_id, config_path = sys.argv[1], sys.argv[2]\n    config = load(config_path)\n    libc = ctypes.CDLL(None, use_errno=True)\n    home = os.open(\"/proc/self/ns/net\", os.O_RDONLY)\n\n    wake_r, wake_w = os.pipe()\n    os.set_blocking(wake_r, False)\n    os.set_blocking(wake_w, False)\n    signal.set_wakeup_fd(wake_w)\n    signal.signal(signal.SIGUSR1, lambda *_: None)\n    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))\n    if config.get(\"readyFile\"):\n        with open(config[\"readyFile\"], \"w\") as f:\n            f.write(\"%d\\n\" % os.getpid())\n        # Changes written before the handlers existed were not signalled: read them now.\n        config = reload(env_id, config_path, config)\n\n    owner = None\n    listeners = {}\n    why = None\n    while True:\n        want = config.get(\"owner\")\n        if owner is not None and (not want or (int(want[\"pid\"]), int(want[\"startTime\"])) != (owner.pid, owner.start)):\n            owner.close()\n            owner = None\n        if owner is None and want:\n            owner = Owner(want)\n        if owner is not None and owner.gone():\n            # The owner can write nothing more: the config on disk now is its last word.\n            config = reload(env_id, config_path, config)\n            if config.get(\"owner\") == want:\n                why = \"its owner process %d is gone\" % owner.pid\n                break\n            continue\n        if not listeners and config.get(\"nodes\"):\n            for node in config[\"nodes\"]:\n                s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)\n                s.bind((\"127.0.0.1\", 0))\n                s.listen(64)\n                listeners[s] = (node[\"name\"], (node[\"address\"], node.get(\"port\", 22)))\n            # Sockets keep the namespace they were created in: listeners stay on the runner's\n            # loopback, connections made from here on are made inside the environment's namespace.\n            fd = os.open(config[\"netnsPath\"], os.O_RDONLY)\n            if libc.setns(fd, CLONE_NEWNET) != 0:\n                log(env_id, \"setns failed: %s\" % os.strerror(ctypes.get_errno()))\n                sys.exit(1)\n            os.close(fd)\n            ports = {name: s.getsockname()[1] for s, (name, _) in listeners.items()}\n            tmp = config[\"portsFile\"] + \".tmp\"\n            with open(tmp, \"w\") as f:\n                json.dump({\"pid\": os.getpid(), \"ports\": ports}, f)\n            os.rename(tmp, config[\"portsFile\"])\n        expires_at = config.get(\"expiresAt\")\n        timeout = 60.0 if expires_at is None else max(0.0, expires_at - time.time())\n        if expires_at is not None and timeout == 0.0:\n            why = \"its TTL has passed\"\n            break\n        if owner is not None and owner.fd is None:\n            timeout = min(timeout, 1.0)\n        fds = [wake_r] + list(listeners) + ([owner.fd] if owner is not None and owner.fd is not None else [])\n        # An owner fd that fires needs nothing here: the next round sees the owner gone.\n        ready, _, _ = select.select(fds, [], [], min(timeout, 60.0))\n        if wake_r in ready:\n            try:\n                while os.read(wake_r, 512):\n                    pass\n            except BlockingIOError:\n                pass\n            config = reload(env_id, config_path, config)\n        for s in ready:\n            if s in listeners:\n                client, _ = s.accept()\n                threading.Thread(target=serve, args=(client, listeners[s][1]), daemon=True).start()\n    for s in listeners:\n        s.close()\n    log(env_id, \"%s; removing the environment\" % why)\n    if config.get(\"onExpire\"):\n        libc.setns(home, CLONE_NEWNET)\n        # Held until the teardown it starts has ended, so that a reap running at the same time\n        # waits for it rather than racing it (KAROO_TEARDOWN_LOCK tells that process it is held).\n        lock = teardown_lock(env_id)\n        child = subprocess.Popen(config[\"onExpire\"], stdin=subprocess.DEVNULL, start_new_session=True, env=dict(os.environ, KAROO_TEARDOWN_LOCK=env_id))\n        child.wait()\n        lock.close()\n\n\nif __name__ == \"__main__\":\n    main()\n"
};
//# sourceMappingURL=assets.js.map
// EXTERNAL MODULE: external "node:crypto"
var external_node_crypto_ = __webpack_require__(77598);
// EXTERNAL MODULE: external "node:stream/promises"
var external_node_stream_promises_ = __webpack_require__(46466);
// EXTERNAL MODULE: external "node:url"
var external_node_url_ = __webpack_require__(73136);
// EXTERNAL MODULE: ./packages/transport/lib/index.js + 2 modules
var transport_lib = __webpack_require__(69794);
// EXTERNAL MODULE: external "node:os"
var external_node_os_ = __webpack_require__(48161);
;// CONCATENATED MODULE: ./packages/machines/lib/src/proc.js

async function statOf(pid) {
    try {
        const s = await (0,promises_.readFile)(`/proc/${pid}/stat`, 'utf8');
        // comm may hold spaces and parentheses: split after the last ')'.
        const rest = s.slice(s.lastIndexOf(')') + 2).split(' ');
        return { state: rest[0], ppid: Number(rest[1]), startTime: Number(rest[19]) };
    }
    catch {
        return undefined;
    }
}
let cachedBootId;
/** This boot of the machine (/proc/sys/kernel/random/boot_id): pids and start times mean something only within one boot. */
async function bootId() {
    cachedBootId ??= (await (0,promises_.readFile)('/proc/sys/kernel/random/boot_id', 'utf8').catch(() => '')).trim();
    return cachedBootId;
}
/** The owner record of this process. */
async function ownerRef(pid = process.pid) {
    return { ...((await procRef(pid)) ?? { pid, startTime: 0 }), bootId: await bootId() };
}
/** An owner is gone when it ran in another boot, or its pid is dead, reused or a zombie. */
async function ownerGone(owner) {
    if (!owner)
        return true;
    if (owner.bootId && owner.bootId !== (await bootId()))
        return true;
    return !(await isAlive(owner));
}
async function procRef(pid) {
    const s = await statOf(pid);
    return s ? { pid, startTime: s.startTime } : undefined;
}
/** Alive means: exists, same start time, and not a zombie (a zombie waiting for a late reaper counts as gone). */
async function isAlive(ref) {
    if (!ref)
        return false;
    const s = await statOf(ref.pid);
    return !!s && s.startTime === ref.startTime && s.state !== 'Z' && s.state !== 'X';
}
/** Every process on the machine with its command line and network namespace. */
async function listProcesses() {
    const out = [];
    for (const e of await (0,promises_.readdir)('/proc')) {
        if (!/^[0-9]+$/.test(e))
            continue;
        const pid = Number(e);
        if (pid === process.pid)
            continue;
        const s = await statOf(pid);
        if (!s || s.state === 'Z')
            continue;
        let argv;
        try {
            argv = (await (0,promises_.readFile)(`/proc/${pid}/cmdline`, 'utf8')).split('\0').filter((a) => a !== '');
        }
        catch {
            continue;
        }
        let netns;
        try {
            const l = await (0,promises_.readlink)(`/proc/${pid}/ns/net`);
            netns = Number(/\[([0-9]+)\]/.exec(l)?.[1]);
        }
        catch {
            netns = undefined;
        }
        out.push({ pid, ppid: s.ppid, startTime: s.startTime, state: s.state, argv, netns });
    }
    return out;
}
/** Inode of a network namespace file (/run/netns/NAME), if it exists. */
async function netnsInode(path) {
    try {
        return (await (0,promises_.stat)(path)).ino;
    }
    catch {
        return undefined;
    }
}
function sleep(ms) {
    return new Promise((r) => setTimeout(r, ms));
}
/** SIGKILLs the processes and waits (up to timeoutMs) until none of them is alive. */
async function killAndWait(refs, timeoutMs = 3000) {
    const live = [];
    for (const r of refs)
        if (await isAlive(r))
            live.push(r);
    for (const r of live) {
        try {
            process.kill(r.pid, 'SIGKILL');
        }
        catch {
            // already gone
        }
    }
    const deadline = Date.now() + timeoutMs;
    let remaining = live;
    while (remaining.length > 0 && Date.now() < deadline) {
        const next = [];
        for (const r of remaining)
            if (await isAlive(r))
                next.push(r);
        remaining = next;
        if (remaining.length > 0)
            await sleep(20);
    }
    return remaining;
}
/**
 * Processes started for something that lives under `dirs`: those whose environment holds a
 * `KAROO_*` variable pointing into one of them (the acceptance command gets KAROO_INVENTORY
 * and the like, and passes them to everything it starts, in whatever session or group).
 */
async function processesUsing(dirs) {
    const roots = dirs.filter((d) => d.startsWith('/') && d.length > 1).map((d) => d.replace(/\/+$/, ''));
    if (roots.length === 0)
        return [];
    const out = [];
    for (const e of await (0,promises_.readdir)('/proc')) {
        if (!/^[0-9]+$/.test(e) || Number(e) === process.pid)
            continue;
        let environ;
        try {
            environ = await (0,promises_.readFile)(`/proc/${e}/environ`, 'latin1');
        }
        catch {
            continue;
        }
        const hit = environ.split('\0').some((kv) => {
            if (!kv.startsWith('KAROO_'))
                return false;
            const v = kv.slice(kv.indexOf('=') + 1);
            return roots.some((r) => v === r || v.startsWith(`${r}/`));
        });
        if (!hit)
            continue;
        const ref = await procRef(Number(e));
        if (ref)
            out.push(ref);
    }
    return out;
}
//# sourceMappingURL=proc.js.map
;// CONCATENATED MODULE: ./packages/machines/lib/src/paths.js




/** Where environments keep their state (overlays, keys, logs): KAROO_STATE_DIR or /var/lib/karoo. */
function stateRoot() {
    return process.env.KAROO_STATE_DIR ?? '/var/lib/karoo';
}
function envsRoot() {
    return (0,external_node_path_.join)(stateRoot(), 'envs');
}
function envDir(env) {
    return (0,external_node_path_.join)(envsRoot(), env);
}
/** Where images are cached, outside any clone: KAROO_CACHE_DIR or /var/cache/karoo. */
function cacheRoot() {
    return process.env.KAROO_CACHE_DIR ?? '/var/cache/karoo';
}
function imagesRoot() {
    return (0,external_node_path_.join)(cacheRoot(), 'images');
}
/** The file in a karoo temporary directory that names the process it belongs to. */
const OWNER_FILE = '.karoo-owner.json';
/**
 * A temporary directory (`<tmp>/<prefix>XXXXXX`) that names its owner process inside it, so
 * `reap` removes it once that process is gone even if no environment recorded it yet.
 * `maxLength` keeps it short enough for unix sockets below it (falls back to /tmp).
 */
async function ownedTempDir(prefix, maxLength = 40) {
    const base = (0,external_node_path_.join)((0,external_node_os_.tmpdir)(), `${prefix}XXXXXX`).length <= maxLength ? (0,external_node_os_.tmpdir)() : '/tmp';
    const dir = await (0,promises_.mkdtemp)((0,external_node_path_.join)(base, prefix));
    await (0,promises_.writeFile)((0,external_node_path_.join)(dir, OWNER_FILE), `${JSON.stringify(await ownerRef())}\n`);
    return dir;
}
//# sourceMappingURL=paths.js.map
;// CONCATENATED MODULE: ./packages/machines/lib/src/run.js



/** The system interpreter when there is one: a version manager's shim (pyenv) costs a second per start. */
function systemPython() {
    return (0,external_node_fs_.existsSync)('/usr/bin/python3') ? '/usr/bin/python3' : 'python3';
}
/** Which Debian package provides a tool, for the "install it" hint. */
const PACKAGE_OF = {
    'systemd-nspawn': 'systemd-container',
    'qemu-system-x86_64': 'qemu-system-x86',
    'qemu-img': 'qemu-utils',
    mmdebstrap: 'mmdebstrap',
    ssh: 'openssh-client',
    scp: 'openssh-client',
    'ssh-keygen': 'openssh-client',
    ip: 'iproute2',
    'mkfs.ext4': 'e2fsprogs',
    xz: 'xz-utils',
    genisoimage: 'genisoimage',
    python3: 'python3',
    mount: 'mount',
    umount: 'mount',
};
function missingTool(tool) {
    const pkg = PACKAGE_OF[tool];
    return new lib/* KarooError */.xD('unavailable', `${tool} is not installed${pkg ? `; install the Debian package ${pkg} (scripts/ensure-deps.sh does)` : ''}`);
}
/** Runs a command to completion, collecting its output. Throws a KarooError naming the command on failure. */
function run(cmd, args, opts = {}) {
    return new Promise((resolve, reject) => {
        const so = { stdio: ['pipe', 'pipe', 'pipe'], cwd: opts.cwd, env: opts.env ?? process.env };
        const child = (0,external_node_child_process_.spawn)(cmd, args, so);
        const out = [];
        const err = [];
        let timer;
        let timedOut = false;
        if (opts.timeoutMs !== undefined) {
            timer = setTimeout(() => {
                timedOut = true;
                child.kill('SIGKILL');
            }, opts.timeoutMs);
        }
        child.stdout.on('data', (d) => out.push(d));
        child.stderr.on('data', (d) => err.push(d));
        child.stdin.on('error', () => { });
        child.on('error', (e) => {
            if (timer)
                clearTimeout(timer);
            reject(e.code === 'ENOENT' ? missingTool(cmd) : e);
        });
        child.on('close', (code, signal) => {
            if (timer)
                clearTimeout(timer);
            const r = {
                code: code ?? -1,
                signal,
                stdout: Buffer.concat(out).toString('utf8'),
                stderr: Buffer.concat(err).toString('utf8'),
            };
            if (timedOut) {
                reject(new lib/* KarooError */.xD('unavailable', `${cmd} ${args.join(' ')} did not finish within ${Math.round((opts.timeoutMs ?? 0) / 1000)} s`));
            }
            else if (r.code !== 0 && !opts.allowFailure) {
                const why = (r.stderr.trim() || r.stdout.trim()).split('\n').slice(-3).join(' | ');
                reject(new lib/* KarooError */.xD('internal', `${cmd} ${args.join(' ')} failed (exit ${r.code}${signal ? `, ${signal}` : ''}): ${why}`, {
                    detail: { stderr: r.stderr },
                }));
            }
            else
                resolve(r);
        });
        if (opts.input !== undefined)
            child.stdin.end(opts.input);
        else
            child.stdin.end();
    });
}
/** True when `cmd` is on PATH. */
async function hasTool(cmd) {
    const dirs = (process.env.PATH ?? '/usr/sbin:/usr/bin:/sbin:/bin').split(':');
    const { access, constants } = await Promise.resolve(/* import() */).then(__webpack_require__.t.bind(__webpack_require__, 51455, 19));
    for (const d of dirs) {
        try {
            await access(`${d}/${cmd}`, constants.X_OK);
            return true;
        }
        catch {
            // next
        }
    }
    return false;
}
async function requireTools(tools) {
    for (const t of tools)
        if (!(await hasTool(t)))
            throw missingTool(t);
}
//# sourceMappingURL=run.js.map
;// CONCATENATED MODULE: ./packages/machines/lib/src/image.js













/** Packages of karoo's machine image, on top of Debian's minbase. */
const IMAGE_PACKAGES = [
    'systemd-sysv',
    'udev',
    'kmod',
    'openssh-server',
    'python3',
    'python3-venv',
    'iproute2',
    'iputils-ping',
    'netbase',
    'procps',
];
const IMAGE_SUITE = 'bookworm';
/** Virtual size of the QEMU root disk; the qcow2 stores only what is written. */
const DISK_SIZE = '4G';
/** The recipe, whose hash names the cached image: suite, packages and the scripts. */
function imageRecipe() {
    const scripts = {};
    for (const [k, v] of Object.entries(ASSETS))
        if (k.startsWith('image/'))
            scripts[k] = (0,lib/* sha256Of */.Bj)(v);
    return { suite: IMAGE_SUITE, variant: 'minbase', packages: [...IMAGE_PACKAGES].sort(), diskSize: DISK_SIZE, scripts };
}
function imageId() {
    return (0,lib/* sha256Of */.Bj)((0,lib/* canonicalJson */.dj)(imageRecipe())).slice('sha256:'.length, 'sha256:'.length + 16);
}
/** The cached image for the current recipe, if built. */
async function findImage() {
    const dir = (0,external_node_path_.join)(imagesRoot(), imageId());
    try {
        const meta = JSON.parse(await (0,promises_.readFile)((0,external_node_path_.join)(dir, 'image.json'), 'utf8'));
        return {
            ...meta,
            dir,
            rootfs: (0,external_node_path_.join)(dir, 'rootfs'),
            disk: (0,external_node_path_.join)(dir, 'disk.qcow2'),
            kernel: (0,external_node_path_.join)(dir, 'vmlinux'),
            initrd: (0,external_node_path_.join)(dir, 'initrd.img'),
        };
    }
    catch {
        return undefined;
    }
}
/** The Debian mirror of this machine (its deb822 source file) when it has one, else mmdebstrap's default. */
function mirrorArgs() {
    if (process.env.KAROO_DEBIAN_MIRROR)
        return [process.env.KAROO_DEBIAN_MIRROR];
    const f = '/etc/apt/sources.list.d/debian.sources';
    return (0,external_node_fs_.existsSync)(f) ? [f] : [];
}
async function withLock(lockPath, progress, fn) {
    await (0,promises_.mkdir)((0,external_node_path_.join)(lockPath, '..'), { recursive: true });
    let said = false;
    for (;;) {
        try {
            const fh = await (0,promises_.open)(lockPath, 'wx');
            const me = await procRef(process.pid);
            await fh.writeFile(JSON.stringify(me));
            await fh.close();
            break;
        }
        catch (e) {
            if (e.code !== 'EEXIST')
                throw e;
            let holder;
            try {
                holder = JSON.parse(await (0,promises_.readFile)(lockPath, 'utf8'));
            }
            catch {
                holder = undefined;
            }
            if (holder && !(await isAlive(holder))) {
                await (0,promises_.rm)(lockPath, { force: true });
                continue;
            }
            if (!said)
                progress.info('another process is building the image; waiting for it');
            said = true;
            await sleep(500);
        }
    }
    try {
        return await fn();
    }
    finally {
        await (0,promises_.rm)(lockPath, { force: true });
    }
}
/**
 * Builds karoo's machine image (Debian bookworm minbase + systemd, openssh-server, python3,
 * tuned for fast boots) into the cache, unless an image of the same recipe is there already.
 * Output: a root file system directory for nspawn, a qcow2 disk, an uncompressed kernel and a
 * ~5 MB initrd for QEMU's direct kernel boot.
 */
async function buildImage(opts = {}) {
    const progress = opts.progress ?? lib/* silentProgress */.RZ;
    if (!opts.force) {
        const found = await findImage();
        if (found)
            return found;
    }
    if (process.getuid?.() !== 0)
        throw new lib/* KarooError */.xD('refused', 'building the machine image needs root (mmdebstrap, mkfs); run as root or with sudo');
    await requireTools(['mmdebstrap', 'mkfs.ext4', 'qemu-img', 'xz']);
    const id = imageId();
    const finalDir = (0,external_node_path_.join)(imagesRoot(), id);
    return withLock((0,external_node_path_.join)(imagesRoot(), `${id}.lock`), progress, async () => {
        if (!opts.force) {
            const found = await findImage();
            if (found)
                return found;
        }
        const started = Date.now();
        const tmp = (0,external_node_path_.join)(imagesRoot(), `.${id}.${(0,external_node_crypto_.randomBytes)(4).toString('hex')}.tmp`);
        const recipeDir = (0,external_node_path_.join)(tmp, 'recipe');
        const boot = (0,external_node_path_.join)(tmp, 'boot');
        try {
            await (0,promises_.mkdir)(recipeDir, { recursive: true });
            await (0,promises_.mkdir)(boot, { recursive: true });
            for (const [k, v] of Object.entries(ASSETS)) {
                if (!k.startsWith('image/'))
                    continue;
                const p = (0,external_node_path_.join)(recipeDir, k.slice('image/'.length));
                await (0,promises_.writeFile)(p, v);
                await (0,promises_.chmod)(p, 0o755);
            }
            progress.info(`building machine image ${id} (Debian ${IMAGE_SUITE} with mmdebstrap; about a minute)`);
            await run('mmdebstrap', [
                '--variant=minbase',
                `--include=${IMAGE_PACKAGES.join(',')}`,
                '--aptopt=Acquire::Check-Valid-Until "false"',
                '--customize-hook=sh "$KAROO_RECIPE/customize.sh" "$1"',
                IMAGE_SUITE,
                (0,external_node_path_.join)(tmp, 'rootfs'),
                ...mirrorArgs(),
            ], { env: { ...process.env, KAROO_BOOT: boot, KAROO_RECIPE: recipeDir }, timeoutMs: 30 * 60_000 });
            progress.info('making the QEMU disk and kernel');
            const raw = (0,external_node_path_.join)(tmp, 'disk.raw');
            await run('truncate', ['-s', DISK_SIZE, raw]);
            await run('mkfs.ext4', ['-q', '-F', '-L', 'karoo-root', '-d', (0,external_node_path_.join)(tmp, 'rootfs'), raw]);
            await run('qemu-img', ['convert', '-O', 'qcow2', raw, (0,external_node_path_.join)(tmp, 'disk.qcow2')]);
            await (0,promises_.rm)(raw);
            await extractVmlinux((0,external_node_path_.join)(boot, 'vmlinuz'), (0,external_node_path_.join)(tmp, 'vmlinux'));
            await (0,promises_.rename)((0,external_node_path_.join)(boot, 'initrd.img'), (0,external_node_path_.join)(tmp, 'initrd.img'));
            const kernelVersion = (await (0,promises_.readFile)((0,external_node_path_.join)(boot, 'kernel-version'), 'utf8')).trim();
            await (0,promises_.rm)(boot, { recursive: true });
            await (0,promises_.rm)(recipeDir, { recursive: true });
            const meta = {
                kind: 'karoo',
                id,
                recipe: imageRecipe(),
                kernelVersion,
                builtAt: new Date().toISOString(),
                buildSeconds: Math.round((Date.now() - started) / 100) / 10,
            };
            await (0,promises_.writeFile)((0,external_node_path_.join)(tmp, 'image.json'), `${JSON.stringify(meta, null, 2)}\n`);
            await (0,promises_.rm)(finalDir, { recursive: true, force: true });
            await (0,promises_.rename)(tmp, finalDir);
            progress.info(`machine image ${id} built in ${meta.buildSeconds} s (${finalDir})`);
        }
        catch (e) {
            await (0,promises_.rm)(tmp, { recursive: true, force: true });
            throw e;
        }
        const img = await findImage();
        if (!img)
            throw new lib/* KarooError */.xD('internal', `image ${id} was built but cannot be read back from ${finalDir}`);
        return img;
    });
}
/** Takes the ELF vmlinux out of a bzImage (its xz payload), so QEMU boots it directly without the slow decompressor. */
async function extractVmlinux(bzImage, out) {
    const data = await (0,promises_.readFile)(bzImage);
    const at = data.indexOf(Buffer.from([0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00]));
    if (at < 0)
        throw new lib/* KarooError */.xD('internal', `${bzImage} holds no xz-compressed kernel`);
    // xz complains about the bytes after the stream; the ELF is complete, which is what we check.
    const r = await new Promise((resolve, reject) => {
        const p = (0,external_node_child_process_.spawn)('xz', ['-dc'], { stdio: ['pipe', 'pipe', 'ignore'] });
        const chunks = [];
        p.stdout.on('data', (d) => chunks.push(d));
        p.on('error', reject);
        p.on('close', () => resolve(Buffer.concat(chunks)));
        p.stdin.on('error', () => { });
        p.stdin.end(data.subarray(at));
    });
    if (r.subarray(0, 4).toString('latin1') !== '\x7fELF')
        throw new lib/* KarooError */.xD('internal', `could not extract an ELF kernel from ${bzImage}`);
    await (0,promises_.writeFile)(out, r);
}
/**
 * Fetches a cloud image (http(s):// or file://) once into the cache, keyed by its sha256.
 * The hash is checked on every use of a cached file too; a mismatch refuses the image.
 */
async function fetchCloudImage(url, sha256, progress = lib/* silentProgress */.RZ) {
    if (!sha256 || !/^[0-9a-f]{64}$/.test(sha256)) {
        throw new lib/* KarooError */.xD('input', `image ${url} has no sha256; set provision.image-sha256 (64 hex digits) so karoo can verify it before booting`);
    }
    const dir = (0,external_node_path_.join)(imagesRoot(), 'cloud');
    await (0,promises_.mkdir)(dir, { recursive: true });
    const cached = (0,external_node_path_.join)(dir, `${sha256}.img`);
    if (!(0,external_node_fs_.existsSync)(cached)) {
        const tmp = `${cached}.${(0,external_node_crypto_.randomBytes)(4).toString('hex')}.tmp`;
        try {
            progress.info(`fetching ${url}`);
            let source;
            if (url.startsWith('file://'))
                source = (0,external_node_fs_.createReadStream)((0,external_node_url_.fileURLToPath)(url));
            else if (/^https?:\/\//.test(url)) {
                const res = await transport_lib/* transport */.et.request({ method: 'GET', url });
                if (res.status !== 200) {
                    await (0,transport_lib/* drain */.Ze)(res);
                    throw new lib/* KarooError */.xD('unavailable', `image ${url} could not be downloaded (HTTP ${res.status})`);
                }
                source = res.body;
            }
            else if (url.startsWith('/'))
                source = (0,external_node_fs_.createReadStream)(url);
            else
                throw new lib/* KarooError */.xD('input', `image "${url}" is not an http(s):// or file:// URL`);
            await (0,external_node_stream_promises_.pipeline)(source, (0,external_node_fs_.createWriteStream)(tmp));
            await (0,promises_.rename)(tmp, cached);
        }
        catch (e) {
            await (0,promises_.rm)(tmp, { force: true });
            if (e.code === 'ENOENT')
                throw new lib/* KarooError */.xD('input', `image ${url} does not exist`);
            throw e;
        }
    }
    const { digest, size } = await (0,lib/* sha256File */.Q3)(cached);
    const actual = (0,lib/* hexOf */.ZD)(digest);
    if (actual !== sha256) {
        await (0,promises_.rm)(cached, { force: true });
        throw new lib/* KarooError */.xD('integrity', `image ${url} has sha256 ${actual}, not the expected ${sha256}; refusing to boot it (check provision.image-sha256)`);
    }
    const head = Buffer.alloc(4);
    const fh = await (0,promises_.open)(cached, 'r');
    await fh.read(head, 0, 4, 0);
    await fh.close();
    if (size === 0)
        throw new lib/* KarooError */.xD('input', `image ${url} is empty`);
    return { kind: 'cloud', id: sha256.slice(0, 16), sha256, disk: cached, format: head.toString('latin1') === 'QFI\xfb' ? 'qcow2' : 'raw' };
}
//# sourceMappingURL=image.js.map
// EXTERNAL MODULE: ./node_modules/ajv/dist/ajv.js
var ajv = __webpack_require__(42463);
;// CONCATENATED MODULE: ./packages/machines/lib/schema/inventory.schema.json
const inventory_schema_namespaceObject = /*#__PURE__*/JSON.parse('{"$schema":"http://json-schema.org/draft-07/schema#","$id":"https://karoo.dev/schema/inventory.schema.json","title":"karoo inventory","description":"The machines of one environment and how to reach them over SSH. Written by `karoo provision` for ephemeral environments; written by hand for real hosts. Read by deploy and the acceptance tests.","type":"object","additionalProperties":false,"required":["version","environmentId","provider","nodes"],"properties":{"$schema":{"type":"string","pattern":"^[^\\\\u0000-\\\\u001f\\\\u007f-\\\\u009f\\\\u2028\\\\u2029]*$"},"version":{"description":"Schema version of this document.","const":1},"environmentId":{"description":"karoo-<8 hex> for an ephemeral environment (every resource it owns carries this prefix); any name for hand-written inventories of real hosts.","type":"string","pattern":"^[a-z0-9][a-z0-9-]{0,62}$"},"createdAt":{"description":"When the environment was created (RFC 3339, UTC).","type":"string","format":"date-time"},"ttlSeconds":{"description":"Lifetime of an ephemeral environment; after expiresAt it is destroyed by its watchdog or by `karoo reap`.","type":"integer","minimum":1},"expiresAt":{"type":"string","format":"date-time"},"provider":{"description":"Who made the machines: nspawn, qemu, libvirt, or static for real hosts.","type":"string","enum":["nspawn","qemu","libvirt","static"]},"accelerator":{"description":"qemu only: kvm or tcg (software emulation).","type":"string","enum":["kvm","tcg"]},"image":{"description":"The base image the machines booted from.","type":"object","additionalProperties":false,"properties":{"id":{"type":"string","pattern":"^[^\\\\u0000-\\\\u001f\\\\u007f-\\\\u009f\\\\u2028\\\\u2029]*$"},"kind":{"type":"string","enum":["karoo","cloud"]},"sha256":{"type":"string","pattern":"^[0-9a-f]{64}$"}}},"network":{"description":"The private network the nodes share (exists only inside the environment\'s network namespace).","type":"object","additionalProperties":false,"properties":{"cidr":{"type":"string","pattern":"^[0-9A-Fa-f.:]+/[0-9]{1,3}$"},"namespace":{"type":"string","pattern":"^[A-Za-z0-9_][A-Za-z0-9_.-]{0,62}$"}}},"logsDir":{"description":"Where console logs and journals are saved on failure.","type":"string","pattern":"^[^\\\\u0000-\\\\u001f\\\\u007f-\\\\u009f\\\\u2028\\\\u2029\\"\\\\\\\\]+$"},"nodes":{"type":"array","minItems":1,"items":{"type":"object","additionalProperties":false,"required":["name","role","address","ssh"],"properties":{"name":{"description":"Node name; also its host name, resolvable by the other nodes.","type":"string","pattern":"^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$"},"role":{"description":"The node\'s role in karoo.yml (letters, digits, _ . -).","type":"string","pattern":"^[A-Za-z0-9_][A-Za-z0-9_.-]{0,62}$"},"address":{"description":"The node\'s address on the environment\'s private network (what other nodes use).","type":"string","pattern":"^[A-Za-z0-9_:][A-Za-z0-9_.:-]{0,252}$"},"ssh":{"description":"How the runner reaches the node.","type":"object","additionalProperties":false,"required":["host"],"properties":{"host":{"description":"Host name or IP address the runner connects to (never starts with -).","type":"string","pattern":"^[A-Za-z0-9_:][A-Za-z0-9_.:-]{0,252}$"},"port":{"type":"integer","minimum":1,"maximum":65535,"default":22},"user":{"type":"string","pattern":"^[\\\\p{L}\\\\p{N}_][\\\\p{L}\\\\p{N}_.-]{0,31}$","default":"root"},"keyPath":{"description":"Private key file; absent means the SSH agent or the user\'s default keys.","type":"string","pattern":"^[^\\\\u0000-\\\\u001f\\\\u007f-\\\\u009f\\\\u2028\\\\u2029\\"\\\\\\\\]+$"},"knownHostsPath":{"description":"known_hosts file holding the node\'s host key under hostKeyAlias (strict host key checking).","type":"string","pattern":"^[^\\\\u0000-\\\\u001f\\\\u007f-\\\\u009f\\\\u2028\\\\u2029\\"\\\\\\\\]+$"},"hostKeyAlias":{"description":"Name the host key is recorded under in knownHostsPath.","type":"string","pattern":"^[A-Za-z0-9_.:@+-]{1,255}$"},"hostKey":{"description":"The node\'s public host key (ssh-ed25519 AAAA…).","type":"string","pattern":"^[a-z0-9@.-]+ [A-Za-z0-9+/]+={0,3}( [^\\\\u0000-\\\\u001f\\\\u007f-\\\\u009f\\\\u2028\\\\u2029]*)?$"}}},"provider":{"type":"string","enum":["nspawn","qemu","libvirt","static"]},"machineId":{"description":"The provider\'s name for the machine (karoo-<env>-<node>).","type":"string","pattern":"^[A-Za-z0-9_][A-Za-z0-9_.-]{0,254}$"},"cpus":{"type":"integer","minimum":1},"memory":{"description":"MiB.","type":"integer","minimum":1}}}}}}');
;// CONCATENATED MODULE: ./packages/machines/lib/src/inventory.js





const INVENTORY_SCHEMA_ID = 'https://karoo.dev/schema/inventory.schema.json';
let validator;
function describe(e) {
    const where = e.instancePath === '' ? '(top level)' : e.instancePath.slice(1).replace(/\//g, '.');
    if (e.keyword === 'additionalProperties')
        return `${where}: unknown key "${e.params.additionalProperty}"`;
    if (e.keyword === 'enum')
        return `${where}: must be one of ${e.params.allowedValues.join(', ')}`;
    // The value JSON-quoted, so a newline in it cannot split the message (or anything that logs it).
    if (e.keyword === 'pattern' && typeof e.data === 'string')
        return `${where}: ${(0,lib/* quoteValue */.cl)(e.data)} is not allowed (must match ${e.params.pattern})`;
    return `${where}: ${e.message ?? 'is invalid'}`;
}
/** Checks a parsed inventory against the schema; fills defaults (port 22, user root) and resolves key paths against `baseDir`. */
function parseInventory(value, source, baseDir) {
    validator ??= new ajv.Ajv({ allErrors: true, strict: false, useDefaults: true, validateFormats: false, verbose: true }).compile(inventory_schema_namespaceObject);
    if (!validator(value)) {
        const e = validator.errors[0];
        throw new lib/* KarooError */.xD('input', `inventory ${source}: ${describe(e)}; see packages/machines/schema/inventory.schema.json`);
    }
    const inv = value;
    const names = new Set();
    for (const n of inv.nodes) {
        if (names.has(n.name))
            throw new lib/* KarooError */.xD('input', `inventory ${source}: node "${n.name}" is listed twice`);
        names.add(n.name);
        n.provider ??= inv.provider;
        if (baseDir) {
            if (n.ssh.keyPath && !(0,external_node_path_.isAbsolute)(n.ssh.keyPath))
                n.ssh.keyPath = (0,external_node_path_.resolve)(baseDir, n.ssh.keyPath);
            if (n.ssh.knownHostsPath && !(0,external_node_path_.isAbsolute)(n.ssh.knownHostsPath))
                n.ssh.knownHostsPath = (0,external_node_path_.resolve)(baseDir, n.ssh.knownHostsPath);
        }
    }
    return inv;
}
async function readInventory(path) {
    let text;
    try {
        text = await (0,promises_.readFile)(path, 'utf8');
    }
    catch (e) {
        throw new lib/* KarooError */.xD('input', `inventory ${path} cannot be read (${e.code ?? String(e)}); pass the inventory.json that karoo provision wrote`);
    }
    let value;
    try {
        value = JSON.parse(text);
    }
    catch (e) {
        throw new lib/* KarooError */.xD('input', `inventory ${path} is not JSON: ${e.message}`);
    }
    return parseInventory(value, path, (0,external_node_path_.dirname)((0,external_node_path_.resolve)(path)));
}
async function writeInventory(path, inv) {
    await (0,lib/* writeFileAtomic */.Zf)(path, `${JSON.stringify({ $schema: INVENTORY_SCHEMA_ID, ...inv }, null, 2)}\n`);
}
//# sourceMappingURL=inventory.js.map
;// CONCATENATED MODULE: ./packages/machines/lib/src/names.js


/** `karoo-` and 8 lowercase hex digits: the prefix of every resource an environment owns. */
const ENV_ID_RE = /^karoo-[0-9a-f]{8}$/;
/** Finds environment ids inside names, command lines and paths. */
const ENV_ID_IN_TEXT_RE = /karoo-[0-9a-f]{8}(?![0-9a-f])/g;
function newEnvironmentId() {
    return `karoo-${(0,external_node_crypto_.randomBytes)(4).toString('hex')}`;
}
function isEnvironmentId(s) {
    return ENV_ID_RE.test(s);
}
function checkEnvironmentId(s) {
    if (!isEnvironmentId(s))
        throw new lib/* KarooError */.xD('input', `${(0,lib/* quoteValue */.cl)(s)} is not an environment id; expected karoo- and 8 hex digits, e.g. karoo-1a2b3c4d`);
    return s;
}
/** Longest node name: machine names are `karoo-<8 hex>-<node>` and must stay a valid 64-character host name. */
const MAX_NODE_NAME = 48;
const HOSTNAME_LABEL_RE = /^[a-z0-9]([a-z0-9-]*[a-z0-9])?$/;
/** Node names become host names, machine names and namespace names: RFC 1123 labels, lower case. */
function checkNodeName(name) {
    if (!HOSTNAME_LABEL_RE.test(name) || name.length > MAX_NODE_NAME) {
        throw new lib/* KarooError */.xD('input', `node name ${(0,lib/* quoteValue */.cl)(name)} is not a valid host name; use 1-${MAX_NODE_NAME} lower-case letters, digits and inner hyphens (e.g. control-1)`);
    }
    if (name === 'localhost')
        throw new lib/* KarooError */.xD('input', 'node name "localhost" is reserved; choose another name');
}
/** Resource names of one environment. Interface names are limited to 15 bytes, so links carry the full name as their alias. */
const names = {
    netns: (env) => env,
    nodeNetns: (env, node) => `${env}-${node}`,
    machine: (env, node) => `${env}-${node}`,
    bridge: 'br0',
    bridgeAlias: (env) => `${env}-bridge`,
    veth: (index) => `v${index}`,
    vethAlias: (env, node) => `${env}-${node}-veth`,
    tap: (index) => `t${index}`,
    tapAlias: (env, node) => `${env}-${node}-tap`,
    overlaySource: (env, node) => `${env}-${node}`,
};
/**
 * The environment's private /24: 10.X.Y.0/24 derived from its id. Each environment has its own
 * namespace, so two environments never share a network even if the derived subnets met.
 */
function subnetOf(env) {
    const hex = env.slice('karoo-'.length);
    const x = 64 + (parseInt(hex.slice(0, 2), 16) % 64);
    const y = parseInt(hex.slice(2, 4), 16);
    const prefix = `10.${x}.${y}`;
    return {
        prefix,
        gateway: `${prefix}.1`,
        cidr: `${prefix}.0/24`,
        address: (index) => {
            if (index > 250)
                throw new lib/* KarooError */.xD('input', `an environment holds at most 251 nodes, got node #${index + 1}`);
            return `${prefix}.${index + 2}`;
        },
    };
}
/** A locally administered MAC address, unique within the environment. */
function macOf(env, index) {
    const hex = env.slice('karoo-'.length);
    return `52:54:${hex.slice(0, 2)}:${hex.slice(2, 4)}:${hex.slice(4, 6)}:${(index & 0xff).toString(16).padStart(2, '0')}`;
}
//# sourceMappingURL=names.js.map
;// CONCATENATED MODULE: ./packages/machines/lib/src/network.js



const NETNS_DIR = '/run/netns';
function netnsPath(name) {
    return `${NETNS_DIR}/${name}`;
}
/** Runs `ip` commands inside a namespace in one process. */
async function ipBatch(netns, lines) {
    if (lines.length === 0)
        return;
    await run('ip', [...(netns ? ['-n', netns] : []), '-batch', '-'], { input: `${lines.join('\n')}\n`, timeoutMs: 30_000 });
}
async function addNetns(name) {
    await run('ip', ['netns', 'add', name], { timeoutMs: 30_000 });
}
async function deleteNetns(name) {
    await run('ip', ['netns', 'delete', name], { allowFailure: true, timeoutMs: 30_000 });
}
async function listNetns() {
    try {
        return (await (0,promises_.readdir)(NETNS_DIR)).sort();
    }
    catch {
        return [];
    }
}
/** The environment's network: a namespace holding a bridge with the gateway address; nothing routes out of it. */
async function createEnvNetwork(env, gateway) {
    await addNetns(names.netns(env));
    await ipBatch(names.netns(env), [
        'link set lo up',
        `link add ${names.bridge} type bridge stp_state 0 forward_delay 0`,
        `link set ${names.bridge} alias ${names.bridgeAlias(env)}`,
        `address add ${gateway}/24 dev ${names.bridge}`,
        `link set ${names.bridge} up`,
    ]);
}
/** nspawn: a namespace of the node's own with `host0`, the peer of a veth on the environment's bridge. */
async function createNodeVeth(env, node, index, mac) {
    const ns = names.nodeNetns(env, node);
    await addNetns(ns);
    await ipBatch(names.netns(env), [
        `link add ${names.veth(index)} type veth peer name host0 address ${mac} netns ${ns}`,
        `link set ${names.veth(index)} alias ${names.vethAlias(env, node)}`,
        `link set ${names.veth(index)} master ${names.bridge} up`,
    ]);
    return ns;
}
/** qemu: a tap device on the environment's bridge for the node's virtio NIC. */
async function createNodeTap(env, node, index) {
    const tap = names.tap(index);
    await ipBatch(names.netns(env), [
        `tuntap add dev ${tap} mode tap`,
        `link set ${tap} alias ${names.tapAlias(env, node)}`,
        `link set ${tap} master ${names.bridge} up`,
    ]);
    return tap;
}
//# sourceMappingURL=network.js.map
;// CONCATENATED MODULE: ./packages/machines/lib/src/owner.js




/** The GitHub Actions runner's per-job process: every step of a job is one of its descendants. */
const RUNNER_JOB_PROCESS = 'Runner.Worker';
async function parentAndName(pid) {
    try {
        const stat = await (0,promises_.readFile)(`/proc/${pid}/stat`, 'utf8');
        const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
        const comm = (await (0,promises_.readFile)(`/proc/${pid}/comm`, 'utf8').catch(() => '')).trim();
        const argv0 = (await (0,promises_.readFile)(`/proc/${pid}/cmdline`, 'utf8').catch(() => '')).split('\0')[0] ?? '';
        return { ppid, names: [comm, argv0 ? (0,external_node_path_.basename)(argv0) : ''] };
    }
    catch {
        return undefined;
    }
}
/**
 * The nearest ancestor of `pid` (itself excluded) whose name (comm, or its argv[0]'s base name)
 * is `name`: in a GitHub Actions job, the runner's `Runner.Worker`, which lives exactly as long
 * as the job, while each step is a process of its own. Undefined outside a runner.
 */
async function findJobProcess(pid = process.pid, name = RUNNER_JOB_PROCESS) {
    const seen = new Set();
    let cur = (await parentAndName(pid))?.ppid;
    while (cur !== undefined && cur > 0 && !seen.has(cur)) {
        seen.add(cur);
        const p = await parentAndName(cur);
        if (!p)
            return undefined;
        if (p.names.includes(name))
            return procRef(cur);
        cur = p.ppid;
    }
    return undefined;
}
/** The owner record of another, live process (an environment that lives as long as it does); refuses a pid that is not running. */
async function ownerOf(pid) {
    if (!Number.isInteger(pid) || pid <= 0 || !(await procRef(pid))) {
        throw new lib/* KarooError */.xD('input', `owner process ${pid} is not running; pass the pid of a live process the environment should live as long as`);
    }
    return ownerRef(pid);
}
//# sourceMappingURL=owner.js.map
;// CONCATENATED MODULE: ./packages/machines/lib/src/cgroups.js



/**
 * Roots of the cgroup hierarchies an init system inside a container manages: the named
 * `systemd` v1 hierarchy and the unified (v2) one, wherever this machine mounts them.
 */
async function cgroupRoots() {
    const roots = [];
    const self = await (0,promises_.readFile)('/proc/self/cgroup', 'utf8').catch(() => '');
    if (/^[0-9]+:name=systemd:/m.test(self) && (0,external_node_fs_.existsSync)('/sys/fs/cgroup/systemd/cgroup.procs'))
        roots.push('/sys/fs/cgroup/systemd');
    if ((0,external_node_fs_.existsSync)('/sys/fs/cgroup/unified/cgroup.procs'))
        roots.push('/sys/fs/cgroup/unified');
    else if ((0,external_node_fs_.existsSync)('/sys/fs/cgroup/cgroup.controllers'))
        roots.push('/sys/fs/cgroup');
    return roots;
}
/**
 * A cgroup of the machine's own in each hierarchy. Without it (nspawn with --keep-unit on a
 * host without systemd) every container's systemd would manage the same cgroup and they
 * would tear down each other's services.
 */
async function createCgroups(name) {
    const dirs = (await cgroupRoots()).map((r) => (0,external_node_path_.join)(r, name));
    for (const d of dirs)
        await (0,promises_.mkdir)(d, { recursive: true });
    return dirs;
}
/** Removes a cgroup and everything the container's init created below it, deepest first. */
async function removeCgroupTree(dir) {
    let entries;
    try {
        entries = (await (0,promises_.readdir)(dir, { withFileTypes: true })).filter((e) => e.isDirectory()).map((e) => e.name);
    }
    catch {
        return;
    }
    for (const e of entries)
        await removeCgroupTree((0,external_node_path_.join)(dir, e));
    for (let i = 0; i < 20; i++) {
        try {
            await (0,promises_.rmdir)(dir);
            return;
        }
        catch (e) {
            const code = e.code;
            if (code === 'ENOENT')
                return;
            // EBUSY while the last processes are still being torn down.
            await new Promise((r) => setTimeout(r, 50));
        }
    }
}
/** The cgroups whose names start with `prefix` (an environment id), in every hierarchy. */
async function cgroupsWithPrefix(prefix) {
    const out = [];
    for (const r of await cgroupRoots()) {
        for (const e of await (0,promises_.readdir)(r).catch(() => []))
            if (e === prefix || e.startsWith(`${prefix}-`))
                out.push((0,external_node_path_.join)(r, e));
    }
    return out;
}
//# sourceMappingURL=cgroups.js.map
// EXTERNAL MODULE: ./node_modules/tar-stream/index.js
var tar_stream = __webpack_require__(56118);
;// CONCATENATED MODULE: ./packages/machines/lib/src/seed.js





/** Directories of the seed that are not 0755 (inside the machine). */
const SEED_DIRS = { '/root/.ssh': 0o700 };
/** Hostname, /etc/hosts with every node, a fresh machine-id, the node's own SSH host key, the environment's key, a static address. */
function seedFiles(s) {
    // Each of these becomes a line of a configuration file inside the machine.
    (0,lib/* configText */.Ut)('node name', s.node);
    (0,lib/* configText */.Ut)(`node "${s.node}" address`, s.address);
    (0,lib/* configText */.Ut)(`node "${s.node}" MAC address`, s.mac);
    for (const h of s.hosts) {
        (0,lib/* configText */.Ut)(`/etc/hosts name`, h.name);
        (0,lib/* configText */.Ut)(`/etc/hosts address of "${h.name}"`, h.address);
    }
    const hosts = ['127.0.0.1\tlocalhost', '::1\tlocalhost ip6-localhost ip6-loopback', ...s.hosts.map((h) => `${h.address}\t${h.name}`)];
    return [
        { path: '/etc/hostname', content: `${s.node}\n`, mode: 0o644 },
        { path: '/etc/hosts', content: `# written by karoo: every node of the environment\n${hosts.join('\n')}\n`, mode: 0o644 },
        { path: '/etc/machine-id', content: `${(0,external_node_crypto_.randomBytes)(16).toString('hex')}\n`, mode: 0o444 },
        { path: '/etc/ssh/ssh_host_ed25519_key', content: s.hostPrivateKey, mode: 0o600 },
        { path: '/etc/ssh/ssh_host_ed25519_key.pub', content: s.hostPublicKey, mode: 0o644 },
        { path: '/root/.ssh/authorized_keys', content: s.authorizedKey, mode: 0o600 },
        {
            path: '/etc/systemd/network/10-karoo.network',
            content: `# written by karoo: the node's address on the environment's private network\n[Match]\nMACAddress=${s.mac}\n\n[Network]\nAddress=${s.address}/${s.prefixLength}\nLinkLocalAddressing=no\nIPv6AcceptRA=no\n`,
            mode: 0o644,
        },
    ];
}
/**
 * Creates `path` (it must not exist) holding `data` with `mode` from the moment it exists:
 * the mode is given to open(2) with O_EXCL, so there is no instant in which the file is
 * readable by anyone else, whatever the umask; the exact mode is then set on the open file.
 * Secret files (private keys, seeds holding them) are written only through here.
 */
async function writeSecretFile(path, data, mode = 0o600, owner) {
    const fh = await (0,promises_.open)(path, 'wx', mode);
    try {
        await fh.chmod(mode);
        if (owner)
            await fh.chown(owner.uid, owner.gid);
        await fh.writeFile(data);
    }
    finally {
        await fh.close();
    }
}
/**
 * Writes the seed into a mounted root file system (nspawn's overlay). Each file is created
 * beside its target with its final mode and owner (writeSecretFile) and renamed over it, so a
 * key is never readable by others, not even for an instant, and a file of the image is
 * replaced whole. Directories of SEED_DIRS get their mode before anything goes into them.
 */
async function writeSeedInto(root, files) {
    for (const [d, mode] of Object.entries(SEED_DIRS)) {
        const p = (0,external_node_path_.join)(root, d);
        await (0,promises_.mkdir)((0,external_node_path_.dirname)(p), { recursive: true, mode: 0o755 });
        await (0,promises_.mkdir)(p, { mode }).catch((e) => {
            if (e.code !== 'EEXIST')
                throw e;
        });
        await (0,promises_.chmod)(p, mode);
    }
    for (const f of files) {
        const p = (0,external_node_path_.join)(root, f.path);
        await (0,promises_.mkdir)((0,external_node_path_.dirname)(p), { recursive: true, mode: 0o755 });
        const tmp = (0,external_node_path_.join)((0,external_node_path_.dirname)(p), `.${(0,external_node_path_.basename)(p)}.karoo-${(0,external_node_crypto_.randomBytes)(6).toString('hex')}`);
        try {
            await writeSecretFile(tmp, f.content, f.mode, { uid: 0, gid: 0 });
            await (0,promises_.rename)(tmp, p);
        }
        catch (e) {
            await (0,promises_.rm)(tmp, { force: true });
            throw e;
        }
    }
}
/** The seed as a tar archive for QEMU's seed disk (applied by karoo's initrd). */
async function seedTar(files) {
    const pack = tar_stream.pack();
    const chunks = [];
    pack.on('data', (c) => chunks.push(c));
    const done = new Promise((resolve, reject) => {
        pack.on('end', () => resolve());
        pack.on('error', reject);
    });
    const mtime = new Date(0);
    const dirs = new Set();
    for (const f of files) {
        const rel = f.path.replace(/^\//, '');
        const parts = rel.split('/').slice(0, -1);
        for (let i = 1; i <= parts.length; i++) {
            const d = parts.slice(0, i).join('/');
            if (dirs.has(d) || d === 'root' || d === 'etc')
                continue;
            dirs.add(d);
            pack.entry({ name: `${d}/`, type: 'directory', mode: SEED_DIRS[`/${d}`] ?? 0o755, uid: 0, gid: 0, mtime });
        }
        pack.entry({ name: rel, mode: f.mode, uid: 0, gid: 0, mtime }, f.content);
    }
    pack.finalize();
    await done;
    const buf = Buffer.concat(chunks);
    const pad = (512 - (buf.length % 512)) % 512;
    return Buffer.concat([buf, Buffer.alloc(pad + 64 * 1024)]);
}
//# sourceMappingURL=seed.js.map
// EXTERNAL MODULE: external "node:net"
var external_node_net_ = __webpack_require__(77030);
;// CONCATENATED MODULE: ./packages/machines/lib/src/ssh.js




/**
 * The one place karoo decides how OpenSSH reaches a machine or a node: provision, the machines'
 * lifecycle (logs, exec, readiness) and deploy (SshPool in @karoo/deploy) all take their options
 * from sshSettings. The endpoint type is the inventory's SshEndpoint (port and user filled in by
 * parseInventory: 22 and root).
 */
/**
 * The port and user of an endpoint that names none: the inventory's defaults (parseInventory fills
 * them in; an inventory built in code may leave them out, and is read the same way).
 */
const SSH_DEFAULTS = { port: 22, user: 'root' };
const sshPort = (t) => t.port ?? SSH_DEFAULTS.port;
const sshUser = (t) => t.user ?? SSH_DEFAULTS.user;
/** The alias an inline `hostKey` is recorded under in the run's known_hosts (the endpoint's hostKeyAlias, else one per node). */
function hostKeyAlias(t, node) {
    return t.hostKeyAlias ?? `karoo-node-${node}`;
}
/**
 * Refuses an endpoint that could change what ssh does rather than where it connects: a host or
 * user that ssh would read as an option (leading `-`) or that is not a plain name, and any value
 * that cannot be written into an ssh_config line (control characters, quotes). Inventories are
 * checked by their schema on load; this holds for every other caller too.
 */
function checkSshEndpoint(t, what = 'ssh') {
    const k = (f) => `${what}.${f}`;
    (0,lib/* sshConfigValue */.i0)(k('host'), t.host);
    if (!/^[A-Za-z0-9_:][A-Za-z0-9_.:-]*$/.test(t.host))
        throw new lib/* KarooError */.xD('input', `${k('host')} ${(0,lib/* quoteValue */.cl)(t.host)} is not a host name or IP address; fix the inventory`);
    const user = sshUser(t);
    if (typeof user !== 'string' || !/^[\p{L}\p{N}_][\p{L}\p{N}_.-]*$/u.test(user))
        throw new lib/* KarooError */.xD('input', `${k('user')} ${(0,lib/* quoteValue */.cl)(String(user))} is not a user name; fix the inventory`);
    const port = sshPort(t);
    if (!(Number.isInteger(port) && port >= 1 && port <= 65535))
        throw new lib/* KarooError */.xD('input', `${k('port')} ${String(t.port)} is not a port number`);
    if (t.keyPath !== undefined)
        (0,lib/* sshConfigValue */.i0)(k('keyPath'), t.keyPath);
    if (t.knownHostsPath !== undefined)
        (0,lib/* sshConfigValue */.i0)(k('knownHostsPath'), t.knownHostsPath);
    if (t.hostKeyAlias !== undefined && !/^[A-Za-z0-9_.:@+-]+$/.test(t.hostKeyAlias))
        throw new lib/* KarooError */.xD('input', `${k('hostKeyAlias')} ${(0,lib/* quoteValue */.cl)(t.hostKeyAlias)} is not a host name; fix the inventory`);
    if (t.hostKey !== undefined &&
        !/^[a-z0-9@.-]+ [A-Za-z0-9+/]+={0,3}( [^\u0000-\u001f\u007f-\u009f\u2028\u2029]*)?$/u.test(t.hostKey.trim())) {
        throw new lib/* KarooError */.xD('input', `${k('hostKey')} ${(0,lib/* quoteValue */.cl)(t.hostKey)} is not one public key (type, base64, optional comment); fix the inventory`);
    }
}
/**
 * The OpenSSH settings for one endpoint as `[Key, value]` pairs, each with its reason. The values
 * are raw: sshOptions and sshConfigEntry pass each through sshConfigValue. `node` names the node
 * whose inline host key the run's known_hosts holds (see hostKeyAlias).
 */
function sshSettings(t, s = {}, node) {
    checkSshEndpoint(t, s.what);
    const o = [
        // Never ask: there is no terminal in CI. A missing key or an unknown host key fails at once, with its reason.
        ['BatchMode', 'yes'],
        // A node across a WAN with a cold sshd answers within seconds; a dead address should not hold a run for minutes.
        // Readiness probes of a machine still booting pass a shorter one.
        ['ConnectTimeout', String(s.connectTimeout ?? 15)],
        // A node that vanishes mid-session (reboot, network) is noticed within ~15 s, not after TCP's minutes.
        ['ServerAliveInterval', '5'],
        ['ServerAliveCountMax', '3'],
        // No "Permanently added …" banners in the output that karoo shows or parses; errors still come through.
        ['LogLevel', 'ERROR'],
        // Where and as whom: from the inventory, else its defaults (SSH_DEFAULTS: 22, root).
        ['Port', String(sshPort(t))],
        ['User', sshUser(t)],
    ];
    if (t.keyPath) {
        // Offer only the inventory's key: not an agent's keys (a runner's agent is not the node's business,
        // and several keys end in "Too many authentication failures").
        o.push(['IdentityFile', t.keyPath], ['IdentitiesOnly', 'yes']);
    }
    const inline = t.hostKey && !t.knownHostsPath ? s.runKnownHosts : undefined;
    if (t.knownHostsPath || inline) {
        // Host keys: only those karoo was given count (not the runner image's /etc/ssh/ssh_known_hosts), checked strictly.
        // An inline hostKey is the line the run wrote into its own known_hosts (SshPool.open).
        o.push(['StrictHostKeyChecking', 'yes'], ['UserKnownHostsFile', (t.knownHostsPath ?? inline)], ['GlobalKnownHostsFile', '/dev/null']);
        // The key is recorded under an alias (a machine id, a node name) rather than 127.0.0.1:port, which machines share over time.
        const alias = t.knownHostsPath ? t.hostKeyAlias : hostKeyAlias(t, node ?? t.host);
        if (alias)
            o.push(['HostKeyAlias', alias]);
    }
    else if (s.runKnownHosts) {
        // No host key in the inventory: trust on first use, remembered in the run's file only, so it ends with the run.
        o.push(['StrictHostKeyChecking', 'accept-new'], ['UserKnownHostsFile', s.runKnownHosts]);
    }
    else {
        // No run file (a person's command line, the machines' own calls): the user's known_hosts decides, strictly.
        // (An inline hostKey needs a run to write it down; without one it is not trusted blindly either.)
        o.push(['StrictHostKeyChecking', 'yes']);
    }
    if (s.control) {
        // One TCP connection and one authentication per node for a whole run: the master socket lives in the run's
        // private directory (%C: a hash of host, port and user, short enough for a unix socket path).
        o.push(['ControlPath', `${s.control.dir}/%C`], ['ControlMaster', s.control.master ? 'yes' : 'no']);
        // The master outlives its first client for the run's length; the run closes it (`ssh -O exit`) when done.
        if (s.control.master)
            o.push(['ControlPersist', '600']);
    }
    return o;
}
/**
 * OpenSSH command-line options for an endpoint (`-o Key=value`). ssh parses every -o as a line of
 * its configuration, so each value goes through sshConfigValue; OpenSSH takes the first value it
 * sees for an option, so ours come before anything a caller adds.
 */
function sshOptions(t, s = {}, node) {
    const what = s.what ?? 'ssh';
    return sshSettings(t, s, node).flatMap(([k, v]) => ['-o', `${k}=${(0,lib/* sshConfigValue */.i0)(`${what} option ${k}`, v)}`]);
}
/** An ssh_config entry (`ssh -F FILE NAME` reaches the endpoint with the same options); every value through sshConfigValue. */
function sshConfigEntry(name, t, s = {}) {
    const what = s.what ?? 'ssh';
    const value = (k, v) => `  ${k} ${(0,lib/* sshConfigValue */.i0)(`${what} ${k}`, v)}`;
    const lines = [
        `Host ${(0,lib/* sshConfigValue */.i0)('node name', name)}`,
        value('HostName', t.host),
        ...sshSettings(t, s, name).map(([k, v]) => value(k, v)),
    ];
    return `${lines.join('\n')}\n`;
}
/** `user@host`, checked (see checkSshEndpoint). */
function sshDestination(t) {
    checkSshEndpoint(t);
    return `${sshUser(t)}@${t.host}`;
}
/** The command line a person would type to reach the node. */
function sshCommandLine(t) {
    const quote = (s) => (/^[A-Za-z0-9_./=@:-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`);
    return ['ssh', ...sshOptions(t), sshDestination(t)].map(quote).join(' ');
}
/** Runs one remote command (a shell string, as ssh always sends) and returns its output. */
async function sshExec(t, command, opts = {}) {
    return run('ssh', [...sshOptions(t, { connectTimeout: opts.connectTimeout }), sshDestination(t), '--', command], {
        input: opts.input,
        timeoutMs: opts.timeoutMs ?? 120_000,
        allowFailure: opts.allowFailure,
    });
}
/** True when something at host:port greets with an SSH banner within `timeoutMs`. */
function sshBanner(host, port, timeoutMs) {
    return new Promise((resolve) => {
        const sock = (0,external_node_net_.connect)({ host, port });
        let data = '';
        const done = (ok) => {
            clearTimeout(timer);
            sock.destroy();
            resolve(ok);
        };
        const timer = setTimeout(() => done(false), timeoutMs);
        sock.on('data', (d) => {
            data += d.toString('latin1');
            if (data.length >= 4)
                done(data.startsWith('SSH-'));
        });
        sock.on('error', () => done(false));
        sock.on('close', () => done(false));
    });
}
/**
 * Waits until `ssh … true` succeeds. A forwarded port accepts TCP before the machine is up, so
 * probes are cheap and short: a TCP connect that waits at most 1 s for the SSH banner, every
 * 50 ms, and only once a banner is seen a real `ssh … true` (key and host key checked).
 * `alive` is asked between probes so a machine that died fails fast.
 */
async function waitForSsh(t, deadline, alive) {
    let last = '';
    while (Date.now() < deadline) {
        if (!(await alive()))
            throw new lib/* KarooError */.xD('unavailable', 'the machine stopped before SSH was ready');
        if (!(await sshBanner(t.host, sshPort(t), 1000))) {
            last = 'no SSH banner yet';
            await sleep(50);
            continue;
        }
        const r = await run('ssh', [...sshOptions(t, { connectTimeout: 2 }), sshDestination(t), 'true'], {
            allowFailure: true,
            timeoutMs: 10_000,
        }).catch((e) => ({ code: -1, stderr: e.message, stdout: '', signal: null }));
        if (r.code === 0)
            return;
        last = r.stderr.trim();
        await sleep(100);
    }
    throw new lib/* KarooError */.xD('unavailable', `SSH did not answer in time${last ? ` (last error: ${last.split('\n').pop()})` : ''}`);
}
//# sourceMappingURL=ssh.js.map
;// CONCATENATED MODULE: ./packages/machines/lib/src/providers/common.js




/** Last `n` lines of a console log, without terminal escapes. */
async function consoleTail(path, n = 15) {
    try {
        const text = (await (0,promises_.readFile)(path, 'utf8')).replace(/\x1b\[[0-9;?]*[A-Za-z]/g, '').replace(/\r/g, '');
        return text
            .split('\n')
            .filter((l) => l.trim() !== '')
            .slice(-n)
            .join('\n');
    }
    catch {
        return '(no console output)';
    }
}
async function waitReadyOverSsh(machine, ssh, deadline, alive, what) {
    try {
        await waitForSsh(ssh, deadline, alive);
    }
    catch (e) {
        const tail = await consoleTail(machine.consoleLog);
        throw new lib/* KarooError */.xD('unavailable', `${what} ${machine.name} (${machine.machineId}) is not reachable over SSH: ${e.message}; last console lines:\n${tail}`, {
            detail: { node: machine.name, console: tail },
        });
    }
}
async function collectCommonLogs(machine, ssh, dir) {
    const saved = [];
    const consoleOut = (0,external_node_path_.join)(dir, `${machine.name}.console.log`);
    try {
        await (0,promises_.copyFile)(machine.consoleLog, consoleOut);
        saved.push(consoleOut);
    }
    catch {
        // no console yet
    }
    if (ssh) {
        const r = await sshExec(ssh, 'journalctl -b --no-pager -o short-monotonic', {
            timeoutMs: 15_000,
            allowFailure: true,
            connectTimeout: 3,
        }).catch(() => undefined);
        if (r && r.code === 0) {
            const p = (0,external_node_path_.join)(dir, `${machine.name}.journal.log`);
            await (0,promises_.writeFile)(p, r.stdout);
            saved.push(p);
        }
    }
    return saved;
}
//# sourceMappingURL=common.js.map
;// CONCATENATED MODULE: ./packages/machines/lib/src/providers/nspawn.js











/** The flags every karoo container boots with; the bench runs the bare command with the same ones. */
function nspawnArgs(opts) {
    return [
        '--boot',
        // The runner may not run systemd: do not register with machined or create a scope unit.
        '--register=no',
        '--keep-unit',
        '--quiet',
        `--directory=${opts.root}`,
        `--machine=${opts.machine}`,
        `--hostname=${opts.hostname}`,
        // Our own namespace (veth already on the bridge); networkd inside needs CAP_NET_ADMIN to set the address.
        `--network-namespace-path=${opts.netnsPath}`,
        '--capability=CAP_NET_ADMIN',
        '--resolv-conf=off',
        '--timezone=off',
        '--link-journal=no',
        '--console=read-only',
    ];
}
/** systemd-nspawn system containers: real systemd as PID 1 on an overlay of the image's root file system. */
class NspawnProvider {
    name = 'nspawn';
    maxParallelBoots() {
        return Number(process.env.KAROO_MAX_PARALLEL_BOOTS) || 32;
    }
    async prepare(state) {
        if (process.getuid?.() !== 0)
            throw new lib/* KarooError */.xD('refused', 'the nspawn provider needs root (mounts, network namespaces); run as root or with sudo');
        await requireTools(['systemd-nspawn', 'ip', 'mount', 'umount']);
        if (state.image.kind !== 'karoo')
            throw new lib/* KarooError */.xD('input', "the nspawn provider boots karoo's own image only; remove provision.image or use --provider qemu for a cloud image");
    }
    async create(req) {
        const { state, machine: m, image } = req;
        if (image.kind !== 'karoo')
            throw new lib/* KarooError */.xD('input', "the nspawn provider boots karoo's own image only");
        const dir = (0,external_node_path_.join)(state.dir, 'nodes', m.name);
        const upper = (0,external_node_path_.join)(dir, 'upper');
        const work = (0,external_node_path_.join)(dir, 'work');
        const root = (0,external_node_path_.join)(dir, 'root');
        // 0700: the overlay's upper layer holds the node's SSH host key (upper itself stays 0755: it is the container's /).
        await (0,promises_.mkdir)(dir, { recursive: true, mode: 0o700 });
        await (0,promises_.mkdir)(upper, { recursive: true });
        await (0,promises_.mkdir)(work, { recursive: true });
        await (0,promises_.mkdir)(root, { recursive: true });
        m.mountPoint = root;
        m.netns = names.nodeNetns(state.environmentId, m.name);
        await req.save();
        await run('mount', [
            '-t',
            'overlay',
            names.overlaySource(state.environmentId, m.name),
            '-o',
            `lowerdir=${image.rootfs},upperdir=${upper},workdir=${work}`,
            root,
        ]);
        await writeSeedInto(root, req.seed);
        await createNodeVeth(state.environmentId, m.name, m.index, m.mac);
        const log = await (0,promises_.open)(m.consoleLog, 'a');
        try {
            // The shell moves itself into the machine's cgroups, then becomes systemd-nspawn (same pid).
            const cgroups = await createCgroups(m.machineId);
            const child = (0,external_node_child_process_.spawn)('sh', [
                '-c',
                'for g in $KAROO_CGROUPS; do echo $$ > "$g/cgroup.procs" || exit 1; done; exec systemd-nspawn "$@"',
                m.machineId,
                ...nspawnArgs({ root, machine: m.machineId, hostname: m.name, netnsPath: netnsPath(m.netns) }),
            ], { detached: true, stdio: ['ignore', log.fd, log.fd], env: { ...process.env, KAROO_CGROUPS: cgroups.join(' ') } });
            const started = await new Promise((resolve, reject) => {
                child.once('error', reject);
                child.once('spawn', () => resolve(child.pid));
            });
            child.unref();
            m.process = (await procRef(started)) ?? { pid: started, startTime: 0 };
            m.startedAt = new Date().toISOString();
            await req.save();
        }
        finally {
            await log.close();
        }
    }
    isRunning(m) {
        return isAlive(m.process);
    }
    waitReady(m, ssh, deadline) {
        return waitReadyOverSsh(m, ssh, deadline, () => this.isRunning(m), 'container');
    }
    collectLogs(_state, m, ssh, dir) {
        return collectCommonLogs(m, ssh, dir);
    }
    async destroy(state, m, processes) {
        // Killing nspawn alone leaves the container running: kill its init (and every process in
        // the node's namespace) together with nspawn.
        const victims = [];
        if (m.process)
            victims.push(m.process);
        const ino = m.netns ? await netnsInode(netnsPath(m.netns)) : undefined;
        for (const p of processes ?? (await listProcesses())) {
            if ((ino !== undefined && p.netns === ino) || (m.process && p.ppid === m.process.pid))
                victims.push({ pid: p.pid, startTime: p.startTime });
        }
        await killAndWait(victims, 5000);
        for (const g of await cgroupsWithPrefix(m.machineId))
            await removeCgroupTree(g);
        if (m.mountPoint)
            await unmount(m.mountPoint);
        if (m.netns)
            await deleteNetns(m.netns);
        await (0,promises_.rm)(`/run/systemd/nspawn/propagate/${m.machineId}`, { recursive: true, force: true });
        await (0,promises_.rm)((0,external_node_path_.join)(state.dir, 'nodes', m.name), { recursive: true, force: true });
    }
}
/** Unmounts if mounted; a busy mount is detached lazily so teardown never stalls. */
async function unmount(path) {
    const mounted = async () => (await (0,promises_.readFile)('/proc/self/mountinfo', 'utf8')).split('\n').some((l) => l.split(' ')[4] === path);
    for (let i = 0; i < 3 && (await mounted()); i++) {
        const r = await run('umount', [path], { allowFailure: true });
        if (r.code === 0)
            return;
        await new Promise((res) => setTimeout(res, 100));
    }
    if (await mounted())
        await run('umount', ['-l', path], { allowFailure: true });
}
//# sourceMappingURL=nspawn.js.map
;// CONCATENATED MODULE: ./packages/machines/lib/src/providers/qemu.js












/**
 * KVM when /dev/kvm opens read-write and the CPU advertises virtualisation (a /dev/kvm that
 * opens without vmx/svm, as in some nested sandboxes, fails at the first emulated
 * instruction); software emulation (TCG) otherwise. KAROO_QEMU_ACCEL=kvm|tcg overrides.
 */
async function detectAccelerator() {
    const forced = process.env.KAROO_QEMU_ACCEL;
    if (forced === 'kvm' || forced === 'tcg')
        return forced;
    try {
        await (0,promises_.access)('/dev/kvm', external_node_fs_.constants.R_OK | external_node_fs_.constants.W_OK);
        const cpuinfo = await (0,promises_.readFile)('/proc/cpuinfo', 'utf8');
        return /^flags\s*:.*\b(vmx|svm)\b/m.test(cpuinfo) ? 'kvm' : 'tcg';
    }
    catch {
        return 'tcg';
    }
}
/** The host's CPU frequency in kHz, for the guest's clock under emulation (calibration fails on a busy host). */
async function hostKhz() {
    const m = /^cpu MHz\s*:\s*([0-9.]+)/m.exec(await (0,promises_.readFile)('/proc/cpuinfo', 'utf8').catch(() => ''));
    return m ? Math.round(Number(m[1]) * 1000) : undefined;
}
/** The qemu-system-x86_64 command line of one machine; the bench runs the same one bare. */
function qemuArgs(q) {
    const a = ['-name', `${q.name},process=${q.name}`, '-nodefaults', '-no-user-config', '-display', 'none', '-no-reboot'];
    if (q.accel === 'kvm')
        a.push('-machine', 'q35,accel=kvm', '-cpu', 'host');
    else
        a.push('-machine', 'q35', '-accel', 'tcg,thread=multi,tb-size=256', '-cpu', 'max');
    a.push('-smp', String(q.cpus), '-m', String(q.memory));
    if (q.kernel) {
        const cmdline = ['root=serial:karoo-root', 'rw', 'console=ttyS0', 'quiet', 'panic=-1'];
        if (q.accel === 'tcg')
            cmdline.push(...(q.kernel.khz ? [`tsc_early_khz=${q.kernel.khz}`] : []), 'tsc=reliable', 'no_timer_check');
        a.push('-kernel', q.kernel.kernel, '-initrd', q.kernel.initrd, '-append', cmdline.join(' '));
    }
    a.push('-drive', `file=${q.disk},if=none,id=root,format=qcow2,cache=unsafe,discard=unmap`, '-device', `virtio-blk-pci,drive=root,serial=karoo-root${q.kernel ? '' : ',bootindex=0'}`);
    if (q.seed.kind === 'tar')
        a.push('-drive', `file=${q.seed.path},if=none,id=seed,format=raw,readonly=on`, '-device', 'virtio-blk-pci,drive=seed,serial=karoo-seed');
    else
        a.push('-drive', `file=${q.seed.path},if=virtio,format=raw,media=cdrom,readonly=on`);
    a.push('-netdev', `tap,id=n0,ifname=${q.tap},script=no,downscript=no`, '-device', `virtio-net-pci,netdev=n0,mac=${q.mac}`);
    a.push('-device', 'virtio-rng-pci', '-serial', `file:${q.console}`);
    return a;
}
/** QEMU virtual machines on copy-on-write overlays of one base disk, taps on the environment's bridge. */
class QemuProvider {
    name = 'qemu';
    maxParallelBoots(state) {
        const forced = Number(process.env.KAROO_MAX_PARALLEL_BOOTS);
        if (forced > 0)
            return forced;
        // Under emulation machines compete for the cores: two at a time boot fastest on 2 cores.
        return state.accelerator === 'kvm' ? Math.max(2, (0,external_node_os_.cpus)().length) : Math.max(1, Math.floor((0,external_node_os_.cpus)().length / 2) || 1) + 1;
    }
    async prepare(state) {
        if (process.getuid?.() !== 0)
            throw new lib/* KarooError */.xD('refused', 'the qemu provider needs root (network namespace, taps); run as root or with sudo');
        await requireTools(['qemu-system-x86_64', 'qemu-img', 'ip']);
        if (state.image.kind === 'cloud')
            await requireTools(['genisoimage']);
        state.accelerator = await detectAccelerator();
    }
    async create(req) {
        const { state, machine: m, image } = req;
        const dir = (0,external_node_path_.join)(state.dir, 'nodes', m.name);
        // 0700: the seed holds the node's SSH host key; QEMU runs as root.
        await (0,promises_.mkdir)(dir, { recursive: true, mode: 0o700 });
        const disk = (0,external_node_path_.join)(dir, 'disk.qcow2');
        await req.save();
        const tap = await createNodeTap(state.environmentId, m.name, m.index);
        if (image.kind === 'karoo') {
            await run('qemu-img', ['create', '-q', '-f', 'qcow2', '-F', 'qcow2', '-b', image.disk, disk]);
        }
        else {
            await run('qemu-img', ['create', '-q', '-f', 'qcow2', '-F', image.format, '-b', image.disk, disk, '20G']);
        }
        let seed;
        if (image.kind === 'karoo') {
            seed = { path: (0,external_node_path_.join)(dir, 'seed.tar'), kind: 'tar' };
            await writeSecretFile(seed.path, await seedTar(req.seed));
        }
        else {
            seed = { path: (0,external_node_path_.join)(dir, 'seed.iso'), kind: 'iso' };
            await writeNoCloudSeed(dir, seed.path, {
                name: m.name,
                machineId: m.machineId,
                mac: m.mac,
                address: m.address,
                seed: req.seed,
                authorizedKey: req.authorizedKey,
            });
        }
        const args = qemuArgs({
            name: m.machineId,
            accel: state.accelerator ?? 'tcg',
            cpus: m.cpus ?? (state.accelerator === 'kvm' ? 1 : 2),
            memory: m.memory ?? 512,
            disk,
            seed,
            tap,
            mac: m.mac,
            console: m.consoleLog,
            kernel: image.kind === 'karoo' ? { kernel: image.kernel, initrd: image.initrd, khz: await hostKhz() } : undefined,
        });
        const log = await (0,promises_.open)((0,external_node_path_.join)(dir, 'qemu.log'), 'a');
        try {
            // `ip netns exec` execs QEMU inside the environment's namespace, where the tap is; the pid stays the same.
            const child = (0,external_node_child_process_.spawn)('ip', ['netns', 'exec', names.netns(state.environmentId), 'qemu-system-x86_64', ...args], {
                detached: true,
                stdio: ['ignore', log.fd, log.fd],
            });
            const pid = await new Promise((resolve, reject) => {
                child.once('error', reject);
                child.once('spawn', () => resolve(child.pid));
            });
            child.unref();
            m.process = (await procRef(pid)) ?? { pid, startTime: 0 };
            m.startedAt = new Date().toISOString();
            await req.save();
        }
        finally {
            await log.close();
        }
    }
    isRunning(m) {
        return isAlive(m.process);
    }
    async waitReady(m, ssh, deadline) {
        try {
            await waitReadyOverSsh(m, ssh, deadline, () => this.isRunning(m), 'virtual machine');
        }
        catch (e) {
            // QEMU's own complaints (bad option, no accelerator) are in qemu.log, not on the console.
            const q = (await (0,promises_.readFile)((0,external_node_path_.join)(m.consoleLog, '..', '..', 'nodes', m.name, 'qemu.log'), 'utf8').catch(() => '')).trim();
            if (q && e instanceof Error)
                e.message += `\nqemu: ${q.split('\n').slice(-5).join('\nqemu: ')}`;
            throw e;
        }
    }
    async collectLogs(state, m, ssh, dir) {
        const saved = await collectCommonLogs(m, ssh, dir);
        const q = await (0,promises_.readFile)((0,external_node_path_.join)(state.dir, 'nodes', m.name, 'qemu.log'), 'utf8').catch(() => '');
        if (q.trim()) {
            const p = (0,external_node_path_.join)(dir, `${m.name}.qemu.log`);
            await (0,promises_.writeFile)(p, q);
            saved.push(p);
        }
        return saved;
    }
    async destroy(state, m) {
        if (m.process)
            await killAndWait([m.process], 5000);
        // The tap goes with the environment's namespace; the overlay disk with the node directory.
        await (0,promises_.rm)((0,external_node_path_.join)(state.dir, 'nodes', m.name), { recursive: true, force: true });
    }
}
/**
 * cloud-init NoCloud seed: user (root) with the environment key, hostname, hosts, host key,
 * static network. Its files and the ISO hold the host's private key: they are created 0600 in a
 * 0700 directory, and the files are deleted once the ISO is made.
 */
async function writeNoCloudSeed(dir, iso, m) {
    const req = m;
    const file = (p) => req.seed.find((f) => f.path === p)?.content ?? '';
    // Written into YAML lines: a newline would add keys of its own.
    for (const [k, v] of Object.entries({
        name: m.name,
        machineId: m.machineId,
        mac: m.mac,
        address: m.address,
        authorizedKey: m.authorizedKey.trim(),
    }))
        (0,lib/* configText */.Ut)(`cloud-init seed ${k}`, v);
    const hostKey = file('/etc/ssh/ssh_host_ed25519_key');
    const indent = (s, n) => s
        .split('\n')
        .map((l) => (l ? ' '.repeat(n) + l : l))
        .join('\n');
    const userData = [
        '#cloud-config',
        `hostname: ${m.name}`,
        'manage_etc_hosts: false',
        'disable_root: false',
        'ssh_pwauth: false',
        'ssh_genkeytypes: [ed25519]',
        'ssh_deletekeys: true',
        'ssh_authorized_keys:',
        `  - ${req.authorizedKey.trim()}`,
        'ssh_keys:',
        '  ed25519_private: |',
        indent(hostKey.trim(), 4),
        `  ed25519_public: ${file('/etc/ssh/ssh_host_ed25519_key.pub').trim()}`,
        'write_files:',
        '  - path: /etc/hosts',
        '    permissions: "0644"',
        '    content: |',
        indent(file('/etc/hosts').trim(), 6),
        '',
    ].join('\n');
    const net = [
        'version: 2',
        'ethernets:',
        '  karoo0:',
        '    match:',
        `      macaddress: "${m.mac}"`,
        `    addresses: [${m.address}/24]`,
        '    dhcp4: false',
        '    dhcp6: false',
        '',
    ].join('\n');
    const src = (0,external_node_path_.join)(dir, 'cidata');
    await (0,promises_.mkdir)(src, { mode: 0o700 });
    try {
        await writeSecretFile((0,external_node_path_.join)(src, 'user-data'), userData);
        await writeSecretFile((0,external_node_path_.join)(src, 'meta-data'), `instance-id: ${m.machineId}\nlocal-hostname: ${m.name}\n`);
        await writeSecretFile((0,external_node_path_.join)(src, 'network-config'), net);
        // genisoimage truncates the file it is given and keeps its mode.
        await writeSecretFile(iso, '');
        await run('genisoimage', [
            '-quiet',
            '-output',
            iso,
            '-volid',
            'cidata',
            '-joliet',
            '-rock',
            (0,external_node_path_.join)(src, 'user-data'),
            (0,external_node_path_.join)(src, 'meta-data'),
            (0,external_node_path_.join)(src, 'network-config'),
        ]);
    }
    finally {
        await (0,promises_.rm)(src, { recursive: true, force: true });
    }
}
//# sourceMappingURL=qemu.js.map
;// CONCATENATED MODULE: ./packages/machines/lib/src/placement.js

/**
 * Places nodes on hosts before anything is created: largest nodes first (memory, then vCPUs),
 * each on the host with the most memory left that has room and holds no other node of an
 * anti-affine role. Pure and deterministic (ties go to the earlier host). When the nodes do
 * not fit, throws an `unavailable` error naming the node that does not fit and the shortfall.
 */
function place(nodes, hosts, antiAffinity = []) {
    if (hosts.length === 0)
        throw new lib/* KarooError */.xD('input', 'placement needs at least one host; list them under provision.hosts');
    for (const n of nodes) {
        if (!(Number.isInteger(n.cpus) && n.cpus > 0))
            throw new lib/* KarooError */.xD('input', `node "${n.name}": cpus must be a positive integer, got ${n.cpus}`);
        if (!(Number.isInteger(n.memory) && n.memory > 0))
            throw new lib/* KarooError */.xD('input', `node "${n.name}": memory must be a positive number of MiB, got ${n.memory}`);
    }
    const seen = new Set();
    for (const h of hosts) {
        if (seen.has(h.name))
            throw new lib/* KarooError */.xD('input', `host "${h.name}" is listed twice`);
        seen.add(h.name);
    }
    const usable = hosts.filter((h) => !h.unavailable);
    const down = hosts.filter((h) => h.unavailable).map((h) => `${h.name} (${h.unavailable})`);
    const downNote = down.length ? `; unreachable: ${down.join(', ')}` : '';
    if (usable.length === 0)
        throw new lib/* KarooError */.xD('unavailable', `no host of the pool can be used${downNote}`);
    // Totals first: the clearest message when the pool is simply too small.
    const need = { cpus: sum(nodes.map((n) => n.cpus)), memory: sum(nodes.map((n) => n.memory)) };
    const have = { cpus: sum(usable.map((h) => Math.max(0, h.cpus))), memory: sum(usable.map((h) => Math.max(0, h.memory))) };
    const short = [];
    if (need.cpus > have.cpus)
        short.push(`${need.cpus - have.cpus} vCPU(s)`);
    if (need.memory > have.memory)
        short.push(`${need.memory - have.memory} MiB of memory`);
    if (short.length) {
        throw new lib/* KarooError */.xD('unavailable', `the environment does not fit: its ${nodes.length} node(s) need ${need.cpus} vCPU(s) and ${need.memory} MiB, the usable hosts have ${have.cpus} vCPU(s) and ${have.memory} MiB free: short by ${short.join(' and ')}${downNote}`);
    }
    const anti = new Set(antiAffinity);
    for (const role of anti) {
        const count = nodes.filter((n) => n.role === role).length;
        if (count > usable.length) {
            throw new lib/* KarooError */.xD('unavailable', `anti-affinity of role "${role}": ${count} node(s) need ${count} different hosts, the pool has ${usable.length} usable${downNote}`);
        }
    }
    const free = new Map(usable.map((h) => [h.name, { cpus: h.cpus, memory: h.memory, roles: new Set(), nodes: [] }]));
    const order = nodes.map((n, i) => ({ n, i })).sort((a, b) => b.n.memory - a.n.memory || b.n.cpus - a.n.cpus || a.i - b.i);
    const hostOf = new Map();
    for (const { n } of order) {
        let best;
        const why = [];
        for (const h of usable) {
            const f = free.get(h.name);
            if (anti.has(n.role) && f.roles.has(n.role)) {
                why.push(`${h.name} already holds a "${n.role}" node (anti-affinity)`);
                continue;
            }
            if (f.cpus < n.cpus || f.memory < n.memory) {
                why.push(`${h.name} has ${f.cpus} vCPU(s) and ${f.memory} MiB left`);
                continue;
            }
            if (best === undefined || f.memory > free.get(best).memory)
                best = h.name;
        }
        if (best === undefined) {
            throw new lib/* KarooError */.xD('unavailable', `node "${n.name}" (${n.role}: ${n.cpus} vCPU(s), ${n.memory} MiB) fits on no host: ${why.join('; ')}${downNote}`);
        }
        const f = free.get(best);
        f.cpus -= n.cpus;
        f.memory -= n.memory;
        f.roles.add(n.role);
        f.nodes.push(n.name);
        hostOf.set(n.name, best);
    }
    return {
        assignments: nodes.map((n) => ({ node: n.name, role: n.role, host: hostOf.get(n.name), cpus: n.cpus, memory: n.memory })),
        hosts: hosts.map((h) => {
            const f = free.get(h.name);
            const nodesHere = nodes.filter((n) => hostOf.get(n.name) === h.name);
            return {
                host: h.name,
                nodes: nodesHere.map((n) => n.name),
                cpus: sum(nodesHere.map((n) => n.cpus)),
                memory: sum(nodesHere.map((n) => n.memory)),
                freeCpus: f ? f.cpus : 0,
                freeMemory: f ? f.memory : 0,
                ...(h.unavailable ? { unavailable: h.unavailable } : {}),
            };
        }),
    };
}
/** One line per host, for the provision output: `host: node, node (3 vCPUs, 1536 MiB; 5 vCPUs, 2560 MiB left)`. */
function describePlacement(p) {
    return p.hosts.map((h) => h.unavailable
        ? `${h.host}: unreachable (${h.unavailable})`
        : `${h.host}: ${h.nodes.length ? h.nodes.join(', ') : '(nothing)'} (${h.cpus} vCPU(s), ${h.memory} MiB; ${h.freeCpus} vCPU(s), ${h.freeMemory} MiB left)`);
}
function sum(xs) {
    return xs.reduce((a, b) => a + b, 0);
}
//# sourceMappingURL=placement.js.map
;// CONCATENATED MODULE: ./packages/machines/lib/src/providers/libvirt-xml.js

/** The XML namespace of karoo's stamp in a domain's or network's `<metadata>`. */
const KAROO_XMLNS = 'https://karoo.dev/xmlns/libvirt/1';
function xmlEscape(s) {
    return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&apos;');
}
function stampXml(s) {
    const node = s.node ? ` node="${xmlEscape(s.node)}"` : '';
    return `<karoo:environment xmlns:karoo="${KAROO_XMLNS}" id="${xmlEscape(s.environmentId)}" expires="${xmlEscape(s.expiresAt)}" runner="${xmlEscape(s.runner)}"${node}/>`;
}
const ATTR = (name) => new RegExp(`\\s${name}="([^"]*)"`);
/** Reads karoo's stamp from `virsh metadata … URI` output (the element alone); undefined when it is not karoo's. */
function parseStamp(xml) {
    const m = /<(?:[A-Za-z0-9_]+:)?environment\b([^>]*)\/?>/.exec(xml);
    if (!m)
        return undefined;
    const attrs = m[1];
    const get = (n) => {
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
    if (!environmentId || !/^karoo-[0-9a-f]{8}$/.test(environmentId) || !expiresAt || Number.isNaN(Date.parse(expiresAt)))
        return undefined;
    const node = get('node');
    return { environmentId, expiresAt, runner: get('runner') ?? '', ...(node ? { node } : {}) };
}
/**
 * The domain of one node: the same machine as the qemu provider's command line (q35, virtio
 * disk with serial karoo-root, the seed as a second disk or a cloud-init CD, virtio NIC, serial
 * console into a file, no reboot), with karoo's stamp in `<metadata>` and `<description>`.
 */
function domainXml(d) {
    for (const [k, v] of Object.entries({ name: d.name, pool: d.pool, disk: d.disk, seed: d.seed.volume, network: d.network })) {
        if (!/^[A-Za-z0-9._-]+$/.test(v))
            throw new lib/* KarooError */.xD('input', `libvirt ${k} name "${v}" may hold only letters, digits, dot, dash and underscore`);
    }
    if (!/^([0-9a-f]{2}:){5}[0-9a-f]{2}$/.test(d.mac))
        throw new lib/* KarooError */.xD('input', `MAC address "${d.mac}" is not valid`);
    const os = ['    <type arch="x86_64" machine="q35">hvm</type>'];
    if (d.kernel) {
        const cmdline = ['root=serial:karoo-root', 'rw', 'console=ttyS0', 'quiet', 'panic=-1'];
        if (d.type === 'qemu')
            cmdline.push(...(d.kernel.khz ? [`tsc_early_khz=${d.kernel.khz}`] : []), 'tsc=reliable', 'no_timer_check');
        os.push(`    <kernel>${xmlEscape(d.kernel.kernel)}</kernel>`, `    <initrd>${xmlEscape(d.kernel.initrd)}</initrd>`, `    <cmdline>${xmlEscape(cmdline.join(' '))}</cmdline>`);
    }
    else {
        os.push('    <boot dev="hd"/>');
    }
    const seedDisk = d.seed.kind === 'tar'
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
function onRootBus(slot) {
    return `<address type="pci" domain="0x0000" bus="0x00" slot="0x${slot.toString(16).padStart(2, '0')}" function="0x0"/>`;
}
/**
 * An isolated network of one environment on one host: a bridge without an address, no DHCP, no
 * forwarding (nodes have static addresses from their seed); the runner reaches it through a veth
 * from the environment's namespace.
 */
function privateNetworkXml(name, bridge, stamp) {
    if (!/^[A-Za-z0-9._-]+$/.test(name) || !/^[a-z0-9]{1,15}$/.test(bridge))
        throw new lib/* KarooError */.xD('input', `libvirt network "${name}" / bridge "${bridge}" is not a valid name`);
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
//# sourceMappingURL=libvirt-xml.js.map
;// CONCATENATED MODULE: ./packages/machines/lib/src/providers/libvirt-client.js






/** The URI virsh connects with: karoo.yml's URI plus the credential files as libvirt's own URI parameters, never prompting. */
function connectUri(h) {
    const q = [];
    if (h.uri.startsWith('qemu+ssh:')) {
        if (h.sshKey)
            q.push(`keyfile=${encodeURIComponent(h.sshKey)}`);
        q.push('no_tty=1');
    }
    if (h.pkiDir && h.uri.startsWith('qemu+tls:'))
        q.push(`pkipath=${encodeURIComponent(h.pkiDir)}`);
    return q.length ? `${h.uri}${h.uri.includes('?') ? '&' : '?'}${q.join('&')}` : h.uri;
}
/** libvirt's "not found" errors: the thing is already gone. */
const NOT_FOUND = /(failed to get|not found|no (domain|network|storage (vol|pool)) with matching|Domain not found|Network not found|Storage volume not found)/i;
/** Errors that mean the host cannot be reached at all (as opposed to a refused request). */
const UNREACHABLE = /(failed to connect to the hypervisor|Cannot recv data|Connection refused|No route to host|Connection reset|Could not resolve|Network is unreachable|timed out|did not finish)/i;
function isUnreachable(e) {
    return e instanceof Error && UNREACHABLE.test(e.message);
}
/**
 * Runs independent steps at once and waits for every one of them, so that nothing is still
 * being made on a host when a failure is reported (and teardown starts); then throws the first
 * failure in the order given (not the first to happen: the message does not depend on timing),
 * or returns every result.
 */
async function allDone(steps) {
    await Promise.allSettled(steps);
    return Promise.all(steps);
}
/**
 * Whether a host's domains get KVM, from its `virsh capabilities`: a guest of domain type kvm,
 * and a host CPU that lists vmx or svm. A host that is itself a nested sandbox (a microVM with
 * a /dev/kvm but no virtualisation flags) offers kvm domains that stop at their first emulated
 * instruction ("KVM internal error … emulation failure"): such a host runs them under TCG, as
 * the qemu provider does on such a runner (detectAccelerator).
 */
function kvmUsable(capabilities) {
    if (!/<domain type=["']kvm["']/.test(capabilities))
        return false;
    const cpu = /<host>[\s\S]*?<cpu>([\s\S]*?)<\/cpu>/.exec(capabilities)?.[1] ?? '';
    return /<feature name=["'](vmx|svm)["']/.test(cpu);
}
/** One libvirt connection through virsh (libvirt's own client: no RPC of karoo's own). */
class Virsh {
    host;
    timeoutMs;
    uri;
    constructor(host, timeoutMs = 60_000) {
        this.host = host;
        this.timeoutMs = timeoutMs;
        this.uri = connectUri(host);
    }
    /** Runs `virsh --connect URI ARGS`; errors name the host and virsh's own message. */
    async run(args, opts = {}) {
        const r = await run('virsh', ['--quiet', '--connect', this.uri, ...args], {
            allowFailure: true,
            timeoutMs: opts.timeoutMs ?? this.timeoutMs,
            ...(opts.input !== undefined ? { input: opts.input } : {}),
        }).catch((e) => ({ code: -1, stdout: '', stderr: e.message, signal: null }));
        if (r.code !== 0) {
            const why = (r.stderr.trim() || r.stdout.trim())
                .replace(/^error:\s*/gm, '')
                .split('\n')
                .filter(Boolean)
                .join(' | ');
            const kind = UNREACHABLE.test(why) ? 'unavailable' : 'internal';
            throw new lib/* KarooError */.xD(kind, `libvirt host ${this.host.name} (${this.host.uri}): virsh ${args[0]} failed: ${why}`);
        }
        return r.stdout;
    }
    /** Like run, but a "not found" answer is undefined. */
    async maybe(args) {
        try {
            return await this.run(args);
        }
        catch (e) {
            if (NOT_FOUND.test(e.message))
                return undefined;
            throw e;
        }
    }
    async capacity() {
        // Independent questions, asked at once: each is a virsh process and a connection of its own.
        const [info, free, domains, caps] = await allDone([
            this.run(['nodeinfo']),
            this.run(['freecell']),
            this.karooDomains(),
            this.run(['capabilities']),
        ]);
        const cpus = Number(/^CPU\(s\):\s*(\d+)/m.exec(info)?.[1]);
        const kib = Number(/(\d+)\s*KiB/.exec(free)?.[1]);
        if (!(cpus > 0) || !(kib > 0))
            throw new lib/* KarooError */.xD('unavailable', `libvirt host ${this.host.name}: cannot read its CPUs and free memory (nodeinfo: ${info.trim().split('\n')[1] ?? '?'}, freecell: ${free.trim()})`);
        let karooCpus = 0;
        let karooMemory = 0;
        for (const di of await Promise.all(domains.map((d) => this.maybe(['dominfo', d.name])))) {
            if (!di)
                continue;
            karooCpus += Number(/^CPU\(s\):\s*(\d+)/m.exec(di)?.[1] ?? 0);
            karooMemory += Math.round(Number(/^Max memory:\s*(\d+)/m.exec(di)?.[1] ?? 0) / 1024);
        }
        return { cpus, freeMemory: Math.floor(kib / 1024), karooCpus, karooMemory, kvm: kvmUsable(caps) };
    }
    async poolPath(pool) {
        const xml = await this.run(['pool-dumpxml', pool]).catch((e) => {
            throw new lib/* KarooError */.xD(NOT_FOUND.test(e.message) ? 'input' : 'unavailable', `libvirt host ${this.host.name}: storage pool "${pool}" cannot be used (${e.message.replace(/^.*failed: /, '')}); name an existing, running pool in provision.hosts[].pool`);
        });
        const p = /<target>\s*<path>([^<]+)<\/path>/.exec(xml)?.[1];
        if (!p)
            throw new lib/* KarooError */.xD('input', `libvirt host ${this.host.name}: storage pool "${pool}" has no target path; use a directory pool`);
        return p;
    }
    async volExists(pool, name) {
        return (await this.maybe(['vol-info', '--pool', pool, name])) !== undefined;
    }
    /** Bytes allocated to a volume on disk, or undefined when there is no such volume. */
    async volAllocation(pool, name) {
        const info = await this.maybe(['vol-info', '--bytes', '--pool', pool, name]);
        return info === undefined ? undefined : Number(/^Allocation:\s*(\d+)/m.exec(info)?.[1] ?? 0);
    }
    async volPath(pool, name) {
        return (await this.run(['vol-path', '--pool', pool, name])).trim();
    }
    async volCapacity(pool, name) {
        const info = await this.run(['vol-info', '--bytes', '--pool', pool, name]);
        return Number(/^Capacity:\s*(\d+)/m.exec(info)?.[1] ?? 0);
    }
    /** Creates a volume and fills it with a local file's bytes (streamed over the connection). */
    async upload(pool, name, file) {
        const size = (await (0,promises_.stat)(file)).size;
        await this.run(['vol-create-as', pool, name, String(Math.max(size, 1)), '--format', 'raw']);
        await this.run(['vol-upload', '--pool', pool, name, file], { timeoutMs: 30 * 60_000 });
    }
    /** An empty raw volume (a marker, or a console file QEMU appends to). */
    async createEmpty(pool, name) {
        await this.run(['vol-create-as', pool, name, '0', '--format', 'raw']);
    }
    /** A qcow2 overlay whose backing file is `backing` (copy-on-write: instant, shares the base). */
    async createOverlay(pool, name, backing, backingFormat, capacityBytes) {
        await this.run([
            'vol-create-as',
            pool,
            name,
            String(capacityBytes),
            '--format',
            'qcow2',
            '--backing-vol',
            backing,
            '--backing-vol-format',
            backingFormat,
        ]);
    }
    async download(pool, name, file) {
        await this.run(['vol-download', '--pool', pool, name, file]);
    }
    /** Deletes a volume; gone already is fine. */
    async deleteVolume(pool, name) {
        await this.maybe(['vol-delete', '--pool', pool, name]);
    }
    async listVolumes(pool) {
        const out = await this.run(['vol-list', '--pool', pool]);
        return out
            .split('\n')
            .map((l) => l.trim().split(/\s+/)[0] ?? '')
            .filter(Boolean);
    }
    /** Defines a persistent domain (or network) from XML. */
    async define(kind, xml) {
        const dir = await (0,promises_.mkdtemp)((0,external_node_path_.join)((0,external_node_os_.tmpdir)(), 'karoo-virsh-'));
        try {
            const f = (0,external_node_path_.join)(dir, `${kind}.xml`);
            await (0,promises_.writeFile)(f, xml, { mode: 0o600 });
            await this.run([kind === 'domain' ? 'define' : 'net-define', f]);
        }
        finally {
            await (0,promises_.rm)(dir, { recursive: true, force: true });
        }
    }
    async start(name) {
        await this.run(['start', name], { timeoutMs: 120_000 });
    }
    /** `running`, `shut off`, … or undefined when no such domain exists. */
    async domainState(name) {
        return (await this.maybe(['domstate', name]))?.trim();
    }
    /** The domain's state with libvirt's reason for it (`shut off (crashed)`, `paused (crashed)`), or undefined when there is no such domain. */
    async domainStateReason(name) {
        return (await this.maybe(['domstate', '--reason', name]))?.trim();
    }
    /** Stops (hard) and undefines a domain; gone already is fine. */
    async removeDomain(name) {
        const st = await this.domainState(name);
        if (st === undefined)
            return;
        if (st !== 'shut off')
            await this.maybe(['destroy', name]);
        await this.maybe(['undefine', name, '--nvram']).catch(() => this.maybe(['undefine', name]));
    }
    async listDomains() {
        return (await this.run(['list', '--all', '--name']))
            .split('\n')
            .map((s) => s.trim())
            .filter(Boolean);
    }
    /** karoo's stamp of a domain, or undefined when it has none (not karoo's, whatever its name). */
    async domainStamp(name) {
        const xml = await this.maybe(['metadata', name, KAROO_XMLNS, '--config']).catch(() => undefined);
        return xml ? parseStamp(xml) : undefined;
    }
    /** Domains named karoo-… that carry karoo's stamp. */
    async karooDomains() {
        const names = (await this.listDomains()).filter((n) => n.startsWith('karoo-'));
        const stamps = await Promise.all(names.map((n) => this.domainStamp(n)));
        const out = [];
        for (const [i, name] of names.entries()) {
            const stamp = stamps[i];
            if (stamp && name.startsWith(`${stamp.environmentId}-`))
                out.push({ name, stamp });
        }
        return out;
    }
    async startNetwork(name) {
        await this.run(['net-start', name]);
    }
    /** The bridge device of a network, or undefined when there is no such network. */
    async networkBridge(name) {
        const xml = await this.maybe(['net-dumpxml', name]);
        if (xml === undefined)
            return undefined;
        return /<bridge\s[^>]*name=['"]([^'"]+)['"]/.exec(xml)?.[1];
    }
    async networkStamp(name) {
        const xml = await this.maybe(['net-dumpxml', name]).catch(() => undefined);
        return xml ? parseStamp(xml) : undefined;
    }
    async listNetworks() {
        return (await this.run(['net-list', '--all', '--name']))
            .split('\n')
            .map((s) => s.trim())
            .filter(Boolean);
    }
    async removeNetwork(name) {
        await this.maybe(['net-destroy', name]);
        await this.maybe(['net-undefine', name]);
    }
}
//# sourceMappingURL=libvirt-client.js.map
;// CONCATENATED MODULE: ./packages/machines/lib/src/providers/libvirt.js


















/** ProvisionOptions' libvirt part from karoo.yml's provision section (nothing for the other providers). */
function libvirtOptions(p) {
    return p.hosts?.length ? { libvirt: { hosts: p.hosts, ...(p.antiAffinity?.length ? { antiAffinity: p.antiAffinity } : {}) } } : {};
}
/** Node defaults when karoo.yml declares none: one vCPU (placement counts it), 512 MiB. */
const LIBVIRT_NODE_DEFAULTS = { cpus: 1, memory: 512 };
const recordPath = (state) => (0,external_node_path_.join)(state.dir, 'libvirt.json');
async function readRecord(state) {
    try {
        return JSON.parse(await (0,promises_.readFile)(recordPath(state), 'utf8'));
    }
    catch {
        return undefined;
    }
}
/** This runner: host name and boot. Orphans a runner made (no state left) may be reaped by it before they expire. */
async function runnerId() {
    return `${(0,external_node_os_.hostname)()}/${await bootId()}`;
}
/** The volume names of one node (all `karoo-<env>-<node>.…`). */
const libvirtNames = {
    domain: (env, node) => names.machine(env, node),
    disk: (env, node) => `${names.machine(env, node)}.qcow2`,
    seed: (env, node) => `${names.machine(env, node)}.seed`,
    console: (env, node) => `${names.machine(env, node)}.console`,
    network: (env) => env,
    /** Linux interface names: at most 15 bytes. */
    bridge: (env) => `kv${env.slice('karoo-'.length)}`,
    /** The runner's end of the link into a network's bridge (host side), the other end `lv0` in the environment's namespace. */
    link: (env) => `kl${env.slice('karoo-'.length)}`,
    base: (sha256, what) => `karoo-base-${sha256.slice(0, 24)}.${what}`,
};
/** Whether a URI names the libvirtd of the machine karoo runs on. */
function isLocalUri(uri) {
    return /^qemu(\+unix)?:\/\/\/(system|session)$/.test(uri);
}
/** sha256 of a file, remembered by path, size and mtime (the image files are large and do not change). */
async function fileSha256(path) {
    const st = await (0,promises_.stat)(path);
    const memo = (0,external_node_path_.join)(cacheRoot(), 'libvirt', `${(0,external_node_crypto_.createHash)('sha256').update(path).digest('hex').slice(0, 16)}.json`);
    try {
        const m = JSON.parse(await (0,promises_.readFile)(memo, 'utf8'));
        if (m.size === st.size && m.mtimeMs === st.mtimeMs)
            return m.sha256;
    }
    catch {
        // not yet
    }
    const h = (0,external_node_crypto_.createHash)('sha256');
    for await (const chunk of (0,external_node_fs_.createReadStream)(path))
        h.update(chunk);
    const sha256 = h.digest('hex');
    await (0,promises_.mkdir)((0,external_node_path_.join)(cacheRoot(), 'libvirt'), { recursive: true });
    await (0,lib/* writeFileAtomic */.Zf)(memo, JSON.stringify({ size: st.size, mtimeMs: st.mtimeMs, sha256 }));
    return sha256;
}
/** Hosts this runner has ever provisioned on: `karoo reap` sweeps every one of them. */
const KNOWN_HOSTS_FILE = () => (0,external_node_path_.join)(stateRoot(), 'libvirt-hosts.json');
/** What a teardown could not remove (host unreachable): retried by the next `karoo reap`. */
const PENDING_FILE = () => (0,external_node_path_.join)(stateRoot(), 'libvirt-pending.json');
async function readJsonList(path) {
    try {
        const v = JSON.parse(await (0,promises_.readFile)(path, 'utf8'));
        return Array.isArray(v) ? v : [];
    }
    catch {
        return [];
    }
}
async function rememberHosts(hosts) {
    const known = await readJsonList(KNOWN_HOSTS_FILE());
    let changed = false;
    for (const h of hosts) {
        const i = known.findIndex((k) => k.uri === h.uri);
        if (i < 0 || JSON.stringify(known[i]) !== JSON.stringify(h)) {
            if (i < 0)
                known.push({ ...h });
            else
                known[i] = { ...h };
            changed = true;
        }
    }
    if (changed) {
        await (0,promises_.mkdir)(stateRoot(), { recursive: true });
        await (0,lib/* writeFileAtomic */.Zf)(KNOWN_HOSTS_FILE(), `${JSON.stringify(known, null, 2)}\n`);
    }
}
async function addPending(p) {
    const list = await readJsonList(PENDING_FILE());
    const same = list.find((x) => x.host.uri === p.host.uri && x.environmentId === p.environmentId);
    if (same) {
        same.domains = [...new Set([...same.domains, ...p.domains])];
        same.volumes = [...new Set([...same.volumes, ...p.volumes])];
        same.networks = [...new Set([...same.networks, ...p.networks])];
        same.reason = p.reason;
    }
    else
        list.push(p);
    await (0,promises_.mkdir)(stateRoot(), { recursive: true });
    await (0,lib/* writeFileAtomic */.Zf)(PENDING_FILE(), `${JSON.stringify(list, null, 2)}\n`);
}
/**
 * Virtual machines on a pool of hypervisor hosts through libvirt (virsh --connect): placed by
 * declared vCPUs/memory against each host's free capacity before anything is made; karoo's image
 * uploaded once per host into its storage pool (named by its sha256, reused), one qcow2 overlay
 * per node; domains stamped with the environment and its expiry. The runner reaches the nodes
 * through the environment's namespace, linked by a veth to the network's bridge on this machine.
 */
class LibvirtProvider {
    settings;
    name = 'libvirt';
    progress;
    record;
    once = new Map();
    /** Without settings it can only tear down (the record in the environment's directory names the hosts). */
    constructor(settings) {
        this.settings = settings;
        this.progress = settings?.progress ?? lib/* silentProgress */.RZ;
    }
    memo(key, f) {
        let p = this.once.get(key);
        if (!p) {
            p = f();
            this.once.set(key, p);
            // A failure is the caller's to report; a later caller retries.
            p.catch(() => this.once.delete(key));
        }
        return p;
    }
    maxParallelBoots(state) {
        const forced = Number(process.env.KAROO_MAX_PARALLEL_BOOTS);
        if (forced > 0)
            return forced;
        // Creation is bounded per host by the hosts' own cores; two at a time per host under emulation.
        const hosts = this.settings?.hosts.length ?? 1;
        return Math.max(1, hosts * (state.accelerator === 'kvm' ? 4 : 2));
    }
    async prepare(state) {
        const settings = this.settings;
        if (!settings || settings.hosts.length === 0)
            throw new lib/* KarooError */.xD('input', 'provider libvirt needs hosts: list them under provision.hosts in karoo.yml');
        if (process.getuid?.() !== 0)
            throw new lib/* KarooError */.xD('refused', "the libvirt provider needs root on the runner (the environment's namespace and its link to the nodes' network); run as root or with sudo");
        await requireTools(['virsh', 'ip']);
        if (settings.hosts.length > 1 && settings.hosts.some((h) => !h.network)) {
            throw new lib/* KarooError */.xD('input', 'with several libvirt hosts every host needs network: the bridged libvirt network their nodes share');
        }
        for (const h of settings.hosts) {
            if (!h.network && !isLocalUri(h.uri)) {
                throw new lib/* KarooError */.xD('input', `libvirt host ${h.name} (${h.uri}) is not this machine: name the site's bridged network it shares with the runner (provision.hosts[].network)`);
            }
        }
        await rememberHosts(settings.hosts);
        // Ask every host at once; a host that does not answer takes no node and is named.
        const answers = await Promise.all(settings.hosts.map(async (h) => {
            try {
                const v = new Virsh(h, 30_000);
                const [c] = await allDone([v.capacity(), v.poolPath(h.pool)]);
                const cpus = (h.cpus ?? c.cpus) - c.karooCpus;
                const memory = Math.min((h.memory ?? c.freeMemory + c.karooMemory) - c.karooMemory, c.freeMemory);
                return { name: h.name, cpus, memory, kvm: c.kvm };
            }
            catch (e) {
                if (e instanceof lib/* KarooError */.xD && e.kind === 'input')
                    throw e;
                return {
                    name: h.name,
                    cpus: 0,
                    memory: 0,
                    kvm: false,
                    unavailable: e.message.replace(`libvirt host ${h.name} (${h.uri}): `, ''),
                };
            }
        }));
        const nodes = state.machines.map((m) => ({
            name: m.name,
            role: m.role,
            cpus: m.cpus ?? LIBVIRT_NODE_DEFAULTS.cpus,
            memory: m.memory ?? LIBVIRT_NODE_DEFAULTS.memory,
        }));
        for (const m of state.machines) {
            m.cpus ??= LIBVIRT_NODE_DEFAULTS.cpus;
            m.memory ??= LIBVIRT_NODE_DEFAULTS.memory;
        }
        const placement = place(nodes, answers, settings.antiAffinity ?? []);
        for (const line of describePlacement(placement))
            this.progress.info(`placement: ${line}`);
        const used = new Set(placement.assignments.map((a) => a.host));
        state.accelerator = answers.filter((a) => used.has(a.name)).every((a) => a.kvm) ? 'kvm' : 'tcg';
        this.record = {
            runner: await runnerId(),
            hosts: settings.hosts.filter((h) => used.has(h.name)).map((h) => ({ ...h })),
            placement: Object.fromEntries(placement.assignments.map((a) => [a.node, a.host])),
            networks: {},
            nodes: {},
        };
        await this.saveRecord(state);
    }
    async saveRecord(state) {
        await (0,lib/* writeFileAtomic */.Zf)(recordPath(state), `${JSON.stringify(this.record, null, 2)}\n`);
    }
    hostOf(m) {
        const r = this.record;
        const h = r?.hosts.find((x) => x.name === r.placement[m.name]);
        if (!h)
            throw new lib/* KarooError */.xD('internal', `node ${m.name} has no host in the placement`);
        return h;
    }
    async stamp(state, node) {
        return {
            environmentId: state.environmentId,
            expiresAt: state.expiresAt,
            runner: this.record?.runner ?? (await runnerId()),
            ...(node ? { node } : {}),
        };
    }
    /** The network the host's nodes join, and the runner's link to its bridge (once per bridge). */
    network(state, h) {
        return this.memo(`net:${h.name}`, async () => {
            const env = state.environmentId;
            const v = new Virsh(h);
            let net = h.network;
            if (!net) {
                net = libvirtNames.network(env);
                this.record.networks[h.name] = net;
                await this.saveRecord(state);
                await v.define('network', privateNetworkXml(net, libvirtNames.bridge(env), await this.stamp(state)));
                await v.startNetwork(net);
            }
            const bridge = await v.networkBridge(net);
            if (!bridge)
                throw new lib/* KarooError */.xD('input', `libvirt host ${h.name}: network "${net}" does not exist or has no bridge; name a bridged libvirt network the site provides`);
            // One leg per network: the runner joins the segment on its own machine, whose bridge may be
            // named differently from a remote host's (the network's name is what the hosts share).
            await this.memo(`link:${net}`, async () => {
                const local = isLocalUri(h.uri) ? undefined : this.settings?.hosts.find((x) => isLocalUri(x.uri) && x.network === net);
                const here = local ? await new Virsh(local).networkBridge(net) : bridge;
                return linkRunner(state, here ?? bridge, h, net);
            });
            return net;
        });
    }
    /** karoo's image in the host's pool, uploaded once per host (named by sha256, reused when its upload completed). */
    base(h, image) {
        return this.memo(`base:${h.name}`, async () => {
            const v = new Virsh(h);
            const files = image.kind === 'karoo'
                ? [
                    ['qcow2', image.disk],
                    ['vmlinux', image.kernel],
                    ['initrd', image.initrd],
                ]
                : [[image.format, image.disk]];
            // The files are independent volumes: checked (and uploaded where missing) at once.
            const [uploaded, virtualSize] = await allDone([
                allDone(files.map(async ([what, file]) => {
                    const sha = image.kind === 'cloud' ? image.sha256 : await fileSha256(file);
                    const vol = libvirtNames.base(sha, what);
                    await ensureUploaded(v, h.pool, vol, file, this.progress);
                    return [what, vol];
                })),
                qcow2VirtualSize(image.disk).catch((e) => (image.kind === 'karoo' ? Promise.reject(e) : 0)),
            ]);
            const vols = Object.fromEntries(uploaded);
            const disk = vols[image.kind === 'karoo' ? 'qcow2' : image.format];
            const format = image.kind === 'karoo' ? 'qcow2' : image.format;
            const capacity = image.kind === 'karoo' ? virtualSize : Math.max(20 * 2 ** 30, virtualSize);
            const boot = image.kind === 'karoo' ? await Promise.all([v.volPath(h.pool, vols.vmlinux), v.volPath(h.pool, vols.initrd)]) : undefined;
            return { disk, format, capacity, ...(boot ? { kernel: boot[0], initrd: boot[1] } : {}) };
        });
    }
    async create(req) {
        const { state, machine: m, image } = req;
        if (!this.record)
            throw new lib/* KarooError */.xD('internal', 'libvirt provider: create before prepare');
        const env = state.environmentId;
        const h = this.hostOf(m);
        const v = new Virsh(h);
        const [net, base] = await Promise.all([this.network(state, h), this.base(h, image)]);
        const domain = libvirtNames.domain(env, m.name);
        const disk = libvirtNames.disk(env, m.name);
        const seedVol = libvirtNames.seed(env, m.name);
        const consoleVol = libvirtNames.console(env, m.name);
        // Recorded before anything is made: a crash from here on leaves a record teardown reads.
        this.record.nodes[m.name] = { host: h.name, domain, volumes: [disk, seedVol, consoleVol] };
        await this.saveRecord(state);
        await req.save();
        const dir = (0,external_node_path_.join)(state.dir, 'nodes', m.name);
        // 0700: the seed holds the node's SSH host key.
        await (0,promises_.mkdir)(dir, { recursive: true, mode: 0o700 });
        let seedFile;
        let seedKind;
        if (image.kind === 'karoo') {
            seedKind = 'tar';
            seedFile = (0,external_node_path_.join)(dir, 'seed.tar');
            await writeSecretFile(seedFile, await seedTar(req.seed));
        }
        else {
            seedKind = 'iso';
            seedFile = (0,external_node_path_.join)(dir, 'seed.iso');
            await writeNoCloudSeed(dir, seedFile, {
                name: m.name,
                machineId: m.machineId,
                mac: m.mac,
                address: m.address,
                seed: req.seed,
                authorizedKey: req.authorizedKey,
            });
        }
        // The node's three volumes are independent: made at once (each is a virsh process).
        let consolePath;
        try {
            [, , consolePath] = await allDone([
                v.createOverlay(h.pool, disk, base.disk, base.format, base.capacity),
                v.upload(h.pool, seedVol, seedFile),
                v.createEmpty(h.pool, consoleVol).then(() => v.volPath(h.pool, consoleVol)),
            ]);
        }
        finally {
            // The host key goes to the host's pool only; no copy stays on the runner.
            await (0,promises_.rm)(seedFile, { force: true });
        }
        const xml = domainXml({
            name: domain,
            type: state.accelerator === 'kvm' ? 'kvm' : 'qemu',
            cpus: m.cpus ?? LIBVIRT_NODE_DEFAULTS.cpus,
            memory: m.memory ?? LIBVIRT_NODE_DEFAULTS.memory,
            stamp: await this.stamp(state, m.name),
            pool: h.pool,
            disk,
            seed: { volume: seedVol, kind: seedKind },
            console: consolePath,
            network: net,
            mac: m.mac,
            ...(base.kernel && base.initrd ? { kernel: { kernel: base.kernel, initrd: base.initrd, khz: await libvirt_hostKhz() } } : {}),
        });
        await v.define('domain', xml);
        await v.start(domain);
        m.startedAt = new Date().toISOString();
        await req.save();
    }
    async ensureRecord(state) {
        this.record ??= await readRecord(state);
        return this.record;
    }
    async isRunning(m) {
        const h = this.record && this.record.nodes[m.name] ? this.hostOf(m) : undefined;
        if (!h)
            return false;
        try {
            return (await new Virsh(h, 15_000).domainState(this.record.nodes[m.name].domain)) === 'running';
        }
        catch {
            // Cannot tell (host busy or briefly unreachable): keep waiting until the deadline.
            return true;
        }
    }
    /** The node's record (domain, volumes) and the host it was placed on, when both are known. */
    placed(m) {
        const n = this.record?.nodes[m.name];
        const h = n && this.record.hosts.find((x) => x.name === n.host);
        return n && h ? { n, h } : undefined;
    }
    /** Copies the node's console (a volume in its host's pool) to its consoleLog on the runner. */
    async fetchConsole(m) {
        const p = this.placed(m);
        if (!p)
            return;
        const { n, h } = p;
        await (0,promises_.mkdir)((0,external_node_path_.join)(m.consoleLog, '..'), { recursive: true });
        await new Virsh(h, 30_000).download(h.pool, n.volumes[2], m.consoleLog).catch(() => undefined);
    }
    async waitReady(m, ssh, deadline) {
        try {
            // waitForSsh asks between probes (every 50 ms while the port is shut): each answer is a virsh
            // process and a libvirt connection, which a busy host's CPUs feel. Ask libvirt every 2 s at most.
            let asked = { at: 0, running: true };
            const alive = async () => {
                if (Date.now() - asked.at >= 2000)
                    asked = { at: Date.now(), running: await this.isRunning(m) };
                return asked.running;
            };
            await waitForSsh(ssh, deadline, alive);
        }
        catch (e) {
            await this.fetchConsole(m);
            const [tail, why] = await Promise.all([consoleTail(m.consoleLog), this.whyStopped(m)]);
            throw new lib/* KarooError */.xD('unavailable', `libvirt domain ${m.machineId} on ${this.record?.placement[m.name] ?? '?'} is not reachable over SSH: ${e.message}${why}; last console lines:\n${tail}`, {
                detail: { node: m.name, console: tail },
            });
        }
    }
    /**
     * What libvirt says about a domain that is not running (` (libvirt: shut off (crashed))`), and
     * for a domain on the runner's own libvirtd the last lines of its QEMU log, where QEMU writes
     * why it stopped (a KVM internal error, say) and the console shows nothing. Empty when the
     * domain runs or libvirt cannot be asked.
     */
    async whyStopped(m) {
        const p = this.placed(m);
        if (!p)
            return '';
        const { n, h } = p;
        const state = await new Virsh(h, 15_000).domainStateReason(n.domain).catch(() => undefined);
        if (!state || state.startsWith('running'))
            return '';
        let why = ` (libvirt: ${state})`;
        if (isLocalUri(h.uri)) {
            const log = `/var/log/libvirt/qemu/${n.domain}.log`;
            const lines = (await (0,promises_.readFile)(log, 'utf8').catch(() => ''))
                .split('\n')
                // QEMU's register dump after a KVM error is no help here; its own lines are.
                .filter((l) => l.trim() !== '' && !/^([A-Z][A-Z0-9]{1,3}\s*=|Code=|extra data\[)/.test(l))
                .slice(-6);
            if (lines.length)
                why += `; the end of ${log}: ${lines.join(' | ')}`;
        }
        return why;
    }
    async collectLogs(state, m, ssh, dir) {
        await this.ensureRecord(state);
        await this.fetchConsole(m);
        return collectCommonLogs(m, ssh, dir);
    }
    /**
     * Removes the node's domain and volumes on its host; the last node of the environment on a host
     * also takes the environment's private network. An unreachable host is recorded for the next
     * `karoo reap` and reported (thrown).
     */
    async destroy(state, m) {
        const r = await this.ensureRecord(state);
        await (0,promises_.rm)((0,external_node_path_.join)(state.dir, 'nodes', m.name), { recursive: true, force: true });
        if (!r)
            return;
        const hostName = r.nodes[m.name]?.host ?? r.placement[m.name];
        const h = r.hosts.find((x) => x.name === hostName);
        if (!h)
            return;
        const env = state.environmentId;
        const domain = libvirtNames.domain(env, m.name);
        const volumes = [libvirtNames.disk(env, m.name), libvirtNames.seed(env, m.name), libvirtNames.console(env, m.name)];
        const network = r.networks[h.name];
        try {
            await removeOnHost(new Virsh(h), env, [domain], volumes, network ? [network] : []);
        }
        catch (e) {
            if (!isUnreachable(e) && !(e instanceof lib/* KarooError */.xD && e.kind === 'unavailable'))
                throw e;
            await addPending({
                host: h,
                environmentId: env,
                domains: [domain],
                volumes,
                networks: network ? [network] : [],
                reason: e.message,
            });
            throw new lib/* KarooError */.xD('unavailable', `libvirt host ${h.name} (${h.uri}) is unreachable: ${domain} and its volumes are left there; the next karoo reap retries`);
        }
    }
}
/** Removes domains, then their volumes, then (when no domain of the environment is left there) the environment's networks. */
async function removeOnHost(v, env, domains, volumes, networks) {
    for (const d of domains) {
        // Only ever a domain karoo stamped for this environment.
        const stamp = await v.domainStamp(d);
        if (stamp && stamp.environmentId !== env)
            continue;
        if (!stamp && (await v.domainState(d)) !== undefined)
            continue;
        await v.removeDomain(d);
    }
    for (const vol of volumes)
        if (vol.startsWith(`${env}-`))
            await v.deleteVolume(v.host.pool, vol);
    if (networks.length) {
        const left = (await v.listDomains()).filter((d) => d.startsWith(`${env}-`));
        if (left.length === 0) {
            for (const n of networks) {
                const stamp = await v.networkStamp(n);
                if (stamp?.environmentId === env)
                    await v.removeNetwork(n);
            }
        }
    }
}
/**
 * Uploads a file as a base volume unless a complete upload exists (its `.ok` marker volume is made
 * last). A volume without its marker is another environment's upload in progress while its
 * allocation grows: waited for; once it has not grown for `staleMs` it is an upload cut short,
 * deleted and made again. Returns whether this call uploaded.
 */
async function ensureUploaded(v, pool, vol, file, progress, staleMs = 15_000) {
    const marker = `${vol}.ok`;
    const deadline = Date.now() + 60 * 60_000;
    let last;
    let since = Date.now();
    while (Date.now() < deadline) {
        if (await v.volExists(pool, marker))
            return false;
        const allocation = await v.volAllocation(pool, vol);
        if (allocation === undefined) {
            const started = Date.now();
            try {
                await v.upload(pool, vol, file);
            }
            catch (e) {
                // Another environment created it first: wait for its upload as above.
                if (/already exists|already in use|exists already/i.test(e.message))
                    continue;
                // Nothing half-made stays under the name that is trusted once its marker exists.
                await v.deleteVolume(pool, vol).catch(() => undefined);
                throw e;
            }
            await v.createEmpty(pool, marker);
            progress.info(`libvirt host ${v.host.name}: uploaded ${vol} (${Math.round((await (0,promises_.stat)(file)).size / 2 ** 20)} MiB) in ${Math.round((Date.now() - started) / 100) / 10} s`);
            return true;
        }
        if (allocation !== last) {
            last = allocation;
            since = Date.now();
        }
        else if (Date.now() - since >= staleMs) {
            progress.info(`libvirt host ${v.host.name}: ${vol} is an upload cut short (no marker, not growing); made again`);
            await v.deleteVolume(pool, vol);
            last = undefined;
            continue;
        }
        await new Promise((r) => setTimeout(r, Math.min(1000, Math.max(100, staleMs / 5))));
    }
    throw new lib/* KarooError */.xD('unavailable', `libvirt host ${v.host.name}: ${vol} did not finish uploading within an hour; delete it (virsh vol-delete --pool ${pool} ${vol}) and retry`);
}
async function qcow2VirtualSize(file) {
    const r = await run('qemu-img', ['info', '--output=json', file]);
    return Number(JSON.parse(r.stdout)['virtual-size']);
}
async function libvirt_hostKhz() {
    const m = /^cpu MHz\s*:\s*([0-9.]+)/m.exec(await (0,promises_.readFile)('/proc/cpuinfo', 'utf8').catch(() => ''));
    return m ? Math.round(Number(m[1]) * 1000) : undefined;
}
/**
 * Links the environment's namespace (its bridge, where the forwarder connects from) to the
 * bridge of the nodes' network on this machine with a veth pair. The pair goes with the namespace.
 */
async function linkRunner(state, bridge, h, net) {
    const shown = await run('ip', ['link', 'show', 'dev', bridge], { allowFailure: true });
    if (shown.code !== 0) {
        throw new lib/* KarooError */.xD('unavailable', `the runner has no leg on network "${net}" of host ${h.name}: bridge ${bridge} is not on this machine; the site must provide the network's bridge on the runner too (see packages/machines/README.md)`);
    }
    const env = state.environmentId;
    const link = libvirtNames.link(env);
    await ipBatch(undefined, [
        `link add ${link} type veth peer name lv0 netns ${names.netns(env)}`,
        `link set ${link} alias ${env}-link`,
        `link set ${link} master ${bridge} up`,
    ]);
    await ipBatch(names.netns(env), [`link set lv0 master ${names.bridge} up`]);
}
//# sourceMappingURL=libvirt.js.map
;// CONCATENATED MODULE: ./packages/machines/lib/src/state.js





function statePath(env) {
    return (0,external_node_path_.join)(envDir(env), 'state.json');
}
async function saveState(s) {
    await (0,lib/* writeFileAtomic */.Zf)(statePath(s.environmentId), `${JSON.stringify(s, null, 2)}\n`);
}
async function loadState(env) {
    try {
        return JSON.parse(await (0,promises_.readFile)(statePath(env), 'utf8'));
    }
    catch {
        return undefined;
    }
}
async function listStateDirs() {
    try {
        return (await (0,promises_.readdir)(envsRoot())).filter(isEnvironmentId).sort();
    }
    catch {
        return [];
    }
}
//# sourceMappingURL=state.js.map
;// CONCATENATED MODULE: ./packages/machines/lib/src/providers/libvirt-reap.js






/** How long a host may take to answer a first `virsh uri` before the reap leaves it for the next one. */
const REAP_CONNECT_TIMEOUT_MS = 10_000;
/**
 * Sweeps every libvirt host this runner has provisioned on (or `hosts`): first the removals a
 * teardown could not finish (host unreachable then), then domains and networks carrying karoo's
 * stamp whose environment has no state here and that expired, or that this runner made (an
 * orphan of a killed provisioning). Environments with a state directory here are the ordinary
 * reap's (their teardown reads the record). Nothing without karoo's stamp is ever touched.
 * The hosts are swept at once, each first asked for a short answer (`connectTimeoutMs`): one that
 * does not answer costs that long, not one timeout after another. Hosts that do not answer are
 * reported and stay on the list for the next reap.
 */
async function reapLibvirt(opts = {}) {
    const progress = opts.progress ?? lib/* silentProgress */.RZ;
    const now = opts.now ?? Date.now();
    const hosts = opts.hosts ?? (await readJsonList(KNOWN_HOSTS_FILE()));
    const pending = await readJsonList(PENDING_FILE());
    const me = await runnerId();
    // Every host once (a pending removal may name a host no longer in the pool), in the order given.
    const byUri = new Map();
    for (const h of [...hosts, ...pending.map((p) => p.host)])
        if (!byUri.has(h.uri))
            byUri.set(h.uri, h);
    const swept = new Set(hosts.map((h) => h.uri));
    const perHost = await Promise.all([...byUri.values()].map((h) => reapHost(h, pending.filter((p) => p.host.uri === h.uri), swept.has(h.uri), { progress, now, me }, opts.connectTimeoutMs ?? REAP_CONNECT_TIMEOUT_MS)));
    if (pending.length) {
        await (0,promises_.mkdir)(stateRoot(), { recursive: true });
        await (0,lib/* writeFileAtomic */.Zf)(PENDING_FILE(), `${JSON.stringify(perHost.flatMap((r) => r.still), null, 2)}\n`);
    }
    return perHost.flatMap((r) => r.out);
}
/** One host: a short first answer, then its pending removals, then (when in the pool swept) its stamp sweep. */
async function reapHost(h, pending, sweepIt, ctx, connectTimeoutMs) {
    const { progress, now, me } = ctx;
    const out = [];
    const still = [];
    // A pending removal the host could not take: kept for the next reap, and said.
    const keep = (p, why) => {
        still.push({ ...p, reason: why });
        const leftovers = [...p.domains.map((d) => `domain ${d}`), ...p.volumes.map((v) => `volume ${v}`)];
        out.push({ environmentId: p.environmentId, host: h.name, reason: `host unreachable: ${why}`, leftovers });
        progress.warn(`libvirt host ${h.name} (${h.uri}) is still unreachable; ${leftovers.join(', ')} of ${p.environmentId} left there, retried by the next reap`);
    };
    const unreachable = (e) => {
        const why = e.message;
        for (const p of pending)
            keep(p, why);
        if (sweepIt) {
            if (!pending.length)
                progress.warn(`libvirt host ${h.name} (${h.uri}) did not answer: ${why}; swept by the next reap`);
            out.push({ environmentId: '', host: h.name, reason: `host unreachable: ${why}`, leftovers: [] });
        }
        return { out, still };
    };
    try {
        await new Virsh(h, connectTimeoutMs).run(['uri']);
    }
    catch (e) {
        return unreachable(e);
    }
    const v = new Virsh(h, 30_000);
    for (const p of pending) {
        try {
            // The host as the teardown recorded it (its pool then).
            await removeOnHost(new Virsh(p.host, 30_000), p.environmentId, p.domains, p.volumes, p.networks);
            out.push({
                environmentId: p.environmentId,
                host: h.name,
                reason: 'left by a teardown while its host was unreachable',
                leftovers: [],
            });
        }
        catch (e) {
            keep(p, e.message);
        }
    }
    if (!sweepIt)
        return { out, still };
    let domains;
    let networks;
    try {
        domains = await v.karooDomains();
        networks = (await v.listNetworks()).filter((n) => /^karoo-[0-9a-f]{8}$/.test(n));
    }
    catch (e) {
        progress.warn(`libvirt host ${h.name} (${h.uri}) did not answer: ${e.message}; swept by the next reap`);
        out.push({ environmentId: '', host: h.name, reason: `host unreachable: ${e.message}`, leftovers: [] });
        return { out, still };
    }
    const byEnv = new Map();
    for (const d of domains) {
        const e = byEnv.get(d.stamp.environmentId) ?? { stamp: d.stamp, domains: [] };
        e.domains.push(d.name);
        byEnv.set(d.stamp.environmentId, e);
    }
    for (const n of networks) {
        const stamp = await v.networkStamp(n).catch(() => undefined);
        if (stamp && stamp.environmentId === n && !byEnv.has(n))
            byEnv.set(n, { stamp, domains: [] });
    }
    for (const [env, e] of byEnv) {
        // Its own state here: the ordinary reap decides (owner, TTL) and tears down through the record.
        if ((0,external_node_fs_.existsSync)(envDir(env)))
            continue;
        const expired = Date.parse(e.stamp.expiresAt) <= now;
        const orphan = e.stamp.runner === me;
        if (!expired && !orphan)
            continue;
        const reason = expired ? `expired at ${e.stamp.expiresAt}` : 'made by this runner, which has no state of it (left by a killed process)';
        const pool = await v.listVolumes(h.pool).catch(() => []);
        const volumes = pool.filter((x) => x.startsWith(`${env}-`));
        try {
            await removeOnHost(v, env, e.domains, volumes, [env]);
            progress.info(`reaped ${env} on libvirt host ${h.name}: ${reason}`);
            out.push({ environmentId: env, host: h.name, reason, leftovers: [] });
        }
        catch (err) {
            out.push({
                environmentId: env,
                host: h.name,
                reason: `${reason}; removal failed: ${err.message}`,
                leftovers: e.domains.map((d) => `domain ${d}`),
            });
        }
    }
    return { out, still };
}
//# sourceMappingURL=libvirt-reap.js.map
;// CONCATENATED MODULE: ./packages/machines/lib/src/teardown.js


















function providerOf(name) {
    if (name === 'libvirt')
        return new LibvirtProvider();
    return name === 'qemu' ? new QemuProvider() : new NspawnProvider();
}
/** Console logs and journals of every machine, into `dir`. */
async function saveLogs(state, provider, dir) {
    await (0,promises_.mkdir)(dir, { recursive: true });
    const keyPath = (0,external_node_path_.join)(state.dir, 'id_ed25519');
    const all = await Promise.all(state.machines.map(async (m) => {
        const ssh = m.sshPort && (await provider.isRunning(m))
            ? {
                host: '127.0.0.1',
                port: m.sshPort,
                user: 'root',
                keyPath,
                knownHostsPath: (0,external_node_path_.join)(state.dir, 'known_hosts'),
                hostKeyAlias: m.machineId,
            }
            : undefined;
        return provider.collectLogs(state, m, ssh, dir).catch(() => []);
    }));
    return all.flat();
}
/** Set by the watchdog for the teardown it starts (its onExpire): the lock is held for that process. */
const TEARDOWN_LOCK_ENV = 'KAROO_TEARDOWN_LOCK';
/**
 * Holds the lock for as long as its stdin is open (this process's life at most). Node cannot
 * bind an abstract unix socket, so a small Python process (python3 is a required tool) does.
 */
const HOLD_TEARDOWN_LOCK_PY = `import errno, socket, sys, time
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
deadline = time.time() + float(sys.argv[2])
while True:
    try:
        s.bind(b"\\0karoo-teardown-" + sys.argv[1].encode())
        break
    except OSError as e:
        if e.errno != errno.EADDRINUSE or time.time() > deadline:
            sys.exit(75)
        time.sleep(0.1)
sys.stdout.write("held\\n")
sys.stdout.flush()
sys.stdin.read()
`;
/**
 * One teardown of an environment at a time, across processes: an abstract unix socket named
 * for the environment (`@karoo-teardown-<id>`, in this network namespace) is bound while it
 * runs. Binding is atomic and the kernel frees the name when its holder dies, so a killed
 * teardown leaves no stale lock. The watchdog (helpers/forward.py) binds the same name before
 * it runs its onExpire and holds it until that process ends, telling it so through
 * KAROO_TEARDOWN_LOCK=<id>. A teardown that finds the lock taken waits: when it returns, the
 * other one has finished too.
 */
async function teardownLock(env, timeoutSeconds = 180) {
    if (process.env[TEARDOWN_LOCK_ENV] === env)
        return { forWatchdog: true, release: async () => { } };
    const holder = (0,external_node_child_process_.spawn)(systemPython(), ['-I', '-S', '-c', HOLD_TEARDOWN_LOCK_PY, env, String(timeoutSeconds)], {
        stdio: ['pipe', 'pipe', 'ignore'],
    });
    const exited = new Promise((r) => holder.once('close', () => r()));
    await new Promise((resolve, reject) => {
        holder.once('error', reject);
        holder.stdout.once('data', () => resolve());
        holder.once('exit', (code) => reject(code === 75
            ? new lib/* KarooError */.xD('conflict', `environment ${env} is still being torn down by another process after ${timeoutSeconds} s; run karoo reap --env ${env} once it has finished`)
            : new lib/* KarooError */.xD('internal', `the teardown lock of ${env} could not be taken (python3 exited with ${code})`)));
    });
    return {
        forWatchdog: false,
        release: async () => {
            holder.stdin.end();
            await exited;
        },
    };
}
async function underTeardownLock(env, fn) {
    const lock = await teardownLock(env);
    try {
        return await fn(lock.forWatchdog);
    }
    finally {
        await lock.release();
    }
}
/**
 * Destroys everything of an environment: machines (nspawn: the container's init; qemu: the
 * VM process), the forwarder, overlays and disks, namespaces with their bridge, veths and
 * taps, keys and the state directory. Then sweeps anything else carrying the environment id.
 * Under the environment's teardown lock: a teardown already running elsewhere (its watchdog's,
 * another reap) is waited for, and what it removed is not touched again.
 */
function destroyState(state, opts = {}) {
    return underTeardownLock(state.environmentId, (forWatchdog) => destroyLocked(state, opts, forWatchdog));
}
async function destroyLocked(state, opts, forWatchdog) {
    const progress = opts.progress ?? lib/* silentProgress */.RZ;
    const env = state.environmentId;
    const started = Date.now();
    if (!(0,external_node_fs_.existsSync)(state.dir)) {
        // Destroyed by another teardown while this one waited for the lock: only the sweep is left.
        const leftovers = await sweep(env, state.paths, state.related);
        return { environmentId: env, seconds: Math.round((Date.now() - started) / 10) / 100, leftovers };
    }
    const provider = providerOf(state.provider);
    if (opts.saveLogsTo) {
        const saved = await saveLogs(state, provider, opts.saveLogsTo).catch(() => []);
        if (saved.length)
            progress.info(`saved ${saved.length} console log(s) and journal(s) in ${opts.saveLogsTo}`);
    }
    state.phase = 'destroying';
    await saveState(state).catch(() => { });
    const failures = [];
    const processes = await listProcesses();
    await Promise.all(state.machines.map((m) => provider.destroy(state, m, processes).catch((e) => {
        failures.push(`${m.name}: ${e.message}`);
    })));
    // The watchdog goes last: if this process dies half-way, it still removes the rest. When it
    // started this teardown, it holds the lock for it and ends by itself.
    if (state.forwarder && !forWatchdog)
        await killAndWait([state.forwarder], 2000);
    // The sweep also kills what the owner started for the environment (the acceptance command and its children).
    const leftovers = await sweep(env, state.paths, state.related);
    for (const f of failures)
        progress.warn(`destroying ${f}`);
    const seconds = Math.round((Date.now() - started) / 10) / 100;
    progress.info(`environment ${env} destroyed in ${seconds} s${leftovers.length ? `; left over: ${leftovers.join(', ')}` : ''}`);
    return { environmentId: env, seconds, leftovers };
}
async function destroyEnvironment(target, opts = {}) {
    let env = target.environmentId;
    if (!env && target.inventory)
        env = (await readInventory(target.inventory)).environmentId;
    if (!env)
        throw new lib/* KarooError */.xD('input', 'name the environment: --inventory INVENTORY or --env karoo-XXXXXXXX');
    if (!isEnvironmentId(env))
        throw new lib/* KarooError */.xD('input', `inventory environment "${env}" is not an ephemeral karoo environment (karoo-XXXXXXXX); real hosts are never destroyed`);
    const state = await loadState(env);
    if (state)
        return destroyState(state, opts);
    const started = Date.now();
    const leftovers = await underTeardownLock(env, () => sweep(env));
    return { environmentId: env, seconds: Math.round((Date.now() - started) / 10) / 100, leftovers };
}
/**
 * Removes whatever still carries the environment's id: processes (by command line or by
 * network namespace), overlay mounts, namespaces, nspawn's runtime directories, the state
 * directory. Touches nothing whose name is not `karoo-<8 hex>` of this environment.
 * Returns what could not be removed.
 */
async function sweep(env, paths = [], related = []) {
    checkEnvironmentId(env);
    const dirs = [envDir(env), ...paths.filter(isOwnTempDir)];
    const used = [...dirs, ...related.filter((p) => p.startsWith('/') && p.split('/').length >= 3)];
    const ours = (s) => s === env || s.startsWith(`${env}-`) || s.startsWith(`${envDir(env)}/`);
    const namespaces = (await listNetns()).filter(ours);
    const inodes = new Set();
    for (const ns of namespaces) {
        const ino = await netnsInode(netnsPath(ns));
        if (ino !== undefined)
            inodes.add(ino);
    }
    const victims = [];
    const procs = await listProcesses();
    const ancestors = ancestorsOf(process.pid, procs);
    for (const p of procs) {
        if (ancestors.has(p.pid))
            continue;
        const inNamespace = p.netns !== undefined && inodes.has(p.netns);
        if (inNamespace || (isOurKind(p.argv) && mentions(p.argv, env)))
            victims.push({ pid: p.pid, startTime: p.startTime });
    }
    for (const p of await processesUsing(used))
        if (!ancestors.has(p.pid))
            victims.push(p);
    const stubborn = await killAndWait(victims, 5000);
    for (const g of await cgroupsWithPrefix(env))
        await removeCgroupTree(g);
    for (const m of await ourMounts(env))
        await unmount(m);
    for (const ns of namespaces)
        await deleteNetns(ns);
    try {
        for (const d of await (0,promises_.readdir)('/run/systemd/nspawn/propagate'))
            if (ours(d))
                await (0,promises_.rm)((0,external_node_path_.join)('/run/systemd/nspawn/propagate', d), { recursive: true, force: true });
    }
    catch {
        // no nspawn runtime directory
    }
    for (const d of dirs)
        await (0,promises_.rm)(d, { recursive: true, force: true });
    const left = await resourcesOf(env);
    for (const d of dirs.slice(1))
        if (await (0,promises_.readdir)(d).then(() => true, () => false))
            left.push(`directory ${d}`);
    return [...stubborn.map((p) => `process ${p.pid}`), ...left];
}
/**
 * Only karoo's own temporary directories are ever removed on the word of a state file: absolute,
 * named `karoo-<kind>-<random>`, directly in a temporary directory.
 */
function isOwnTempDir(p) {
    return p.startsWith('/') && !p.includes('/../') && /^karoo-[a-z]+-[A-Za-z0-9]{6,}$/.test((0,external_node_path_.basename)(p)) && p.split('/').length >= 3;
}
/**
 * karoo's temporary directories (`karoo-up-*`, …, made by ownedTempDir) whose owner process is
 * gone: what a killed `karoo up` left before (or besides) its environment's stamp.
 */
async function reapTempDirs(progress = lib/* silentProgress */.RZ) {
    const removed = [];
    for (const base of new Set([(0,external_node_os_.tmpdir)(), '/tmp'])) {
        for (const name of await (0,promises_.readdir)(base).catch(() => [])) {
            const dir = (0,external_node_path_.join)(base, name);
            if (!isOwnTempDir(dir))
                continue;
            let owner;
            try {
                owner = JSON.parse(await (0,promises_.readFile)((0,external_node_path_.join)(dir, OWNER_FILE), 'utf8'));
            }
            catch {
                continue;
            }
            if (!(await ownerGone(owner)))
                continue;
            await killAndWait(await processesUsing([dir]), 3000);
            await (0,promises_.rm)(dir, { recursive: true, force: true });
            progress.info(`removed ${dir}: its process ${owner.pid} is gone`);
            removed.push(dir);
        }
    }
    return removed;
}
function idsIn(text) {
    return Array.from(text.matchAll(ENV_ID_IN_TEXT_RE), (m) => m[0]);
}
function mentions(argv, env) {
    return argv.some((a) => idsIn(a).includes(env));
}
/**
 * Only processes karoo starts are killed by name: the machine monitors, the forwarder, and
 * ssh/scp/ip commands aimed at the environment. Shells or CLIs that merely mention the id
 * (e.g. `karoo destroy --env …`) are left alone.
 */
function isOurKind(argv) {
    const exe = (argv[0] ?? '').split('/').pop() ?? '';
    if (exe === 'systemd-nspawn' || exe.startsWith('qemu-system-') || exe === 'ssh' || exe === 'scp' || exe === 'ip')
        return true;
    return exe.startsWith('python3') && argv.some((a) => a.endsWith('/forward.py'));
}
function ancestorsOf(pid, procs) {
    const parent = new Map(procs.map((p) => [p.pid, p.ppid]));
    const out = new Set([pid]);
    let cur = process.ppid;
    while (cur > 1 && !out.has(cur)) {
        out.add(cur);
        cur = parent.get(cur) ?? 0;
    }
    return out;
}
async function ourMounts(env) {
    const info = await (0,promises_.readFile)('/proc/self/mountinfo', 'utf8').catch(() => '');
    const out = [];
    for (const line of info.split('\n')) {
        const f = line.split(' ');
        const mountPoint = f[4];
        const sep = f.indexOf('-');
        const source = sep > 0 ? f[sep + 2] : undefined;
        if (!mountPoint)
            continue;
        if (mountPoint.startsWith(`${envDir(env)}/`) || source === env || source?.startsWith(`${env}-`))
            out.push(mountPoint);
    }
    // Deepest first.
    return out.sort((a, b) => b.length - a.length);
}
/** Everything on this machine that still belongs to the environment: processes, mounts, namespaces, files. */
async function resourcesOf(env) {
    const ours = (s) => s === env || s.startsWith(`${env}-`);
    const out = [];
    for (const ns of await listNetns())
        if (ours(ns))
            out.push(`netns ${ns}`);
    for (const m of await ourMounts(env))
        out.push(`mount ${m}`);
    for (const g of await cgroupsWithPrefix(env))
        out.push(`cgroup ${g}`);
    const procs = await listProcesses();
    // Never the caller's own ancestors: the watchdog waiting for the teardown it started.
    const ancestors = ancestorsOf(process.pid, procs);
    for (const p of procs) {
        if (!ancestors.has(p.pid) && isOurKind(p.argv) && mentions(p.argv, env))
            out.push(`process ${p.pid} (${p.argv.slice(0, 3).join(' ')})`);
    }
    if (await (0,promises_.readdir)(envDir(env)).then(() => true, () => false))
        out.push(`directory ${envDir(env)}`);
    return out;
}
/** Every environment id with something on this machine: state directories, namespaces, processes, mounts. */
async function knownEnvironments() {
    const ids = new Set(await listStateDirs());
    for (const ns of await listNetns())
        for (const m of idsIn(ns))
            if (ns.startsWith(m))
                ids.add(m);
    for (const p of await listProcesses())
        if (isOurKind(p.argv))
            for (const a of p.argv)
                for (const m of idsIn(a))
                    ids.add(m);
    const info = await (0,promises_.readFile)('/proc/self/mountinfo', 'utf8').catch(() => '');
    for (const m of idsIn(info))
        ids.add(m);
    for (const r of await cgroupRoots())
        for (const e of await (0,promises_.readdir)(r).catch(() => []))
            for (const m of idsIn(e))
                if (e.startsWith(m))
                    ids.add(m);
    return [...ids].sort();
}
/** Why an environment may be reaped, or undefined when it is still wanted. */
async function reapReason(env, state, opts) {
    const now = opts.now ?? Date.now();
    if (opts.environmentId)
        return opts.environmentId === env ? 'asked for' : undefined;
    if (!state)
        return 'no state (left by a killed process)';
    if (state.lifetime === 'owner' && (await ownerGone(state.owner)))
        return `its owner process ${state.owner.pid} is gone`;
    if (state.owner.bootId && state.owner.bootId !== (await bootId()))
        return 'made before this machine last started';
    if (Date.parse(state.expiresAt) <= now)
        return `expired at ${state.expiresAt}`;
    if (opts.olderThanSeconds !== undefined && Date.parse(state.createdAt) <= now - opts.olderThanSeconds * 1000)
        return `older than ${opts.olderThanSeconds} s`;
    const ownerAlive = await isAlive(state.owner);
    if ((state.phase === 'provisioning' || state.phase === 'destroying') && !ownerAlive)
        return `its ${state.phase} process ${state.owner.pid} is gone`;
    if (state.phase === 'failed' && !state.keep && !ownerAlive)
        return 'failed and not kept';
    return undefined;
}
/** Finds environments that are gone, expired or orphaned (stamps and owners) and removes what they left. */
async function reap(opts = {}) {
    const progress = opts.progress ?? lib/* silentProgress */.RZ;
    if (opts.environmentId)
        checkEnvironmentId(opts.environmentId);
    const out = [];
    for (const env of await knownEnvironments()) {
        const state = await loadState(env);
        const reason = await reapReason(env, state, opts);
        if (!reason)
            continue;
        progress.info(`reaping ${env}: ${reason}`);
        const leftovers = state ? (await destroyState(state, { progress })).leftovers : await underTeardownLock(env, () => sweep(env));
        out.push({ environmentId: env, reason, leftovers });
    }
    if (!opts.environmentId)
        await reapTempDirs(progress);
    // libvirt hosts this runner used: stamped domains whose environment has no state here.
    if (!opts.environmentId) {
        for (const r of await reapLibvirt({ progress, ...(opts.now !== undefined ? { now: opts.now } : {}) })) {
            if (r.environmentId)
                out.push({ environmentId: r.environmentId, reason: `${r.reason} (libvirt host ${r.host})`, leftovers: r.leftovers });
        }
    }
    return out;
}
//# sourceMappingURL=teardown.js.map
;// CONCATENATED MODULE: ./packages/machines/lib/src/environment.js






















const PROVIDERS = ['nspawn', 'qemu', 'libvirt'];
function providerFor(name, libvirt) {
    if (name === 'nspawn')
        return new NspawnProvider();
    if (name === 'qemu')
        return new QemuProvider();
    if (name === 'libvirt')
        return new LibvirtProvider(libvirt);
    throw new lib/* KarooError */.xD('input', `provider "${name}" is not known; use one of: ${PROVIDERS.join(', ')}`);
}
const now = () => Date.now();
const secs = (ms) => Math.round(ms / 10) / 100;
/**
 * Creates an ephemeral environment: one machine per node on a private network of its own,
 * a fresh SSH key pair, a forwarder on 127.0.0.1 for the runner, and the inventory. On any
 * failure, console logs and journals are saved beside the inventory and everything is
 * destroyed (unless `keep`), then the error names the node and its last console lines.
 *
 * The phases, in order: check the request → find the image → reap → stamp the environment
 * (state and watchdog, before any resource) → prepare the provider → keys beside the network →
 * forwarding beside the machines → create and wait for every machine → hand on (inventory).
 */
async function provision(opts) {
    const progress = opts.progress ?? lib/* silentProgress */.RZ;
    const t0 = now();
    const request = await checkRequest(opts);
    const image = await machineImage(opts, request.provider, progress);
    const tImage = now();
    await reapFirst(opts, progress);
    const { state, watchdog } = await stampEnvironment(opts, request, image, progress);
    const record = timingRecorder(state);
    const stop = new Interruption(state.environmentId, opts.signal);
    const p = { opts, progress, provider: request.provider, image, state, stop, save: () => saveState(state), record };
    try {
        stop.checkpoint();
        await prepareProvider(p);
        const tPrepared = now();
        const keys = await makeKeysBesideNetwork(p, tPrepared);
        const tBridge = now();
        stop.checkpoint();
        const forwarding = new SideStep(startForwarding(state, watchdog).then(() => record('forwarder', tBridge)));
        record('prepare', tImage, tPrepared);
        const tNet = now();
        await createMachines(p, keys, forwarding);
        await forwarding.join();
        stop.checkpoint();
        const tReady = now();
        record('image', t0, tImage);
        record('network', tImage, tNet);
        record('machines', tNet, tReady);
        record('total', t0, tReady);
        return await handOn(p);
    }
    catch (e) {
        await cleanUpAfterFailure(p);
        throw e;
    }
    finally {
        stop.dispose();
    }
}
function timingRecorder(state) {
    return (name, from, to = now()) => {
        state.timings[name] = secs(to - from);
    };
}
/**
 * A step started now and joined later (`join()`), while other steps run beside it. Until the
 * join its failure is held rather than reported as an unhandled rejection; at the join it is
 * thrown. When another step fails first, that error ends provisioning and this one is dropped
 * (the teardown that follows removes whatever the step made).
 */
class SideStep {
    running;
    constructor(running) {
        this.running = running;
        running.catch(() => undefined);
    }
    join() {
        return this.running;
    }
}
/**
 * Provisioning stopped, by the caller (its signal) or by the first machine that fails: no new
 * step starts after it (`checkpoint`), and steps that wait (`race`) stop waiting.
 */
class Interruption {
    env;
    signal;
    controller = new AbortController();
    stopped;
    onAbort;
    constructor(env, signal) {
        this.env = env;
        this.signal = signal;
        this.onAbort = () => this.controller.abort(signal?.reason);
        signal?.addEventListener('abort', this.onAbort, { once: true });
        if (signal?.aborted)
            this.onAbort();
        // Only ever raced against a step; held until then, as a SideStep is.
        this.stopped = new SideStep(new Promise((_, reject) => this.controller.signal.addEventListener('abort', () => reject(new lib/* KarooError */.xD('refused', `provisioning of ${env} was interrupted`)), { once: true }))).join();
    }
    get aborted() {
        return this.controller.signal.aborted;
    }
    /** Why provisioning stopped: the first failure, or the caller's reason. */
    get reason() {
        return this.controller.signal.reason;
    }
    abort(reason) {
        if (!this.aborted)
            this.controller.abort(reason);
    }
    /** Throws when provisioning was stopped: called before each step that makes something. */
    checkpoint() {
        const reason = this.reason;
        if (this.aborted)
            throw reason instanceof Error
                ? reason
                : new lib/* KarooError */.xD('refused', `provisioning of ${this.env} was interrupted${reason ? ` (${String(reason)})` : ''}`);
    }
    /** Waits for a step, or throws as soon as provisioning is stopped. */
    race(step) {
        return Promise.race([step, this.stopped]);
    }
    dispose() {
        this.signal?.removeEventListener('abort', this.onAbort);
    }
}
/** Phase 1: the request is checked before anything is made (nodes, TTL, owner, tools). */
async function checkRequest(opts) {
    const provider = providerFor(opts.provider ?? 'nspawn', opts.libvirt && { progress: opts.progress, ...opts.libvirt });
    if (opts.nodes.length === 0)
        throw new lib/* KarooError */.xD('input', 'the configuration lists no nodes; add at least one under nodes:');
    const seen = new Set();
    for (const n of opts.nodes) {
        checkNodeName(n.name);
        if (seen.has(n.name))
            throw new lib/* KarooError */.xD('input', `node "${n.name}" is listed twice`);
        seen.add(n.name);
    }
    const ttl = opts.ttlSeconds ?? 3600;
    if (!(ttl > 0))
        throw new lib/* KarooError */.xD('input', `ttl must be positive, got ${ttl}`);
    if (opts.ownerPid !== undefined && opts.lifetime !== 'owner')
        throw new lib/* KarooError */.xD('input', `an owner process (${opts.ownerPid}) needs lifetime 'owner'; an environment handed on lives until its TTL`);
    // Checked before anything is made: a dead owner would have the environment removed at once.
    const foreignOwner = opts.ownerPid !== undefined ? await ownerOf(opts.ownerPid) : undefined;
    await requireTools(['ip', 'ssh', 'ssh-keygen', 'python3']);
    return { provider, ttl, foreignOwner };
}
/** Phase 2: the image the machines boot: a cloud image (qemu, libvirt), or karoo's own (built when missing). */
async function machineImage(opts, provider, progress) {
    if (opts.image) {
        if (provider.name !== 'qemu' && provider.name !== 'libvirt')
            throw new lib/* KarooError */.xD('input', `a cloud image (${opts.image}) needs the qemu or libvirt provider; the ${provider.name} provider boots karoo's own image`);
        return fetchCloudImage(opts.image, opts.imageSha256, progress);
    }
    const found = await findImage();
    if (found)
        return found;
    if (opts.buildImage === false)
        throw new lib/* KarooError */.xD('unavailable', "karoo's machine image is not built; run karoo image build");
    return buildImage({ progress });
}
/** Phase 3: expired and orphaned environments are removed first (unless `reapFirst: false`). */
async function reapFirst(opts, progress) {
    if (opts.reapFirst === false)
        return;
    const reaped = await reap({ progress: lib/* silentProgress */.RZ });
    if (reaped.length)
        progress.info(`reaped ${reaped.length} expired or orphaned environment(s): ${reaped.map((r) => r.environmentId).join(', ')}`);
}
/**
 * Phase 4: the environment's stamp, before any resource: its state directory (appearing with
 * its state.json inside) and its watchdog; then the caller hears of it (onEnvironmentCreated).
 */
async function stampEnvironment(opts, request, image, progress) {
    const { provider, ttl } = request;
    const env = newEnvironmentId();
    const dir = envDir(env);
    const outDir = (0,external_node_path_.resolve)(opts.outDir ?? (0,external_node_path_.join)('.karoo', env));
    const net = subnetOf(env);
    const created = new Date();
    const owner = request.foreignOwner ?? (await ownerRef());
    const lifetime = opts.lifetime ?? 'ttl';
    const state = {
        version: 1,
        environmentId: env,
        provider: provider.name,
        phase: 'provisioning',
        createdAt: created.toISOString(),
        expiresAt: new Date(created.getTime() + ttl * 1000).toISOString(),
        ttlSeconds: ttl,
        owner,
        lifetime,
        ...(opts.paths?.length ? { paths: opts.paths.map((p) => (0,external_node_path_.resolve)(p)) } : {}),
        ...(opts.related?.length ? { related: opts.related.map((p) => (0,external_node_path_.resolve)(p)) } : {}),
        keep: opts.keep ?? false,
        netns: names.netns(env),
        cidr: net.cidr,
        dir,
        outDir,
        image: { id: image.id, kind: image.kind, ...(image.kind === 'cloud' ? { sha256: image.sha256 } : {}) },
        machines: opts.nodes.map((n, index) => ({
            name: n.name,
            role: n.role,
            index,
            address: net.address(index),
            mac: macOf(env, index),
            machineId: names.machine(env, n.name),
            consoleLog: (0,external_node_path_.join)(dir, 'console', `${n.name}.log`),
            hostKey: '',
            cpus: n.cpus,
            memory: n.memory,
        })),
        timings: {},
    };
    // The stamp comes first: from here on every resource can be traced back to this state.
    // The directory appears with its state.json inside (rename), so the reaper never sees one without the other.
    const staging = (0,external_node_path_.join)(envsRoot(), `.${env}.new`);
    // 0755: an unprivileged deploy step (the invoking user of sudo) reaches its key in here.
    await (0,promises_.mkdir)(staging, { recursive: true, mode: 0o755 });
    await (0,promises_.mkdir)((0,external_node_path_.join)(staging, 'console'), { mode: 0o700 });
    await (0,promises_.writeFile)((0,external_node_path_.join)(staging, 'state.json'), `${JSON.stringify(state, null, 2)}\n`);
    await (0,promises_.rename)(staging, dir);
    // The watchdog comes before any resource: from here on, the owner's death or the TTL removes whatever exists.
    const watchdog = await startWatchdog(state, opts.onExpire);
    await saveState(state);
    await (0,promises_.mkdir)(outDir, { recursive: true });
    await opts.onEnvironmentCreated?.(env, outDir);
    progress.info(`environment ${env}: ${opts.nodes.length} node(s) with ${provider.name}, network ${net.cidr}, expires ${state.expiresAt}${lifetime === 'owner' ? `, lives as long as process ${owner.pid}` : ''}`);
    return { state, watchdog };
}
/** Phase 5: the provider checks its tools and records its facts (e.g. kvm or tcg). */
async function prepareProvider({ provider, state, save, progress }) {
    await provider.prepare(state);
    await save();
    if (state.accelerator)
        progress.info(`qemu acceleration: ${state.accelerator}${state.accelerator === 'tcg' ? ' (software emulation: no usable /dev/kvm)' : ''}`);
}
function keyPathOf(state) {
    return (0,external_node_path_.join)(state.dir, 'id_ed25519');
}
function knownHostsOf(state) {
    return (0,external_node_path_.join)(state.dir, 'known_hosts');
}
/**
 * Phase 6: keys (the environment's client key, and a host key per node so the runner checks
 * host keys strictly) are made beside the network, which does not depend on them; joined when
 * both are done.
 */
async function makeKeysBesideNetwork(p, tPrepared) {
    const { state, stop, record } = p;
    const dir = state.dir;
    const keyPath = keyPathOf(state);
    const knownHosts = knownHostsOf(state);
    stop.checkpoint();
    const network = new SideStep(createEnvNetwork(state.environmentId, subnetOf(state.environmentId).gateway).then(() => record('bridge', tPrepared)));
    await (0,promises_.mkdir)((0,external_node_path_.join)(dir, 'hostkeys'), { recursive: true });
    const keygen = (file, comment) => run('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', comment, '-f', file]);
    const [, ...hostKeys] = await Promise.all([
        keygen(keyPath, state.environmentId),
        ...state.machines.map(async (m) => {
            const path = (0,external_node_path_.join)(dir, 'hostkeys', m.name);
            await keygen(path, m.machineId);
            return { priv: await (0,promises_.readFile)(path, 'utf8'), pub: await (0,promises_.readFile)(`${path}.pub`, 'utf8') };
        }),
    ]);
    const authorizedKey = await (0,promises_.readFile)(`${keyPath}.pub`, 'utf8');
    state.machines.forEach((m, i) => (m.hostKey = hostKeys[i].pub.trim().split(' ').slice(0, 2).join(' ')));
    await (0,promises_.writeFile)(knownHosts, state.machines.map((m) => `${m.machineId} ${m.hostKey}\n`).join(''));
    await handToInvokingUser([keyPath, `${keyPath}.pub`, knownHosts]);
    await (0,promises_.rm)((0,external_node_path_.join)(dir, 'hostkeys'), { recursive: true, force: true });
    record('keys', tPrepared);
    await network.join();
    return { authorizedKey, hostKeys };
}
/**
 * Phase 7: every machine is created (as many at once as the provider allows) and waited for
 * until it answers SSH (once forwarding is up). The first failure stops the others: none
 * starts a machine after it, none waits on. Every machine task has settled before this
 * returns or throws, so none is made after the teardown that follows a failure.
 */
async function createMachines(p, keys, forwarding) {
    const { opts, provider, image, state, stop, save, record, progress } = p;
    const hosts = state.machines.map((m) => ({ name: m.name, address: m.address }));
    const timeoutMs = (opts.bootTimeoutSeconds ?? (provider.name === 'qemu' || provider.name === 'libvirt' ? 600 : 120)) * 1000;
    const limit = (0,p_limit/* default */.A)(provider.maxParallelBoots(state));
    const tasks = state.machines.map((m, i) => limit(async () => {
        stop.checkpoint();
        const started = now();
        const hostKey = keys.hostKeys[i];
        await provider.create({
            state,
            machine: m,
            image,
            authorizedKey: keys.authorizedKey,
            save,
            seed: seedFiles({
                node: m.name,
                address: m.address,
                mac: m.mac,
                prefixLength: 24,
                hosts,
                authorizedKey: keys.authorizedKey,
                hostPrivateKey: hostKey.priv,
                hostPublicKey: hostKey.pub,
            }),
        });
        record(`create:${m.name}`, started);
        await opts.onMachineStarted?.(m, state);
        stop.checkpoint();
        await stop.race(forwarding.join());
        await stop.race(provider.waitReady(m, endpointOf(state, m), started + timeoutMs));
        m.readyAt = new Date().toISOString();
        record(`ready:${m.name}`, started);
        progress.info(`${m.name} (${m.role}) ready at ${m.address}, ssh 127.0.0.1:${m.sshPort} after ${secs(now() - started)} s`);
    }).catch((e) => {
        stop.abort(e);
        throw e;
    }));
    const settled = await Promise.allSettled(tasks);
    const failed = settled.find((r) => r.status === 'rejected');
    if (failed)
        throw stop.reason instanceof Error ? stop.reason : failed.reason;
}
/** Phase 8: the inventory is written and the environment is ready; with lifetime `ttl` it is handed on. */
async function handOn({ state, save, progress }) {
    const inventory = inventoryOf(state);
    const inventoryPath = (0,external_node_path_.join)(state.outDir, 'inventory.json');
    await writeInventory(inventoryPath, inventory);
    await handToInvokingUser([state.outDir, inventoryPath]);
    state.inventoryPath = inventoryPath;
    state.phase = 'ready';
    await save();
    // Handed on: from now on only the TTL (or destroy) ends it.
    if (state.lifetime === 'ttl')
        await tellWatchdog(state, { owner: null });
    progress.info(`environment ${state.environmentId} ready in ${state.timings.total} s; inventory ${inventoryPath}`);
    return { inventory, inventoryPath, state, timings: state.timings };
}
/**
 * After any failure: the state says so, logs are saved, and the environment is destroyed, or
 * with `keep` handed on until its TTL with an inventory to reach it. Nothing here throws: the
 * caller rethrows the failure itself.
 */
async function cleanUpAfterFailure({ opts, provider, state, save, progress }) {
    const env = state.environmentId;
    state.phase = 'failed';
    await save().catch(() => { });
    const logsDir = (0,external_node_path_.join)(state.outDir, 'logs');
    await saveLogs(state, provider, logsDir).catch(() => []);
    if (opts.keep) {
        // Kept for debugging until the TTL, whoever made it: the watchdog no longer watches the owner.
        await handOver(state).catch(() => { });
        // Kept for debugging: write the inventory anyway, so the machines can be reached.
        const inventoryPath = (0,external_node_path_.join)(state.outDir, 'inventory.json');
        const kept = state.machines.find((m) => m.sshPort && m.hostKey);
        if (kept)
            await writeInventory(inventoryPath, inventoryOf(state)).catch(() => { });
        progress.warn(`provisioning failed; keeping environment ${env} until ${state.expiresAt} (karoo destroy --env ${env}); logs in ${logsDir}` +
            (kept ? `; inventory ${inventoryPath}; ssh: ${sshCommandLine(endpointOf(state, kept))}` : ''));
    }
    else {
        progress.info(`provisioning failed; logs saved in ${logsDir}; destroying ${env}`);
        await destroyState(state, { progress }).catch((d) => progress.warn(`destroying ${env} failed too: ${d.message}`));
    }
}
/** How the runner reaches a machine: its port on the forwarder, the environment's key, its host key. */
function endpointOf(state, m) {
    return {
        host: '127.0.0.1',
        port: m.sshPort ?? 0,
        user: 'root',
        keyPath: keyPathOf(state),
        knownHostsPath: knownHostsOf(state),
        hostKeyAlias: m.machineId,
        hostKey: m.hostKey,
    };
}
function inventoryOf(state) {
    return {
        version: 1,
        environmentId: state.environmentId,
        createdAt: state.createdAt,
        ttlSeconds: state.ttlSeconds,
        expiresAt: state.expiresAt,
        provider: state.provider,
        ...(state.accelerator ? { accelerator: state.accelerator } : {}),
        image: state.image,
        network: { cidr: state.cidr, namespace: state.netns },
        logsDir: (0,external_node_path_.join)(state.outDir, 'logs'),
        nodes: state.machines.map((m) => ({
            name: m.name,
            role: m.role,
            address: m.address,
            ssh: endpointOf(state, m),
            provider: state.provider,
            machineId: m.machineId,
            ...(m.cpus ? { cpus: m.cpus } : {}),
            ...(m.memory ? { memory: m.memory } : {}),
        })),
    };
}
function watchdogConfigPath(state) {
    return (0,external_node_path_.join)(state.dir, 'forward.json');
}
async function writeWatchdogConfig(state, config) {
    const path = watchdogConfigPath(state);
    await (0,promises_.writeFile)(`${path}.tmp`, JSON.stringify(config, null, 2));
    await (0,promises_.rename)(`${path}.tmp`, path);
}
/**
 * Starts the environment's watchdog (helpers/forward.py, detached): it removes the environment
 * (runs `onExpire`) when the TTL passes or, while it has one, when the owner process is gone;
 * later it also becomes the SSH forwarder (startForwarding). Returns once the process exists;
 * `ready` is joined (by startForwarding) once its signal handlers are set.
 */
async function startWatchdog(state, onExpire) {
    const dir = state.dir;
    const script = (0,external_node_path_.join)(dir, 'forward.py');
    await (0,promises_.writeFile)(script, ASSETS['helpers/forward.py']);
    const readyFile = (0,external_node_path_.join)(dir, 'watchdog.ready');
    await writeWatchdogConfig(state, {
        netnsPath: netnsPath(state.netns),
        portsFile: (0,external_node_path_.join)(dir, 'ports.json'),
        readyFile,
        expiresAt: Date.parse(state.expiresAt) / 1000,
        onExpire: onExpire?.map((a) => a.replace(/\{env\}/g, state.environmentId)) ?? null,
        owner: { pid: state.owner.pid, startTime: state.owner.startTime },
        nodes: [],
    });
    const log = await (0,promises_.open)((0,external_node_path_.join)(dir, 'forward.log'), 'a');
    try {
        const child = (0,external_node_child_process_.spawn)(systemPython(), ['-I', '-S', script, state.environmentId, watchdogConfigPath(state)], {
            detached: true,
            stdio: ['ignore', log.fd, log.fd],
        });
        const pid = await new Promise((res, rej) => {
            child.once('error', rej);
            child.once('spawn', () => res(child.pid));
        });
        child.unref();
        state.forwarder = (await procRef(pid)) ?? { pid, startTime: 0 };
    }
    finally {
        await log.close();
    }
    const ready = new SideStep((async () => {
        const deadline = now() + 10_000;
        while (!(0,external_node_fs_.existsSync)(readyFile)) {
            if (!(await isAlive(state.forwarder)) || now() > deadline)
                throw await watchdogFailure(state, 'start');
            await sleep(10);
        }
    })());
    return { ready };
}
async function watchdogFailure(state, what) {
    const why = await (0,promises_.readFile)((0,external_node_path_.join)(state.dir, 'forward.log'), 'utf8').catch(() => '');
    return new lib/* KarooError */.xD('internal', `the watchdog of ${state.environmentId} did not ${what}: ${why.trim().split('\n').pop() ?? ''}`);
}
/** Changes what the watchdog watches (owner) or forwards (nodes), then wakes it (SIGUSR1: it reads its config again). */
async function tellWatchdog(state, change) {
    const config = JSON.parse(await (0,promises_.readFile)(watchdogConfigPath(state), 'utf8'));
    await writeWatchdogConfig(state, { ...config, ...change });
    // Before its handlers exist a SIGUSR1 would kill it; it reads its config once more when they do.
    if ((0,external_node_fs_.existsSync)(config.readyFile) && state.forwarder && (await isAlive(state.forwarder)))
        process.kill(state.forwarder.pid, 'SIGUSR1');
}
/** Has the watchdog forward 127.0.0.1 ports to the nodes' SSH (connections made inside the namespace) and records the ports. */
async function startForwarding(state, watchdog) {
    await watchdog.ready.join();
    await tellWatchdog(state, { nodes: state.machines.map((m) => ({ name: m.name, address: m.address, port: 22 })) });
    const portsFile = (0,external_node_path_.join)(state.dir, 'ports.json');
    const deadline = now() + 10_000;
    for (;;) {
        try {
            const p = JSON.parse(await (0,promises_.readFile)(portsFile, 'utf8'));
            for (const m of state.machines)
                m.sshPort = p.ports[m.name];
            return;
        }
        catch {
            if (!(await isAlive(state.forwarder)) || now() > deadline)
                throw await watchdogFailure(state, 'start forwarding');
            await sleep(20);
        }
    }
}
/**
 * Hands an environment on: it no longer ends with the process that made it, only when it is
 * destroyed or its TTL passes (karoo up --keep, a provisioning failure kept for debugging).
 */
async function handOver(state) {
    state.lifetime = 'ttl';
    await saveState(state);
    await tellWatchdog(state, { owner: null });
}
/**
 * Run through sudo (as the provision action does on GitHub's runners), the files the next,
 * unprivileged steps need (the key, known_hosts, the inventory) are given to the invoking user.
 */
async function handToInvokingUser(paths) {
    const uid = Number(process.env.SUDO_UID);
    const gid = Number(process.env.SUDO_GID);
    if (process.getuid?.() !== 0 || !(uid > 0))
        return;
    for (const p of paths)
        await (0,promises_.chown)(p, uid, gid > 0 ? gid : uid);
}
/** Runs a command on a node of an inventory; refuses when the environment's TTL has passed. */
async function execOnNode(inv, node, command, opts = {}) {
    return sshExec(nodeEndpoint(inv, node), command, opts);
}
function nodeEndpoint(inv, node) {
    checkNotExpired(inv);
    const n = inv.nodes.find((x) => x.name === node);
    if (!n)
        throw new lib/* KarooError */.xD('input', `node "${node}" is not in the inventory of ${inv.environmentId} (nodes: ${inv.nodes.map((x) => x.name).join(', ')})`);
    return { ...n.ssh, port: sshPort(n.ssh), user: sshUser(n.ssh) };
}
function checkNotExpired(inv, at = Date.now()) {
    if (inv.expiresAt && Date.parse(inv.expiresAt) <= at) {
        throw new lib/* KarooError */.xD('refused', `environment ${inv.environmentId} expired at ${inv.expiresAt} (TTL ${inv.ttlSeconds ?? '?'} s); provision a new one (karoo reap removes what is left)`);
    }
}
//# sourceMappingURL=environment.js.map
;// CONCATENATED MODULE: ./packages/machines/lib/src/index.js
/**
 * Ephemeral machines for acceptance runs: providers (systemd-nspawn containers, QEMU virtual
 * machines), environments with a private network and a fresh SSH key, the inventory deploy
 * reads, and teardown that always happens (destroy, TTL, reap).
 */



















//# sourceMappingURL=index.js.map

/***/ })

};
