/**
 * Plays clients against a group coordinator on real broker parts (groupCoordinatorParts.ts), one
 * command at a time, and renders what happened as text: the answers each client got, then the
 * group's state. The transcript test and the state-machine tests both drive the coordinator
 * through it.
 *
 * Member ids are random (classic) or the client's own (KIP-848); they are shown as m1, m2, ... in
 * order of appearance, so the text does not depend on them. The group is `g`; partitions are those
 * of the data topic `orders`, written as numbers.
 *
 * Commands (clients are named c1, c2, ...):
 *   new-coordinator [isr=b1,b2] [partitions=4] [<group coordinator config>=<value> ...]
 *   lead epoch=E | resign epoch=E | replicate | tick MS
 *   join C [instance=I] [protocols=range,roundrobin] [session=MS] [rebalance=MS] [member=mN]
 *   sync C [assign=c1:0,1/c2:2,3] | heartbeat C | leave C [instance=I] [member=mN] [generation=N]
 *   cgh C [subscribe=orders] [owned=0,1|-] [epoch=N] [instance=I] [assignor=range] [leave|leave-static] [full]
 *   commit C P=OFFSET [P=OFFSET ...] [generation=N] | fetch-offsets [C] [epoch=N]
 */
import type { NodeId, TraceEvent } from '../../src/host.js';
import { ClassicGroup } from '../../src/broker/groupCoordinatorClassicGroup.js';
import type { GroupCoordinatorConfig } from '../../src/broker/groupCoordinatorConfig.js';
import { parseGroupCoordinatorConfig } from '../../src/broker/groupCoordinatorConfig.js';
import { type ConsumerGroup, isReconciledTo } from '../../src/broker/groupCoordinatorConsumerGroup.js';
import type { ConsumerGroupHeartbeatRequest, JoinGroupRequest, KafkaResponse, TopicIdPartitions } from '../../src/protocol/apis.js';
import { CoordinatorParts, DATA_TOPIC, DATA_TOPIC_ID } from './groupCoordinatorParts.js';

export const GROUP = 'g';

interface ClientState {
  memberId: string;
  generationId: number;
  memberEpoch: number;
  /** KIP-848: the partitions the client holds (it applies each assignment it is given at once). */
  owned: number[];
}

export class GroupCoordinatorDriver {
  parts: CoordinatorParts;
  private readonly clients = new Map<NodeId, ClientState>();
  private readonly aliases = new Map<string, string>();

  constructor(isr: NodeId[] = ['b1'], config: Partial<GroupCoordinatorConfig> = {}, partitions = 4) {
    this.parts = new CoordinatorParts('b1', config, partitions);
    this.isr = isr;
  }

  private readonly isr: NodeId[];

  // ---- Commands ----

  run(line: string): string[] {
    const words = line.trim().split(/\s+/);
    const args = new Map(words.filter((word) => word.includes('=')).map((word) => word.split('=', 2) as [string, string]));
    const flags = new Set(words.slice(1).filter((word) => !word.includes('=')));
    const command = words[0]!;
    const client = words[1] ?? '';
    switch (command) {
      case 'lead':
        this.parts.lead(intArg(args, 'epoch'), this.isr);
        return this.events();
      case 'resign':
        this.parts.resign(intArg(args, 'epoch'));
        return this.events();
      case 'replicate':
        this.parts.replicate();
        return this.events();
      case 'tick':
        this.parts.advance(Number(words[1]));
        return this.events();
      case 'join':
        this.join(client, args);
        return this.events();
      case 'sync':
        this.sync(client, args);
        return this.events();
      case 'heartbeat': {
        const state = this.client(client);
        this.parts.coordinator.handleHeartbeat(client, { api: 'Heartbeat', correlationId: 0, groupId: GROUP, generationId: intArg(args, 'generation', state.generationId), memberId: this.memberArg(args, state), groupInstanceId: args.get('instance') ?? null });
        return this.events();
      }
      case 'leave': {
        const state = this.client(client);
        this.parts.coordinator.handleLeaveGroup(client, { api: 'LeaveGroup', correlationId: 0, groupId: GROUP, members: [{ memberId: this.memberArg(args, state), groupInstanceId: args.get('instance') ?? null, reason: null }] });
        return this.events();
      }
      case 'cgh':
        this.consumerGroupHeartbeat(client, args, flags);
        return this.events();
      case 'commit':
        this.commit(client, args);
        return this.events();
      case 'fetch-offsets': {
        const state = client === '' ? null : this.client(client);
        const memberEpoch = args.has('epoch') ? intArg(args, 'epoch') : (state?.memberEpoch ?? -1);
        this.parts.coordinator.handleOffsetFetch(client === '' ? 'admin' : client, {
          api: 'OffsetFetch',
          correlationId: 0,
          groups: [{ groupId: GROUP, memberId: state === null ? null : state.memberId, memberEpoch: state === null ? -1 : memberEpoch, topics: [{ name: DATA_TOPIC, partitionIndexes: this.allPartitions() }] }],
          requireStable: false,
        });
        return this.events();
      }
      default:
        throw new Error(`unknown command: ${command}`);
    }
  }

