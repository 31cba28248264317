/**
 * The `raft` system: a KRaft controller quorum on its own (src/raft/), running the quorum node's
 * small application (the leader proposes a record every `proposalIntervalMs`). Nodes: voters
 * c1..cN (controller.quorum.voters) and observers o1..oM, which fetch the log but never vote, as
 * brokers will.
 *
 * Selectors: `@leader` (the voter leading the highest epoch right now), `@follower` (the first
 * voter, by id, that is up and not the leader).
 */
import type { Host, NodeId } from '../../../src/host.js';
import { DEFAULT_RAFT_CONFIG, RAFT_CONFIG_KEYS, type RaftConfig, parseRaftConfig } from '../../../src/raft/config.js';
import { type RaftMessage, raftMessageSizeBytes } from '../../../src/raft/messages.js';
import { createQuorumNode } from './quorumNode.js';
import { FAULT_FAMILIES } from '../../faults/plan.js';
import type { Scenario } from '../../scenario/types.js';
import type { NodeSpec, World } from '../../world.js';
import { type SystemDefinition, withSchemaDefaults } from '../system.js';
import { RaftChecker } from './checker.js';
import { configSectionIssues, throwingParser } from '../../scenario/configIssues.js';
import { RaftNarrator } from './narrator.js';

interface RaftCluster {
  voters: number;
  observers: number;
}
interface RaftWorkload {
  proposalIntervalMs: number;
}

/** The config section's schema, generated from Kafka's key names and defaults. */
function configSchema(): object {
  const properties: Record<string, object> = {};
  for (const [field, key] of Object.entries(RAFT_CONFIG_KEYS)) {
    const fallback = DEFAULT_RAFT_CONFIG[field as keyof RaftConfig];
    properties[key] = typeof fallback === 'boolean' ? { type: 'boolean' } : { type: 'integer', minimum: 0 };
  }
  return { type: 'object', additionalProperties: false, properties };
}

export const raftSystem: SystemDefinition = {
  name: 'raft',
  description: 'A KRaft controller quorum (KIP-595) with a proposing leader',
  faultFamilies: FAULT_FAMILIES,
  selectors: ['@leader', '@follower'],
  narrator: () => new RaftNarrator(),
  schemas: {
    cluster: {
      type: 'object',
      additionalProperties: false,
      properties: {
        voters: { type: 'integer', minimum: 1, maximum: 9, default: 3 },
        observers: { type: 'integer', minimum: 0, maximum: 9, default: 0 },
      },
    },
    config: configSchema(),
    workload: {
      type: 'object',
      additionalProperties: false,
      properties: { proposalIntervalMs: { type: 'integer', minimum: 1, default: 100 } },
    },
  },
  livenessMsMin: { ms: 4_000, why: 'a voter that lost its leader starts an election only after controller.quorum.fetch.timeout.ms, 2 s by default, and the election itself takes up to controller.quorum.election.timeout.ms more' },
  check: (scenario: Scenario) => configSectionIssues('config', scenario.config, [throwingParser(parseRaftConfig)]),
  build(scenario: Scenario) {
    const cluster = withSchemaDefaults<RaftCluster>(raftSystem.schemas.cluster, scenario.cluster);
    const workload = withSchemaDefaults<RaftWorkload>(raftSystem.schemas.workload, scenario.workload);
    const config = parseRaftConfig(scenario.config);
    const voters = Array.from({ length: cluster.voters }, (_, i) => `c${i + 1}`);
    const observers = Array.from({ length: cluster.observers }, (_, i) => `o${i + 1}`);
    const factory = createQuorumNode(config, voters, { proposalIntervalMs: workload.proposalIntervalMs });
    const nodes: NodeSpec[] = [...voters, ...observers].map((id) => ({
      id,
      role: 'server',
      factory: (host) => factory(host as Host<RaftMessage>),
    }));
    let checker: RaftChecker | null = null;
    return {
      nodes,
      sizeOf: (message: unknown) => raftMessageSizeBytes(message as RaftMessage),
      resolveSelector(selector: string, world: World): NodeId | undefined {
        const leader = checker?.currentLeader(world);
        if (selector === '@leader') return leader;
        if (selector === '@follower') return voters.find((id) => id !== leader && world.isUp(id));
        return undefined;
      },
      attach(world: World) {
        // Once a leader is ready, a proposal must reach every voter's high watermark within two
        // fetch timeouts: a follower that lost its leader's fetch session retries within one.
        const commitBoundMs = 2 * config.fetchTimeoutMs;
        const raftChecker = new RaftChecker({ voters, commitBoundMs, fetchTimeoutMs: config.fetchTimeoutMs }, world);
        checker = raftChecker;
        world.onTrace((record) => raftChecker.observe(record));
        world.judgeNodeErrors((error) => raftChecker.excuseNodeError(error.node, error.message));
        world.onFault((_atMs, action, note) => {
          // A lost disk, or a flipped bit in what a node had made durable, is lost stable storage.
          if ((action.type === 'crash' && action.mode === 'disk') || (action.type === 'bit-flip' && !note.includes('no durable data'))) {
            raftChecker.onDataLost(note.split(':')[0]!, action.type === 'crash' ? 'disk loss' : 'flipped bit');
          }
        });
        return raftChecker;
      },
    };
  },
};
