/**
 * Narration of transactions for `ksim run --narrate`: a transaction's life from its producer's
 * beginTransaction to the markers in its partitions — the partitions the coordinator adds, its
 * decision (PrepareCommit or PrepareAbort), the markers each partition leader appends, the
 * completion — and the moves of each partition's last stable offset that read_committed readers
 * are handed. Fencing is told where it happens: a coordinator that aborts a transaction past
 * transaction.timeout.ms, a producer told it is fenced, a marker a partition refuses.
 *
 * Left out: every transactional produce and every read_committed fetch (the checker judges them);
 * the last stable offset is told only when it moves.
 */
import type { NodeId } from '../../../src/host.js';
import type { Narration } from '../system.js';

type Event = { type: string; [field: string]: unknown };

export class TransactionNarration {
  /** transactional id → the partitions already told for its ongoing transaction. */
  private readonly partitionsTold = new Map<string, ReadonlySet<string>>();
  /** partition → the last stable offset last told. */
  private readonly lastStableOffsets = new Map<string, number>();

  narrate(node: NodeId, event: Event): Narration | null {
    const text = (value: unknown) => String(value);
    switch (event.type) {
      case 'workload.txn-begin':
        return { tone: 'info', text: `${node} begins transaction ${text(event['txn'])} as ${text(event['transactionalId'])}` };
      case 'workload.txn-end':
        return this.onProducerEnd(node, event);
      case 'txn.state':
        return this.onCoordinatorState(node, event);
      case 'txn.timed-out':
        return {
          tone: 'fault',
          text: `${node} aborts ${text(event['transactionalId'])}'s transaction: open longer than transaction.timeout.ms (${text(event['timeoutMs'])} ms); the epoch bump fences producer epoch ${text(event['producerEpoch'])}`,
        };
      case 'txn.markers':
        return { tone: 'progress', text: `${node} writes ${text(event['result'])} markers for ${text(event['transactionalId'])} into ${list(event['partitions'])}` };
      case 'txn.markers-fenced':
        return { tone: 'fault', text: `${node}'s marker for ${text(event['transactionalId'])} is refused by ${text(event['partition'])} (${text(event['errorCode'])})` };
      case 'partition.append':
        if (event['role'] !== 'leader' || event['control'] !== true) return null;
        return {
          tone: 'progress',
          text: `${node} appends a ${text(event['marker'])} marker to ${text(event['topic'])}-${text(event['partition'])} at offset ${text(event['baseOffset'])} for producer ${text(event['producerId'])} epoch ${text(event['producerEpoch'])}`,
        };
      case 'partition.read':
        return this.onReadCommitted(node, event);
      default:
        return null;
    }
  }

  private onProducerEnd(node: NodeId, event: Event): Narration | null {
    const txn = String(event['txn']);
    switch (event['outcome']) {
      case 'committed':
        return { tone: 'info', text: `${node}'s commitTransaction of ${txn} returns: committed` };
      case 'aborted':
        return { tone: 'info', text: `${node}'s abortTransaction of ${txn} returns: aborted` };
      case 'fenced':
        return { tone: 'fault', text: `${node} is FENCED in ${txn}: a newer epoch of its transactional id exists, so it closes the producer and starts a new one` };
      default:
        return null;
    }
  }

  private onCoordinatorState(node: NodeId, event: Event): Narration | null {
    const transactionalId = String(event['transactionalId']);
    const epoch = `producer ${String(event['producerId'])} epoch ${String(event['producerEpoch'])}`;
    if (event['loaded'] === true) {
      return { tone: 'recovery', text: `${node} loads ${transactionalId} in state ${String(event['state'])} (${epoch}) as its new transaction coordinator` };
    }
    switch (event['state']) {
      case 'Ongoing': {
        const told = this.partitionsTold.get(transactionalId) ?? new Set<string>();
        const partitions = names(event['partitions']);
        const added = partitions.filter((partition) => !told.has(partition));
        this.partitionsTold.set(transactionalId, new Set(partitions));
        if (added.length === 0) return null;
        return { tone: 'info', text: `${node} adds ${added.join(', ')} to ${transactionalId}'s transaction (${epoch})` };
      }
      case 'PrepareCommit':
      case 'PrepareAbort':
        this.partitionsTold.delete(transactionalId);
        return { tone: 'leader', text: `${node} records ${String(event['state'])} for ${transactionalId} (${epoch}): the decision is durable, markers follow` };
      case 'CompleteCommit':
      case 'CompleteAbort':
        return { tone: 'progress', text: `${node} completes ${transactionalId}'s transaction (${String(event['state'])}): every partition has its marker` };
      default:
        return null;
    }
  }

  /** A read_committed answer: told when the partition's last stable offset moved. */
  private onReadCommitted(node: NodeId, event: Event): Narration | null {
    if (event['isolationLevel'] !== 'read_committed') return null;
    const partition = `${String(event['topic'])}-${String(event['partition'])}`;
    const lastStableOffset = event['lastStableOffset'] as number;
    if (this.lastStableOffsets.get(partition) === lastStableOffset) return null;
    this.lastStableOffsets.set(partition, lastStableOffset);
    const highWatermark = event['highWatermark'] as number;
    const held = lastStableOffset < highWatermark ? `, below the high watermark ${highWatermark}: a transaction is still open there` : ', at the high watermark';
    return { tone: 'progress', text: `${node} hands read_committed readers ${partition}'s last stable offset ${lastStableOffset}${held}` };
  }
}

function list(value: unknown): string {
  const partitions = names(value);
  return partitions.length === 0 ? 'no partition' : partitions.join(', ');
}

/** Partitions as `topic-partition`, whether traced as objects or as names already. */
function names(value: unknown): string[] {
  if (!Array.isArray(value)) return [];
  return value.map((entry) => (typeof entry === 'object' && entry !== null ? `${String((entry as Record<string, unknown>)['topic'])}-${String((entry as Record<string, unknown>)['partition'])}` : String(entry)));
}
