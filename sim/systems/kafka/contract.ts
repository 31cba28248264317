/**
 * The contract: which anomalies a Kafka configuration allows, and why. This table is the answer to
 * "what does my configuration promise?", printed in reports, and the checker consults it before
 * calling an anomaly a violation. Every rule is one line of reasoning a learner can check.
 *
 * Inputs: the producer's and topic's configuration, and what the run did to the replicas' storage
 * (with Kafka's default flush policy a write is acknowledged once it is in the page cache of the
 * ISR, so losing power on enough replicas at once loses acknowledged writes — that is what Kafka
 * really promises, and why it replicates).
 */

export type KafkaAnomaly =
  | 'metadata-rollback'
  | 'lost-write'
  | 'inconsistent-offsets'
  | 'duplicate'
  | 'nonmonotonic-send'
  | 'phantom-write'
  | 'committed-data-lost'
  | 'read-above-high-watermark';

export const KAFKA_ANOMALIES: readonly KafkaAnomaly[] = [
  'metadata-rollback',
  'lost-write',
  'inconsistent-offsets',
  'duplicate',
  'nonmonotonic-send',
  'phantom-write',
  'committed-data-lost',
  'read-above-high-watermark',
];

export interface ContractInputs {
  /** The producer's acks: 0, 1 or -1 (all). */
  acks: number;
  minInsyncReplicas: number;
  replicationFactor: number;
  uncleanLeaderElection: boolean;
  idempotence: boolean;
  maxInFlight: number;
  /** flush.messages: 1 means every write is fsynced before it is acknowledged by the leader. */
  flushMessages: number;
  /** Brokers that lost power (unsynced data gone) during the run. */
  powerLost: ReadonlySet<string>;
  /** Brokers and controllers that lost their disk, or had a durable bit flipped. */
  dataDestroyed: ReadonlySet<string>;
  /**
   * Brokers that crashed in any way (process, power or disk): to Kafka each is an unclean shutdown,
   * which takes a replica out of the ELR (KIP-966).
   */
  uncleanShutdowns: ReadonlySet<string>;
  /** controller.quorum.voters, to tell a controller's lost storage from a broker's. */
  controllers: readonly string[];
  /** eligible.leader.replicas.enable (KIP-966). */
  eligibleLeaderReplicas: boolean;
  /**
   * The legacy switches that are on. They restore historical bugs; they do not change what the
   * configuration promises, so what they break is reported as a violation, not excused.
   */
  legacy: readonly string[];
}

export interface ContractRow {
  anomaly: KafkaAnomaly;
  allowed: boolean;
  reason: string;
}

/** The whole table for one configuration and run. */
export function contractTable(inputs: ContractInputs): ContractRow[] {
  return KAFKA_ANOMALIES.map((anomaly) => ({ anomaly, ...judge(anomaly, inputs) }));
}

export function allowedReason(anomaly: KafkaAnomaly, inputs: ContractInputs): string | null {
  const verdict = judge(anomaly, inputs);
  return verdict.allowed ? verdict.reason : null;
}

