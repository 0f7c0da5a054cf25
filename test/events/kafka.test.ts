/**
 * The contract suite on a real Kafka broker, only when KAFKA_BROKERS (host:port[,host:port…]) is set:
 * `KAFKA_BROKERS=host:9092 node --test dist/test/events/kafka.test.js`. Each test uses its own topics,
 * deleted after it. No broker can be installed on the development machine, so this suite skips there.
 */
import { randomUUID } from 'node:crypto';
import { eventLogContract } from './contract.js';

const BROKERS = process.env.KAFKA_BROKERS;
const run = randomUUID().slice(0, 8);
let n = 0;

eventLogContract(
  'kafka://',
  BROKERS ? { url: () => `kafka://${BROKERS}?topic=pymk-test-${run}-${n++}`, crashCountsAsDelivery: false, patienceMs: 60_000 } : null,
  'KAFKA_BROKERS not set',
);
