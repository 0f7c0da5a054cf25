/** Stage 1: read the dataset folder (connections, profiles, events) into columnar artifacts. */
import { PROFILE_FIELDS, growProfiles } from '../../core/tables.js';
import { loadDataset } from '../../data/load.js';
import { ARTIFACTS } from '../../bundle/artifacts.js';
import type { Stage } from '../stage.js';

export interface IngestParams {
  maxBadRows?: number;
}

export function ingestStage(params: IngestParams = {}): Stage {
  return {
    name: 'ingest',
    async run(ctx) {
      const world = await loadDataset(ctx.input('data'), { maxBadRows: params.maxBadRows });
      const n = world.ids.size;
      const p = growProfiles(world.profiles, n);
      await ctx.writeJson(ARTIFACTS.ids, world.ids.toArray());
      await ctx.writeJson(ARTIFACTS.dicts, Object.fromEntries(PROFILE_FIELDS.map((f) => [f, p.dicts[f].toArray()])));
      await ctx.writeArrays(ARTIFACTS.profiles, {
        ...p.codes,
        seniority: p.seniority,
        joinedAt: p.joinedAt,
        flags: p.flags,
      });
      const c = world.connections;
      await ctx.writeArrays(ARTIFACTS.connections, { src: c.src, dst: c.dst, ts: c.ts });
      const e = world.events;
      await ctx.writeArrays(ARTIFACTS.events, { type: e.type, actor: e.actor, target: e.target, ts: e.ts });
      await ctx.writeJson(ARTIFACTS.importReport, world.report);
      let skipped = 0;
      for (const f of world.report.files) for (const k of Object.values(f.skipped)) skipped += k as number;
      ctx.log(`${n} users, ${c.count} connection rows, ${e.count} events, ${skipped} rows skipped`);
      return { users: n, connectionRows: c.count, events: e.count, rowsSkipped: skipped };
    },
  };
}
