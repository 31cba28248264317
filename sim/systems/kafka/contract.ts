/**
 * The contract: which anomalies a Kafka configuration allows, and why. This is the answer to "what
 * does my configuration promise?", printed in reports, and the checker consults it before calling
 * an anomaly a violation. Every rule is one line of reasoning a learner can check.
 *
 * Two layers:
 * - The configuration's table (`contractTable`): what the settings alone allow, whatever happens
 *   (acks=1 may lose an acknowledged write; idempotence off may duplicate one).
 * - The loss rules (`judgeLoss`): where the settings promise durability (acks=all,
 *   min.insync.replicas ≥ 2, clean elections), a record is lost only where Kafka's own guarantee
 *   grants it — judged record by record, from that record's partition, the replicas that held it
 *   when it was committed and after, and the faults that struck those replicas (copies.ts). A power
 *   loss on a broker that never held the record excuses nothing.
 *
 * The guarantee the loss rules measure against (KIP-966, "Eligible Leader Replicas"): Kafka does
 * not fsync by default; it replicates, and recovers a replica that lost unflushed data by keeping it
 * out of the ISR until it has caught up. A write committed on min.insync.replicas replicas survives
 * min.insync.replicas − 1 unclean shutdowns that lose data, with ELR on. Without ELR, one is enough
 * when it strikes the last replica standing in the ISR.
 *
 * Left out: transactions and consumer groups (their anomalies come with them).
 */
import type { NodeId } from '../../../src/host.js';
import type { FaultCitation } from '../../checker/types.js';
import type { RecordEvidence, ReplicaFault } from './copies.js';

export type KafkaAnomaly =
  | 'metadata-rollback'
  | 'lost-write'
  | 'inconsistent-offsets'
  | 'duplicate'
  | 'nonmonotonic-send'
  | 'phantom-write'
  | 'committed-data-lost'
  | 'read-above-high-watermark'
  | 'high-watermark-above-isr'
  | 'high-watermark-above-log-end'
  | 'epoch-offset-conflict'
  | 'client-offset-regressed'
  | 'epoch-cache-out-of-order'
  | 'isr-join-early';

export const KAFKA_ANOMALIES: readonly KafkaAnomaly[] = [
  'metadata-rollback',
  'lost-write',
  'inconsistent-offsets',
  'duplicate',
  'nonmonotonic-send',
  'phantom-write',
  'committed-data-lost',
  'read-above-high-watermark',
  'high-watermark-above-isr',
  'high-watermark-above-log-end',
  'epoch-offset-conflict',
  'client-offset-regressed',
  'epoch-cache-out-of-order',
  'isr-join-early',
];

/** The anomalies that are a record gone from where it was acknowledged or committed. */
export type LossAnomaly = 'lost-write' | 'inconsistent-offsets' | 'committed-data-lost';

