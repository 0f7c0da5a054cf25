/** Stage 2: the undirected connection graph (CSR) and the exclusion sets from the activity log. */
import { buildGraph } from '../../graph/csr.js';
import { exclusionsFromEvents } from '../../graph/exclusions.js';
import { ARTIFACTS, EDGE_COLUMNS, EVENT_COLUMNS } from '../../bundle/artifacts.js';
import type { Stage } from '../stage.js';

export function graphStage(): Stage {
  return {
    name: 'graph',
    params: {},
    async run(ctx) {
      const n = (await ctx.readJson<string[]>(ARTIFACTS.ids)).length;
      const e = await ctx.readArrays(ARTIFACTS.connections, EDGE_COLUMNS);
      const g = buildGraph(n, { count: e.src.length, src: e.src, dst: e.dst, ts: e.ts });
      await ctx.writeArrays(ARTIFACTS.graph, { offsets: g.offsets, targets: g.targets, times: g.times });
      const ev = await ctx.readArrays(ARTIFACTS.events, EVENT_COLUMNS);
      const x = exclusionsFromEvents(n, { count: ev.type.length, ...ev });
      await ctx.writeArrays(ARTIFACTS.exclusions, {
        blockedOffsets: x.blocked.offsets,
        blockedTargets: x.blocked.targets,
        dismissedOffsets: x.dismissed.offsets,
        dismissedTargets: x.dismissed.targets,
      });
      let maxDegree = 0;
      let isolated = 0;
      for (let u = 0; u < n; u++) {
        const d = g.degree(u);
        if (d > maxDegree) maxDegree = d;
        if (d === 0) isolated++;
      }
      ctx.log(`${n} users, ${g.edgeCount} edges, max degree ${maxDegree}, ${isolated} isolated`);
      return {
        users: n,
        edges: g.edgeCount,
        meanDegree: n > 0 ? (2 * g.edgeCount) / n : 0,
        maxDegree,
        isolated,
        blockPairs: x.blocked.targets.length / 2,
        dismissals: x.dismissed.targets.length,
      };
    },
  };
}
