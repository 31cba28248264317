/**
 * The registry of systems a scenario can name.
 */
import { counterSystem } from './counter/system.js';
import { kafkaSystem } from './kafka/system.js';
import { raftSystem } from './raft/system.js';
import type { SystemDefinition } from './system.js';

export const SYSTEMS: readonly SystemDefinition[] = [counterSystem, raftSystem, kafkaSystem];

export function getSystem(name: string): SystemDefinition {
  const system = SYSTEMS.find((candidate) => candidate.name === name);
  if (system === undefined) {
    throw new Error(`unknown system '${name}'; known systems: ${SYSTEMS.map((s) => s.name).join(', ')}`);
  }
  return system;
}
