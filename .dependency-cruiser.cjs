/**
 * The layer order of src/ (docs/architecture.md draws it). A component may import components in lower
 * layers and nothing else: not a higher layer, and not a peer in its own layer. Type-only imports count
 * (the swc parser keeps them), so the rules hold on the TypeScript sources, not only on the compiled JS.
 * `npm test` runs `depcruise src --config .dependency-cruiser.cjs`; test/layers.test.ts plants an import
 * that breaks a rule and checks that the run fails with the rule's name.
 */
const LAYERS = [
  ['core'], // ids, config, errors, progress, metrics, seeded RNG, columnar tables
  ['bundle'], // the bundle format: typed-array codec, manifest, checksums, bundle reader/writer
  ['data', 'graph'], // dataset readers and generator; CSR graph, heuristics, 2-hop
  ['eval'], // metrics, protocols and the evaluation method registry (components register methods)
  ['store', 'embed', 'ann'], // online store; GraphSAGE encoder; ANN indexes
  ['rank'], // feature schema and assembly, trainers, ONNX, the Scorer interface and heuristic scorers
  ['recommend'], // the one recommend core: candidates, rules, reasons, ANN candidates
  ['pipeline', 'serve', 'events'], // the offline stages; the HTTP tier; the event log and invalidator
  ['cli'], // pymk commands
];

/** Third-party drivers each imported by one adapter only (STYLE.md: driver types never leak). */
const DRIVERS = {
  ioredis: 'src/(store/redis(Cluster)?|events/redisStreams)\\.ts$',
  nats: 'src/events/nats\\.ts$',
  kafkajs: 'src/events/kafka\\.ts$',
  'onnxruntime-node': 'src/rank/onnxRuntime\\.ts$',
  usearch: 'src/ann/usearch(Native)?\\.ts$',
  'hnswlib-node': 'src/ann/hnswlib\\.ts$',
  fastify: 'src/serve/',
};

const folder = (name) => `^src/${name}/`;
const layerRules = LAYERS.flatMap((layer, i) =>
  layer.map((name) => {
    const allowed = LAYERS.slice(0, i).flat();
    const notAllowed = LAYERS.flat().filter((n) => n !== name && !allowed.includes(n));
    return {
      name: `layer-${name}`,
      comment: `src/${name} may import only ${allowed.length ? allowed.map((n) => `src/${n}`).join(', ') : 'no other component'}`,
      severity: 'error',
      from: { path: folder(name) },
      to: { path: `^src/(${notAllowed.join('|')})/` },
    };
  }),
).filter((rule) => !rule.to.path.endsWith('()/'));

const driverRules = Object.entries(DRIVERS).map(([pkg, only]) => ({
  name: `driver-${pkg}`,
  comment: `only ${only} imports ${pkg}`,
  severity: 'error',
  from: { path: '^src/', pathNot: only },
  to: { path: `node_modules/${pkg}/` },
}));

module.exports = {
  forbidden: [
    ...layerRules,
    ...driverRules,
    {
      name: 'no-circular',
      comment: 'no import cycles, type-only imports included',
      severity: 'error',
      from: { path: '^src/' },
      to: { circular: true },
    },
    {
      name: 'no-unresolvable',
      comment: 'every relative import resolves to a file',
      severity: 'error',
      from: {},
      to: { couldNotResolve: true },
    },
    {
      name: 'src-not-to-test-or-bench',
      comment: 'the product does not import tests or benchmarks',
      severity: 'error',
      from: { path: '^src/' },
      to: { path: '^(test|bench)/' },
    },
  ],
  options: {
    parser: 'swc',
    tsPreCompilationDeps: true,
    doNotFollow: { path: 'node_modules' },
    exclude: { path: '^(dist|node_modules)/' },
    tsConfig: { fileName: 'tsconfig.json' },
  },
};
