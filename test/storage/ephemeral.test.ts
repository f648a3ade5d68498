import { ephemeralStoreConformance } from '../../testing/conformance/ephemeral.js';
import { memoryPair, redisPair } from '../../testing/harness/ephemeral.js';

ephemeralStoreConformance('memory', memoryPair);
ephemeralStoreConformance('redis (two connections, as two hub processes)', redisPair);
