import { isLoopbackHost } from '@karoo/common';

// The registry client's HTTP goes through @karoo/transport (one client, one retry policy).
export { drain, header, readBody, type HttpResponse } from '@karoo/transport';

/** True for a registry (`host[:port]`) that may be reached over plain HTTP: a loopback host (@karoo/common's one test). */
export function isLoopbackRegistry(registry: string): boolean {
  try {
    return isLoopbackHost(new URL(`http://${registry}`).hostname);
  } catch {
    return false;
  }
}
