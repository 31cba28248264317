/**
 * BrokerMetadataPublisher: turns the committed metadata log into this broker's state.
 *
 * - Loading: committed entries (and snapshots) are replayed into a new image, which replaces the
 *   metadata cache's. This happens from the first entry on, caught up or not, so heartbeats report
 *   the true metadata offset. (Kafka's MetadataLoader does this part; with one publisher it is
 *   folded in here.)
 * - Publishing: once the broker has caught up (BrokerLifecycleManager), every new image is applied
 *   to the replica manager, which makes partitions leaders and followers; the first publish is the
 *   moment the caught-up broker takes up its partitions.
 * - Leadership listeners: after the replica manager has applied an image, each listener registered
 *   for a topic hears which of that topic's partitions this broker began leading (`onElection`,
 *   with the new leader epoch) and which it does not lead after a change (`onResignation`: with
 *   the new leader epoch when it became a follower, with null when the replica left this broker).
 *   As in Kafka, becoming a follower is a resignation even for a partition this broker never led;
 *   a coordinator ignores a resignation of a partition it holds nothing for. This is where Kafka's
 *   BrokerMetadataPublisher calls the group and transaction coordinators (`updateCoordinator` for
 *   `__consumer_offsets` and `__transaction_state`): a coordinator loads a partition's state when
 *   elected and drops it when resigning.
 *
 * Invariants: a listener hears about a partition only when its role changed, never for an ISR-only
 * change, and in topic then partition order; an election's epoch is that of the registration that
 * made this broker leader, so a coordinator can fence writes from an older one. Kafka may call
 * onResignation for a follower more than once; here it is called once per change of role.
 *
 * Left out: topic deletion (ksim deletes no topics), dynamic config changes, quotas and ACLs.
 */
import type { CommittedEntry } from '../raft/kafkaRaftClient.js';
import { decodeImage, encodeImage, replayBatch } from '../metadata/image.js';
import type { KRaftMetadataCache } from './metadataCache.js';
import type { PartitionLeadershipChange, ReplicaManager } from './replicaManager.js';

/**
 * A part that lives on the partitions of one topic, loaded and unloaded with their leadership
 * (Kafka's GroupCoordinator and TransactionCoordinator have these two methods).
 */
export interface PartitionLeadershipListener {
  /** This broker became the leader of the topic's partition `partitionIndex`, at `partitionLeaderEpoch`. */
  onElection(partitionIndex: number, partitionLeaderEpoch: number): void;
  /** This broker stopped leading it: now a follower at `partitionLeaderEpoch`, or (null) no longer a replica. */
  onResignation(partitionIndex: number, partitionLeaderEpoch: number | null): void;
}

export interface PublisherContext {
  /** Whether the broker has caught up with the metadata log in this incarnation. */
  isCaughtUp(): boolean;
}

export class BrokerMetadataPublisher {
  private readonly listeners = new Map<string, PartitionLeadershipListener[]>();

  constructor(
    private readonly metadataCache: KRaftMetadataCache,
    private readonly replicaManager: Pick<ReplicaManager, 'applyImage'>,
    private readonly context: PublisherContext,
  ) {}

  /** Registers a listener for the leadership of `topic`'s partitions on this broker. */
  addPartitionLeadershipListener(topic: string, listener: PartitionLeadershipListener): void {
    this.listeners.set(topic, [...(this.listeners.get(topic) ?? []), listener]);
  }

  // ---- Loading (the raft client's listener) ----

  handleCommit(entries: readonly CommittedEntry[]): void {
    for (const entry of entries) this.metadataCache.setImage(replayBatch(this.metadataCache.currentImage, entry.offset, entry.record));
    this.publish();
  }

  handleLoadSnapshot(bytes: Uint8Array): void {
    this.metadataCache.setImage(decodeImage(bytes));
    this.publish();
  }

  /** The state a metadata snapshot holds: the image after everything committed so far. */
  snapshot(): Uint8Array {
    return encodeImage(this.metadataCache.currentImage);
  }

  // ---- Publishing ----

  /** Applies the current image to this broker, once it has caught up; a no-op before. */
  publish(): void {
    if (!this.context.isCaughtUp()) return;
    for (const change of this.replicaManager.applyImage()) this.notifyListeners(change);
  }

  private notifyListeners(change: PartitionLeadershipChange): void {
    for (const listener of this.listeners.get(change.topic) ?? []) {
      switch (change.kind) {
        case 'became-leader':
          listener.onElection(change.partitionIndex, change.leaderEpoch);
          break;
        case 'became-follower':
          listener.onResignation(change.partitionIndex, change.leaderEpoch);
          break;
        case 'removed':
          listener.onResignation(change.partitionIndex, null);
          break;
        default: {
          const unreachable: never = change.kind;
          throw new Error(`unknown leadership change ${String(unreachable)}`);
        }
      }
    }
  }
}