  private client(name: NodeId): ClientState {
    let state = this.clients.get(name);
    if (state === undefined) {
      state = { memberId: '', generationId: -1, memberEpoch: 0, owned: [] };
      this.clients.set(name, state);
    }
    return state;
  }

  /** The member id a command names (`member=m2`), else the client's own. */
  private memberArg(args: Map<string, string>, state: ClientState): string {
    const alias = args.get('member');
    if (alias === undefined) return state.memberId;
    for (const [memberId, known] of this.aliases) if (known === alias) return memberId;
    throw new Error(`unknown member alias ${alias}`);
  }

  private join(client: NodeId, args: Map<string, string>): void {
    const state = this.client(client);
    const protocols = (args.get('protocols') ?? 'range').split(',');
    const request: JoinGroupRequest = {
      api: 'JoinGroup',
      correlationId: 0,
      groupId: GROUP,
      sessionTimeoutMs: intArg(args, 'session', 10_000),
      rebalanceTimeoutMs: intArg(args, 'rebalance', 30_000),
      memberId: this.memberArg(args, state),
      groupInstanceId: args.get('instance') ?? null,
      protocolType: 'consumer',
      protocols: protocols.map((name) => ({ name, metadata: { topics: [DATA_TOPIC], userData: null, ownedPartitions: [], generationId: state.generationId, rackId: null } })),
      reason: null,
    };
    this.parts.coordinator.handleJoinGroup(client, request);
  }

  private sync(client: NodeId, args: Map<string, string>): void {
    const state = this.client(client);
    const assignments = (args.get('assign') ?? '')
      .split('/')
      .filter((entry) => entry !== '')
      .map((entry) => {
        const [client, partitions] = entry.split(':') as [string, string];
        return { memberId: this.client(client).memberId, assignment: { assignedPartitions: [{ topic: DATA_TOPIC, partitions: partitionList(partitions) }], userData: null } };
      });
    this.parts.coordinator.handleSyncGroup(client, { api: 'SyncGroup', correlationId: 0, groupId: GROUP, generationId: intArg(args, 'generation', state.generationId), memberId: state.memberId, groupInstanceId: args.get('instance') ?? null, protocolType: 'consumer', protocolName: null, assignments });
  }

  private consumerGroupHeartbeat(client: NodeId, args: Map<string, string>, flags: Set<string>): void {
    const state = this.client(client);
    if (state.memberId === '') state.memberId = `${client}-member-id`;
    const joining = state.memberEpoch === 0 && !args.has('epoch');
    const full = joining || flags.has('full');
    const memberEpoch = flags.has('leave') ? -1 : flags.has('leave-static') ? -2 : intArg(args, 'epoch', state.memberEpoch);
    const owned = args.has('owned') ? partitionList(args.get('owned')!) : state.owned;
    const request: ConsumerGroupHeartbeatRequest = {
      api: 'ConsumerGroupHeartbeat',
      correlationId: 0,
      groupId: GROUP,
      memberId: state.memberId,
      memberEpoch,
      instanceId: args.get('instance') ?? null,
      rackId: null,
      rebalanceTimeoutMs: full ? intArg(args, 'rebalance', 300_000) : -1,
      subscribedTopicNames: args.has('subscribe') ? args.get('subscribe')!.split(',').filter((name) => name !== '') : full ? [DATA_TOPIC] : null,
      serverAssignor: args.get('assignor') ?? null,
      topicPartitions: memberEpoch === 0 ? [] : owned.length === 0 ? [] : [{ topicId: DATA_TOPIC_ID, partitions: owned }],
    };
    this.parts.coordinator.handleConsumerGroupHeartbeat(client, request);
  }

  private commit(client: NodeId, args: Map<string, string>): void {
    const state = this.client(client);
    const offsets = [...args].filter(([key]) => /^\d+$/.test(key)).map(([partition, offset]) => ({ partitionIndex: Number(partition), committedOffset: Number(offset), committedLeaderEpoch: -1, committedMetadata: null }));
    const generation = args.has('generation') ? intArg(args, 'generation') : state.generationId >= 0 ? state.generationId : state.memberEpoch;
    this.parts.coordinator.handleOffsetCommit(client, { api: 'OffsetCommit', correlationId: 0, groupId: GROUP, generationIdOrMemberEpoch: generation, memberId: this.memberArg(args, state), groupInstanceId: args.get('instance') ?? null, topics: [{ name: DATA_TOPIC, partitions: offsets }] });
  }

