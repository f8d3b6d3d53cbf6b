// Preloaded (node --require) into a process under test: names under `.karoo.test` (a reserved
// TLD that resolves nowhere) resolve to 127.0.0.1, so a library with hard-coded `https://<name>.<host>`
// endpoints can be pointed at stand-ins on this machine. Every other name resolves as usual.
'use strict';
const dns = require('node:dns');
const loopback = (host) => typeof host === 'string' && /\.karoo\.test\.?$/i.test(host);
const lookup = dns.lookup;
dns.lookup = function (host, options, callback) {
  if (!loopback(host)) return lookup.apply(this, arguments);
  const cb = typeof options === 'function' ? options : callback;
  const all = typeof options === 'object' && options !== null && options.all;
  process.nextTick(() => (all ? cb(null, [{ address: '127.0.0.1', family: 4 }]) : cb(null, '127.0.0.1', 4)));
};
const promisesLookup = dns.promises.lookup;
dns.promises.lookup = function (host, options) {
  if (!loopback(host)) return promisesLookup.apply(this, arguments);
  return Promise.resolve(options && options.all ? [{ address: '127.0.0.1', family: 4 }] : { address: '127.0.0.1', family: 4 });
};
