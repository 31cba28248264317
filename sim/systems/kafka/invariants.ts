/**
 * The per-event replication invariants of the Kafka checker, each a pure function of the model
 * (model.ts) and the event that may break it. Each returns what it found, or null; the checker puts
 * every finding through the contract. The older invariants (one leader per epoch, committed
 * prefixes, leaders holding what was committed) live in the checker beside the model updates they
 * share.
 *
 * - HighWatermarkWithinMaximalIsr: a leader's high watermark never exceeds the log end offset of
 *   any member of its maximal ISR (the committed ISR plus the members an in-flight AlterPartition
 *   adds, KIP-497): every replica that could be elected holds everything committed.
 * - HighWatermarkWithinLogEnd: a replica's high watermark never exceeds its own log end offset
 *   (Kafka's UnifiedLog.updateHighWatermark caps it there): a follower that took the leader's high
 *   watermark uncapped and then led would count records it never held as committed.
 * - EpochOffsetNamesOneRecord: a (leader epoch, offset) pair names one record on every replica that
 *   holds it (KAFKA-10527): only one leader writes an epoch, and it never writes an offset twice.
 * - ClientHighWatermarkMonotonic: within one leader epoch, the high watermark handed to clients
 *   never goes back.
 * - ListedOffsetMonotonic: the latest offset ListOffsets lists to clients never goes back, across
 *   leader epochs too (KIP-207).
 * - EpochCacheRises: a replica's leader-epoch cache lists epochs whose start offsets rise strictly
 *   with the epoch (KIP-101's LeaderEpochFileCache invariant).
 * - IsrJoinCaughtUp: a replica joins the ISR only once it reached the leader's high watermark and
 *   the start offset of the leader's epoch (KAFKA-7128), while following that epoch (KIP-320).
 * - IsrJoinCurrentRegistration: the controller commits a replica into the ISR only on the fetches
 *   of its current registration (KIP-903): never once it registered again, restarted, perhaps
 *   with an empty disk, after the fetch that earned it its place.
 */
import type { NodeId } from '../../../src/host.js';
import type { KafkaAnomaly } from './contract.js';
import { type IsrProposalModel, type LeadershipModel, type PartitionModel, type RecordModel, maximalIsr } from './model.js';

export interface InvariantFinding {
  readonly anomaly: KafkaAnomaly;
  readonly invariant: string;
  readonly message: string;
  readonly details: Record<string, unknown>;
}

/**
 * When a leader's high watermark advances, or an ISR change it learns of commits: no member of its
 * maximal ISR is below the high watermark. The second moment catches a leader that forgot a pending
 * expansion (on an AlterPartition error whose outcome it could not know) and let the high watermark
 * pass the joiner, which the controller then committed into the ISR all the same.
 */
export function highWatermarkWithinMaximalIsr(key: string, leadership: LeadershipModel, highWatermark: number, moment: 'advance' | 'isr-change' = 'advance'): InvariantFinding | null {
  const members = maximalIsr(leadership);
  const below = members.filter((member) => (leadership.logEndReached.get(member) ?? 0) < highWatermark);
  if (below.length === 0) return null;
  const reached = Object.fromEntries(members.map((member) => [member, leadership.logEndReached.get(member) ?? 0]));
  const what =
    moment === 'advance'
      ? `${leadership.leader} moved ${key}'s high watermark to ${highWatermark} in epoch ${leadership.leaderEpoch}`
      : `${key}'s ISR became ${leadership.isr.join(',')} under ${leadership.leader}'s high watermark ${highWatermark} in epoch ${leadership.leaderEpoch}`;
  return {
    anomaly: 'high-watermark-above-isr',
    invariant: 'HighWatermarkWithinMaximalIsr',
    message: `${what}, but ISR member(s) ${below.join(', ')} never reached it (log end offsets ${JSON.stringify(reached)}, maximal ISR ${members.join(',')})`,
    details: { partition: key, leader: leadership.leader, highWatermark, maximalIsr: members, logEndReached: reached, moment },
  };
}

/** When a replica's high watermark moves: it is not above the replica's own log end offset. */
export function highWatermarkWithinLogEnd(key: string, replica: NodeId, role: string, highWatermark: number, logEndOffset: number): InvariantFinding | null {
  if (highWatermark <= logEndOffset) return null;
  return {
    anomaly: 'high-watermark-above-log-end',
    invariant: 'HighWatermarkWithinLogEnd',
    message: `${replica} (${role}) moved ${key}'s high watermark to ${highWatermark}, above its own log end offset ${logEndOffset}`,
    details: { partition: key, replica, role, highWatermark, logEndOffset },
  };
}

