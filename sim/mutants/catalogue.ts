/**
 * The mutation catalogue: small patches to `src/`, each breaking one rule of Kafka's replication or
 * of KRaft, that the checker must catch by exploring the swarm scenarios named beside it. It
 * measures the checker (DESIGN.md §5: "protocol mutations must be caught by exploration"): a green
 * sweep means something only if breaking a rule turns it red.
 *
 * Invariants: every mutation breaks exactly one rule that the current code follows, so a build of
 * it is a plausible Kafka bug, not a crash; its edits apply exactly once to the current sources (a
 * unit test checks it); where a mutation is not caught, the checker or the swarm's fault mix is
 * what changes, never the mutation.
 * Left out: mutations of the clients, the group coordinator and transactions, whose checkers are
 * still to come; mutations that only cost liveness (the checker judges safety here); a consumer
 * Fetch served above the high watermark (no consumer reads during the faults yet, only the final
 * reader after the heal); an AlterPartition accepted from an older leader epoch (an equivalent
 * mutant: the deposed leader's proposal is refused all the same by the leader and partition-epoch
 * checks that follow, as in Kafka).
 */
import type { SourceEdit } from './patch.js';

export interface Mutation {
  /** A short kebab-case name, used on the command line and in the report. */
  readonly id: string;
  /** The rule the mutation breaks, in one line, with its KIP or JIRA where there is one. */
  readonly rule: string;
  /** The scenarios to explore, most likely to catch it first. */
  readonly scenarios: readonly string[];
  readonly edits: readonly SourceEdit[];
}

const PARTITION = 'src/broker/partition.ts';
const KAFKA_SWARMS = ['kafka-swarm-stable-storage', 'kafka-swarm'] as const;
const RAFT_SWARMS = ['raft-swarm', 'raft-swarm-stable-storage'] as const;
/** For the rules that durability rests on: the swarm of power losses over slow fsyncs first. */
const RAFT_DURABILITY = ['raft-swarm-power-loss', 'raft-power-loss-all', 'raft-swarm'] as const;

