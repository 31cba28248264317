/**
 * Transcript tests for the Raft client, in the style of etcd raft's datadriven tests: each file in
 * `transcripts/` is a story told in commands, with the exact output each command produced written
 * under it. They double as documentation of the protocol: what a replica sends, when it writes
 * what to disk, and what it does once that write is durable.
 *
 * Nothing happens by itself here. Messages wait in the network until `deliver` hands them over;
 * fsyncs wait until `sync` completes them; timers fire only on `timeout`. So every step of the
 * protocol is one visible line, and the ordering contract (what must be durable before what may be
 * sent) shows in the output. The nodes are the real KafkaRaftClient over the simulator's own disk
 * (`sim/disk.ts`), with a listener that applies records to a list of values.
 *
 * Commands (a block is the command line, `----`, the expected output, then a blank line; lines
 * starting with `#` between blocks are comments):
 *   start c1 c2 c3 [observers=o1] [snapshot-every=N]   the voters (and observers), started
 *   timeout <node> <timer>     fires an armed timer: election, backoff, fetch, fetch-request,
 *                              fetch-retry, check-quorum, begin-quorum-epoch, linger, snapshot,
 *                              purgatory:<follower>
 *   propose <node> <value>...  the application proposes records (one batch)
 *   deliver [<from>-><to>]     delivers the messages in flight (on that link only), oldest first;
 *                              what a delivery makes its receiver do is indented under it
 *   sync <node>...             completes the node's pending fsyncs, in issue order, and those
 *                              they lead to
 *   stabilize                  sync every node and deliver every message until nothing is left
 *   isolate <node> / heal      drops every message to or from the node (in flight too) / stops
 *   crash <node> / restart <node>   a process crash (the page cache survives) and a restart
 *   status                     each node's role, epoch, high watermark, snapshot and log
 *
 * Run with UPDATE_TRANSCRIPTS=1 to rewrite the expected output from what the code does now (then
 * read the diff: it is the behaviour change).
 */

import { readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import type { DiskCompletion, Host, NodeId, TimerId, TraceEvent } from '../../src/host.js';
import { controlRecordType } from '../../src/log/controlRecord.js';
import { decodeBatches, type RecordBatch } from '../../src/log/recordBatch.js';
import { parseSegmentBaseOffset } from '../../src/log/segment.js';
import { parseSnapshotFileName } from '../../src/log/snapshotFile.js';
import { DEFAULT_RAFT_CONFIG, type RaftConfig } from '../../src/raft/config.js';
import { KafkaRaftClient, RAFT_LOG_DIR } from '../../src/raft/kafkaRaftClient.js';
import { type RaftMessage, assertNever } from '../../src/raft/messages.js';
import { DEFAULT_DISK_CONFIG, type PendingFsync, SimDisk } from '../../sim/disk.js';
import { SeededRandom } from '../../sim/random.js';

const TRANSCRIPT_DIR = join(import.meta.dirname, 'transcripts');
const UPDATE = process.env.UPDATE_TRANSCRIPTS === '1';

const TIMER_TAGS: Readonly<Record<string, string>> = {
  election: 'raft.electionTimeout',
  backoff: 'raft.electionBackoff',
  fetch: 'raft.fetchTimeout',
  'fetch-request': 'raft.fetchRequestTimeout',
  'fetch-retry': 'raft.fetchRetry',
  'check-quorum': 'raft.checkQuorum',
  'begin-quorum-epoch': 'raft.beginQuorumEpoch',
  linger: 'raft.appendLinger',
  snapshot: 'raft.snapshotInterval',
};

const encoder = new TextEncoder();
const decoder = new TextDecoder();

interface InFlight {
  readonly from: NodeId;
  readonly to: NodeId;
  readonly message: RaftMessage;
}

interface Replica {
  readonly id: NodeId;
  readonly disk: SimDisk;
  readonly fsyncs: PendingFsync[];
  client: KafkaRaftClient | null;
  incarnation: number;
  readonly timers: Map<string, TimerId>;
  applied: string[];
}

class TranscriptCluster {
  private readonly replicas = new Map<NodeId, Replica>();
  private network: InFlight[] = [];
  private readonly isolated = new Set<NodeId>();
  private voters: NodeId[] = [];
  private config: RaftConfig = DEFAULT_RAFT_CONFIG;
  private timerIdNext = 1;
  private out: string[] = [];
  private indent = '';
  /** Consecutive appends of one node, printed as one line when something else happens. */
  private appends: { node: NodeId; first: number; last: number; epoch: number } | null = null;

  run(command: string): string {
    this.out = [];
    const [verb, ...args] = command.trim().split(/\s+/);
    switch (verb) {
      case 'start':
        this.start(args);
        break;
      case 'timeout':
        this.timeout(args[0]!, args[1]!);
        break;
      case 'propose':
        this.propose(args[0]!, args.slice(1));
        break;
      case 'deliver':
        this.deliver(args[0]);
        break;
      case 'sync':
        for (const id of args) this.sync(id);
        break;
      case 'stabilize':
        this.stabilize();
        break;
      case 'isolate':
        this.isolated.add(args[0]!);
        this.network = this.network.filter((m) => m.from !== args[0] && m.to !== args[0]);
        break;
      case 'heal':
        this.isolated.clear();
        break;
      case 'crash':
        this.crash(args[0]!);
        break;
      case 'restart':
        this.boot(this.replica(args[0]!));
        break;
      case 'status':
        for (const replica of this.replicas.values()) this.print(this.status(replica));
        break;
      default:
        throw new Error(`unknown command: ${command}`);
    }
    this.flushAppends();
    return this.out.join('\n');
  }

  private start(args: string[]): void {
    const options = new Map(args.filter((arg) => arg.includes('=')).map((arg) => arg.split('=') as [string, string]));
    this.voters = args.filter((arg) => !arg.includes('='));
    const observers = options.get('observers')?.split(',') ?? [];
    const snapshotEvery = Number(options.get('snapshot-every') ?? DEFAULT_RAFT_CONFIG.maxRecordsBetweenSnapshots);
    this.config = { ...DEFAULT_RAFT_CONFIG, maxRecordsBetweenSnapshots: snapshotEvery, maxSnapshotIntervalMs: 0 };
    for (const id of [...this.voters, ...observers]) {
      const fsyncs: PendingFsync[] = [];
      const disk = new SimDisk(id, DEFAULT_DISK_CONFIG, new SeededRandom(`disk/${id}`, 'transcript'), () => 0, (pending) => fsyncs.push(pending));
      const replica: Replica = { id, disk, fsyncs, client: null, incarnation: 0, timers: new Map(), applied: [] };
      this.replicas.set(id, replica);
      this.boot(replica);
    }
  }

  private boot(replica: Replica): void {
    if (replica.client !== null) throw new Error(`${replica.id} is running`);
    replica.incarnation += 1;
    replica.timers.clear();
    replica.applied = [];
    const client = new KafkaRaftClient(this.host(replica), {
      config: this.config,
      voters: this.voters,
      listener: {
        handleCommit: (entries) => replica.applied.push(...entries.map((entry) => decoder.decode(entry.record))),
        handleLoadSnapshot: (_endOffset, _epoch, bytes) => {
          replica.applied = JSON.parse(decoder.decode(bytes)) as string[];
        },
        handleLeaderChange: () => {},
      },
      snapshotProvider: () => encoder.encode(JSON.stringify(replica.applied)),
    });
    replica.client = client;
    client.handleStart();
  }

  private crash(id: NodeId): void {
    const replica = this.replica(id);
    replica.client = null;
    // The process is gone; its fsyncs still complete in the kernel, but nobody hears of them.
    for (const pending of replica.fsyncs.splice(0)) replica.disk.completeFsync(pending);
    this.network = this.network.filter((m) => m.from !== id && m.to !== id);
    this.print(`${id} crashed`);
  }

  private host(replica: Replica): Host<RaftMessage> {
    const incarnation = replica.incarnation;
    const live = (): boolean => replica.client !== null && replica.incarnation === incarnation;
    return {
      nodeId: replica.id,
      incarnation,
      nowMs: () => 0,
      send: (to, message) => {
        if (!live()) return;
        this.flushAppends();
        const dropped = this.isolated.has(replica.id) || this.isolated.has(to);
        this.print(`${replica.id}->${to} ${describeMessage(message)}${dropped ? ' (dropped)' : ''}`);
        if (!dropped) this.network.push({ from: replica.id, to, message });
      },
      disconnect: () => {},
      setTimer: (_delayMs, tag) => {
        const id = this.timerIdNext++;
        replica.timers.set(tag, id);
        return id;
      },
      cancelTimer: (id) => {
        for (const [tag, armed] of replica.timers) if (armed === id) replica.timers.delete(tag);
      },
      disk: replica.disk,
      random: new SeededRandom(`node/${replica.id}/${incarnation}`, 'transcript'),
      trace: (event) => {
        if (live()) this.trace(replica.id, event);
      },
      halt: (reason) => {
        this.print(`${replica.id} halted: ${reason}`);
        replica.client = null;
      },
    };
  }

  private timeout(id: NodeId, name: string): void {
    const replica = this.replica(id);
    const tag = name.startsWith('purgatory:') ? `raft.fetchPurgatory:${name.slice('purgatory:'.length)}` : TIMER_TAGS[name];
    if (tag === undefined) throw new Error(`unknown timer ${name}`);
    const timerId = replica.timers.get(tag);
    if (timerId === undefined || replica.client === null) return this.print(`${id} has no ${name} timer armed`);
    replica.timers.delete(tag);
    replica.client.handleTimer(tag, timerId);
  }

  private propose(id: NodeId, values: string[]): void {
    const result = this.client(id).propose(values.map((value) => encoder.encode(value)));
    this.flushAppends();
    if ('error' in result) this.print(`${id} propose: ${result.error}`);
  }

  /** Delivers what is in flight now (not what the deliveries send); returns how many. */
  private deliver(link?: string): number {
    const [from, to] = link?.split('->') ?? [];
    const now = this.network.filter((m) => from === undefined || (m.from === from && m.to === to));
    this.network = this.network.filter((m) => !now.includes(m));
    for (const { from: sender, to: receiver, message } of now) {
      this.flushAppends();
      this.print(`deliver ${sender}->${receiver} ${describeMessage(message)}`);
      const client = this.replicas.get(receiver)?.client;
      if (client === null || client === undefined) continue;
      this.nested(() => client.handleMessage(sender, message));
    }
    return now.length;
  }

  /** Completes the node's fsyncs in issue order, and the ones their continuations issue. */
  private sync(id: NodeId): number {
    const replica = this.replica(id);
    let completed = 0;
    while (replica.fsyncs.length > 0) {
      const pending = replica.fsyncs.shift()!;
      replica.disk.completeFsync(pending);
      completed++;
      this.flushAppends();
      this.print(`${id} fsync ${pending.completion.file.slice(RAFT_LOG_DIR.length + 1)}`);
      const completion: DiskCompletion = pending.completion;
      const client = replica.client;
      if (client !== null) this.nested(() => client.handleDiskComplete(completion));
    }
    return completed;
  }

  private stabilize(): void {
    for (let round = 0; round < 1000; round++) {
      let progress = 0;
      for (const id of this.replicas.keys()) progress += this.sync(id);
      progress += this.deliver();
      if (progress === 0) return;
    }
    throw new Error('stabilize: no quiescence after 1000 rounds');
  }

  private trace(node: NodeId, event: TraceEvent): void {
    const num = (field: string): number => event[field] as number;
    if (event.type === 'raft.append') {
      const run = this.appends;
      if (run !== null && run.node === node && run.epoch === num('epoch') && run.last + 1 === num('offset')) run.last = num('offset');
      else {
        this.flushAppends();
        this.appends = { node, first: num('offset'), last: num('offset'), epoch: num('epoch') };
      }
      return;
    }
    const line = describeTrace(event);
    if (line === null) return;
    this.flushAppends();
    this.print(`${node} ${line}`);
  }

  private flushAppends(): void {
    const run = this.appends;
    if (run === null) return;
    this.appends = null;
    const range = run.first === run.last ? `${run.first}` : `${run.first}..${run.last}`;
    this.print(`${run.node} append ${range} epoch=${run.epoch}`);
  }

  private status(replica: Replica): string {
    if (replica.client === null) return `${replica.id} down`;
    const info = replica.client.describe();
    const snapshot = replica.disk
      .list()
      .map((name) => parseSnapshotFileName(RAFT_LOG_DIR, name))
      .find((id) => id !== null);
    const parts = [
      `${replica.id} ${info.role} epoch=${info.epoch} leader=${info.leaderId ?? '-'}`,
      `hw=${info.highWatermark ?? '-'} flushed=${info.flushedOffset}`,
      snapshot === undefined ? null : `snapshot=${snapshot.endOffset}@${snapshot.epoch}`,
      `applied=[${replica.applied.join(',')}]`,
    ];
    const log = readLog(replica.disk, info.logStartOffset, info.logEndOffset);
    return `${parts.filter((part) => part !== null).join(' ')}\n  log [${info.logStartOffset}, ${info.logEndOffset}): ${log}`;
  }

  private nested(action: () => void): void {
    const outer = this.indent;
    this.indent = `${outer}  `;
    try {
      action();
      this.flushAppends();
    } finally {
      this.indent = outer;
    }
  }

  private print(line: string): void {
    for (const part of line.split('\n')) this.out.push(`${this.indent}${part}`);
  }

  private replica(id: NodeId): Replica {
    const replica = this.replicas.get(id);
    if (replica === undefined) throw new Error(`unknown node ${id}`);
    return replica;
  }

  private client(id: NodeId): KafkaRaftClient {
    const client = this.replica(id).client;
    if (client === null) throw new Error(`${id} is down`);
    return client;
  }
}

/** The log as the segment files hold it (the page cache), record by record. */
function readLog(disk: SimDisk, logStartOffset: number, logEndOffset: number): string {
  const segments = disk
    .list()
    .filter((name) => parseSegmentBaseOffset(RAFT_LOG_DIR, name) !== null)
    .sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  const records: string[] = [];
  for (const name of segments) {
    const read = disk.read(name);
    if (!read.ok) throw new Error(`read ${name}: ${read.error.message}`);
    for (const batch of decodeBatches(read.value).batches) {
      batch.records.forEach((_, i) => {
        const offset = batch.baseOffset + i;
        if (offset >= logStartOffset && offset < logEndOffset) records.push(`${offset}@${batch.partitionLeaderEpoch}:${describeRecord(batch, i)}`);
      });
    }
  }
  return records.length === 0 ? '(empty)' : records.join(' ');
}

function describeRecord(batch: RecordBatch, index: number): string {
  const record = batch.records[index]!;
  if (!batch.isControl) return record.value ?? 'null';
  const type = controlRecordType(record);
  if (type !== 'LEADER_CHANGE') return type;
  return `LeaderChange(${(JSON.parse(record.value ?? '{}') as { leaderId?: string }).leaderId})`;
}

function describeRecords(batches: readonly RecordBatch[]): string {
  const records = batches.flatMap((batch) => batch.records.map((_, i) => `${batch.baseOffset + i}@${batch.partitionLeaderEpoch}:${describeRecord(batch, i)}`));
  return `[${records.join(' ')}]`;
}

function describeMessage(message: RaftMessage): string {
  switch (message.api) {
    case 'Vote':
      return `Vote${message.preVote ? ' pre-vote' : ''} epoch=${message.candidateEpoch} candidate=${message.candidateId} last=${message.lastOffset}@${message.lastOffsetEpoch}`;
    case 'VoteResponse':
      return `VoteResponse${message.preVote ? ' pre-vote' : ''} ${message.voteGranted ? 'granted' : 'rejected'} epoch=${message.leaderEpoch} leader=${message.leaderId ?? '-'}${errorOf(message.errorCode)}`;
    case 'BeginQuorumEpoch':
      return `BeginQuorumEpoch epoch=${message.leaderEpoch} leader=${message.leaderId}`;
    case 'BeginQuorumEpochResponse':
    case 'EndQuorumEpochResponse':
      return `${message.api} epoch=${message.leaderEpoch} leader=${message.leaderId ?? '-'}${errorOf(message.errorCode)}`;
    case 'EndQuorumEpoch':
      return `EndQuorumEpoch epoch=${message.leaderEpoch} leader=${message.leaderId} successors=[${message.preferredSuccessors.join(',')}]`;
    case 'Fetch':
      return `Fetch epoch=${message.currentLeaderEpoch} fetchOffset=${message.fetchOffset} lastFetchedEpoch=${message.lastFetchedEpoch}`;
    case 'FetchResponse': {
      const fields = [`FetchResponse epoch=${message.currentLeader.leaderEpoch} leader=${message.currentLeader.leaderId ?? '-'}`, `hw=${message.highWatermark}`];
      if (message.divergingEpoch !== null) fields.push(`divergingEpoch=${message.divergingEpoch.endOffset}@${message.divergingEpoch.epoch}`);
      if (message.snapshotId !== null) fields.push(`snapshotId=${message.snapshotId.endOffset}@${message.snapshotId.epoch}`);
      if (message.records.length > 0) fields.push(`records=${describeRecords(message.records)}`);
      return fields.join(' ') + errorOf(message.errorCode);
    }
    case 'FetchSnapshot':
      return `FetchSnapshot epoch=${message.currentLeaderEpoch} snapshotId=${message.snapshotId.endOffset}@${message.snapshotId.epoch}`;
    case 'FetchSnapshotResponse':
      return `FetchSnapshotResponse epoch=${message.currentLeader.leaderEpoch} snapshotId=${message.snapshotId.endOffset}@${message.snapshotId.epoch} bytes=${message.unalignedRecords.length}${errorOf(message.errorCode)}`;
    default:
      return assertNever(message);
  }
}

function errorOf(errorCode: string): string {
  return errorCode === 'NONE' ? '' : ` error=${errorCode}`;
}

/** The trace events worth a line (appends are gathered into ranges; votes show as VoteResponses). */
function describeTrace(event: TraceEvent): string | null {
  switch (event.type) {
    case 'raft.recovered':
      return `recovered log=[${String(event['logStartOffset'])}, ${String(event['logEndOffset'])}) epoch=${String(event['epoch'])}`;
    case 'raft.state':
      return `is ${String(event['role'])} epoch=${String(event['epoch'])} leader=${String(event['leaderId'] ?? '-')} voted=${String(event['votedId'] ?? '-')} (durable)`;
    case 'raft.hw':
      return `hw=${String(event['highWatermark'])}`;
    case 'raft.commit':
      return `applies up to ${String(event['offset'])}`;
    case 'raft.truncate':
      return `truncates its log to ${String(event['offset'])}`;
    case 'raft.snapshot':
      return `snapshot ${String(event['endOffset'])}@${String(event['epoch'])}: the log now starts there`;
    case 'raft.checkQuorumFailed':
      return `resigns: a majority stopped fetching`;
    case 'raft.halt':
      return `halts: ${String(event['reason'])}`;
    default:
      return null;
  }
}

/** Parses a transcript, runs it, and returns the file as it should read given what the code does. */
function replay(text: string): string {
  const cluster = new TranscriptCluster();
  const lines = text.split('\n');
  const rendered: string[] = [];
  let i = 0;
  while (i < lines.length) {
    const line = lines[i]!;
    if (line.trim() === '' || line.startsWith('#')) {
      rendered.push(line);
      i++;
      continue;
    }
    if (lines[i + 1] !== '----') throw new Error(`line ${i + 2}: expected ---- after the command "${line}"`);
    let end = i + 2;
    while (end < lines.length && lines[end]!.trim() !== '') end++;
    const output = cluster.run(line);
    rendered.push(line, '----', ...(output === '' ? ['ok'] : [output]));
    i = end;
  }
  return rendered.join('\n');
}

describe('raft transcripts', () => {
  for (const file of readdirSync(TRANSCRIPT_DIR).filter((name) => name.endsWith('.txt')).sort((a, b) => (a < b ? -1 : 1))) {
    test(file, () => {
      const path = join(TRANSCRIPT_DIR, file);
      const expected = readFileSync(path, 'utf8');
      const actual = replay(expected);
      if (UPDATE) writeFileSync(path, actual);
      else expect(actual).toBe(expected);
    });
  }
});
