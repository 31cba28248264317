/**
 * The table of fault families: one line per family, each implemented in its own file (see
 * fault.ts for the interface). Adding a family is one new file and one line here; the fault
 * action type, the scenario schema, `describeFault` and the swarm all follow from this table.
 *
 * The order is the order of fault types in the scenario schema and its error messages. The swarm's
 * draw order is separate (`FAULT_FAMILIES` in plan.ts), because it is part of what every seed means.
 */
import { bitFlipFault } from './bitFlip.js';
import { clockSkewFault } from './clockSkew.js';
import { clogFault } from './clog.js';
import { crashFault } from './crash.js';
import { diskFullFault } from './diskFull.js';
import { healFault } from './heal.js';
import { isolateFault } from './isolate.js';
import { latencySpikeFault } from './latencySpike.js';
import { partitionFault } from './partition.js';
import { pauseFault } from './pause.js';
import { resetFault } from './reset.js';
import { restartFault } from './restart.js';
import { slowFsyncFault } from './slowFsync.js';

export const FAULT_KINDS = [
  crashFault,
  restartFault,
  pauseFault,
  clockSkewFault,
  partitionFault,
  isolateFault,
  resetFault,
  latencySpikeFault,
  clogFault,
  slowFsyncFault,
  diskFullFault,
  bitFlipFault,
  healFault,
] as const;