/** What the configuration says; the run's faults are judged per record by `judgeLoss`. */
export interface ContractInputs {
  /** The producer's acks: 0, 1 or -1 (all). */
  acks: number;
  minInsyncReplicas: number;
  replicationFactor: number;
  uncleanLeaderElection: boolean;
  idempotence: boolean;
  maxInFlight: number;
  /** flush.messages: 1 means every write is fsynced before it is acknowledged or fetched on. */
  flushMessages: number;
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

/** The whole table for one configuration. */
export function contractTable(inputs: ContractInputs): ContractRow[] {
  return KAFKA_ANOMALIES.map((anomaly) => ({ anomaly, ...judgeByConfiguration(anomaly, inputs) }));
}

/** The configuration's reason to allow this anomaly, whatever happened in the run; null if it does not. */
export function allowedReason(anomaly: KafkaAnomaly, inputs: ContractInputs): string | null {
  const verdict = judgeByConfiguration(anomaly, inputs);
  return verdict.allowed ? verdict.reason : null;
}

/** The anomalies no configuration allows, each with the promise it would break. */
const NEVER_ALLOWED = {
  'phantom-write': 'a value no producer sent can never appear: that would be corruption',
  'read-above-high-watermark': 'consumers read only below the high watermark, so they never see a write that could still be lost',
  'high-watermark-above-isr': 'the high watermark is the smallest log end offset of the maximal ISR: no replica that could lead lacks a committed record',
  'high-watermark-above-log-end': "a replica's high watermark never exceeds its own log end offset (UnifiedLog.updateHighWatermark): a follower takes the leader's capped at what it holds",
  'epoch-offset-conflict': 'a (leader epoch, offset) pair names one record on every replica that holds it (KAFKA-10527): one leader writes each epoch',
  'client-offset-regressed': 'the high watermark a client is handed never goes back within a leader epoch, and the latest offset ListOffsets lists never goes back at all (KIP-207)',
  'epoch-cache-out-of-order': 'a leader-epoch cache holds epochs whose start offsets rise with the epoch (KIP-101)',
  'isr-join-early': 'a replica joins the ISR only once it reached the high watermark and the start of the leader\'s epoch, following that epoch (KAFKA-7128, KIP-320), in its current registration (KIP-903)',
} as const satisfies Partial<Record<KafkaAnomaly, string>>;

type NeverAllowed = keyof typeof NEVER_ALLOWED;

/** The anomalies no configuration allows (the invariants every run is held to), with why. */
export function neverAllowed(): Array<{ anomaly: KafkaAnomaly; reason: string }> {
  return Object.entries(NEVER_ALLOWED).map(([anomaly, reason]) => ({ anomaly: anomaly as KafkaAnomaly, reason }));
}

function isNeverAllowed(anomaly: KafkaAnomaly): anomaly is NeverAllowed {
  return anomaly in NEVER_ALLOWED;
}

function judgeByConfiguration(anomaly: KafkaAnomaly, c: ContractInputs): { allowed: boolean; reason: string } {
  const allow = (reason: string) => ({ allowed: true, reason });
  const forbid = (reason: string) => ({ allowed: false, reason });
  if (isNeverAllowed(anomaly)) return forbid(NEVER_ALLOWED[anomaly]);
  switch (anomaly) {
    case 'metadata-rollback':
      return forbid('the metadata log is a Raft log: once committed, a partition\'s epochs never go back (unless a controller lost its storage: see the loss rules)');
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
      return forbid(
        'a committed record is on min.insync.replicas replicas that stay eligible to lead: it is lost only where a loss rule excuses it, ' +
          'record by record, from the faults that struck the replicas holding it',
      );
    }
    case 'duplicate':
      if (c.idempotence) return forbid('enable.idempotence=true: the broker drops a retried batch it already has (producer id, epoch, sequence)');
      return allow('enable.idempotence=false: a retry of a batch whose response was lost writes it again');
    case 'nonmonotonic-send':
      if (c.idempotence) return forbid('enable.idempotence=true: sequence numbers keep a producer\'s batches in order, up to 5 in flight');
      if (c.maxInFlight <= 1) return forbid('max.in.flight.requests.per.connection=1: one batch at a time cannot be reordered');
      return allow('idempotence off with several batches in flight: a failed batch retried after a later one lands after it');
    default: {
      const unreachable: never = anomaly;
      throw new Error(`unknown anomaly ${String(unreachable)}`);
    }
  }
}

// ---- The loss rules ----

export type LossRule = 'last-replica-standing' | 'last-known-leader' | 'metadata-rollback';

/** The loss rules, as a learner reads them (printed in the guarantees report). */
export const LOSS_RULES: Readonly<Record<LossRule, string>> = {
  'last-replica-standing':
    'eligible.leader.replicas.enable=false: the ISR may shrink to one replica; if that replica shuts down uncleanly and loses the record ' +
    '(power loss before a flush, a lost disk, a flipped bit), it is elected again without it and the other holders truncate to it — ' +
    'the "last replica standing" of KIP-966\'s motivation. Needs: the record committed on min.insync.replicas replicas, and one of ' +
    'them losing it in a fault after it held it',
  'last-known-leader':
    'eligible.leader.replicas.enable=true: KIP-966 tolerates min.insync.replicas − 1 unclean shutdowns. Each unclean shutdown (any crash: ' +
    'Kafka cannot tell one that lost data) takes a replica out of the ELR; once min.insync.replicas holders of the record are out, Kafka ' +
    'elects the last known leader again rather than leave the partition offline, and if it lost the record, the record is gone. Needs: ' +
    'the record committed on min.insync.replicas replicas, that many of them shut down uncleanly while holding it, one losing it',
  'metadata-rollback':
    'a controller lost its stable storage, which pre-KIP-853 KRaft cannot detect, and this partition\'s metadata was seen going back ' +
    'after the record was committed: leaders and ISRs may then be chosen from a log that forgot the ISR changes that protected it',
};