  private allPartitions(): number[] {
    return Array.from({ length: this.parts.dataPartitions }, (_, index) => index);
  }

  // ---- Rendering ----

  /** The answers sent and the group events traced since the last command, one line each. */
  private events(): string[] {
    const lines: string[] = [];
    for (const event of this.parts.takeTraces()) {
      const line = this.renderTrace(event);
      if (line !== null) lines.push(line);
    }
    for (const { to, response } of this.parts.takeSent()) lines.push(`${to} ← ${this.renderAnswer(to, response)}`);
    return lines;
  }

  alias(memberId: string | null): string {
    if (memberId === null || memberId === '') return '-';
    let alias = this.aliases.get(memberId);
    if (alias === undefined) {
      alias = `m${this.aliases.size + 1}`;
      this.aliases.set(memberId, alias);
    }
    return alias;
  }

  private renderTrace(event: TraceEvent): string | null {
    switch (event.type) {
      case 'group.loaded':
        return `loaded: ${event['records']} records, log end ${event['logEndOffset']}, HW ${event['highWatermark']}, coordinator epoch ${event['coordinatorEpoch']}`;
      case 'group.unloaded':
        return `unloaded at coordinator epoch ${event['coordinatorEpoch']}`;
      case 'group.member-expired':
        return `session expired: ${this.alias(event['memberId'] as string)}`;
      case 'group.member-fenced':
        return `fenced: ${this.alias(event['memberId'] as string)} (${event['reason']})`;
      case 'group.member-replaced':
        return `static member ${event['instanceId']}: ${this.alias(event['memberId'] as string)} replaced by ${this.alias(event['newMemberId'] as string)}`;
      case 'group.offset-commit': {
        const offsets = (event['offsets'] as Array<[string, number, number, string]>).map(([, partition, offset, error]) => `${partition}=${offset} ${error}`).join(', ');
        return `offset commit by ${this.alias(event['memberId'] as string)} at ${event['generationIdOrMemberEpoch']}: ${offsets}`;
      }
      default:
        return null;
    }
  }

  private renderAnswer(to: NodeId, response: KafkaResponse): string {
    const state = this.client(to);
    switch (response.api) {
      case 'JoinGroupResponse': {
        if (response.errorCode === 'NONE') {
          state.memberId = response.memberId;
          state.generationId = response.generationId;
        } else if (response.errorCode === 'MEMBER_ID_REQUIRED') {
          state.memberId = response.memberId;
        } else if (response.errorCode === 'UNKNOWN_MEMBER_ID' || response.errorCode === 'FENCED_INSTANCE_ID') {
          state.memberId = response.errorCode === 'UNKNOWN_MEMBER_ID' ? '' : state.memberId;
          state.generationId = -1;
        }
        const members = response.members.length === 0 ? '' : ` members [${response.members.map((member) => this.alias(member.memberId)).join(' ')}]`;
        const generation = response.errorCode === 'NONE' ? ` generation ${response.generationId} protocol ${response.protocolName} leader ${this.alias(response.leader)}${response.skipAssignment ? ' skip-assignment' : ''}` : '';
        return `JoinGroup ${response.errorCode} member ${this.alias(response.memberId)}${generation}${members}`;
      }
      case 'SyncGroupResponse':
        return `SyncGroup ${response.errorCode}${response.errorCode === 'NONE' ? ` assigned ${renderPartitions(response.assignment.assignedPartitions.flatMap((entry) => entry.partitions))}` : ''}`;
      case 'HeartbeatResponse':
        return `Heartbeat ${response.errorCode}`;
      case 'LeaveGroupResponse':
        return `LeaveGroup ${response.errorCode} ${response.members.map((member) => `${this.alias(member.memberId)}${member.groupInstanceId === null ? '' : `/${member.groupInstanceId}`}: ${member.errorCode}`).join(', ')}`;
      case 'OffsetCommitResponse':
        return `OffsetCommit ${response.topics.flatMap((topic) => topic.partitions.map((partition) => `${partition.partitionIndex} ${partition.errorCode}`)).join(', ')}`;
      case 'OffsetFetchResponse': {
        const group = response.groups[0]!;
        if (group.errorCode !== 'NONE') return `OffsetFetch ${group.errorCode}`;
        return `OffsetFetch ${group.topics.flatMap((topic) => topic.partitions.map((partition) => `${partition.partitionIndex}=${partition.committedOffset}`)).join(' ')}`;
      }
      case 'ConsumerGroupHeartbeatResponse': {
        if (response.errorCode !== 'NONE') {
          if (response.errorCode === 'FENCED_MEMBER_EPOCH' || response.errorCode === 'UNKNOWN_MEMBER_ID') {
            // As Kafka's consumer does: give up every partition and rejoin at epoch 0.
            state.memberEpoch = 0;
            state.owned = [];
          }
          return `ConsumerGroupHeartbeat ${response.errorCode}`;
        }
        state.memberEpoch = response.memberEpoch;
        if (response.assignment !== null) state.owned = partitionsOf(response.assignment.topicPartitions);
        const assignment = response.assignment === null ? 'no assignment' : `assigned ${renderPartitions(partitionsOf(response.assignment.topicPartitions))}`;
        return `ConsumerGroupHeartbeat NONE member ${this.alias(response.memberId)} epoch ${response.memberEpoch} ${assignment}`;
      }
      default:
        return response.api;
    }
  }

