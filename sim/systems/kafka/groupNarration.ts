/**
 * Narration of consumer groups for `ksim run --narrate`: who joined, which generation (classic) or
 * target assignment (KIP-848) the coordinator made, who owns what and why it moved — sessions that
 * ran out, members that left or were fenced, coordinators that took over a `__consumer_offsets`
 * partition — and where a member's position was reset. Member ids are random strings, so members
 * are named by their node once the node has traced its member id.
 *
 * Left out: every heartbeat, fetch and commit (the checker counts them; a line each would drown
 * the story).
 */
import type { NodeId } from '../../../src/host.js';
import type { Narration } from '../system.js';

type Event = { type: string; [field: string]: unknown };

export class GroupNarration {
  /** member id → the node that traced it. */
  private readonly nodeOfMember = new Map<string, NodeId>();
  /** node → its latest member id: an older one is a crashed or fenced self the coordinator still has. */
  private readonly latestMemberOfNode = new Map<NodeId, string>();

  narrate(node: NodeId, event: Event): Narration | null {
    const text = (value: unknown) => String(value);
    switch (event.type) {
      case 'consumer.joined':
        this.learn(node, text(event['memberId']));
        return { tone: 'info', text: `${node} joins ${text(event['groupId'])} in generation ${text(event['generationId'])}${event['leader'] === true ? ' as its leader: it runs the assignor' : ''}` };
      case 'consumer.join':
      case 'consumer.member-state':
        if (event['memberId'] !== '') this.learn(node, text(event['memberId']));
        return null;
      case 'group.generation':
        return { tone: 'election', text: `${node} starts generation ${text(event['generationId'])} of ${text(event['groupId'])} with ${this.members(event['members'])}` };
      case 'group.assignment':
        return { tone: 'leader', text: `${node} hands out generation ${text(event['generationId'])} of ${text(event['groupId'])}: ${this.owners(event['assignment'])}` };
      case 'group.target-assignment':
        return { tone: 'leader', text: `${node} computes the target assignment of ${text(event['groupId'])}, epoch ${text(event['assignmentEpoch'])}: ${this.owners(event['members'])}` };
      case 'group.member-expired':
        return { tone: 'fault', text: `${node} removes ${this.member(event['memberId'])} from ${text(event['groupId'])}: no heartbeat within session.timeout.ms; the group rebalances` };
      case 'group.member-left':
        return { tone: 'info', text: `${this.member(event['memberId'])} leaves ${text(event['groupId'])} (LeaveGroup); the group rebalances` };
      case 'group.member-fenced':
        return { tone: 'fault', text: `${node} fences ${this.member(event['memberId'])} from ${text(event['groupId'])} (${text(event['reason'])}); its partitions can move` };
      case 'consumer.fenced':
        return { tone: 'fault', text: `${node} learns it is no longer a member (${text(event['error'])}): it gives its partitions up as lost and rejoins` };
      case 'consumer.assigned':
        return { tone: 'progress', text: `${node} owns ${list(event['partitions'])} in ${text(event['groupId'])}, generation or epoch ${text(event['generationId'])}` };
      case 'rebalance.revoked':
        return { tone: 'info', text: `${node} gives up ${list(event['partitions'])} (revoked), after committing what it processed` };
      case 'group.loaded':
        return { tone: 'recovery', text: `${node} now coordinates the groups of __consumer_offsets-${text(event['partition'])} (coordinator epoch ${text(event['coordinatorEpoch'])}), loaded from ${text(event['records'])} records` };
      case 'consumer.offset-reset':
        return { tone: 'recovery', text: `${node} moves its position on ${text(event['partition'])} to ${text(event['to'])} (${text(event['reason'])})` };
      default:
        return null;
    }
  }

  private learn(node: NodeId, memberId: string): void {
    this.nodeOfMember.set(memberId, node);
    this.latestMemberOfNode.set(node, memberId);
  }

  private member(memberId: unknown): string {
    const id = String(memberId);
    const node = this.nodeOfMember.get(id);
    if (node === undefined) return `member ${id}`;
    return this.latestMemberOfNode.get(node) === id ? node : `${node}'s earlier member`;
  }

  private members(value: unknown): string {
    if (!Array.isArray(value) || value.length === 0) return 'no members';
    return value.map((entry: { memberId?: string }) => this.member(entry.memberId ?? entry)).join(', ');
  }

  /** `memberId → [{topic, partitions}]` as "g1c1: events-0,events-3; g1c2: …". */
  private owners(value: unknown): string {
    const entries = Object.entries((value ?? {}) as Record<string, Array<{ topic: string; partitions: number[] }>>);
    if (entries.length === 0) return 'nobody';
    return entries.map(([memberId, assigned]) => `${this.member(memberId)}: ${list(assigned.flatMap((entry) => entry.partitions.map((partition) => `${entry.topic}-${partition}`)))}`).join('; ');
  }
}

function list(value: unknown): string {
  return Array.isArray(value) && value.length > 0 ? value.join(',') : 'nothing';
}
