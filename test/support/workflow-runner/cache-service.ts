/**
 * A stand-in of GitHub's Actions cache service (v2, the Twirp API @actions/cache 6 calls:
 * CreateCacheEntry, FinalizeCacheEntryUpload, GetCacheEntryDownloadURL) with Azurite as the
 * blob store, so @actions/cache runs its real upload (Azure SDK, block blobs) and download
 * (HTTP GET of a SAS URL) code. GitHub's rules it keeps: an entry is (key, version); a key that
 * exists cannot be created again; restore matches the key exactly, then each restore key as a
 * prefix, newest first; a job reads caches of its own ref and of the default branch only.
 */
import { BlobServiceClient, BlobSASPermissions, StorageSharedKeyCredential, generateBlobSASQueryParameters } from '@azure/storage-blob';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

// Azurite's well-known development account (documented by Microsoft; not a secret).
const ACCOUNT = 'devstoreaccount1';
const ACCOUNT_KEY = 'Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==';
const CONTAINER = 'actions-cache';
const SERVICE = '/twirp/github.actions.results.api.v1.CacheService/';

export interface CacheScope {
  readonly repository: string;
  readonly ref: string;
  readonly defaultRef: string;
}

export interface CacheEntry {
  readonly id: number;
  readonly key: string;
  readonly version: string;
  readonly ref: string;
  readonly repository: string;
  readonly blob: string;
  size: number;
  finalized: boolean;
  readonly created: number;
}

export interface CacheRequest {
  readonly method: string;
  readonly key: string;
  readonly ok: boolean;
  readonly matchedKey?: string;
}

export class CacheService {
  /** Every entry, finalized or not. */
  readonly entries: CacheEntry[] = [];
  /** Every Twirp call, for assertions. */
  readonly requests: CacheRequest[] = [];
  private readonly scopes = new Map<string, CacheScope>();
  private nextId = 1;
  private seq = 0;

  private blob: Promise<{ url: string; process: ChildProcess; dir: string }> | undefined;

  private constructor(
    readonly url: string,
    private readonly server: Server,
  ) {}

