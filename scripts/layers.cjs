/**
 * The layer order of src/, lowest first, and the adapters that alone may import each driver. Read by the
 * import rules (.dependency-cruiser.cjs) and by test/layers/layers.test.ts, which checks that every folder
 * under src/ has a layer and that the README and docs/architecture.md list the same folders.
 */
const LAYERS = [
  ['core'], // config, errors, progress, seeded RNG, columnar tables, top-k
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
  ioredis: 'src/(store/redis(Cluster)?|events/redis(Streams|Bus))\\.ts$',
  nats: 'src/events/nats\\.ts$',
  kafkajs: 'src/events/kafka\\.ts$',
  'onnxruntime-node': 'src/rank/onnxRuntime\\.ts$',
  usearch: 'src/ann/usearch(Native)?\\.ts$',
  'hnswlib-node': 'src/ann/hnswlib\\.ts$',
  fastify: 'src/serve/',
  pg: 'src/data/sources/postgres/client\\.ts$',
  'pg-copy-streams': 'src/data/sources/postgres/client\\.ts$',
};

module.exports = { LAYERS, DRIVERS };