export const MUTATIONS: readonly Mutation[] = [
  {
    id: 'ack-on-append',
    rule: 'acks=all is answered only once the high watermark covers the write (DelayedProduce, Partition.checkEnoughReplicasReachOffset)',
    scenarios: KAFKA_SWARMS,
    edits: [{
      file: PARTITION,
      search: 'if (this.log.highWatermark < requiredOffset) return { done: false };',
      replace: 'if (this.log.logEndOffset < requiredOffset) return { done: false };',
    }],
  },
  {
    id: 'hw-max-over-isr',
    rule: "the leader's high watermark is the minimum log end offset over the maximal ISR, not the maximum (Partition.maybeIncrementLeaderHW, KIP-497)",
    scenarios: KAFKA_SWARMS,
    edits: [{
      file: PARTITION,
      search: 'if (waitedForIsr.includes(id) || mayJoin) candidate = Math.min(candidate, remote.logEndOffset);',
      replace: 'if (waitedForIsr.includes(id) || mayJoin) candidate = Math.max(candidate, remote.logEndOffset);',
    }],
  },
  {
    id: 'no-truncation-on-diverging-epoch',
    rule: 'a follower truncates to where its log diverges from the leader before it fetches on (KIP-101, KIP-279, truncation on fetch since KAFKA-10554)',
    scenarios: KAFKA_SWARMS,
    edits: [{
      file: PARTITION,
      search: "this.truncateTo(Math.min(response.divergingEpoch.endOffset, ownEnd, this.log.logEndOffset), 'diverging epoch');",
      replace: 'this.followerLogChecked = Number.isInteger(ownEnd);',
    }],
  },
  {
    id: 'fetch-without-last-fetched-epoch',
    rule: "a follower's Fetch names the epoch of its last record, so the leader can tell it where its log diverges (KIP-595's Fetch for KRaft, KAFKA-10554 for partitions)",
    scenarios: KAFKA_SWARMS,
    edits: [{
      file: PARTITION,
      search: 'lastFetchedEpoch: this.settings.legacy.truncateToHighWatermark || this.followerLogChecked ? -1 : this.log.latestEpoch(),',
      replace: 'lastFetchedEpoch: Math.min(-1, this.settings.legacy.truncateToHighWatermark || this.followerLogChecked ? -1 : this.log.latestEpoch()),',
    }],
  },
  {
    id: 'follower-hw-not-capped',
    rule: "a follower's high watermark is capped at its own log end offset (UnifiedLog.updateHighWatermark)",
    scenarios: ['kafka-swarm-small-fetches', ...KAFKA_SWARMS],
    edits: [
      {
        file: PARTITION,
        search: 'const highWatermark = Math.min(response.highWatermark, this.log.logEndOffset);',
        replace: 'const highWatermark = response.highWatermark;',
      },
      { file: 'src/log/unifiedLog.ts', search: 'const clamped = Math.min(offset, this.logEndOffset);', replace: 'const clamped = offset;' },
    ],
  },
  {
    id: 'isr-join-below-high-watermark',
    rule: "a follower joins the ISR only once it reached the leader's high watermark (Partition.maybeExpandIsr, isFollowerInSync)",
    scenarios: KAFKA_SWARMS,
    edits: [{
      file: PARTITION,
      search: 'const reachedHighWatermark = remote.logEndOffset >= this.log.highWatermark;',
      replace: 'const reachedHighWatermark = remote.logEndOffset >= 0;',
    }],
  },
  {
    id: 'isr-join-below-epoch-start',
    rule: "a follower joins the ISR only once it reached the start offset of the leader's epoch (KAFKA-7128)",
    scenarios: KAFKA_SWARMS,
    edits: [{
      file: PARTITION,
      search: 'remote.logEndOffset >= this.leaderEpochStartOffset;',
      replace: 'remote.logEndOffset >= 0;',
    }],
  },
  {
    id: 'stale-leader-epoch-not-fenced',
    rule: 'a Fetch naming an older leader epoch than the replica\'s is answered FENCED_LEADER_EPOCH (KIP-320)',
    scenarios: KAFKA_SWARMS,
    edits: [{
      file: PARTITION,
      search: "if (fenced && currentLeaderEpoch < this.leaderEpoch) return 'FENCED_LEADER_EPOCH';",
      replace: '// FENCED_LEADER_EPOCH is never answered.',
    }],
  },
  {
    id: 'producer-state-unchecked',
    rule: "an idempotent producer's batch is checked against its producer state: duplicates answered, gaps and old epochs refused (KIP-98)",
    scenarios: KAFKA_SWARMS,
    edits: [{
      file: 'src/log/producerState.ts',
      search: '    const firstSeq = batch.baseSequence;',
      replace: '    if (batch.baseSequence >= 0) return OK;\n    const firstSeq = batch.baseSequence;',
    }],
  },
  {
    id: 'sequence-gap-accepted',
    rule: "a batch whose first sequence does not follow the producer's last one is refused OUT_OF_ORDER_SEQUENCE_NUMBER (KIP-98)",
    scenarios: KAFKA_SWARMS,
    edits: [{
      file: 'src/log/producerState.ts',
      search: "if (!inSequence(currentLastSeq, firstSeq)) return { kind: 'rejected', error: 'OUT_OF_ORDER_SEQUENCE_NUMBER' };",
      replace: "if (!inSequence(currentLastSeq, firstSeq) && firstSeq < 0) return { kind: 'rejected', error: 'OUT_OF_ORDER_SEQUENCE_NUMBER' };",
    }],
  },
  {
    id: 'unclean-election-when-disabled',
    rule: 'with unclean.leader.election.enable=false the controller elects a leader only from the ISR (or the ELR, KIP-966)',
    scenarios: KAFKA_SWARMS,
    edits: [{
      file: 'src/controller/partitionChangeBuilder.ts',
      search: "if (this.options.election === 'UNCLEAN') {",
      replace: "if (this.options.election === 'UNCLEAN' || this.partition.replicas.length > 0) {",
    }],
  },
  {
    id: 'vote-without-log-check',
    rule: "a vote is granted only to a candidate whose log is at least as up to date as the voter's (Raft §5.4.1, KIP-595)",
    scenarios: RAFT_SWARMS,
    edits: [{
      file: 'src/raft/kafkaRaftClient.ts',
      search: 'const upToDate = isLogUpToDate({ offset: request.lastOffset, epoch: request.lastOffsetEpoch }, this.log.endOffset());',
      replace: 'const upToDate = isLogUpToDate({ offset: request.lastOffset, epoch: request.lastOffsetEpoch }, this.log.endOffset()) || request.lastOffset >= 0;',
    }],
  },
  {
    id: 'second-vote-in-epoch',
    rule: 'a voter grants at most one binding vote per epoch (Raft §5.2, KIP-595)',
    scenarios: RAFT_SWARMS,
    edits: [{
      file: 'src/raft/quorumState.ts',
      search: '  if (votedId !== null) return votedId === candidateId;\n  if (leaderId !== null) return false;\n  return logUpToDate;\n}',
      replace: '  if (votedId !== null) return logUpToDate || votedId === candidateId;\n  if (leaderId !== null) return false;\n  return logUpToDate;\n}',
    }],
  },
  {
    id: 'raft-hw-without-majority',
    rule: 'the KRaft high watermark is the offset a majority of voters hold (KIP-595, LeaderState.maybeUpdateHighWatermark)',
    scenarios: RAFT_SWARMS,
    edits: [{
      file: 'src/raft/leaderState.ts',
      search: 'const candidate = endOffsets[majoritySize(this.voters.length) - 1] ?? -1;',
      replace: 'const candidate = endOffsets[0] ?? -1;',
    }],
  },
  {
    id: 'raft-fetch-offset-unflushed',
    rule: "a voter's Fetch offset promises its log is durable up to it, so the leader counts only flushed entries in the majority (KIP-595)",
    scenarios: RAFT_DURABILITY,
    edits: [{
      file: 'src/raft/kafkaRaftClient.ts',
      search: 'if (this.log.lastFlushedOffset < this.log.logEndOffset) {\n      if (!this.fetchFlushPending) {',
      replace: 'if (this.log.lastFlushedOffset < this.log.logEndOffset && this.fetchFlushPending) {\n      if (!this.fetchFlushPending) {',
    }],
  },
  {
    id: 'raft-leader-counts-unflushed',
    rule: 'the KRaft leader counts its own log in the majority only up to its flushed offset (KIP-595)',
    scenarios: RAFT_DURABILITY,
    edits: [{
      file: 'src/raft/kafkaRaftClient.ts',
      search: '      if (!this.timers.has(TIMER.appendLinger)) this.setTimer(TIMER.appendLinger, this.options.config.appendLingerMs);\n      result =',
      replace:
        '      if (state.leaderState.updateLocalState(this.log.logEndOffset)) this.onLeaderHighWatermarkChanged(state);\n' +
        '      if (!this.timers.has(TIMER.appendLinger)) this.setTimer(TIMER.appendLinger, this.options.config.appendLingerMs);\n      result =',
    }],
  },
  {
    id: 'quorum-state-not-durable',
    rule: 'a voter acts on its election state (grants a vote, campaigns) only once the quorum-state file is fsynced (KIP-595)',
    scenarios: RAFT_DURABILITY,
    edits: [{
      file: 'src/raft/quorumState.ts',
      search: '    const generation = ++this.requestedGeneration;\n',
      replace: '    const generation = ++this.requestedGeneration;\n    this.durableGeneration = generation;\n',
    }],
  },
  {
    id: 'raft-fetch-divergence-unchecked',
    rule: "the KRaft leader answers a Fetch whose last fetched epoch ends earlier in its log with the diverging epoch (KIP-595, validateOffsetAndEpoch)",
    scenarios: RAFT_SWARMS,
    edits: [{
      file: 'src/raft/replicatedLog.ts',
      search: 'if (endOffsetAndEpoch.epoch !== epoch || endOffsetAndEpoch.offset < offset) {',
      replace: 'if (endOffsetAndEpoch.epoch !== epoch && endOffsetAndEpoch.offset < 0) {',
    }],
  },
];

/** The mutation named `id`, or undefined. */
export function mutationNamed(id: string): Mutation | undefined {
  return MUTATIONS.find((mutation) => mutation.id === id);
}
