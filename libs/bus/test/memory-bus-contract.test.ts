import { MemoryBus } from '../src/memory-bus.js';
import { busContract } from './bus-contract.js';

busContract('MemoryBus', async () => new MemoryBus(), { waitMs: 1000 });
