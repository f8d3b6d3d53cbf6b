import { OCI_ANNOTATIONS } from '@karoo/common';

/** karoo's own media types. Changing any of them changes every candidate digest. */
export const KAROO = {
  /** `artifactType` of a candidate manifest. */
  candidate: 'application/vnd.karoo.candidate.v1',
  /** The candidate's config blob (canonical JSON). */
  candidateConfig: 'application/vnd.karoo.candidate.config.v1+json',
  wheel: 'application/vnd.karoo.python.wheel.v1',
  sdist: 'application/vnd.karoo.python.sdist.v1',
  /** A locked file that is neither a wheel nor an sdist. */
  file: 'application/vnd.karoo.python.file.v1',
  pylock: 'application/vnd.karoo.lock.pylock.v1+toml',
  requirements: 'application/vnd.karoo.lock.requirements.v1',
  /** `artifactType` of a provenance record referring to a candidate. */
  provenance: 'application/vnd.karoo.provenance.v1+json',
} as const;

/** The annotation keys karoo uses: the standard ones (@karoo/common's) and its own. */
export const ANNOTATIONS = {
  ...OCI_ANNOTATIONS,
  /** `name==version` of the locked package a layer belongs to. */
  package: 'dev.karoo.package',
} as const;

export function fileMediaType(fileName: string): string {
  if (fileName.endsWith('.whl')) return KAROO.wheel;
  if (/\.(tar\.gz|zip|tar\.bz2|tgz)$/.test(fileName)) return KAROO.sdist;
  return KAROO.file;
}
