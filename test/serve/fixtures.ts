/** The small world the serving tests share, and an app over it. */
import { buildApp, type AppDeps } from '../../src/serve/app.js';
import { loadConfig } from '../../src/core/config.js';
import { MemoryStore } from '../../src/store/memory.js';
import { coreFor } from '../../src/recommend/recommend.js';
import { tinySnapshot } from '../helpers/tinyWorld.js';

export const world = tinySnapshot({
  users: [
    { id: 'ann', company: 'Acme', school: 'MIT', location: 'Berlin' },
    { id: 'bob', company: 'Acme' },
    { id: 'cat', school: 'MIT' },
    { id: 'dan', company: 'Acme', location: 'Berlin' },
    { id: 'eve', school: 'MIT' },
    { id: 'fay' },
  ],
  edges: [
    ['ann', 'bob'],
    ['ann', 'cat'],
    ['bob', 'dan'],
    ['cat', 'dan'],
    ['cat', 'eve'],
    ['bob', 'fay'],
  ],
});

/** An app over the world with config overrides (the environment is not read). */
export async function worldApp(overrides: Record<string, unknown> = {}, extra: Partial<AppDeps> = {}) {
  const config = loadConfig(overrides, {});
  const core = coreFor(new MemoryStore(world), config);
  return buildApp({ config, core: () => core, ...extra });
}

/** Asserts the documented error shape and returns the body. */
export function errorShape(body: unknown): { statusCode: number; code: string; error: string; message: string } {
  const b = body as Record<string, unknown>;
  const keys = Object.keys(b).sort().join(',');
  if (keys !== 'code,error,message,statusCode') throw new Error(`error body has keys ${keys}: ${JSON.stringify(b)}`);
  if (typeof b.code !== 'string' || !b.code.startsWith('PYMK_')) throw new Error(`error code ${String(b.code)} is not a PYMK code`);
  return b as { statusCode: number; code: string; error: string; message: string };
}