  /** The group, its members and the committed offsets, as the coordinator holds them now. */
  state(): string {
    const runtimeState = this.parts.coordinator.runtime.partitionState(0);
    if (runtimeState !== 'active') return `coordinator: ${runtimeState ?? 'not coordinator'}`;
    const shard = this.parts.shard();
    const group = shard.groups.get(GROUP);
    const offsets = shard.fetchOffsets({ groupId: GROUP, memberId: null, memberEpoch: -1, topics: [{ name: DATA_TOPIC, partitionIndexes: this.allPartitions() }] });
    const committed = offsets.topics.flatMap((topic) => topic.partitions.filter((partition) => partition.committedOffset >= 0).map((partition) => `${partition.partitionIndex}=${partition.committedOffset}`));
    const log = `log end ${this.parts.replicaManager.getPartition('__consumer_offsets', 0)!.log.logEndOffset} HW ${this.parts.highWatermark()}`;
    const tail = `committed ${committed.length === 0 ? '-' : committed.join(' ')} · ${log}`;
    if (group === undefined) return `group g: none · ${tail}`;
    if (group instanceof ClassicGroup) return `${this.classicState(group)} · ${tail}`;
    return `${this.consumerState(group)}\n${tail}`;
  }

  private classicState(group: ClassicGroup): string {
    const members = group.allMembers().map((member) => {
      const marks = [member.groupInstanceId === null ? null : member.groupInstanceId, member.isAwaitingJoin ? 'joining' : null, member.isAwaitingSync ? 'syncing' : null].filter((mark) => mark !== null);
      return `${this.alias(member.memberId)}${marks.length > 0 ? `(${marks.join(',')})` : ''}`;
    });
    return `group g: ${group.state} · generation ${group.generationId} · leader ${this.alias(group.leaderId)} · members ${members.length === 0 ? '-' : members.join(' ')}`;
  }

  private consumerState(group: ConsumerGroup): string {
    const lines = [`group g: ${group.state} · group epoch ${group.groupEpoch} · assignment epoch ${group.assignmentEpoch}`];
    for (const member of group.members()) {
      const target = partitionsOf(group.targetAssignment(member.memberId));
      const revoking = partitionsOf(member.partitionsPendingRevocation);
      const reconciled = isReconciledTo(member, group.assignmentEpoch) ? '' : ` target ${renderPartitions(target)}`;
      lines.push(
        `  ${this.alias(member.memberId)}${member.instanceId === null ? '' : `(${member.instanceId})`} epoch ${member.memberEpoch} ${member.state} owns ${renderPartitions(partitionsOf(member.assignedPartitions))}${revoking.length > 0 ? ` revoking ${renderPartitions(revoking)}` : ''}${reconciled}`,
      );
    }
    return lines.join('\n');
  }
}

function partitionsOf(assignment: readonly TopicIdPartitions[]): number[] {
  return assignment.filter((entry) => entry.topicId === DATA_TOPIC_ID).flatMap((entry) => entry.partitions);
}

function renderPartitions(partitions: readonly number[]): string {
  return partitions.length === 0 ? '-' : partitions.join(',');
}

function partitionList(text: string): number[] {
  return text === '-' || text === '' ? [] : text.split(',').map(Number);
}

function intArg(args: Map<string, string>, name: string, fallback?: number): number {
  if (!args.has(name)) {
    if (fallback === undefined) throw new Error(`${name}= is required`);
    return fallback;
  }
  const value = Number(args.get(name));
  if (!Number.isInteger(value)) throw new Error(`${name}= must be an integer, got ${String(args.get(name))}`);
  return value;
}

/** Builds a driver from a `new-coordinator` line. */
export function newCoordinatorDriver(line: string): GroupCoordinatorDriver {
  const words = line.trim().split(/\s+/).slice(1);
  const args = new Map(words.map((word) => word.split('=', 2) as [string, string]));
  const isr = (args.get('isr') ?? 'b1').split(',');
  const partitions = args.has('partitions') ? Number(args.get('partitions')) : 4;
  args.delete('isr');
  args.delete('partitions');
  const config = parseGroupCoordinatorConfig(Object.fromEntries(args));
  return new GroupCoordinatorDriver(isr, config, partitions);
}