function judge(anomaly: KafkaAnomaly, c: ContractInputs): { allowed: boolean; reason: string } {
  const allow = (reason: string) => ({ allowed: true, reason });
  const forbid = (reason: string) => ({ allowed: false, reason });
  const storageLost = lossOfDurability(c);
  const lostControllers = c.controllers.filter((id) => c.dataDestroyed.has(id));
  switch (anomaly) {
    case 'metadata-rollback':
      if (lostControllers.length > 0) {
        return allow(`controllers lost stable storage (${lostControllers.join(', ')}): pre-KIP-853 KRaft cannot detect it, and the metadata log may roll back`);
      }
      return forbid('the metadata log is a Raft log: once committed, a partition\'s epochs never go back');
    case 'lost-write':
    case 'inconsistent-offsets':
    case 'committed-data-lost': {
      if (c.acks === 0) return allow('acks=0: the producer does not wait for any broker; a write can vanish before it reaches the log');
      if (c.uncleanLeaderElection) return allow('unclean.leader.election.enable=true: a replica outside the ISR may lead, missing acknowledged writes');
      if (anomaly !== 'committed-data-lost' && c.acks === 1) {
        return allow('acks=1: the leader acknowledges before followers copy the write; if it fails first, the write is gone');
      }
      if (c.minInsyncReplicas <= 1 && anomaly !== 'committed-data-lost') {
        return allow('min.insync.replicas=1: acks=all is only as strong as the ISR, which may shrink to the leader alone');
      }
      if (storageLost !== null) return allow(storageLost);
      if (lostControllers.length > 0) return allow(`controllers lost stable storage (${lostControllers.join(', ')}): the metadata log may roll back, and with it leaders and ISRs`);
      const uncleanBrokers = [
        ...(c.flushMessages !== 1 ? [...c.powerLost] : []),
        ...[...c.dataDestroyed].filter((id) => !c.controllers.includes(id)),
      ];
      if (uncleanBrokers.length > 0) {
        const lost = `${[...new Set(uncleanBrokers)].sort().join(', ')} lost power or data`;
        if (!c.eligibleLeaderReplicas) {
          return allow(
            `eligible.leader.replicas.enable=false: an ISR never shrinks to empty, so when it has shrunk to one replica and that replica ` +
              `shuts down uncleanly, it leads again without what it lost (the "last replica standing", KIP-966's motivation); ${lost}`,
          );
        }
        // With ELR, every other replica holding the write must have left the ELR by an unclean
        // shutdown of its own before the last leader is elected back without the write.
        const crashed = new Set([...c.uncleanShutdowns, ...uncleanBrokers]);
        if (crashed.size >= Math.min(c.minInsyncReplicas, c.replicationFactor)) {
          return allow(
            `eligible.leader.replicas.enable=true: once min.insync.replicas brokers shut down uncleanly, none is left in the ELR, and Kafka ` +
              `elects the last leader again (KIP-966's balanced recovery, "last known leader") rather than keep the partition offline, ` +
              `without what it lost; ${lost}, and ${[...crashed].sort().join(', ')} shut down uncleanly`,
          );
        }
      }
      return forbid('acks=all with min.insync.replicas ≥ 2, clean elections, and no loss of durable storage: an acknowledged write is on at least two replicas that stay eligible to lead');
    }
    case 'duplicate':
      if (c.idempotence) return forbid('enable.idempotence=true: the broker drops a retried batch it already has (producer id, epoch, sequence)');
      return allow('enable.idempotence=false: a retry of a batch whose response was lost writes it again');
    case 'nonmonotonic-send':
      if (c.idempotence) return forbid('enable.idempotence=true: sequence numbers keep a producer\'s batches in order, up to 5 in flight');
      if (c.maxInFlight <= 1) return forbid('max.in.flight.requests.per.connection=1: one batch at a time cannot be reordered');
      return allow('idempotence off with several batches in flight: a failed batch retried after a later one lands after it');
    case 'phantom-write':
      return forbid('a value no producer sent can never appear: that would be corruption');
    case 'read-above-high-watermark':
      return forbid('consumers read only below the high watermark, so they never see a write that could still be lost');
    default: {
      const unreachable: never = anomaly;
      throw new Error(`unknown anomaly ${String(unreachable)}`);
    }
  }
}

/**
 * Storage losses that void the durability promise: with Kafka's default flush policy (no fsync per
 * write), min.insync.replicas replicas losing power can take an acknowledged write with them; any
 * lost disk or flipped bit on enough replicas does the same, whatever the flush policy.
 */
function lossOfDurability(c: ContractInputs): string | null {
  const destroyedBrokers = [...c.dataDestroyed].filter((id) => !c.controllers.includes(id));
  const destroyed = destroyedBrokers.length;
  if (destroyed > 0 && destroyed >= Math.min(c.minInsyncReplicas, c.replicationFactor)) {
    return `${destroyed} broker(s) lost durable data (disk loss or flipped bit): ${destroyedBrokers.sort().join(', ')}`;
  }
  const unsyncedLost = c.flushMessages === 1 ? 0 : c.powerLost.size;
  if (unsyncedLost > 0 && unsyncedLost + destroyed >= Math.min(c.minInsyncReplicas, c.replicationFactor)) {
    return `${unsyncedLost} broker(s) lost power with writes only in their page cache (flush.messages is not 1, Kafka's default): ${[...c.powerLost].sort().join(', ')}`;
  }
  return null;
}

/** The table as Markdown, for reports and `ksim run` output. */
export function contractMarkdown(inputs: ContractInputs): string {
  const lines = ['| anomaly | allowed | why |', '| --- | --- | --- |'];
  for (const row of contractTable(inputs)) lines.push(`| ${row.anomaly} | ${row.allowed ? 'yes' : 'no'} | ${row.reason} |`);
  return lines.join('\n');
}
