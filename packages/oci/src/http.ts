// The registry client's HTTP goes through @karoo/transport (one client, one retry policy).
export { drain, header, readBody, type HttpResponse } from '@karoo/transport';

/** Hosts a registry may be reached on over plain HTTP (as other OCI clients do). */
export function isLoopbackHost(host: string): boolean {
  const h = host.replace(/:\d+$/, '').replace(/^\[|\]$/g, '').toLowerCase();
  return h === 'localhost' || h === '::1' || /^127\.\d+\.\d+\.\d+$/.test(h);
}
