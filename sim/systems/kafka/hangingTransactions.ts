/**
 * Which transaction holds a partition's last stable offset, for judging a read_committed read
 * that never completes.
 *
 * A hanging transaction (KIP-664) is one a partition keeps open while its coordinator no longer
 * knows it: the partition's last stable offset stays at its first batch, and read_committed
 * consumers wait there for good. Kafka cannot close it by itself; an operator aborts it. The
 * contract allows it only where the coordinator lost the transaction with committed records of its
 * own `__transaction_state` partition (the loss the producer contract allows there). So the
 * excuse names that partition, the producer at the last stable offset, and its transactional id.
 *
 * What it follows (trace events): leaders' transactional appends (which producer wrote each
 * offset), the coordinators' `txn.state` (producer id → transactional id), and read_committed
 * reads (`partition.read`: the last stable offset a fetch was handed below the high watermark).
 * It leaves out transactions that hang without a loss: those stay liveness failures.
 */
import type { TraceRecord } from '../../world.js';

interface StableOffsetHolder {
  readonly lastStableOffset: number;
  readonly producerId: number;
  readonly transactionalId: string;
}

export class HangingTransactions {
  /** Per partition key, offset → the producer id of the transactional batch a leader appended there. */
  private readonly transactionalProducers = new Map<string, Map<number, number>>();
  private readonly transactionalIds = new Map<number, string>();
  /** Per partition key, the last stable offset of the latest read_committed read that stopped below the high watermark; deleted once a read reaches it. */
  private readonly heldAt = new Map<string, number>();

  observe(record: TraceRecord): void {
    const event = record.event;
    const key = `${String(event['topic'])}-${String(event['partition'])}`;
    switch (event.type) {
      case 'partition.append':
        if (event['role'] !== 'leader' || event['transactional'] !== true) return;
        return this.onTransactionalAppend(key, event['baseOffset'] as number, event['lastOffset'] as number, event['producerId'] as number);
      case 'txn.state':
        this.transactionalIds.set(event['producerId'] as number, String(event['transactionalId']));
        return;
      case 'partition.read':
        if (event['isolationLevel'] !== 'read_committed') return;
        if ((event['lastStableOffset'] as number) < (event['highWatermark'] as number)) this.heldAt.set(key, event['lastStableOffset'] as number);
        else this.heldAt.delete(key);
        return;
      default:
        return;
    }
  }

  private onTransactionalAppend(key: string, baseOffset: number, lastOffset: number, producerId: number): void {
    let producers = this.transactionalProducers.get(key);
    if (producers === undefined) this.transactionalProducers.set(key, (producers = new Map()));
    for (let offset = baseOffset; offset <= lastOffset; offset++) producers.set(offset, producerId);
  }

  /** The transaction at the partition's last stable offset, as the latest read_committed read left it, if a transactional batch is known there. */
  holderOf(partition: string): StableOffsetHolder | null {
    const lastStableOffset = this.heldAt.get(partition);
    if (lastStableOffset === undefined) return null;
    const producerId = this.transactionalProducers.get(partition)?.get(lastStableOffset);
    if (producerId === undefined) return null;
    const transactionalId = this.transactionalIds.get(producerId);
    return transactionalId === undefined ? null : { lastStableOffset, producerId, transactionalId };
  }

  /**
   * Why the partition's read_committed read may never complete, or null: its last stable offset is
   * held by a transaction whose own `__transaction_state` partition lost committed records
   * (`stateLossesOf` lists them for a transactional id; none, no excuse).
   */
  excuse(partition: string, stateLossesOf: (transactionalId: string) => readonly string[]): string | null {
    const holder = this.holderOf(partition);
    if (holder === null) return null;
    const losses = stateLossesOf(holder.transactionalId);
    if (losses.length === 0) return null;
    return (
      `${partition}'s last stable offset stays at ${holder.lastStableOffset}, held by producer ${holder.producerId} (${holder.transactionalId}), whose __transaction_state partition lost ` +
      `committed coordinator records (${losses.join('; ')}): the coordinator that loaded the older state never writes that transaction's markers, as in Kafka, where an operator must abort it (KIP-664)`
    );
  }
}
