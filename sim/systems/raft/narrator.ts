/**
 * Narration of a KRaft run for `ksim run --narrate`: one sentence per election step, epoch change,
 * leadership change, truncation, restart, and high-watermark move, so a learner can follow an
 * election from the trace alone. High-watermark moves are narrated for the leader only, and at
 * most once a second unless something else happened in between, or they would drown the rest.
 */
import type { NodeId } from '../../../src/host.js';
import type { Narration, Narrator } from '../system.js';

const HIGH_WATERMARK_QUIET_MS = 1_000;

export class RaftNarrator implements Narrator {
  private readonly roles = new Map<NodeId, { role: string; epoch: number }>();
  private lastHighWatermarkLineMs = -Infinity;
  private somethingElseSinceHighWatermark = true;

  onTrace(atMs: number, node: NodeId, event: { type: string; [field: string]: unknown }): Narration | null {
    const narration = this.narrate(atMs, node, event);
    if (narration !== null && event.type !== 'raft.hw') this.somethingElseSinceHighWatermark = true;
    return narration;
  }

  private narrate(atMs: number, node: NodeId, event: { type: string; [field: string]: unknown }): Narration | null {
    const epoch = event['epoch'] as number;
    switch (event.type) {
      case 'raft.state':
        return this.onState(node, String(event['role']), epoch, (event['leaderId'] ?? null) as NodeId | null);
      case 'raft.vote': {
        const kind = event['preVote'] === true ? 'pre-vote' : 'vote';
        const verb = event['granted'] === true ? 'grants' : 'refuses';
        return { tone: 'election', text: `${node} ${verb} ${String(event['candidateId'])} its ${kind} (epoch ${epoch})` };
      }
      case 'raft.hw': {
        if (this.roles.get(node)?.role !== 'leader') return null;
        if (!this.somethingElseSinceHighWatermark && atMs - this.lastHighWatermarkLineMs < HIGH_WATERMARK_QUIET_MS) return null;
        this.lastHighWatermarkLineMs = atMs;
        this.somethingElseSinceHighWatermark = false;
        return { tone: 'progress', text: `high watermark ${String(event['highWatermark'])} on leader ${node}: every offset below it is on a majority, durably` };
      }
      case 'raft.checkQuorumFailed':
        return { tone: 'leader', text: `${node} heard no fetches from a majority for 1.5 × fetch timeout and resigns (check quorum, KAFKA-15489)` };
      case 'raft.truncate':
        return { tone: 'recovery', text: `${node} truncates its log at offset ${String(event['offset'])}: those entries diverged from the leader's (KIP-595)` };
      case 'raft.recovered':
        return {
          tone: 'recovery',
          text: `${node} starts from its disk: log [${String(event['logStartOffset'])}, ${String(event['logEndOffset'])}), epoch ${epoch}`,
        };
      case 'raft.snapshot':
        return { tone: 'info', text: `${node} has a snapshot up to offset ${String(event['endOffset'])}; the log below it can go` };
      case 'process.halt':
        return { tone: 'fault', text: `${node} halts: ${String(event['reason'])}` };
      default:
        return null;
    }
  }

  private onState(node: NodeId, role: string, epoch: number, leaderId: NodeId | null): Narration | null {
    const previous = this.roles.get(node);
    this.roles.set(node, { role, epoch });
    if (previous !== undefined && previous.role === role && previous.epoch === epoch) return null;
    switch (role) {
      case 'prospective':
        return { tone: 'election', text: `${node}'s election timeout fired: it asks for pre-votes before raising epoch ${epoch} (KIP-996)` };
      case 'candidate':
        return { tone: 'election', text: `${node} won the pre-vote: candidate for epoch ${epoch}, it votes for itself and asks the others` };
      case 'leader':
        return { tone: 'leader', text: `${node} is LEADER of epoch ${epoch}` };
      case 'follower':
        return { tone: 'info', text: `${node} follows ${leaderId ?? '?'} in epoch ${epoch}` };
      case 'resigned':
        return { tone: 'leader', text: `${node} resigns as leader of epoch ${epoch}` };
      case 'unattached':
        if (previous === undefined) return { tone: 'info', text: `${node} is up in epoch ${epoch}, no leader known yet` };
        if (previous.epoch === epoch) return null;
        return { tone: 'info', text: `${node} moves to epoch ${epoch}, no leader known yet` };
      default:
        return { tone: 'info', text: `${node} is ${role} in epoch ${epoch}` };
    }
  }
}
