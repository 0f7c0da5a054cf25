/** The contract suite on the embedded log: each test gets its own named in-process log. */
import { randomUUID } from 'node:crypto';
import { eventLogContract } from './contract.js';

eventLogContract('memory://', { url: () => `memory://t${randomUUID().slice(0, 8)}?claimMs=100`, crashCountsAsDelivery: true });