/** What the loss of one record rests on, beyond its copies: the metadata quorum's own losses. */
export interface LossEvidence extends RecordEvidence {
  /** When the producer was told it was written (acks=all), or null for a committed record no one was told of. */
  readonly acknowledgedAtMs: number | null;
  /** Controllers' lost disks and flipped bits, whenever they struck. */
  readonly controllerStorageLosses: readonly FaultCitation[];
  /** When this partition's metadata was seen going back (a lower epoch, or a rewritten offset). */
  readonly metadataRollbacksAtMs: readonly number[];
}

export type LossJudgement =
  | { readonly allowed: true; readonly rule: string; readonly reason: string; readonly faults: readonly FaultCitation[] }
  | { readonly allowed: false; readonly reason: string };

/**
 * Judges the loss of one record: by the configuration first (acks=1 allows it whatever happened),
 * then by the loss rules, each scoped to this record's holders and the faults that struck them.
 */
export function judgeLoss(anomaly: LossAnomaly, c: ContractInputs, e: LossEvidence): LossJudgement {
  const byConfiguration = judgeByConfiguration(anomaly, c);
  if (byConfiguration.allowed) return { allowed: true, rule: configurationRule(anomaly, c), reason: byConfiguration.reason, faults: [] };
  const unprotected = unprotectedCommit(c, e);
  if (unprotected !== null) return { allowed: false, reason: unprotected };
  const refusals: string[] = [];
  for (const rule of applicableRules(c)) {
    const verdict = LOSS_RULE_CHECKS[rule](c, e);
    if (verdict.allowed) return { allowed: true, rule, reason: LOSS_RULES[rule], faults: verdict.faults };
    refusals.push(`${rule}: ${verdict.refusal}`);
  }
  return { allowed: false, reason: `no loss rule excuses it (${refusals.join('; ')})` };
}

function configurationRule(anomaly: LossAnomaly, c: ContractInputs): string {
  if (c.acks === 0) return 'acks=0';
  if (c.uncleanLeaderElection) return 'unclean.leader.election.enable=true';
  if (anomaly !== 'committed-data-lost' && c.acks === 1) return 'acks=1';
  return 'min.insync.replicas=1';
}

function applicableRules(c: ContractInputs): LossRule[] {
  return [c.eligibleLeaderReplicas ? 'last-known-leader' : 'last-replica-standing', 'metadata-rollback'];
}

/**
 * Every loss rule presumes the promise was kept up to the commit: the record was committed (a
 * leader's high watermark covered it) before the producer was told so, on min.insync.replicas
 * replicas. If not, nothing a fault did later can excuse the loss: the broker broke its word first.
 */
function unprotectedCommit(c: ContractInputs, e: LossEvidence): string | null {
  const needed = Math.min(c.minInsyncReplicas, c.replicationFactor);
  if (e.committedAtMs === null) return 'no leader\'s high watermark ever covered it: it was acknowledged without being committed';
  if (e.acknowledgedAtMs !== null && e.committedAtMs > e.acknowledgedAtMs) {
    return `it was acknowledged at ${e.acknowledgedAtMs}ms, before a high watermark covered it at ${e.committedAtMs}ms`;
  }
  if (e.holdersAtCommit.length < needed) {
    return `it was committed at ${e.committedAtMs}ms while only ${e.holdersAtCommit.join(', ') || 'no replica'} held it, fewer than min.insync.replicas=${needed}`;
  }
  return null;
}

type RuleCheck = (c: ContractInputs, e: LossEvidence) => { allowed: true; faults: FaultCitation[] } | { allowed: false; refusal: string };