  /**
   * Starts the Twirp server on 127.0.0.1 (random port). Azurite's blob service starts on the
   * first request that needs a blob, so runs that never use the cache do not pay for it.
   */
  static async start(): Promise<CacheService> {
    const server = createServer();
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, '127.0.0.1', () => resolve());
    });
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
    const service = new CacheService(url, server);
    server.on('request', (req, res) => void service.handle(req, res));
    return service;
  }

  /** Azurite's blob endpoint (`http://127.0.0.1:PORT/devstoreaccount1`), started on first use. */
  blobUrl(): Promise<string> {
    this.blob ??= startAzurite();
    return this.blob.then((b) => b.url);
  }

  /** Lets a job's ACTIONS_RUNTIME_TOKEN use the cache, scoped to its ref. */
  authorize(token: string, scope: CacheScope): void {
    this.scopes.set(token, scope);
  }

  /** Finalized entries, oldest first. */
  saved(): CacheEntry[] {
    return this.entries.filter((e) => e.finalized);
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
    if (!this.blob) return;
    const { process: azurite, dir } = await this.blob;
    if (azurite.exitCode === null) {
      const exited = new Promise<void>((resolve) => azurite.once('exit', () => resolve()));
      azurite.kill('SIGTERM');
      const timer = setTimeout(() => azurite.kill('SIGKILL'), 3000);
      await exited;
      clearTimeout(timer);
    }
    rmSync(dir, { recursive: true, force: true });
  }

  private async sas(blob: string, permissions: string): Promise<string> {
    const blobUrl = await this.blobUrl();
    const credential = new StorageSharedKeyCredential(ACCOUNT, ACCOUNT_KEY);
    const query = generateBlobSASQueryParameters(
      {
        containerName: CONTAINER,
        blobName: blob,
        permissions: BlobSASPermissions.parse(permissions),
        startsOn: new Date(Date.now() - 60_000),
        expiresOn: new Date(Date.now() + 3600_000),
      },
      credential,
    ).toString();
    return `${blobUrl}/${CONTAINER}/${blob}?${query}`;
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const send = (status: number, body: unknown) => {
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(JSON.stringify(body));
    };
    const token = /^Bearer (\S+)$/.exec(req.headers.authorization ?? '')?.[1];
    const scope = token ? this.scopes.get(token) : undefined;
    if (!scope) return send(401, { code: 'unauthenticated', msg: 'no valid runtime token' });
    if (req.method !== 'POST' || !req.url?.startsWith(SERVICE))
      return send(404, { code: 'bad_route', msg: `no handler for ${req.method} ${req.url}` });
    let body: Record<string, unknown>;
    try {
      body = JSON.parse(Buffer.concat(chunks).toString('utf8') || '{}') as Record<string, unknown>;
    } catch {
      return send(400, { code: 'malformed', msg: 'body is not JSON' });
    }
    const method = req.url.slice(SERVICE.length);
    const key = String(body.key ?? '');
    const version = String(body.version ?? '');
    if (!key || key.length > 512 || key.includes(',')) return send(400, { code: 'invalid_argument', msg: `invalid key: ${key}` });
    const visible = (e: CacheEntry) =>
      e.finalized && e.version === version && e.repository === scope.repository && (e.ref === scope.ref || e.ref === scope.defaultRef);
    switch (method) {
      case 'CreateCacheEntry': {
        const exists = this.entries.some(
          (e) => e.key === key && e.version === version && e.repository === scope.repository && e.ref === scope.ref,
        );
        this.requests.push({ method, key, ok: !exists });
        if (exists) return send(200, { ok: false, message: 'cache entry with the same key, version, and scope already exists' });
        const e: CacheEntry = {
          id: this.nextId++,
          key,
          version,
          ref: scope.ref,
          repository: scope.repository,
          blob: `${this.nextId}-${encodeURIComponent(key)}`,
          size: 0,
          finalized: false,
          created: this.seq++,
        };
        this.entries.push(e);
        return send(200, { ok: true, signed_upload_url: await this.sas(e.blob, 'cw') });
      }
      case 'FinalizeCacheEntryUpload': {
        const e = this.entries.find(
          (x) => x.key === key && x.version === version && x.repository === scope.repository && x.ref === scope.ref && !x.finalized,
        );
        this.requests.push({ method, key, ok: !!e });
        if (!e) return send(404, { code: 'not_found', msg: `no cache entry being uploaded for key ${key}` });
        e.finalized = true;
        e.size = Number(body.size_bytes ?? 0);
        return send(200, { ok: true, entry_id: String(e.id) });
      }
      case 'GetCacheEntryDownloadURL': {
        const restoreKeys = Array.isArray(body.restore_keys) ? (body.restore_keys as unknown[]).map(String) : [];
        const candidates = this.entries.filter(visible).sort((a, b) => b.created - a.created);
        // GitHub's order: the key, then each restore key as a prefix (newest first), on the
        // job's own ref; then the same on the default branch.
        let hit: CacheEntry | undefined;
        for (const ref of [scope.ref, scope.defaultRef]) {
          const onRef = candidates.filter((e) => e.ref === ref);
          hit ??= onRef.find((e) => e.key === key);
          for (const prefix of restoreKeys) hit ??= onRef.find((e) => e.key.startsWith(prefix));
        }
        this.requests.push({ method, key, ok: !!hit, matchedKey: hit?.key });
        if (!hit) return send(200, { ok: false });
        return send(200, { ok: true, signed_download_url: await this.sas(hit.blob, 'r'), matched_key: hit.key });
      }
      default:
        return send(404, { code: 'bad_route', msg: `no method ${method}` });
    }
  }
}

async function startAzurite(): Promise<{ url: string; process: ChildProcess; dir: string }> {
  const dir = mkdtempSync(join(tmpdir(), 'karoo-azurite-'));
  const bin = fileURLToPath(new URL('../../../node_modules/azurite/dist/src/blob/main.js', import.meta.url));
  // --disableTelemetry: Azurite otherwise sends usage data to Microsoft.
  const azurite = spawn(
    process.execPath,
    [bin, '--blobHost', '127.0.0.1', '--blobPort', '0', '--inMemoryPersistence', '--disableTelemetry', '--skipApiVersionCheck', '--loose'],
    {
      cwd: dir,
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { PATH: process.env.PATH ?? '', HOME: dir },
    },
  );
  const url = await new Promise<string>((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => reject(new Error(`Azurite did not start within 30 s: ${out}`)), 30_000);
    const onData = (d: Buffer) => {
      out += d.toString();
      const m = /successfully listens on (http:\/\/127\.0\.0\.1:\d+)/.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve(`${m[1]}/${ACCOUNT}`);
      }
    };
    azurite.stdout!.on('data', onData);
    azurite.stderr!.on('data', onData);
    azurite.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`Azurite exited (${code}): ${out}`));
    });
  });
  // Azurite logs every request: keep draining its output, but stop collecting it.
  for (const stream of [azurite.stdout!, azurite.stderr!]) {
    stream.removeAllListeners('data');
    stream.resume();
  }
  const credential = new StorageSharedKeyCredential(ACCOUNT, ACCOUNT_KEY);
  await new BlobServiceClient(url, credential).getContainerClient(CONTAINER).createIfNotExists();
  return { url, process: azurite, dir };
}
