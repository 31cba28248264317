/**
 * The cluster metadata as KRaft records (KIP-631), and the image that replaying them builds.
 * Controllers write these records to the metadata log; every controller and broker replays the
 * committed ones, in order, into a MetadataImage. Record and field names are Kafka's
 * (RegisterBrokerRecord, PartitionChangeRecord, ...); ksim keeps only the fields that matter here.
 *
 * Invariants of an image: a partition's leader is in its ISR (or null); its ISR ⊆ replicas; its
 * leaderEpoch and partitionEpoch never go down; a fenced broker leads nothing once the controller
 * has reacted.
 */
import type { NodeId } from '../host.js';

/** Kafka's "no leader" sentinel in PartitionRecord.leader is -1; ksim uses null. */
export type LeaderId = NodeId | null;

export type MetadataRecord =
  | { readonly type: 'RegisterBrokerRecord'; readonly brokerId: NodeId; readonly brokerEpoch: number; readonly incarnationId: string; readonly fenced: boolean; readonly rack: string | null }
  | { readonly type: 'BrokerRegistrationChangeRecord'; readonly brokerId: NodeId; readonly brokerEpoch: number; readonly fenced: boolean; readonly inControlledShutdown: boolean }
  | { readonly type: 'UnregisterBrokerRecord'; readonly brokerId: NodeId; readonly brokerEpoch: number }
  | { readonly type: 'TopicRecord'; readonly name: string; readonly topicId: string }
  | {
      readonly type: 'PartitionRecord';
      readonly topicId: string;
      readonly partitionId: number;
      readonly replicas: readonly NodeId[];
      readonly isr: readonly NodeId[];
      /** Eligible Leader Replicas (KIP-966), when that switch is on. */
      readonly eligibleLeaderReplicas: readonly NodeId[];
      readonly leader: LeaderId;
      readonly leaderEpoch: number;
      readonly partitionEpoch: number;
    }
  | {
      /** Only the fields that change are set; leaderEpoch and partitionEpoch are derived on replay as in Kafka. */
      readonly type: 'PartitionChangeRecord';
      readonly topicId: string;
      readonly partitionId: number;
      readonly isr?: readonly NodeId[];
      readonly leader?: LeaderId;
      readonly eligibleLeaderReplicas?: readonly NodeId[];
      /** The last leader, kept while the ISR and ELR are both empty (KIP-966's balanced recovery). */
      readonly lastKnownElr?: readonly NodeId[];
      /** Set when the new leader was elected from outside the ISR (unclean), so it must recover. */
      readonly leaderRecoveryState?: 'RECOVERED' | 'RECOVERING';
    }
  | { readonly type: 'ConfigRecord'; readonly resourceType: 'TOPIC' | 'BROKER'; readonly resourceName: string; readonly name: string; readonly value: string | null }
  | { readonly type: 'ProducerIdsRecord'; readonly brokerId: NodeId; readonly brokerEpoch: number; readonly nextProducerId: number };

export interface BrokerRegistration {
  readonly brokerId: NodeId;
  readonly brokerEpoch: number;
  readonly incarnationId: string;
  readonly fenced: boolean;
  readonly inControlledShutdown: boolean;
  readonly rack: string | null;
}

export interface PartitionRegistration {
  readonly topic: string;
  readonly topicId: string;
  readonly partitionId: number;
  readonly replicas: readonly NodeId[];
  readonly isr: readonly NodeId[];
  readonly eligibleLeaderReplicas: readonly NodeId[];
  /**
   * KIP-966: the leader the partition had when its ISR and ELR both emptied; it may be elected
   * again (uncleanly) when it returns, Kafka's "last known leader" in balanced recovery.
   */
  readonly lastKnownElr: readonly NodeId[];
  readonly leader: LeaderId;
  readonly leaderEpoch: number;
  readonly partitionEpoch: number;
  readonly leaderRecoveryState: 'RECOVERED' | 'RECOVERING';
}

export interface TopicImage {
  readonly name: string;
  readonly topicId: string;
  /** Indexed by partition id. */
  readonly partitions: readonly PartitionRegistration[];
  /** Topic-level configs (Kafka's names), over the cluster defaults. */
  readonly configs: Readonly<Record<string, string>>;
}

export interface MetadataImage {
  /** The offset of the last record replayed into this image, or -1. */
  readonly offset: number;
  readonly brokers: ReadonlyMap<NodeId, BrokerRegistration>;
  readonly topics: ReadonlyMap<string, TopicImage>;
  /** The next producer id block's start (ProducerIdsRecord). */
  readonly nextProducerId: number;
}
