import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { IndexConfig } from '@karoo/config';
import { buildWheel, serveIndex, wheelFile, writeIndex, type IndexServer } from '@karoo/example';
import { parseInstant } from '@karoo/lock';
import { IndexClient } from './index-client.js';
import { serveMergedIndex } from './merged-index.js';

// The merged index karoo serves the resolver, under an upload-time cutoff, read over HTTP as pip reads it.
let root: string;
let server: IndexServer;
let indexes: IndexConfig[];

const w = (name: string, version: string) =>
  buildWheel({ name, version, requiresPython: '>=3.8', files: { [`${name.replace(/-/g, '_')}/__init__.py`]: '' } });

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'karoo-merged-as-of-'));
  await writeIndex(join(root, 'private'), [
    // A private project whose only build is newer than the cutoff.
    { name: 'acme-lib', files: [{ ...wheelFile(w('acme-lib', '2.0.0')), uploadTime: '2026-02-01T00:00:00Z' }] },
    {
      name: 'acme-app',
      files: [
        { ...wheelFile(w('acme-app', '1.0.0')), uploadTime: '2026-01-01T00:00:00Z' },
        { ...wheelFile(w('acme-app', '1.1.0')), uploadTime: '2026-01-15T00:00:00.000001Z' },
      ],
    },
  ]);
  await writeIndex(join(root, 'public'), [
    // The decoy of the private name, uploaded well before the cutoff.
    { name: 'acme-lib', files: [{ ...wheelFile(w('acme-lib', '99.0.0')), uploadTime: '2025-01-01T00:00:00Z' }] },
    {
      name: 'colorlib',
      files: [wheelFile(w('colorlib', '1.0.0')), { ...wheelFile(w('colorlib', '2.0.0')), uploadTime: '2026-03-01T00:00:00Z' }],
    },
  ]);
  server = await serveIndex(root);
  indexes = [
    { name: 'private', url: server.urlFor('private/simple/'), private: true },
    { name: 'public', url: server.urlFor('public/simple/'), private: false },
  ];
}, 60_000);

afterAll(async () => {
  await server?.close();
  await rm(root, { recursive: true, force: true });
});

async function links(asOf: string | undefined, project: string): Promise<{ status: number; files: string[] }> {
  const merged = await serveMergedIndex(new IndexClient(), indexes, process.env, {
    asOf: asOf === undefined ? undefined : parseInstant(asOf),
  });
  try {
    const res = await fetch(`${merged.url}${project}/`);
    const text = await res.text();
    return { status: res.status, files: [...text.matchAll(/>([^<]+\.whl)</g)].map((m) => m[1]!) };
  } finally {
    await merged.close();
  }
}

describe('the merged index under an upload-time cutoff', () => {
  it('lists only files uploaded at or before the cutoff, to the microsecond', async () => {
    expect(await links('2026-01-15T00:00:00Z', 'acme-app')).toEqual({ status: 200, files: ['acme_app-1.0.0-py3-none-any.whl'] });
    expect(await links('2026-01-15T00:00:00.000001Z', 'acme-app')).toEqual({
      status: 200,
      files: ['acme_app-1.0.0-py3-none-any.whl', 'acme_app-1.1.0-py3-none-any.whl'],
    });
    expect((await links(undefined, 'acme-app')).files).toHaveLength(2);
  });

  it('never lets the cutoff turn a private name over to the public index (dependency confusion)', async () => {
    // Before the private build exists, the project is empty, not the public decoy 99.0.0.
    expect(await links('2026-01-20T00:00:00Z', 'acme-lib')).toEqual({ status: 404, files: [] });
    expect(await links(undefined, 'acme-lib')).toEqual({ status: 200, files: ['acme_lib-2.0.0-py3-none-any.whl'] });
  });

  it('keeps files without an upload time visible (the cutoff cannot apply to them)', async () => {
    expect(await links('2026-01-20T00:00:00Z', 'colorlib')).toEqual({ status: 200, files: ['colorlib-1.0.0-py3-none-any.whl'] });
  });
});
