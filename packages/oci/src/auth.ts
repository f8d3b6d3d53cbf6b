import { basicAuthHeader, errorMessage, isLoopbackHost, KarooError } from '@karoo/common';
import { transport as defaultTransport, type Transport } from '@karoo/transport';
import { drain, header, readBody, type HttpResponse } from './http.js';

export interface Credentials {
  readonly username: string;
  /** A password or a token (GITHUB_TOKEN for ghcr.io). */
  readonly password: string;
}

interface Challenge {
  scheme: 'basic' | 'bearer';
  realm?: string | undefined;
  service?: string | undefined;
  scope?: string | undefined;
}

/** Parses a `WWW-Authenticate` header: `Bearer realm="…",service="…",scope="…"` or `Basic realm="…"`. */
export function parseChallenge(value: string | undefined): Challenge | undefined {
  if (!value) return undefined;
  const m = /^\s*(\w+)\s*(.*)$/s.exec(value);
  if (!m) return undefined;
  const scheme = m[1]!.toLowerCase();
  if (scheme !== 'basic' && scheme !== 'bearer') return undefined;
  const params: Record<string, string> = {};
  for (const p of m[2]!.matchAll(/(\w+)\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^\s,]+))/g))
    params[p[1]!.toLowerCase()] = (p[2] ?? p[3] ?? '').replace(/\\(.)/g, '$1');
  return { scheme, realm: params.realm, service: params.service, scope: params.scope };
}

/**
 * Registry authentication: anonymous until the registry asks; then HTTP basic, or the bearer
 * token flow (distribution token spec, as GHCR and Docker Hub use): GET the challenge's realm
 * with service and scope, with basic credentials when we have some, and send the token.
 * Tokens are cached per set of scopes.
 */
export class RegistryAuth {
  private challenge: Challenge | undefined;
  private readonly tokens = new Map<string, Promise<string>>();

  constructor(
    private readonly host: string,
    private readonly credentials: Credentials | undefined,
    private readonly transport: Transport = defaultTransport,
  ) {}

  /** The Authorization header for a request needing these scopes, if the registry asked for one. */
  async header(scopes: readonly string[]): Promise<string | undefined> {
    const c = this.challenge;
    if (!c) return undefined;
    if (c.scheme === 'basic') return this.credentials ? basicAuthHeader(this.credentials) : undefined;
    const key = scopeKey(scopes);
    // Concurrent requests share one token request.
    let token = this.tokens.get(key);
    if (!token) {
      token = this.fetchToken(scopes);
      this.tokens.set(key, token);
      token.catch(() => this.tokens.delete(key));
    }
    return `Bearer ${await token}`;
  }

  /**
   * Called on a 401. Records the challenge and returns true when retrying with new
   * credentials can help; throws when the registry needs credentials we do not have.
   */
  async unauthorized(res: HttpResponse, scopes: readonly string[], hadAuth: boolean): Promise<void> {
    await drain(res);
    const c = parseChallenge(header(res, 'www-authenticate'));
    if (!c) throw new KarooError('input', `registry ${this.host} answered 401 without a usable WWW-Authenticate challenge`);
    const key = scopeKey(scopes);
    if (hadAuth) {
      if (c.scheme === 'basic' || !this.tokens.has(key)) throw this.refused();
      // A cached token may have expired or lack a scope: fetch one more, then give up.
      this.tokens.delete(key);
    }
    if (c.scheme === 'basic' && !this.credentials) throw this.needCredentials();
    if (c.scheme === 'bearer' && c.realm) {
      const realm = new URL(c.realm);
      if (realm.protocol !== 'https:' && !(realm.protocol === 'http:' && isLoopbackHost(realm.hostname))) {
        throw new KarooError(
          'input',
          `registry ${this.host} sends tokens from ${c.realm}; karoo fetches tokens over https only (plain http only on loopback)`,
        );
      }
    }
    this.challenge = c;
    if (c.scheme === 'bearer' && c.scope) this.extraScopes.set(key, c.scope);
  }

  private readonly extraScopes = new Map<string, string>();

  private async fetchToken(scopes: readonly string[]): Promise<string> {
    const c = this.challenge!;
    if (!c.realm) throw new KarooError('input', `registry ${this.host} asked for a bearer token without a realm`);
    const url = new URL(c.realm);
    if (c.service) url.searchParams.set('service', c.service);
    const all = new Set(scopes);
    const extra = this.extraScopes.get(scopeKey(scopes));
    if (extra) for (const s of extra.split(' ')) all.add(s);
    for (const s of [...all].sort()) url.searchParams.append('scope', s);
    const headers: Record<string, string> = { accept: 'application/json' };
    if (this.credentials) headers.authorization = basicAuthHeader(this.credentials);
    let res: HttpResponse;
    try {
      res = await this.transport.request({
        method: 'GET',
        url,
        headers,
        what: `token endpoint ${url.origin}${url.pathname} of registry ${this.host}`,
      });
    } catch (e) {
      throw new KarooError(
        'unavailable',
        `token endpoint ${url.origin}${url.pathname} of registry ${this.host} cannot be reached (${errorMessage(e)})`,
        { cause: e },
      );
    }
    if (res.status === 401 || res.status === 403) {
      await drain(res);
      throw this.credentials ? this.refused() : this.needCredentials();
    }
    if (res.status !== 200) {
      await drain(res);
      throw new KarooError(
        res.status >= 500 || res.status === 429 ? 'unavailable' : 'input',
        `token endpoint ${url.origin}${url.pathname} of registry ${this.host} answered ${res.status}`,
      );
    }
    const body = JSON.parse((await readBody(res, 1 << 20)).toString('utf8')) as { token?: string; access_token?: string };
    const token = body.token ?? body.access_token;
    if (!token) throw new KarooError('unavailable', `token endpoint of registry ${this.host} answered without a token`);
    return token;
  }

  private refused(): KarooError {
    return new KarooError(
      'input',
      `registry ${this.host} refused the credentials${this.credentials ? ` of user "${this.credentials.username}"` : ''}; check the user name and token (for ghcr.io: GITHUB_TOKEN with packages: write)`,
    );
  }

  private needCredentials(): KarooError {
    return new KarooError(
      'input',
      `registry ${this.host} requires credentials; set KAROO_REGISTRY_USERNAME and KAROO_REGISTRY_PASSWORD (or GITHUB_TOKEN for ghcr.io), or the action's registry-username/registry-password inputs`,
    );
  }
}

function scopeKey(scopes: readonly string[]): string {
  return [...scopes].sort().join(' ');
}
