/**
 * Narration of a Kafka run for `ksim run --narrate`: one sentence per leadership change, follower
 * switch, ISR proposal, truncation, fencing, registration and recovery, so a learner can follow a
 * lesson from the trace alone. The metadata quorum's own election is told in brief (who is the
 * active controller); `raft-*` scenarios tell it in full. Consumer groups (rebalances, owners,
 * fencing) are told by groupNarration.ts, transactions (begin, partitions added, decision, markers,
 * last stable offset, fencing) by transactionNarration.ts. High-watermark moves are told for leaders
 * only, at most once a second per partition unless something else happened in between.
 */
import type { NodeId } from '../../../src/host.js';
import type { Narration, Narrator } from '../system.js';
import { GroupNarration } from './groupNarration.js';
import { TransactionNarration } from './transactionNarration.js';

const HIGH_WATERMARK_QUIET_MS = 1_000;

type Event = { type: string; [field: string]: unknown };

export class KafkaNarrator implements Narrator {
  private readonly lastHighWatermarkLineMs = new Map<string, number>();
  private readonly lastIsr = new Map<string, string>();
  /** The last metadata offset told, per broker or partition. */
  private readonly metadataOffsets = new Map<string, number>();
  private readonly brokerEpochs = new Map<string, number>();
  private somethingElseSinceHighWatermark = true;
  /** Consumer groups are told by groupNarration.ts. */
  private readonly groups = new GroupNarration();
  /** Transactions are told by transactionNarration.ts. */
  private readonly transactions = new TransactionNarration();

  onTrace(atMs: number, node: NodeId, event: Event): Narration | null {
    const narration = this.narrate(atMs, node, event);
    if (narration !== null && event.type !== 'partition.hw') this.somethingElseSinceHighWatermark = true;
    return narration;
  }

  private narrate(atMs: number, node: NodeId, event: Event): Narration | null {
    const partition = `${String(event['topic'])}-${String(event['partition'])}`;
    const text = (value: unknown) => String(value);
    const list = (value: unknown) => (Array.isArray(value) && value.length > 0 ? value.join(',') : 'nobody');
    switch (event.type) {
      case 'partition.leader':
        return {
          tone: 'leader',
          text:
            `${node} LEADS ${partition} in leader epoch ${text(event['leaderEpoch'])} (ISR ${list(event['isr'])}); ` +
            `its epoch starts at offset ${text(event['leaderEpochStartOffset'])}, its high watermark is ${text(event['highWatermark'])}`,
        };
      case 'partition.follower':
        return { tone: 'info', text: `${node} follows ${text(event['leader'] ?? 'no leader')} for ${partition} in leader epoch ${text(event['leaderEpoch'])}` };
      case 'partition.isr-proposed':
        return { tone: 'election', text: `${node} asks the controller to make ${partition}'s ISR ${list(event['isr'])} (${text(event['reason'])})` };
      case 'partition.isr-rejected':
        return { tone: 'election', text: `the controller refuses ${node}'s ISR change for ${partition} (${text(event['errorCode'])}): ${node} drops it` };
      case 'partition.isr-unresolved': {
        const next = event['next'] === 'retry' ? 'it sends the change again' : 'the metadata log will say whether it committed';
        return { tone: 'election', text: `${node}'s ISR change for ${partition} stays pending after ${text(event['errorCode'])}: ${next}` };
      }
      case 'partition.truncate':
        return { tone: 'recovery', text: `${node} truncates ${partition} at offset ${text(event['offset'])} (${text(event['reason'])})` };
      case 'partition.recovered':
        return {
          tone: 'recovery',
          text: `${node} recovers ${partition} from its disk: log [${text(event['logStartOffset'])}, ${text(event['logEndOffset'])})` +
            (event['truncatedBytes'] !== 0 ? `, a torn tail of ${text(event['truncatedBytes'])} bytes cut off` : ''),
        };
      case 'partition.hw':
        return this.onHighWatermark(atMs, node, partition, event);
      case 'metadata.partition':
        return this.onPartitionRecord(partition, event);
      case 'metadata.broker': {
        if (!this.newMetadata(`broker ${text(event['brokerId'])}`, event)) return null;
        const broker = text(event['brokerId']);
        const brokerEpoch = event['brokerEpoch'] as number;
        const previousEpoch = this.brokerEpochs.get(broker);
        this.brokerEpochs.set(broker, brokerEpoch);
        if (previousEpoch !== brokerEpoch) {
          return previousEpoch === undefined
            ? { tone: 'info', text: `${broker} registers (broker epoch ${brokerEpoch}), fenced until it catches up with the metadata log` }
            : { tone: 'fault', text: `${broker} registers again (broker epoch ${brokerEpoch}): if it restarted, its old self leaves every ISR (the same process registering again keeps its place); fenced until it catches up` };
        }
        if (event['inControlledShutdown'] === true) return { tone: 'info', text: `the controller moves ${broker}'s leaderships away: it is shutting down` };
        return event['fenced'] === true
          ? { tone: 'fault', text: `the controller FENCES ${broker}: no heartbeat for broker.session.timeout.ms, so it leaves every ISR and may lead nothing` }
          : { tone: 'info', text: `the controller unfences ${broker}: it has caught up with the metadata log` };
      }
      case 'controller.active':
        return { tone: 'leader', text: `${node} is the active controller` };
      case 'process.halt':
        return { tone: 'fault', text: `${node} halts: ${text(event['reason'])}` };
      default:
        return this.transactions.narrate(node, event) ?? this.groups.narrate(node, event);
    }
  }

