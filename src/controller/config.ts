/**
 * The configuration of the KRaft controller, under Kafka's config names and defaults.
 *
 * What it models: the broker session timeout the controller enforces, and the cluster-wide
 * defaults of the topic configs that steer leader election (`min.insync.replicas`,
 * `unclean.leader.election.enable`) plus the KIP-966 switch `eligible.leader.replicas.enable`
 * (off by default, as in Kafka 3.x, where ELR is a preview feature).
 *
 * Invariants: the session timeout is a positive integer; min.insync.replicas is at least 1.
 *
 * Left out: `broker.heartbeat.interval.ms` (the broker's, not the controller's),
 * `default.replication.factor` / `num.partitions` (CreateTopics must name both), and every
 * controller setting that does not change behaviour in the simulation.
 */
import { parseConfigFields, parsePositiveInt } from '../util/configValues.js';


export interface ControllerConfig {
  /** broker.session.timeout.ms: a broker without a heartbeat this long is fenced. */
  readonly brokerSessionTimeoutMs: number;
  /** min.insync.replicas: the cluster default; a topic config overrides it. Used for ELR (KIP-966). */
  readonly minInsyncReplicas: number;
  /** unclean.leader.election.enable: the cluster default; a topic config overrides it. */
  readonly uncleanLeaderElectionEnable: boolean;
  /** eligible.leader.replicas.enable: maintain and elect from ELR (KIP-966). */
  readonly eligibleLeaderReplicasEnable: boolean;
}

export const CONTROLLER_CONFIG_KEYS = {
  brokerSessionTimeoutMs: 'broker.session.timeout.ms',
  minInsyncReplicas: 'min.insync.replicas',
  uncleanLeaderElectionEnable: 'unclean.leader.election.enable',
  eligibleLeaderReplicasEnable: 'eligible.leader.replicas.enable',
} as const satisfies Record<keyof ControllerConfig, string>;

export const DEFAULT_CONTROLLER_CONFIG: ControllerConfig = {
  brokerSessionTimeoutMs: 9_000,
  minInsyncReplicas: 1,
  uncleanLeaderElectionEnable: false,
  eligibleLeaderReplicasEnable: false,
};

/** Producer ids are handed out in blocks of this size (Kafka's ProducerIdsBlock.PRODUCER_ID_BLOCK_SIZE). */
export const PRODUCER_ID_BLOCK_SIZE = 1_000;

/**
 * Parses Kafka-named keys into a ControllerConfig, with defaults for missing keys; unknown keys are
 * ignored (the same property map configures the rest of the node). Bad values throw at construction.
 */
export function parseControllerConfig(properties: Readonly<Record<string, unknown>>): ControllerConfig {
  return parseConfigFields(DEFAULT_CONTROLLER_CONFIG, CONTROLLER_CONFIG_KEYS, properties, parsePositiveInt) as unknown as ControllerConfig;
}


