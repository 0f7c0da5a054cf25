/**
 * SNAP ego-Facebook → standard dataset. The graph is `facebook_combined.txt` (4,039 nodes, 88,234
 * undirected edges). Profiles come from the ten ego networks: each `<ego>.featnames` names the binary
 * columns of `<ego>.feat` (one row per alter) and `<ego>.egofeat` (the ego), e.g.
 * `24 education;school;id;anonymized feature 24`. Mapped fields (values keep SNAP's anonymized feature
 * number, so equal values mean the same employer/school/place):
 *   company  ← `work;employer;id`   as "employer N"
 *   school   ← `education;school;id` as "school N"
 *   location ← `location;id`, else `hometown;id`, as "place N" (SNAP anonymizes values, not categories,
 *              so a hometown and a location with the same number are the same place)
 * industry, seniority and joined_at have no source and stay null. When a user has several features of a
 * field, the lowest feature number is taken; a user in several ego networks takes, per field, the value
 * from the lowest-numbered ego that has one.
 */
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { Dictionary } from '../../core/dictionary.js';
import { PymkError } from '../../core/errors.js';
import type { Profile } from '../../core/tables.js';
import { readEdgeList } from '../readers/edgeList.js';
import { IdInterner } from '../readers/ids.js';
import { scanLines } from '../readers/lines.js';
import type { AdapterResult } from './types.js';
import { writeDataset } from './writeDataset.js';

type Field = 'company' | 'school' | 'location' | 'hometown';

/** featnames category → the profile field it feeds and the value prefix. */
const CATEGORY: Record<string, { field: Field; prefix: string }> = {
  'work;employer;id': { field: 'company', prefix: 'employer' },
  'education;school;id': { field: 'school', prefix: 'school' },
  'location;id': { field: 'location', prefix: 'place' },
  'hometown;id': { field: 'hometown', prefix: 'place' },
};
const FIELDS: Field[] = ['company', 'school', 'location', 'hometown'];
const FEATNAME = /^(\d+) (.*);anonymized feature (\d+)$/;

/** A column of one ego's feature matrix that feeds a profile field. */
interface MappedColumn {
  column: number;
  field: Field;
  feature: number;
  value: string;
}

type Partial4 = Record<Field, { feature: number; value: string } | null>;

export async function importEgoFacebook(src: string, out: string): Promise<AdapterResult> {
  const graphPath = join(src, 'facebook_combined.txt');
  const ids = new Dictionary();
  const g = await readEdgeList(graphPath, new IdInterner(ids));
  const egoDir = join(src, 'facebook');
  const egos = await listEgos(egoDir);

  // Per node, per field: the value from the first ego (ascending) that has one.
  const merged = new Map<string, Partial4>();
  for (const ego of egos) {
    const columns = await readFeatnames(join(egoDir, `${ego}.featnames`));
    const width = columns.width;
    const take = (node: string, row: Uint8Array): void => {
      const best: Partial4 = { company: null, school: null, location: null, hometown: null };
      for (const c of columns.mapped) {
        if (row[c.column] !== 1) continue;
        const b = best[c.field];
        if (b === null || c.feature < b.feature) best[c.field] = { feature: c.feature, value: c.value };
      }
      let m = merged.get(node);
      if (m === undefined) merged.set(node, (m = { company: null, school: null, location: null, hometown: null }));
      for (const f of FIELDS) if (m[f] === null) m[f] = best[f];
    };
    await readFeatRows(join(egoDir, `${ego}.egofeat`), width, false, (_id, row) => take(ego, row));
    await readFeatRows(join(egoDir, `${ego}.feat`), width, true, take);
  }

  const nodes = [...merged.keys()].sort((a, b) => Number(a) - Number(b));
  const counts = { nodes: ids.size, edges: g.edges.count, profiles: nodes.length, company: 0, school: 0, location: 0, locationFromHometown: 0 };
  const profiles: Profile[] = nodes.map((id) => {
    const m = merged.get(id)!;
    const loc = m.location ?? m.hometown;
    if (m.company) counts.company++;
    if (m.school) counts.school++;
    if (loc) counts.location++;
    if (!m.location && m.hometown) counts.locationFromHometown++;
    return {
      id,
      company: m.company?.value ?? null,
      school: m.school?.value ?? null,
      location: loc?.value ?? null,
      industry: null,
      seniority: null,
      joinedAt: null,
      deactivated: false,
      banned: false,
    };
  });
  const edges = g.edges;
  const idv = ids.toArray();
  await writeDataset({
    dir: out,
    name: 'ego-facebook',
    description: 'SNAP ego-Facebook (McAuley & Leskovec 2012): facebook_combined.txt + ego-network profile features',
    source: 'https://snap.stanford.edu/data/ego-Facebook.html',
    withTime: false,
    connections: (function* () {
      for (let i = 0; i < edges.count; i++) yield { src: idv[edges.src[i]], dst: idv[edges.dst[i]] };
    })(),
    profiles,
  });
  const pct = (k: number): string => `${k} (${((100 * k) / counts.nodes).toFixed(1)}%)`;
  return {
    counts,
    lines: [
      `ego-facebook: ${counts.nodes} users, ${counts.edges} connections from ${graphPath}`,
      `  ${egos.length} ego networks; profiles for ${pct(counts.profiles)} users`,
      `  with company ${pct(counts.company)}, school ${pct(counts.school)}, location ${pct(counts.location)}` +
        ` (${counts.locationFromHometown} of them from hometown)`,
    ],
  };
}

