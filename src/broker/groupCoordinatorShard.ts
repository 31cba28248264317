/**
 * GroupCoordinatorShard: the groups and offsets of one `__consumer_offsets` partition (Kafka's
 * GroupCoordinatorShard), as the runtime drives it — operations in, records and answers out, and
 * every record replayed in log order.
 *
 * It owns the one map of groups that both protocols share (a group id is a classic group or a
 * consumer group, never both), and routes: classic APIs to ClassicGroupManager, ConsumerGroupHeartbeat
 * to ConsumerGroupManager, offsets to OffsetMetadataManager, each record to the part it belongs to.
 * Offset commits and fetches are validated against whichever kind of group holds the id.
 *
 * While the log is being replayed at load, the parts trace nothing; once loaded, `onLoaded` restates
 * every group's state for the checker, so a load reads as the state it restores, not as its history.
 */
import type {
  ConsumerGroupHeartbeatRequest,
  HeartbeatRequest,
  JoinGroupRequest,
  LeaveGroupRequest,
  OffsetCommitRequest,
  OffsetFetchRequest,
  SyncGroupRequest,
  TxnOffsetCommitRequest,
} from '../protocol/apis.js';
import { NO_PRODUCER_ID } from '../log/recordBatch.js';
import type { KafkaErrorCode } from '../protocol/errors.js';
import type { ReplayedTxnMarker } from './replicaManager.js';
import { ClassicGroup, type JoinGroupAnswer, type SyncGroupAnswer } from './groupCoordinatorClassicGroup.js';
import { ClassicGroupManager, type Group } from './groupCoordinatorClassicManager.js';
import type { GroupCoordinatorConfig } from './groupCoordinatorConfig.js';
import { ConsumerGroupManager } from './groupCoordinatorConsumerManager.js';
import { type GroupOffsetValidator, OffsetMetadataManager } from './groupCoordinatorOffsets.js';
import type { CoordinatorRecord } from './groupCoordinatorRecords.js';
import type { CoordinatorShard, ShardContext } from './groupCoordinatorRuntime.js';
import { compareStrings } from '../util/compare.js';

export class GroupCoordinatorShard implements CoordinatorShard, GroupOffsetValidator {
  readonly groups = new Map<string, Group>();
  readonly classic: ClassicGroupManager;
  readonly consumer: ConsumerGroupManager;
  readonly offsets: OffsetMetadataManager;
  private loaded = false;

  constructor(
    context: ShardContext,
    private readonly config: GroupCoordinatorConfig,
  ) {
    const traceOnceLoaded: ShardContext['trace'] = (event) => {
      if (this.loaded) context.trace(event);
    };
    this.consumer = new ConsumerGroupManager(context, config, this.groups, traceOnceLoaded);
    this.classic = new ClassicGroupManager(context, config, this.groups, this.consumer);
    this.offsets = new OffsetMetadataManager(context, this, config.offsetMetadataMaxBytes);
  }

  // ---- Operations ----

  classicGroupJoin(request: JoinGroupRequest, respond: (answer: JoinGroupAnswer) => void) {
    return this.classic.join(request, respond);
  }

  classicGroupSync(request: SyncGroupRequest, respond: (answer: SyncGroupAnswer) => void) {
    return this.classic.sync(request, respond);
  }

  classicGroupHeartbeat(request: HeartbeatRequest) {
    return this.classic.heartbeat(request);
  }

  classicGroupLeave(request: LeaveGroupRequest) {
    return this.classic.leave(request);
  }

  consumerGroupHeartbeat(request: ConsumerGroupHeartbeatRequest) {
    return this.consumer.heartbeat(request);
  }

  commitOffset(request: OffsetCommitRequest) {
    return this.offsets.commitOffset(request);
  }

  commitTransactionalOffset(request: TxnOffsetCommitRequest) {
    return this.offsets.commitTransactionalOffset(request);
  }

  fetchOffsets(group: OffsetFetchRequest['groups'][number], requireStable = false) {
    return this.offsets.fetchOffsets(group, requireStable);
  }

  // ---- GroupOffsetValidator ----