/** At an append: the (epoch, offset) pair is new, or names the record already seen there. */
export function epochOffsetNamesOneRecord(key: string, partition: PartitionModel, replica: NodeId, offset: number, record: RecordModel): InvariantFinding | null {
  const pair = `${record.epoch}|${offset}`;
  const first = partition.epochOffsets.get(pair);
  if (first === undefined) {
    partition.epochOffsets.set(pair, { value: record.value, replica });
    return null;
  }
  if (first.value === record.value) return null;
  return {
    anomaly: 'epoch-offset-conflict',
    invariant: 'EpochOffsetNamesOneRecord',
    message: `${replica} holds ${JSON.stringify(record.value)} at ${key} epoch ${record.epoch} offset ${offset}, where ${first.replica} holds ${JSON.stringify(first.value)}`,
    details: { partition: key, leaderEpoch: record.epoch, offset, [replica]: record.value, [first.replica]: first.value },
  };
}

/**
 * At a response to a client: its high watermark is not below one handed out earlier in the same
 * leader epoch.
 *
 * What Kafka promises across leader changes is weaker, and this checks no more: a new leader's high
 * watermark is its own, as a follower it lagged the old leader's, and it catches up only once its
 * followers fetch in the new epoch. A Fetch served in that window hands out a lower high watermark
 * (consumers only use it for lag). ListOffsets hides the window instead (it answers
 * OFFSET_NOT_AVAILABLE until the high watermark reaches the epoch's start offset, KIP-207), so the
 * latest offset it lists never goes back: ListedOffsetMonotonic holds it to that across epochs.
 */
export function clientHighWatermarkMonotonic(key: string, partition: PartitionModel, broker: NodeId, leaderEpoch: number, highWatermark: number): InvariantFinding | null {
  const highest = partition.clientHighWatermarks.get(leaderEpoch) ?? -1;
  partition.clientHighWatermarks.set(leaderEpoch, Math.max(highest, highWatermark));
  if (highWatermark >= highest) return null;
  return {
    anomaly: 'client-offset-regressed',
    invariant: 'ClientHighWatermarkMonotonic',
    message: `${broker} handed a client ${key}'s high watermark ${highWatermark} in leader epoch ${leaderEpoch}, after ${highest} in the same epoch`,
    details: { partition: key, broker, leaderEpoch, highWatermark, earlier: highest },
  };
}

/**
 * At a ListOffsets answer to a client for the latest offset: it is not below any latest offset
 * listed in the same or an earlier leader epoch. Epochs order the answers, not time: a deposed
 * leader that does not know it yet may answer after its successor, but its high watermark is
 * below the successor's epoch start offset (its followers stopped fetching from it), and the
 * successor lists nothing until its own high watermark reaches that start (KIP-207, KAFKA-2334).
 * Where a committed record was lost the loss rules judge it; the checker then lowers what was
 * listed to the loss (`forgetListedOffsetsFrom`).
 */
export function listedOffsetMonotonic(key: string, partition: PartitionModel, broker: NodeId, leaderEpoch: number, offset: number): InvariantFinding | null {
  let earlier: { readonly leaderEpoch: number; readonly offset: number } | null = null;
  for (const [epoch, listed] of partition.listedLatestOffsets) {
    if (epoch <= leaderEpoch && listed > (earlier?.offset ?? -1)) earlier = { leaderEpoch: epoch, offset: listed };
  }
  partition.listedLatestOffsets.set(leaderEpoch, Math.max(partition.listedLatestOffsets.get(leaderEpoch) ?? -1, offset));
  if (earlier === null || offset >= earlier.offset) return null;
  return {
    anomaly: 'client-offset-regressed',
    invariant: 'ListedOffsetMonotonic',
    message: `${broker} listed ${key}'s latest offset as ${offset} in leader epoch ${leaderEpoch}, after ${earlier.offset} was listed in leader epoch ${earlier.leaderEpoch}`,
    details: { partition: key, broker, leaderEpoch, offset, earlier: earlier.offset, earlierLeaderEpoch: earlier.leaderEpoch },
  };
}

/** A committed record at `offset` was lost (and the loss judged): what was listed no longer stands above it. */
export function forgetListedOffsetsFrom(partition: PartitionModel, offset: number): void {
  for (const [epoch, listed] of partition.listedLatestOffsets) partition.listedLatestOffsets.set(epoch, Math.min(listed, offset));
}

/** At a change of a replica's leader-epoch cache: epochs and start offsets both rise strictly. */
export function epochCacheRises(key: string, replica: NodeId, entries: ReadonlyArray<readonly [number, number]>): InvariantFinding | null {
  const index = entries.findIndex((entry, i) => i > 0 && (entry[0] <= entries[i - 1]![0] || entry[1] <= entries[i - 1]![1]));
  if (index < 0) return null;
  return {
    anomaly: 'epoch-cache-out-of-order',
    invariant: 'EpochCacheRises',
    message: `${replica}'s leader-epoch cache for ${key} has epoch ${entries[index]![0]} at ${entries[index]![1]} after epoch ${entries[index - 1]![0]} at ${entries[index - 1]![1]}`,
    details: { partition: key, replica, entries },
  };
}

