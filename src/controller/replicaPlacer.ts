/**
 * Replica placement for new partitions: which brokers hold each partition's replicas, and in what
 * order (the first is the preferred leader).
 *
 * What it models: Kafka's rack-unaware assignment (AdminUtils.assignReplicasToBrokersRackUnaware,
 * which StripedReplicaPlacer generalizes to racks): partition p's first replica is broker
 * (start + p) mod n, and its followers follow at a shift that grows each time the partitions wrap
 * around the broker list, so that leaders and followers both spread evenly. `start` and the first
 * shift come from the node's seeded random stream, as Kafka draws them at random.
 *
 * Invariants: a partition never has two replicas on one broker; replication factor ≤ the number
 * of usable brokers (the caller answers INVALID_REPLICATION_FACTOR otherwise).
 *
 * Left out: racks (StripedReplicaPlacer's rack striping), and fenced brokers, which are never
 * candidates, exactly as Kafka's placer only uses unfenced brokers.
 */
import type { NodeId, Random } from '../host.js';

export interface PlacementRequest {
  readonly numPartitions: number;
  readonly replicationFactor: number;
  /** The usable brokers (registered, unfenced, not shutting down), in a deterministic order. */
  readonly brokers: readonly NodeId[];
}

export function placeReplicas(request: PlacementRequest, random: Random): NodeId[][] {
  const { numPartitions, replicationFactor, brokers } = request;
  const n = brokers.length;
  if (replicationFactor < 1 || replicationFactor > n) throw new Error(`placeReplicas: replication factor ${replicationFactor} with ${n} brokers`);
  if (numPartitions < 1) throw new Error(`placeReplicas: ${numPartitions} partitions`);
  const start = random.nextInt(0, n);
  let shift = random.nextInt(0, n);
  const assignment: NodeId[][] = [];
  for (let partition = 0; partition < numPartitions; partition++) {
    if (partition > 0 && partition % n === 0) shift += 1;
    const first = (start + partition) % n;
    const replicas = [brokers[first]!];
    for (let j = 0; j < replicationFactor - 1; j++) {
      // Followers sit 1 + ((shift + j) mod (n - 1)) after the first, which never lands on it again.
      replicas.push(brokers[(first + 1 + ((shift + j) % (n - 1))) % n]!);
    }
    if (new Set(replicas).size !== replicas.length) throw new Error(`placeReplicas: duplicate replica in ${replicas.join(',')}`);
    assignment.push(replicas);
  }
  return assignment;
}
