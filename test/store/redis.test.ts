/** The contract and publish suites on the machine's Redis (127.0.0.1:6379), each run in unique key prefixes. */
import { storeContract } from './contract.js';
import { kvHarness } from './kvHarness.js';
import { publishSuite } from './publishSuite.js';
import { redisAnswers } from '../helpers/redisCluster.js';

const URL = process.env.PYMK_TEST_REDIS ?? 'redis://127.0.0.1:6379';
const up = await redisAnswers(Number(new globalThis.URL(URL).port || 6379), new globalThis.URL(URL).hostname);
const why = `no Redis answers at ${URL} (set PYMK_TEST_REDIS)`;

storeContract(URL, up ? kvHarness(URL) : null, why);
publishSuite(URL, up ? kvHarness(URL) : null, why);
