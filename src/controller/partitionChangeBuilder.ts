/**
 * PartitionChangeBuilder: computes the one PartitionChangeRecord (or none) that moves a partition
 * to a target ISR, electing a leader when the current one is no longer valid. Kafka's class of the
 * same name, for every path that changes a partition: AlterPartition, fencing, unfencing,
 * controlled shutdown and re-registration.
 *
 * Election (Kafka's electAnyLeader): keep the current leader if it is still valid; else the first
 * valid replica in replica order; else, for an UNCLEAN election, the first acceptable replica at
 * all, which then becomes the whole ISR and must recover (leaderRecoveryState RECOVERING, KIP-704).
 * "Valid" means in the target ISR — or, when the ISR is empty, in the ELR — and acceptable (an
 * active broker: registered, unfenced, not in controlled shutdown).
 *
 * ELR (KIP-966, behind eligible.leader.replicas.enable): when the target ISR drops below
 * min.insync.replicas, the members it loses join the ELR (they hold every record up to the high
 * watermark); a replica that shut down uncleanly leaves it; once the ISR is back at min ISR the
 * ELR empties. With ELR on, the ISR may become empty; with it off, the last ISR member stays in the
 * ISR while leaderless, so that only it (or an unclean election) can lead again.
 *
 * The last known leader (KIP-966's balanced recovery, Kafka's default): when the ISR and the ELR
 * both become empty, the partition remembers its leader in lastKnownElr; when that broker is back
 * and no ISR or ELR member can lead, it is elected — uncleanly, since its unclean shutdown is what
 * took it out of the ELR. Without this, a partition whose last leader crashed would stay offline.
 *
 * Invariants of the result: the leader is in the new ISR or null; ISR ∩ ELR = ∅; a record that
 * changes nothing is not built.
 *
 * Left out: reassignment (adding/removing replicas), preferred-leader election, directories,
 * lastKnownElr and the KAFKA-15021 leader epoch bump on ISR shrink (needed only before
 * metadata version 3.6; modern Kafka bumps only the partition epoch).
 */
import type { NodeId } from '../host.js';
import type { LeaderId, MetadataRecord, PartitionRegistration } from '../metadata/types.js';

export type PartitionChangeRecord = Extract<MetadataRecord, { type: 'PartitionChangeRecord' }>;

/** ONLINE elects only from the ISR (or ELR); UNCLEAN may elect any acceptable replica. */
export type Election = 'ONLINE' | 'UNCLEAN';

export interface ElectionResult {
  readonly node: LeaderId;
  readonly unclean: boolean;
}

export interface PartitionChangeOptions {
  /** Whether a replica may lead: an active broker, and not the one being removed. */
  readonly isAcceptableLeader: (replica: NodeId) => boolean;
  readonly election: Election;
  readonly minIsr: number;
  readonly eligibleLeaderReplicasEnabled: boolean;
}

export class PartitionChangeBuilder {
  private targetIsr: NodeId[];
  private targetElr: NodeId[];
  private targetLeaderRecoveryState: PartitionRegistration['leaderRecoveryState'];
  private uncleanShutdownReplicas: readonly NodeId[] = [];

  constructor(
    private readonly partition: PartitionRegistration,
    private readonly options: PartitionChangeOptions,
  ) {
    if (options.minIsr < 1) throw new Error(`minIsr must be at least 1, got ${options.minIsr}`);
    this.targetIsr = [...partition.isr];
    this.targetElr = [...partition.eligibleLeaderReplicas];
    this.targetLeaderRecoveryState = partition.leaderRecoveryState;
  }

  setTargetIsr(isr: readonly NodeId[]): this {
    if (isr.some((id) => !this.partition.replicas.includes(id))) throw new Error(`setTargetIsr: ${isr.join(',')} not within replicas`);
    this.targetIsr = [...isr];
    return this;
  }

  setTargetLeaderRecoveryState(state: PartitionRegistration['leaderRecoveryState']): this {
    this.targetLeaderRecoveryState = state;
    return this;
  }

  /** Replicas whose broker restarted without a clean shutdown: they may have lost data, so they leave the ELR. */
  setUncleanShutdownReplicas(replicas: readonly NodeId[]): this {
    this.uncleanShutdownReplicas = replicas;
    return this;
  }

