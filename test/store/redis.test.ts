/** The contract and publish suites on the machine's Redis (testRedisUrl(): PYMK_TEST_REDIS or 127.0.0.1:6379), each run in unique key prefixes. */
import { storeContract } from './contract.js';
import { kvHarness } from './kvHarness.js';
import { publishSuite } from './publishSuite.js';
import { testRedis } from '../helpers/services.js';

const redis = await testRedis();

storeContract(redis.url, redis.skip ? null : kvHarness(redis.url), redis.skip || undefined);
publishSuite(redis.url, redis.skip ? null : kvHarness(redis.url), redis.skip || undefined);
