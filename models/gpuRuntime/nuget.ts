// Where a NuGet package version lives and what it must hash to, from a NuGet v3 feed: the service index names the
// registration hive; the package version's registration leaf names its .nupkg URL and its catalog entry; the
// catalog entry publishes the package's SHA-512 and size (the hash NuGet clients verify against).
import { getJson } from './http';

export interface NugetPackageRef {
  id: string;
  version: string;
  /** The .nupkg URL. */
  url: string;
  /** Published SHA-512, base64. */
  sha512: string;
  size: number;
}

/** A feed reply without the expected fields: the message says which document and field. */
export class NugetError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'NugetError';
  }
}

const obj = (v: unknown, what: string): Record<string, unknown> => {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) throw new NugetError(`${what}: expected a JSON object`);
  return v as Record<string, unknown>;
};

const str = (o: Record<string, unknown>, key: string, what: string): string => {
  const v = o[key];
  if (typeof v !== 'string' || !v) throw new NugetError(`${what}: no "${key}"`);
  return v;
};

/** The first resource of the service index whose @type starts with one of `types` (in that order of preference). */
function resource(index: Record<string, unknown>, types: readonly string[], feed: string): string {
  const resources = Array.isArray(index.resources) ? (index.resources as unknown[]) : [];
  for (const t of types) {
    for (const r of resources) {
      const o = typeof r === 'object' && r !== null ? (r as Record<string, unknown>) : {};
      const type = o['@type'];
      if (typeof type === 'string' && type.startsWith(t) && typeof o['@id'] === 'string') return o['@id'] as string;
    }
  }
  throw new NugetError(`${feed}: the service index has no ${types[0]} resource`);
}

/** Resolves `id` at exactly `version` on the feed whose service index is `feed`. */
export async function resolveNugetPackage(feed: string, id: string, version: string, signal?: AbortSignal, env?: NodeJS.ProcessEnv): Promise<NugetPackageRef> {
  const index = obj(await getJson(feed, signal, undefined, env), feed);
  // Registration hives: 3.6.0 (SemVer 2, gzip), 3.4.0 (gzip), then the plain one; all carry catalogEntry.
  const registrations = resource(index, ['RegistrationsBaseUrl/3.6.0', 'RegistrationsBaseUrl/3.4.0', 'RegistrationsBaseUrl'], feed);
  const leafUrl = `${registrations.replace(/\/?$/, '/')}${id.toLowerCase()}/${version.toLowerCase()}.json`;
  let leaf: Record<string, unknown>;
  try {
    leaf = obj(await getJson(leafUrl, signal, undefined, env), leafUrl);
  } catch (e) {
    if ((e as { status?: number }).status === 404) throw new NugetError(`${id} ${version} is not on ${feed} (${leafUrl}: 404)`);
    throw e;
  }
  const url = str(leaf, 'packageContent', leafUrl);
  // The leaf's catalogEntry is a URL (registration leaf document) or an inlined object (registration page item).
  const entryRef = leaf.catalogEntry;
  const entryUrl = typeof entryRef === 'string' ? entryRef : str(obj(entryRef, `${leafUrl} catalogEntry`), '@id', `${leafUrl} catalogEntry`);
  const entry = obj(await getJson(entryUrl, signal, undefined, env), entryUrl);
  const algorithm = str(entry, 'packageHashAlgorithm', entryUrl);
  if (algorithm.toUpperCase() !== 'SHA512') throw new NugetError(`${entryUrl}: package hash algorithm ${algorithm} (SHA512 expected)`);
  const sha512 = str(entry, 'packageHash', entryUrl);
  const size = entry.packageSize;
  if (typeof size !== 'number' || !Number.isSafeInteger(size) || size <= 0) throw new NugetError(`${entryUrl}: no valid "packageSize"`);
  if (String(entry.version ?? version).toLowerCase() !== version.toLowerCase()) throw new NugetError(`${entryUrl}: describes version ${String(entry.version)}, ${version} was asked for`);
  return { id, version, url, sha512, size };
}