  validateOffsetCommit(groupId: string, memberId: string, groupInstanceId: string | null, generationIdOrMemberEpoch: number) {
    const group = this.groups.get(groupId);
    // A commit from outside any group (generation -1) to a group that does not exist makes a
    // "simple" group of its offsets; from inside one, the group must exist (OffsetCommit v9+).
    if (group === undefined) return generationIdOrMemberEpoch < 0 ? 'NONE' : 'GROUP_ID_NOT_FOUND';
    if (group instanceof ClassicGroup) return this.classic.validateOffsetCommit(group, memberId, groupInstanceId, generationIdOrMemberEpoch);
    return this.consumer.validateOffsetCommit(group, memberId, generationIdOrMemberEpoch);
  }

  /**
   * Kafka's OffsetMetadataManager.validateTransactionalOffsetCommit (KIP-447): a group that does
   * not exist takes a commit only from outside any group (generation -1), else ILLEGAL_GENERATION;
   * a classic group checks member, instance id and generation; a consumer group the member epoch.
   */
  validateTransactionalOffsetCommit(groupId: string, memberId: string, groupInstanceId: string | null, generationId: number) {
    const group = this.groups.get(groupId);
    if (this.config.txnOffsetCommitWithoutGroupMetadata) return this.validateTransactionalOffsetCommitBeforeKip447(group);
    if (group === undefined) return generationId < 0 ? 'NONE' : 'ILLEGAL_GENERATION';
    if (group instanceof ClassicGroup) return this.classic.validateOffsetCommit(group, memberId, groupInstanceId, generationId, true);
    return this.consumer.validateOffsetCommit(group, memberId, generationId);
  }

  /**
   * The legacy switch ksim.legacy.txn.offset.commit.without.group.metadata, as Kafka 2.4's
   * GroupCoordinator.doCommitOffsets (before KIP-447): "for transactional offset commits we don't
   * need to validate group membership and the generation" — only a group being unloaded is refused.
   */
  private validateTransactionalOffsetCommitBeforeKip447(group: Group | undefined): KafkaErrorCode {
    if (group instanceof ClassicGroup && group.isInState('Dead')) return 'COORDINATOR_NOT_AVAILABLE';
    return 'NONE';
  }

  validateOffsetFetch(groupId: string, memberId: string | null, memberEpoch: number) {
    const group = this.groups.get(groupId);
    if (group === undefined) return 'NONE';
    if (group instanceof ClassicGroup) return group.isInState('Dead') ? 'GROUP_ID_NOT_FOUND' : 'NONE';
    return this.consumer.validateOffsetFetch(group, memberId, memberEpoch);
  }

  // ---- CoordinatorShard ----

  replay(record: CoordinatorRecord, offset: number, producerId: number = NO_PRODUCER_ID): void {
    switch (record.type) {
      case 'OffsetCommit':
        return this.offsets.replay(record.key, record.value, offset, producerId);
      case 'GroupMetadata':
        return this.classic.replayGroupMetadata(record.key.groupId, record.value);
      case 'ConsumerGroupMetadata':
      case 'ConsumerGroupMemberMetadata':
      case 'ConsumerGroupTargetAssignmentMetadata':
      case 'ConsumerGroupTargetAssignmentMember':
      case 'ConsumerGroupCurrentMemberAssignment':
        return this.consumer.replay(record);
      default: {
        const unreachable: never = record;
        throw new Error(`unknown record ${JSON.stringify(unreachable)}`);
      }
    }
  }

  replayEndTransactionMarker(marker: ReplayedTxnMarker, offset: number): void {
    this.offsets.replayEndTransactionMarker(marker, offset);
  }

  onLoaded(): void {
    this.loaded = true;
    for (const groupId of [...this.groups.keys()].sort(compareStrings)) {
      const group = this.groups.get(groupId)!;
      if (group instanceof ClassicGroup) this.classic.onLoaded(group);
      else this.consumer.onLoaded(group);
    }
  }

  onUnloaded(): void {
    for (const group of this.groups.values()) if (group instanceof ClassicGroup) this.classic.onUnloaded(group);
    this.loaded = false;
  }
}
