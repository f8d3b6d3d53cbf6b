import { copyFile, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { KarooError } from '@karoo/common';
import type { SshEndpoint } from '../inventory.js';
import { sshExec, waitForSsh } from '../ssh.js';
import type { MachineState } from '../state.js';

/** Last `n` lines of a console log, without terminal escapes. */
export async function consoleTail(path: string, n = 15): Promise<string> {
  try {
    const text = (await readFile(path, 'utf8')).replace(/\x1b\[[0-9;?]*[A-Za-z]/g, '').replace(/\r/g, '');
    return text
      .split('\n')
      .filter((l) => l.trim() !== '')
      .slice(-n)
      .join('\n');
  } catch {
    return '(no console output)';
  }
}

export async function waitReadyOverSsh(
  machine: MachineState,
  ssh: SshEndpoint,
  deadline: number,
  alive: () => Promise<boolean>,
  what: string,
): Promise<void> {
  try {
    await waitForSsh(ssh, deadline, alive);
  } catch (e) {
    const tail = await consoleTail(machine.consoleLog);
    throw new KarooError(
      'unavailable',
      `${what} ${machine.name} (${machine.machineId}) is not reachable over SSH: ${(e as Error).message}; last console lines:\n${tail}`,
      {
        detail: { node: machine.name, console: tail },
      },
    );
  }
}

export async function collectCommonLogs(machine: MachineState, ssh: SshEndpoint | undefined, dir: string): Promise<string[]> {
  const saved: string[] = [];
  const consoleOut = join(dir, `${machine.name}.console.log`);
  try {
    await copyFile(machine.consoleLog, consoleOut);
    saved.push(consoleOut);
  } catch {
    // no console yet
  }
  if (ssh) {
    const r = await sshExec(ssh, 'journalctl -b --no-pager -o short-monotonic', {
      timeoutMs: 15_000,
      allowFailure: true,
      connectTimeout: 3,
    }).catch(() => undefined);
    if (r && r.code === 0) {
      const p = join(dir, `${machine.name}.journal.log`);
      await writeFile(p, r.stdout);
      saved.push(p);
    }
  }
  return saved;
}
