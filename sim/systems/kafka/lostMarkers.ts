/**
 * Which transaction marker closed a transactional record's transaction on its partition: what the
 * checker needs to excuse, record by record, a never-committed record that became visible because
 * the marker that hid it was lost as the producer contract allows.
 *
 * The shape (kafka-eos-pipeline-swarm seed 602): a transaction's records sit at events-2@10 and
 * @12, its ABORT marker at @15. The last replica standing in the ISR loses @12 and everything after
 * it (a flipped bit; allowed by the loss rule last-replica-standing) and leads again. Rebuilding
 * its producer state from the log, it finds the producer's transaction open from offset 10, as
 * Kafka's ProducerStateManager would. The producer's next transaction, at a newer epoch, continues
 * it (ProducerAppendInfo keeps the current transaction's first offset across an epoch bump), and
 * its COMMIT marker makes the aborted record at @10 visible. Nothing broke a promise after the
 * loss: the record is visible because the committed marker that hid it is gone.
 *
 * Invariants: the closing marker of a record is the first marker a leader appended for the
 * record's producer id on its partition after the record, at a higher offset; only leaders'
 * appends count (a follower copies what a leader wrote).
 *
 * Left out: the marker's type. An ABORT or a COMMIT lost is judged alike: either way the record's
 * fate was decided by a record that is gone.
 */

interface TransactionalRecord {
  readonly value: string | null;
  readonly producerId: number;
  readonly sequence: number;
}

interface WrittenMarker {
  readonly offset: number;
  readonly marker: string;
  readonly sequence: number;
}

export interface ClosingMarker {
  readonly partition: string;
  readonly offset: number;
  readonly marker: string;
  readonly producerId: number;
}

export class LostMarkers {
  /** Trace order, to tell which of two appends in one millisecond came first. */
  private sequence = 0;
  /** `partition@offset` → the last transactional record a leader appended there. */
  private readonly records = new Map<string, TransactionalRecord>();
  /** `partition|producerId` → the markers leaders appended for that producer, in trace order. */
  private readonly markers = new Map<string, WrittenMarker[]>();

  /** A leader's append of transactional data or of a marker (`partition.append` with role leader). */
  observeAppend(event: Readonly<Record<string, unknown>>): void {
    if (event['role'] !== 'leader' || typeof event['producerId'] !== 'number') return;
    const partition = `${String(event['topic'])}-${String(event['partition'])}`;
    const producerId = event['producerId'];
    const baseOffset = event['baseOffset'] as number;
    const sequence = this.sequence++;
    if (event['control'] === true) {
      const key = `${partition}|${producerId}`;
      const written = this.markers.get(key) ?? [];
      written.push({ offset: baseOffset, marker: String(event['marker']), sequence });
      this.markers.set(key, written);
      return;
    }
    if (event['transactional'] !== true) return;
    (event['values'] as ReadonlyArray<string | null>).forEach((value, i) => this.records.set(`${partition}@${baseOffset + i}`, { value, producerId, sequence }));
  }

  /** The marker that first closed the transaction of the record `value` at `partition@offset`, or null. */
  closingMarker(partition: string, offset: number, value: string): ClosingMarker | null {
    const record = this.records.get(`${partition}@${offset}`);
    if (record === undefined || record.value !== value) return null;
    const marker = (this.markers.get(`${partition}|${record.producerId}`) ?? []).find((written) => written.sequence > record.sequence && written.offset > offset);
    return marker === undefined ? null : { partition, offset: marker.offset, marker: marker.marker, producerId: record.producerId };
  }

  /**
   * Why the record `value` at `partition@offset` may be visible though its transaction was never
   * committed, or null: the marker that closed its transaction there was lost, and `lossAllowedAt`
   * says the loss rules allowed that loss.
   */
  excuse(partition: string, offset: number, value: string, lossAllowedAt: (partition: string, offset: number) => boolean): string | null {
    const marker = this.closingMarker(partition, offset, value);
    if (marker === null || !lossAllowedAt(partition, marker.offset)) return null;
    return (
      `the ${marker.marker} marker at ${partition}@${marker.offset} that closed the transaction of ${JSON.stringify(value)} (producer ${marker.producerId}) was lost as the producer contract allows: ` +
      `the partition then held that transaction open from ${offset}, and a later transaction of the producer continued it (Kafka's producer state keeps it open across an epoch bump)`
    );
  }
}
