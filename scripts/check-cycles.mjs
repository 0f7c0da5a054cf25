#!/usr/bin/env node
// Fails when the compiled sources (dist/src) contain an import cycle. Reads relative import/export
// specifiers from each module and runs a depth-first search over the graph.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';

const root = resolve('dist/src');
function walk(dir, out = []) {
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) walk(p, out);
    else if (name.endsWith('.js')) out.push(p);
  }
  return out;
}
const spec = /(?:^|\n)\s*(?:import|export)\s[^'"]*?from\s*['"](\.[^'"]+)['"]|import\(\s*['"](\.[^'"]+)['"]\s*\)/g;
const graph = new Map();
for (const file of walk(root)) {
  const src = readFileSync(file, 'utf8');
  const deps = [];
  for (const m of src.matchAll(spec)) deps.push(resolve(dirname(file), m[1] ?? m[2]));
  graph.set(file, deps);
}
const state = new Map(); // 1 = on stack, 2 = done
const stack = [];
const cycles = [];
function visit(f) {
  state.set(f, 1);
  stack.push(f);
  for (const d of graph.get(f) ?? []) {
    if (!graph.has(d)) continue;
    if (state.get(d) === 1) cycles.push([...stack.slice(stack.indexOf(d)), d].map((p) => p.slice(root.length + 1)));
    else if (!state.has(d)) visit(d);
  }
  stack.pop();
  state.set(f, 2);
}
for (const f of graph.keys()) if (!state.has(f)) visit(f);
if (cycles.length > 0) {
  console.error(`import cycles found (${cycles.length}):`);
  for (const c of cycles) console.error('  ' + c.join(' -> '));
  process.exit(1);
}
console.log(`no import cycles in ${graph.size} modules`);