  /** Controllers trace each committed record; after a failover the same offset may come twice. */
  private newMetadata(subject: string, event: Event): boolean {
    const offset = event['offset'] as number;
    if (offset <= (this.metadataOffsets.get(subject) ?? -1)) return false;
    this.metadataOffsets.set(subject, offset);
    return true;
  }

  private onPartitionRecord(partition: string, event: Event): Narration | null {
    if (!this.newMetadata(partition, event)) return null;
    const isr = Array.isArray(event['isr']) ? (event['isr'] as string[]).join(',') : '';
    const elr = Array.isArray(event['eligibleLeaderReplicas']) ? (event['eligibleLeaderReplicas'] as string[]) : [];
    const key = `${String(event['leader'])}/${isr}/${elr.join(',')}`;
    if (this.lastIsr.get(partition) === key) return null;
    this.lastIsr.set(partition, key);
    const leader = event['leader'] === null ? 'NO LEADER' : `leader ${String(event['leader'])}`;
    const recovering = event['leaderRecoveryState'] === 'RECOVERING' ? ', elected uncleanly (recovering)' : '';
    return {
      tone: event['leader'] === null ? 'fault' : 'election',
      text: `metadata: ${partition} has ${leader}, ISR ${isr === '' ? 'empty' : isr}` +
        (elr.length > 0 ? `, eligible leader replicas ${elr.join(',')}` : '') +
        `${recovering} (leader epoch ${String(event['leaderEpoch'])})`,
    };
  }

  private onHighWatermark(atMs: number, node: NodeId, partition: string, event: Event): Narration | null {
    if (event['role'] !== 'leader') return null;
    const last = this.lastHighWatermarkLineMs.get(partition) ?? -Infinity;
    if (!this.somethingElseSinceHighWatermark && atMs - last < HIGH_WATERMARK_QUIET_MS) return null;
    this.lastHighWatermarkLineMs.set(partition, atMs);
    this.somethingElseSinceHighWatermark = false;
    return {
      tone: 'progress',
      text: `high watermark of ${partition} on leader ${node}: ${String(event['highWatermark'])} — every offset below it is on every ISR member, committed`,
    };
  }
}