const LOSS_RULE_CHECKS: Readonly<Record<LossRule, RuleCheck>> = {
  'last-replica-standing': (c, e) => {
    const lossy = lossyCopies(c, e);
    if (lossy.length === 0) return { allowed: false, refusal: `no replica that held it lost it in a fault (${describeFates(e)})` };
    return { allowed: true, faults: cite(lossy.flatMap((copy) => copy.lostBy)) };
  },
  'last-known-leader': (c, e) => {
    const needed = Math.min(c.minInsyncReplicas, c.replicationFactor);
    const lossy = lossyCopies(c, e);
    const unclean = e.copies.filter((copy) => copy.uncleanShutdowns.length > 0);
    if (lossy.length === 0) return { allowed: false, refusal: `no replica that held it lost it in a fault (${describeFates(e)})` };
    if (unclean.length < needed) {
      return {
        allowed: false,
        refusal: `only ${unclean.map((copy) => copy.replica).join(', ')} of its holders shut down uncleanly while holding it; ` +
          `with ELR, min.insync.replicas=${needed} must before one that lost it is elected again`,
      };
    }
    return { allowed: true, faults: cite(unclean.flatMap((copy) => copy.uncleanShutdowns)) };
  },
  'metadata-rollback': (_c, e) => {
    if (e.controllerStorageLosses.length === 0) return { allowed: false, refusal: 'no controller lost its storage' };
    const after = e.metadataRollbacksAtMs.filter((atMs) => atMs >= (e.committedAtMs ?? 0));
    if (after.length === 0) return { allowed: false, refusal: `${e.partition}'s metadata never went back after the record was committed` };
    return { allowed: true, faults: cite(e.controllerStorageLosses) };
  },
};

/**
 * A partition's metadata going back (a lower epoch, a rewritten change): the metadata log is a Raft
 * log, so only a controller's lost storage can do it (pre-KIP-853 KRaft cannot detect a voter that
 * lost its disk, and may elect a leader without committed entries).
 */
export function judgeMetadataRollback(controllerStorageLosses: readonly FaultCitation[]): LossJudgement {
  if (controllerStorageLosses.length === 0) return { allowed: false, reason: 'no controller lost its storage, and nothing else rolls a Raft log back' };
  return {
    allowed: true,
    rule: 'controller-storage-lost',
    reason: 'a controller lost its stable storage: pre-KIP-853 KRaft cannot detect it, and the metadata log may roll back',
    faults: cite(controllerStorageLosses),
  };
}

/**
 * The holders whose last copy a fault destroyed. A power loss counts only under a flush policy that
 * leaves acknowledged data in the page cache: with flush.messages=1 Kafka fsyncs every append
 * before it is acknowledged or fetched on, so a power loss takes nothing committed.
 */
function lossyCopies(c: ContractInputs, e: LossEvidence): Array<{ replica: NodeId; lostBy: readonly ReplicaFault[] }> {
  return e.copies
    .filter((copy) => copy.fate === 'lost')
    .map((copy) => ({ replica: copy.replica, lostBy: copy.lostBy.filter((fault) => fault.kind !== 'power-loss' || c.flushMessages !== 1) }))
    .filter((copy) => copy.lostBy.length > 0);
}

function describeFates(e: LossEvidence): string {
  if (e.copies.length === 0) return 'no replica ever held it';
  return e.copies.map((copy) => `${copy.replica} ${copy.fate === 'lost' ? `lost it without a destructive fault` : copy.fate === 'held' ? 'still holds it' : 'truncated it'}`).join(', ');
}

function cite(faults: readonly FaultCitation[]): FaultCitation[] {
  const seen = new Set<string>();
  const cited: FaultCitation[] = [];
  for (const fault of [...faults].sort((a, b) => a.atMs - b.atMs || (a.node < b.node ? -1 : a.node > b.node ? 1 : 0))) {
    const key = `${fault.atMs}|${fault.node}|${fault.kind}`;
    if (seen.has(key)) continue;
    seen.add(key);
    cited.push({ atMs: fault.atMs, node: fault.node, kind: fault.kind });
  }
  return cited;
}

/** The configuration's table and the loss rules as Markdown, for reports. */
export function contractMarkdown(inputs: ContractInputs): string {
  const lines = ['| anomaly | allowed | why |', '| --- | --- | --- |'];
  for (const row of contractTable(inputs)) lines.push(`| ${row.anomaly} | ${row.allowed ? 'yes' : 'no'} | ${row.reason} |`);
  lines.push('', 'Loss rules, judged record by record:', '');
  for (const rule of applicableRules(inputs)) lines.push(`- **${rule}**: ${LOSS_RULES[rule]}.`);
  return lines.join('\n');
}
