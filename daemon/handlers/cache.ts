import { clearCache, listCache } from '../../models/buildCache';
import { defaultCacheDir } from '../../models/hash';
import type { CacheListResult } from '../protocol';
import type { DaemonServer } from '../server';
import type { Services } from '../services';

/** `cache/list` and `cache/clear`: SD Studio's cache (models/buildCache.ts), sparing the loaded model's build. */
export function registerCacheHandlers(server: DaemonServer, services: Services): void {
  const inUse = async (): Promise<string[]> => {
    const dir = await services.models.loadedFolder();
    return dir ? [dir] : [];
  };
  server.onRequest('cache/list', async (): Promise<CacheListResult> => {
    const used = await inUse();
    const listing = listCache(defaultCacheDir());
    return {
      dir: listing.dir,
      entries: listing.entries.map((e) => ({ path: e.path, kind: e.kind, title: e.title, bytes: e.bytes, lastUsed: e.lastUsed.toISOString(), inUse: used.includes(e.path) })),
      totalBytes: listing.totalBytes,
      limitBytes: server.settings.cacheLimitGB * 2 ** 30,
    };
  });
  server.onRequest('cache/clear', async () => {
    const used = await inUse();
    const { removed, freedBytes } = clearCache(defaultCacheDir(), used);
    return { removed: removed.length, freedBytes, kept: used.length };
  });
}