/**
 * At an ISR expansion the leader proposes: each new member reached the leader's high watermark and
 * its epoch's start offset, and follows the leader's epoch. A member that already follows a later
 * epoch answered a deposed leader, whose proposal the controller refuses: nothing to judge.
 */
export function isrJoinCaughtUp(
  key: string,
  partition: PartitionModel,
  leadership: LeadershipModel,
  leaderHighWatermark: number,
  proposed: readonly NodeId[],
): InvariantFinding | null {
  for (const joiner of proposed.filter((member) => !maximalIsr(leadership).includes(member))) {
    const following = partition.following.get(joiner) ?? -1;
    if (following > leadership.leaderEpoch) continue;
    // What the joiner reached of this leadership's log, even if it crashed since: the fetch that
    // earned its place may have been in flight when it died, and was true when sent.
    const logEndOffset = leadership.logEndReached.get(joiner) ?? 0;
    const problems = [
      ...(following < leadership.leaderEpoch ? [`it follows leader epoch ${following}, not ${leadership.leaderEpoch}`] : []),
      ...(logEndOffset < leaderHighWatermark ? [`its log ends at ${logEndOffset}, below the high watermark ${leaderHighWatermark}`] : []),
      ...(logEndOffset < leadership.epochStartOffset ? [`its log ends at ${logEndOffset}, below the epoch's start offset ${leadership.epochStartOffset}`] : []),
    ];
    if (problems.length === 0) continue;
    return {
      anomaly: 'isr-join-early',
      invariant: 'IsrJoinCaughtUp',
      message: `${leadership.leader} proposes ${joiner} for ${key}'s ISR in epoch ${leadership.leaderEpoch}, but ${problems.join('; ')}`,
      details: { partition: key, leader: leadership.leader, joiner, leaderEpoch: leadership.leaderEpoch, logEndOffset, leaderHighWatermark, epochStartOffset: leadership.epochStartOffset, following },
    };
  }
  return null;
}

/**
 * When the metadata log commits a leader's ISR proposal (the same leader epoch and members): each
 * replica it adds is still registered with the broker epoch it had when the leader proposed it. A
 * later registration means the replica restarted after the fetch that earned its place; KIP-903's
 * broker epoch in Fetch and AlterPartition lets the controller refuse such a proposal
 * (INELIGIBLE_REPLICA), and its own re-registration takes it out of any ISR committed before.
 */
export function isrJoinCurrentRegistration(
  key: string,
  proposal: IsrProposalModel,
  committed: { readonly offset: number; readonly leaderEpoch: number; readonly partitionEpoch: number; readonly isr: readonly NodeId[]; readonly previousIsr: readonly NodeId[] },
  registeredBrokerEpochs: ReadonlyMap<NodeId, number>,
): InvariantFinding | null {
  // The controller takes a proposal only at the partition epoch it was made on and commits it with
  // the next one (validateAlterPartitionData, PartitionRegistration.merge); any other change with
  // the same members — the partition created again after a metadata rollback (kafka-group-swarm-classic
  // seed 342), an election — is not this proposal.
  const nextPartitionEpoch = proposal.partitionEpoch === null || committed.partitionEpoch === proposal.partitionEpoch + 1;
  const sameChange = committed.leaderEpoch === proposal.leaderEpoch && nextPartitionEpoch && sameMembers(committed.isr, proposal.isr);
  if (!sameChange) return null;
  for (const joiner of committed.isr.filter((member) => !committed.previousIsr.includes(member))) {
    const proposedWith = proposal.registeredBrokerEpochs.get(joiner);
    const now = registeredBrokerEpochs.get(joiner);
    if (proposedWith === undefined || now === undefined || now === proposedWith) continue;
    return {
      anomaly: 'isr-join-early',
      invariant: 'IsrJoinCurrentRegistration',
      message:
        `the ISR of ${key} took in ${joiner} at metadata offset ${committed.offset}, on ${proposal.leader}'s proposal in epoch ${proposal.leaderEpoch} ` +
        `made while ${joiner} was registered with broker epoch ${proposedWith}; ${joiner} has since registered again (broker epoch ${now}) ` +
        'and has not fetched in that registration what earned its place (KIP-903)',
      details: { partition: key, joiner, leader: proposal.leader, leaderEpoch: proposal.leaderEpoch, metadataOffset: committed.offset, proposedWithBrokerEpoch: proposedWith, brokerEpoch: now },
    };
  }
  return null;
}

function sameMembers(a: readonly NodeId[], b: readonly NodeId[]): boolean {
  return a.length === b.length && a.every((member) => b.includes(member));
}
