/**
 * The contract suite on the machine's NATS with JetStream (PYMK_TEST_NATS, default nats://127.0.0.1:4222):
 * each test uses its own stream (and dead-letter stream), deleted after it (EventLog.drop).
 */
import { randomUUID } from 'node:crypto';
import { eventLogContract } from './contract.js';
import { tcpAnswers, whenDown } from './services.js';

const NATS = process.env.PYMK_TEST_NATS ?? 'nats://127.0.0.1:4222';
const hostPort = NATS.replace(/^nats:\/\/([^@]*@)?/i, '').split(/[,/?]/)[0];
const [host, port] = hostPort.split(':');
const up = await tcpAnswers(host || '127.0.0.1', Number(port || 4222));
const run = randomUUID().slice(0, 8);
let n = 0;

eventLogContract(
  'nats://',
  up ? { url: () => `${NATS.replace(/\/?$/, '')}?stream=pymk_test_${run}_${n++}&ackWaitMs=300`, crashCountsAsDelivery: true } : null,
  up ? undefined : whenDown('NATS', `no NATS answers at ${NATS} (set PYMK_TEST_NATS)`),
);
