/**
 * Truncations a power loss can take back. Kafka does not fsync a truncation (FileRecords.truncateTo
 * cuts the file; only the recovery-point checkpoint is written), so a replica that truncated,
 * fetched other records at the same offsets and then lost power can come back holding what it had
 * truncated: the page cache lost the cut and the new records, the disk still has the old ones, and
 * recovery from the recovery point finds them valid (kafka-eos-pipeline-swarm seed 278: b2 truncated
 * __transaction_state-4 to 146, fetched epoch 1's record there, led, lost power and came back with
 * its epoch-0 record at 146 and an epoch cache of epoch 0 alone).
 *
 * The recovered log's records are not traced, its leader-epoch cache is (`partition.epochs` right
 * after `partition.recovered`), and a recovered cache is rebuilt from the batches recovered: an
 * offset whose epoch there differs from the epoch of the record the model holds shows the replica
 * holds another record. This keeps what each replica truncated away, per offset, so that record
 * can be named: the newest one the replica gave up at that offset under the cache's epoch, or none
 * (then the model forgets what it held there).
 *
 * Left out: records truncated in an earlier incarnation than the last one that recovered with them
 * gone for good (their offsets at or above the log end): those are lost, not reverted.
 */
import type { NodeId } from '../../../src/host.js';
import type { RecordModel, ReplicaModel } from './model.js';

export class RevertedTruncations {
  /** `partition|replica` → offset → the records truncated away there, oldest first. */
  private readonly truncated = new Map<string, Map<number, RecordModel[]>>();

  /** Before the replica truncates at `offset`: keeps what it gives up. */
  onTruncate(partition: string, node: NodeId, replica: ReplicaModel, offset: number): void {
    const key = `${partition}|${node}`;
    const byOffset = this.truncated.get(key) ?? new Map<number, RecordModel[]>();
    for (let held = offset; held < replica.logEndOffset; held++) {
      const entry = replica.entries.get(held);
      if (entry !== undefined) byOffset.set(held, [...(byOffset.get(held) ?? []), entry]);
    }
    this.truncated.set(key, byOffset);
  }

  /**
   * The offsets below the recovered log end where the replica's recovered epoch cache names another
   * epoch than the record the model holds, each with the record the replica gave up there under
   * that epoch (newest first), or null when it gave up none.
   */
  reverted(partition: string, node: NodeId, replica: ReplicaModel, epochEntries: ReadonlyArray<readonly [number, number]>): Array<{ offset: number; record: RecordModel | null }> {
    const changes: Array<{ offset: number; record: RecordModel | null }> = [];
    const byOffset = this.truncated.get(`${partition}|${node}`);
    for (const [offset, held] of replica.entries) {
      const epoch = epochAt(epochEntries, offset);
      if (epoch === null || epoch === held.epoch) continue;
      const before = [...(byOffset?.get(offset) ?? [])].reverse().find((record) => record.epoch === epoch);
      changes.push({ offset, record: before ?? null });
    }
    return changes.sort((a, b) => a.offset - b.offset);
  }
}

/** The epoch a leader-epoch cache assigns to `offset`: the last entry starting at or below it, or null. */
function epochAt(entries: ReadonlyArray<readonly [number, number]>, offset: number): number | null {
  let epoch: number | null = null;
  for (const [entryEpoch, startOffset] of entries) if (startOffset <= offset) epoch = entryEpoch;
  return epoch;
}
