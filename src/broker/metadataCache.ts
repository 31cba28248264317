/**
 * KRaftMetadataCache: the broker's read-only view of the cluster, the newest metadata image it has
 * replayed from the metadata log. Every part that asks "does this topic exist", "is that broker
 * eligible", "what are this topic's configs" asks here; the Metadata API is answered from it.
 *
 * The image is replaced whole, never edited (MetadataImage is immutable), so a reader holding an
 * image sees one consistent cluster.
 *
 * Left out: listener names and endpoints (a broker is its node id), racks in Metadata responses,
 * and topic ids in Metadata requests (responses carry them, for ConsumerGroupHeartbeat).
 */
import type { NodeId } from '../host.js';
import { emptyImage, liveBrokers, partitionsReplicatedOn } from '../metadata/image.js';
import type { MetadataImage, PartitionRegistration } from '../metadata/types.js';
import { type MetadataRequest, type MetadataResponse, ZERO_TOPIC_ID } from '../protocol/apis.js';

export class KRaftMetadataCache {
  private image: MetadataImage = emptyImage();

  get currentImage(): MetadataImage {
    return this.image;
  }

  setImage(image: MetadataImage): void {
    this.image = image;
  }

  /** The offset of the last metadata entry replayed into the image (-1 before the first). */
  get currentMetadataOffset(): number {
    return this.image.offset;
  }

  contains(topic: string): boolean {
    return this.image.topics.has(topic);
  }

  /** The topic's own config overrides (ConfigRecords), without any broker default. */
  topicConfigOverrides(topic: string): Readonly<Record<string, string>> {
    return this.image.topics.get(topic)?.configs ?? {};
  }

  /** Every partition with a replica on `brokerId`, in topic then partition order. */
  partitionsReplicatedOn(brokerId: NodeId): PartitionRegistration[] {
    return partitionsReplicatedOn(this.image, brokerId);
  }

  /**
   * KIP-903: may this replica, fetching with this broker epoch, join an ISR? It must be registered
   * with that very epoch, unfenced and not shutting down.
   */
  isReplicaIsrEligible(brokerId: NodeId, brokerEpoch: number): boolean {
    const registration = this.image.brokers.get(brokerId);
    return registration !== undefined && !registration.fenced && !registration.inControlledShutdown && registration.brokerEpoch === brokerEpoch;
  }

  /** The Metadata API: live brokers, and each asked topic's partitions with leader, replicas, ISR. */
  metadataResponse(request: MetadataRequest): MetadataResponse {
    const names = request.topics ?? [...this.image.topics.keys()].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
    return {
      api: 'MetadataResponse',
      correlationId: request.correlationId,
      brokers: liveBrokers(this.image),
      topics: names.map((name) => {
        const topic = this.image.topics.get(name);
        if (topic === undefined) return { name, topicId: ZERO_TOPIC_ID, errorCode: 'UNKNOWN_TOPIC_OR_PARTITION' as const, partitions: [] };
        return {
          name,
          topicId: topic.topicId,
          errorCode: 'NONE' as const,
          partitions: topic.partitions.map((p) => ({
            partitionIndex: p.partitionId,
            errorCode: p.leader === null ? ('LEADER_NOT_AVAILABLE' as const) : ('NONE' as const),
            leaderId: p.leader,
            leaderEpoch: p.leaderEpoch,
            replicaNodes: p.replicas,
            isrNodes: p.isr,
          })),
        };
      }),
    };
  }
}
