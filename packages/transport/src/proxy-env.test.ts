import { describe, expect, it } from '@jest/globals';
import { proxyFromEnv } from './transport.js';

describe('proxyFromEnv', () => {
  it('is undefined when no proxy is named, or an empty one, or no_proxy is *', () => {
    expect(proxyFromEnv({})).toBeUndefined();
    expect(proxyFromEnv({ HTTPS_PROXY: '', http_proxy: '' })).toBeUndefined();
    expect(proxyFromEnv({ HTTPS_PROXY: 'http://gw:3128', NO_PROXY: ' * ' })).toBeUndefined();
  });

  it('reads the lower-case name first, as curl and pip do, and always keeps loopback off the proxy', () => {
    expect(proxyFromEnv({ https_proxy: 'http://a:1', HTTPS_PROXY: 'http://b:2', NO_PROXY: '.corp.example' })).toEqual({
      httpsProxy: 'http://a:1',
      noProxy: '.corp.example,localhost,127.0.0.1,[::1]',
    });
    expect(proxyFromEnv({ HTTP_PROXY: 'http://b:2', no_proxy: 'x.example', NO_PROXY: 'y.example' })).toEqual({
      httpProxy: 'http://b:2',
      noProxy: 'x.example,localhost,127.0.0.1,[::1]',
    });
    // An empty lower-case name switches the proxy off even when the upper-case one names it.
    expect(proxyFromEnv({ https_proxy: '', HTTPS_PROXY: 'http://b:2' })).toBeUndefined();
  });
});
