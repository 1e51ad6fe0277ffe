import { runStoreContractSuite } from './contract-suite.js';
import { openMemoryStores } from '../src/index.js';

runStoreContractSuite('memory', async () => openMemoryStores());
