"""karoo's node agent: makes one node converge to its desired state, and reports on it.

Sent over SSH by `karoo deploy` on every call (never installed by hand): the runner starts
`python3 -I -S -c BOOTSTRAP COMMAND` (isolated: no file or variable on the node picks its code),
writes the length of this file, this file, one JSON request line, and for `receive` the raw
bytes of the blobs. The last line of stdout is the JSON
answer: {"ok": true, ...} or {"ok": false, "error": "...", "kind": "..."} (errors.py: karoo's
error kinds, or `bug` for an exception the agent did not expect). Nothing from the request is ever
given to a shell: paths, values, commands and environment variables are data, used through
argument vectors and files.

Layout under /opt/karoo/<system>/ (ROOT):
  blobs/sha256/<hex>         blobs of candidates, each checked against its sha256 on arrival
                             and again before use
  <candidate-12>/            the candidate's installation: a venv, written once (marker
                             .karoo-venv.json written last), never changed afterwards
  releases/<release-16>/     one release = candidate + this node's configuration:
                             bin -> ../../<candidate-12>/bin, rendered files, units/,
                             .karoo/release.json (the desired state), .karoo/karoo_node.py
  current -> releases/…      the running release (switched by renaming a new symlink over it)
  previous -> releases/…     the release before it: `karoo rollback` switches back to it
  receipt.json               what was deployed and when; history.jsonl: every receipt

Services run under systemd where the node runs it (/run/systemd/system exists): one unit per
service, linked from the current release. Elsewhere (containers without an init, hosts
where /etc/karoo/service-manager says "supervisor") karoo's own small supervisor runs them:
one detached `supervise SERVICE` process per service that restarts it with backoff, keeps
its state in /run/karoo/<system>/<unit>.json and its output in <root>/logs/<unit>.log.

Installing needs no pip, on the node or in the lock: the agent's own wheel installer unpacks
each locked wheel (already checked against the lock's sha256) into a `--without-pip` venv,
refusing any file its RECORD does not vouch for with a matching hash. A deploy installs once
per target: the first node of a target packs its verified installation into a deterministic
archive (`pack`), the runner fetches it (`send`) and the other nodes of that target unpack it
(`prepare` with `archive`), checked against its digest; every node then verifies its
installation against the lock (versions and RECORD hashes).

Standard library only; Python >= 3.9. `exec SERVICE` is what both run: it starts a service of
the release it sits in, with the command, environment and working directory of release.json,
through execve (no shell).

The modules of this package (errors, util, protocol, target, wheel, archive, services, verify,
blobs, install, releases, node, launcher, commands) are what tests import; the nodes get them as
one file, concatenated by packages/deploy/scripts/gen-agent.mjs without the imports between them.

LAZY_IMPORTS: every call starts a new interpreter, and so does every service start (`exec`).
The standard-library modules only installing and packing need (venv, which brings logging;
zipfile, configparser, tarfile, gzip: ~45 ms of a node's CPU) are imported inside the functions
that use them, so that plan, activate and `exec` do not pay for them.
"""