  /** The change, or null when there is nothing to change. */
  build(): PartitionChangeRecord | null {
    const partition = this.partition;
    this.maybePopulateTargetElr();
    let leader: LeaderId | undefined;
    let isr: NodeId[] | undefined;
    let leaderRecoveryState = this.targetLeaderRecoveryState;
    const result = this.electLeader();
    if (result.node !== partition.leader) {
      leader = result.node;
      if (result.node !== null && this.targetElr.includes(result.node)) {
        // Elected from the ELR: it becomes the ISR on its own (KIP-966).
        this.targetIsr = [result.node];
        this.targetElr = this.targetElr.filter((id) => id !== result.node);
      } else if (result.unclean && result.node !== null) {
        // An unclean election forces the ISR to the new leader alone: this can lose data.
        isr = [result.node];
        leaderRecoveryState = 'RECOVERING';
      }
    }
    // An unclean election or ELR switched off leaves no ELR.
    if (isr !== undefined || !this.options.eligibleLeaderReplicasEnabled) this.targetElr = [];
    const elr = sameMembers(this.targetElr, partition.eligibleLeaderReplicas) ? undefined : this.targetElr;
    if (isr === undefined && (this.targetIsr.length > 0 || this.options.eligibleLeaderReplicasEnabled) && !sameList(this.targetIsr, partition.isr)) {
      isr = this.targetIsr;
    }
    const lastKnownElr = this.lastKnownLeaderChange(leader, isr);
    const recovery = leaderRecoveryState !== partition.leaderRecoveryState ? leaderRecoveryState : undefined;
    if (leader === undefined && isr === undefined && elr === undefined && recovery === undefined && lastKnownElr === undefined) return null;
    const record: PartitionChangeRecord = {
      type: 'PartitionChangeRecord',
      topicId: partition.topicId,
      partitionId: partition.partitionId,
      ...(isr !== undefined ? { isr } : {}),
      ...(leader !== undefined ? { leader } : {}),
      ...(elr !== undefined ? { eligibleLeaderReplicas: elr } : {}),
      ...(recovery !== undefined ? { leaderRecoveryState: recovery } : {}),
      ...(lastKnownElr !== undefined ? { lastKnownElr } : {}),
    };
    const newIsr = record.isr ?? partition.isr;
    const newLeader = record.leader !== undefined ? record.leader : partition.leader;
    if (newLeader !== null && !newIsr.includes(newLeader)) throw new Error(`build: leader ${newLeader} outside ISR ${newIsr.join(',')}`);
    return record;
  }

  /** Kafka's electAnyLeader. */
  electLeader(): ElectionResult {
    const current = this.partition.leader;
    if (current !== null && this.isValidNewLeader(current)) return { node: current, unclean: false };
    const online = this.partition.replicas.find((replica) => this.isValidNewLeader(replica));
    if (online !== undefined) return { node: online, unclean: false };
    if (this.canElectLastKnownLeader()) return { node: this.partition.lastKnownElr[0]!, unclean: true };
    if (this.options.election === 'UNCLEAN') {
      const unclean = this.partition.replicas.find((replica) => this.options.isAcceptableLeader(replica));
      if (unclean !== undefined) return { node: unclean, unclean: true };
    }
    return { node: null, unclean: false };
  }

  private canElectLastKnownLeader(): boolean {
    if (!this.options.eligibleLeaderReplicasEnabled || this.targetIsr.length > 0 || this.targetElr.length > 0) return false;
    return this.partition.lastKnownElr.length === 1 && this.options.isAcceptableLeader(this.partition.lastKnownElr[0]!);
  }

  /** Kafka's maybeUpdateLastKnownLeader: remember the leader when the ISR empties; forget it once a leader is back. */
  private lastKnownLeaderChange(leader: LeaderId | undefined, isr: NodeId[] | undefined): NodeId[] | undefined {
    if (!this.options.eligibleLeaderReplicasEnabled) return undefined;
    const previous = this.partition.leader;
    if (isr !== undefined && isr.length === 0 && previous !== null && !sameList(this.partition.lastKnownElr, [previous])) return [previous];
    const hasLeader = leader !== undefined ? leader !== null : previous !== null;
    if (hasLeader && this.partition.lastKnownElr.length > 0) return [];
    return undefined;
  }

  private isValidNewLeader(replica: NodeId): boolean {
    const eligible = this.targetIsr.includes(replica) || (this.targetIsr.length === 0 && this.targetElr.includes(replica));
    return eligible && this.options.isAcceptableLeader(replica);
  }

  private maybePopulateTargetElr(): void {
    if (!this.options.eligibleLeaderReplicasEnabled) return;
    if (this.targetIsr.length >= this.options.minIsr) {
      this.targetElr = [];
      return;
    }
    // The ELR is everything that was in the ISR or ELR and is not in the new ISR, minus replicas
    // that shut down uncleanly; replica order keeps it deterministic.
    const candidates = new Set([...this.targetElr, ...this.partition.isr]);
    this.targetElr = this.partition.replicas.filter(
      (replica) => candidates.has(replica) && !this.targetIsr.includes(replica) && !this.uncleanShutdownReplicas.includes(replica),
    );
  }
}

function sameList(a: readonly NodeId[], b: readonly NodeId[]): boolean {
  return a.length === b.length && a.every((id, index) => b[index] === id);
}

function sameMembers(a: readonly NodeId[], b: readonly NodeId[]): boolean {
  return a.length === b.length && a.every((id) => b.includes(id));
}
