/**
 * The contract suite on the machine's Redis (PYMK_TEST_REDIS, default redis://127.0.0.1:6379): each test
 * uses its own stream under a per-run prefix, deleted after it (EventLog.drop).
 */
import { randomUUID } from 'node:crypto';
import { eventLogContract } from './contract.js';
import { tcpAnswers, whenDown } from './services.js';

const REDIS = process.env.PYMK_TEST_REDIS ?? 'redis://127.0.0.1:6379';
const u = new URL(REDIS);
const up = await tcpAnswers(u.hostname || '127.0.0.1', Number(u.port || 6379));
const prefix = `pymk-test-events-${randomUUID().slice(0, 8)}`;
const streamsUrl = REDIS.replace(/^redis:/, 'redis-streams:').replace(/\/?$/, '');

eventLogContract(
  'redis-streams://',
  up ? { url: () => `${streamsUrl}?prefix=${prefix}&stream=s${randomUUID().slice(0, 8)}&claimMs=150&blockMs=20`, crashCountsAsDelivery: true } : null,
  up ? undefined : whenDown('Redis', `no Redis answers at ${REDIS} (set PYMK_TEST_REDIS)`),
);
