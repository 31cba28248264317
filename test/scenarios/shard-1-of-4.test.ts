/** Shard 1 of 4 of the scenario suite (suite.ts): its own file, so that vitest runs it beside the others. */
import { describeScenarioShard } from './suite.js';

describeScenarioShard(1);
