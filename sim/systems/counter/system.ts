/**
 * The `counter` system: the kernel's test protocol (see node.ts) as a scenario can name it.
 * Nodes: replicas r1..rN (r1 is the primary) and clients c1..cM.
 */
import type { NodeId } from '../../../src/host.js';
import type { FaultFamily } from '../../faults/plan.js';
import type { Scenario } from '../../scenario/types.js';
import type { NodeSpec, World } from '../../world.js';
import { type SystemDefinition, withSchemaDefaults } from '../system.js';
import { CounterChecker, type CounterContract } from './checker.js';
import { CounterClient, type CounterMessage, CounterReplica, counterMessageSizeBytes } from './node.js';
import type { Host } from '../../../src/host.js';

interface CounterCluster {
  replicas: number;
  clients: number;
}
interface CounterSettings {
  'legacy.ackBeforeFsync': boolean;
  'replicate.interval.ms': number;
}
interface CounterWorkload {
  intervalMs: number;
  requestTimeoutMs: number;
  amountMax: number;
}

const ALL_FAMILIES: readonly FaultFamily[] = [
  'process-crash', 'power-loss', 'disk-loss', 'pause', 'clock-skew', 'partition', 'one-way-partition',
  'class-partition', 'connection-reset', 'latency-spike', 'clog', 'slow-fsync', 'disk-full', 'bit-flip',
];

export const counterSystem: SystemDefinition = {
  name: 'counter',
  description: "The kernel's test protocol: a primary-backup replicated counter",
  faultFamilies: ALL_FAMILIES,
  selectors: ['@primary', '@leader'],
  schemas: {
    cluster: {
      type: 'object',
      additionalProperties: false,
      properties: {
        replicas: { type: 'integer', minimum: 1, maximum: 9, default: 3 },
        clients: { type: 'integer', minimum: 0, maximum: 20, default: 2 },
      },
    },
    config: {
      type: 'object',
      additionalProperties: false,
      properties: {
        'legacy.ackBeforeFsync': { type: 'boolean', default: false },
        'replicate.interval.ms': { type: 'integer', minimum: 1, default: 200 },
      },
    },
    workload: {
      type: 'object',
      additionalProperties: false,
      properties: {
        intervalMs: { type: 'integer', minimum: 1, default: 100 },
        requestTimeoutMs: { type: 'integer', minimum: 1, default: 1000 },
        amountMax: { type: 'integer', minimum: 1, default: 5 },
      },
    },
  },
  livenessMsMin: { ms: 1_000, why: 'a client request times out after workload.requestTimeoutMs, 1 s by default, before it is retried against the healed cluster' },
  build(scenario: Scenario) {
    const { schemas } = counterSystem;
    const cluster = withSchemaDefaults<CounterCluster>(schemas.cluster, scenario.cluster);
    const settings = withSchemaDefaults<CounterSettings>(schemas.config, scenario.config);
    const workload = withSchemaDefaults<CounterWorkload>(schemas.workload, scenario.workload);
    const replicas = range(cluster.replicas).map((i) => `r${i}`);
    const primary = replicas[0]!;
    const nodes: NodeSpec[] = [
      ...replicas.map((id): NodeSpec => ({
        id,
        role: 'server',
        factory: (host) =>
          new CounterReplica(host as Host<CounterMessage>, {
            replicas,
            ackBeforeFsync: settings['legacy.ackBeforeFsync'],
            replicateIntervalMs: settings['replicate.interval.ms'],
          }),
      })),
      ...range(cluster.clients).map((i): NodeSpec => ({
        id: `c${i}`,
        role: 'client',
        factory: (host) =>
          new CounterClient(host as Host<CounterMessage>, {
            primary,
            ...workload,
            quiesceAtMs: scenario.durationMs + Math.floor(scenario.livenessMs / 2),
          }),
      })),
    ];
    return {
      nodes,
      sizeOf: counterMessageSizeBytes,
      resolveSelector: (selector: string): NodeId | undefined => (selector === '@primary' || selector === '@leader' ? primary : undefined),
      attach(world: World) {
        const contract: CounterContract = { destroyedReplicas: new Set() };
        world.onFault((_atMs, action, note) => {
          if ((action.type === 'crash' && action.mode === 'disk') || action.type === 'bit-flip') {
            const node = note.split(':')[0]!;
            if (replicas.includes(node)) contract.destroyedReplicas.add(node);
          }
        });
        const checker = new CounterChecker(primary, replicas, contract, world);
        world.onTrace((record) => checker.observe(record));
        return checker;
      },
    };
  },
};

function range(count: number): number[] {
  return Array.from({ length: count }, (_, i) => i + 1);
}