/** Ego ids (the `<ego>.featnames` files), ascending. */
async function listEgos(dir: string): Promise<string[]> {
  let names: string[];
  try {
    names = await readdir(dir);
  } catch {
    throw new PymkError('PYMK_BAD_INPUT', `${dir}: ego-network folder not found (expected <ego>.featnames/.feat/.egofeat)`, { path: dir });
  }
  const egos = names.filter((n) => /^\d+\.featnames$/.test(n)).map((n) => n.slice(0, -'.featnames'.length));
  if (egos.length === 0) throw new PymkError('PYMK_BAD_INPUT', `${dir}: no <ego>.featnames files`, { path: dir });
  return egos.sort((a, b) => Number(a) - Number(b));
}

/** The mapped columns of one ego's feature matrix, and its width. */
async function readFeatnames(path: string): Promise<{ width: number; mapped: MappedColumn[] }> {
  const mapped: MappedColumn[] = [];
  let width = 0;
  await scanLines(path, (buf, s, e, lineNo) => {
    const text = buf.toString('utf8', s, e).trim();
    if (text === '') return;
    const m = FEATNAME.exec(text);
    if (m === null || Number(m[1]) !== width) {
      throw new PymkError('PYMK_BAD_INPUT', `${path}:${lineNo}: expected '${width} <category>;anonymized feature <N>', got '${text}'`, { path });
    }
    width++;
    const cat = CATEGORY[m[2]];
    if (cat) mapped.push({ column: Number(m[1]), field: cat.field, feature: Number(m[3]), value: `${cat.prefix} ${m[3]}` });
  });
  return { width, mapped };
}

/** Rows of `<ego>.feat` (`node f0 … fk-1`) or `<ego>.egofeat` (`f0 … fk-1`); each must have `width` 0/1 values. */
async function readFeatRows(path: string, width: number, withId: boolean, visit: (id: string, row: Uint8Array) => void): Promise<void> {
  const row = new Uint8Array(width);
  await scanLines(path, (buf, s, e, lineNo) => {
    const parts = buf.toString('latin1', s, e).trim().split(/\s+/);
    if (parts.length === 1 && parts[0] === '') return;
    const id = withId ? parts.shift()! : '';
    if (parts.length !== width || (withId && !/^\d+$/.test(id))) {
      throw new PymkError(
        'PYMK_BAD_INPUT',
        `${path}:${lineNo}: expected ${withId ? 'a node id and ' : ''}${width} feature values (0/1), got ${parts.length}`,
        { path },
      );
    }
    for (let i = 0; i < width; i++) {
      const v = parts[i];
      if (v !== '0' && v !== '1') throw new PymkError('PYMK_BAD_INPUT', `${path}:${lineNo}: feature ${i} must be 0 or 1, got '${v}'`, { path });
      row[i] = v === '1' ? 1 : 0;
    }
    visit(id, row);
  });
}
