import { describe, expect, it } from '@jest/globals';
import { proxyFor, proxyFromEnv } from './transport.js';

describe('proxyFromEnv', () => {
  it('is undefined when no proxy is named, or an empty one, or no_proxy is *', () => {
    expect(proxyFromEnv({})).toBeUndefined();
    expect(proxyFromEnv({ HTTPS_PROXY: '', http_proxy: '' })).toBeUndefined();
    expect(proxyFromEnv({ HTTPS_PROXY: 'http://gw:3128', NO_PROXY: ' * ' })).toBeUndefined();
    expect(proxyFromEnv({ HTTPS_PROXY: '   ' })).toBeUndefined();
  });

  it('reads the lower-case name first, as curl and pip do, and always keeps loopback off the proxy', () => {
    expect(proxyFromEnv({ https_proxy: 'http://a:1', HTTPS_PROXY: 'http://b:2', NO_PROXY: '.corp.example' })).toEqual({
      httpProxy: '',
      httpsProxy: 'http://a:1',
      noProxy: '.corp.example,localhost,127.0.0.1,::1,[::1]',
    });
    expect(proxyFromEnv({ HTTP_PROXY: 'http://b:2', no_proxy: 'x.example', NO_PROXY: 'y.example' })).toEqual({
      httpProxy: 'http://b:2',
      httpsProxy: '',
      noProxy: 'x.example,localhost,127.0.0.1,::1,[::1]',
    });
    // An empty lower-case name switches the proxy off even when the upper-case one names it.
    expect(proxyFromEnv({ https_proxy: '', HTTPS_PROXY: 'http://b:2' })).toBeUndefined();
  });

  it('takes `host:port` without a scheme as an http:// proxy, as curl and pip do', () => {
    expect(proxyFromEnv({ HTTPS_PROXY: 'proxy.corp.example:3128' })?.httpsProxy).toBe('http://proxy.corp.example:3128');
  });
});

describe('proxyFor', () => {
  const env = { HTTP_PROXY: 'http://u:p@gw.example:3128', NO_PROXY: '.corp.example,*.lab.example,registry.example:5000' };
  const via = (url: string, e: NodeJS.ProcessEnv = env) => proxyFor(new URL(url), e);

  it('names the proxy without its login, and whether it has one; https falls back on the http proxy', () => {
    expect(via('https://pypi.org/simple/')).toEqual({ variable: 'HTTP_PROXY', url: 'http://gw.example:3128/', login: true });
    expect(via('https://pypi.org/', { https_proxy: 'http://tls-gw:8080', HTTP_PROXY: 'http://gw:3128' })).toEqual({
      variable: 'https_proxy',
      url: 'http://tls-gw:8080/',
      login: false,
    });
  });

  it('goes direct for no_proxy hosts and their subdomains, on the named port only, and for loopback', () => {
    expect(via('https://index.corp.example/simple/')).toBeUndefined();
    expect(via('https://corp.example/')).toBeUndefined();
    expect(via('https://a.b.lab.example/')).toBeUndefined();
    expect(via('http://registry.example:5000/v2/')).toBeUndefined();
    expect(via('https://registry.example/v2/')).toMatchObject({ variable: 'HTTP_PROXY' });
    expect(via('https://notcorp.example/')).toMatchObject({ variable: 'HTTP_PROXY' });
    for (const u of ['http://127.0.0.1:8080/', 'http://localhost/', 'http://[::1]:5000/']) expect(via(u)).toBeUndefined();
  });
});
