import { MemoryFastTokenStore } from '../src/fast/index.js';
import { runFastTokenStoreContractSuite } from './fast-token-suite.js';

runFastTokenStoreContractSuite('memory', async () => new MemoryFastTokenStore());
