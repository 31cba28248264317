/**
 * The replicated counter: the kernel's own test protocol. It is not Kafka; it exists to exercise
 * every part of the world — messages, timers, fsync, crash recovery, torn and flipped bytes — with
 * a protocol small enough to be obviously right, so the kernel can be tested before Kafka runs on it.
 *
 * A fixed primary (the first replica) applies `Add` requests from clients to a counter and appends
 * each new value to an append-only log (value + CRC-32C per record). Once the value is durable on
 * the primary (fsync completed) it is sent to the backups, which log and fsync it too and then ack.
 * A client's add is acknowledged once a majority of replicas, the primary included, hold it durably.
 *
 * Recovery: a replica reads its log and keeps the last record whose CRC holds (a torn or corrupt
 * tail is not trusted). If the primary's log was empty or not clean, its own data may be missing
 * acknowledged values, so it asks every backup for its value and takes the maximum. It writes that
 * value to a fresh file, fsyncs it, renames it over the log and fsyncs again, and serves only then:
 * until the rename is durable the old, unclean log stays, so a crash during recovery recovers
 * again instead of trusting a truncated log (a seed with a full disk and a flipped bit found that).
 * Backups truncate their bad tail at once and re-learn values from the primary's `Replicate`.
 *
 * Legacy switch `legacy.ackBeforeFsync`: the primary trusts its page cache. It acknowledges an add
 * as soon as it is written, never fsyncs, and on restart believes whatever its log says. This is
 * the mistake the protocol exists to show: a power loss on the primary then loses acknowledged
 * adds (those the OS had not yet written back), and the checker must say so.
 *
 * Leaves out: a primary change (the primary is fixed), batching, flow control.
 */
import type { DiskCompletion, Host, NodeId, ProtocolNode, TimerId } from '../../../src/host.js';
import { ByteReader, ByteWriter } from '../../../src/util/bytes.js';
import { crc32c } from '../../../src/util/crc32c.js';

export type CounterMessage =
  | { api: 'Add'; requestId: number; amount: number }
  | { api: 'AddResponse'; requestId: number; errorCode: 'NONE' | 'NOT_READY'; value: number }
  | { api: 'Replicate'; value: number }
  | { api: 'ReplicateAck'; value: number }
  | { api: 'Recover' }
  | { api: 'RecoverResponse'; value: number };

export interface CounterConfig {
  replicas: NodeId[];
  ackBeforeFsync: boolean;
  /** How often the primary re-sends its value to backups that have not acked it. */
  replicateIntervalMs: number;
}

export interface CounterClientConfig {
  primary: NodeId;
  /** A client sends one add every `intervalMs` (± half, from its own stream). */
  intervalMs: number;
  requestTimeoutMs: number;
  amountMax: number;
  /**
   * The wall-clock time after which the client invokes nothing more, so that the end of the
   * liveness phase is quiet and convergence can be demanded.
   */
  quiesceAtMs: number;
}

const LOG_FILE = 'counter.log';
const RECOVERY_FILE = 'counter.log.recovery';
const RECORD_BYTES = 12; // int64 value + uint32 CRC-32C

function encodeRecord(value: number): Uint8Array {
  const body = new ByteWriter(8).int64(value).finish();
  return new ByteWriter(RECORD_BYTES).raw(body).uint32(crc32c(body)).finish();
}

/** Reads the log: the last valid value, and whether the whole file was clean. */
export function recoverCounterLog(data: Uint8Array): { value: number; validBytes: number; clean: boolean } {
  const reader = new ByteReader(data);
  let value = 0;
  let validBytes = 0;
  while (reader.remaining >= RECORD_BYTES) {
    const body = reader.raw(8);
    const crc = reader.uint32();
    if (crc32c(body) !== crc) return { value, validBytes, clean: false };
    value = new ByteReader(body).int64();
    validBytes += RECORD_BYTES;
  }
  return { value, validBytes, clean: reader.remaining === 0 };
}

/** One replica: the primary when it is `replicas[0]`, a backup otherwise. */
export class CounterReplica implements ProtocolNode<CounterMessage> {
  private readonly isPrimary: boolean;
  private readonly backups: NodeId[];
  /** The value applied in memory (primary) or logged (backup). */
  private value = 0;
  /** The highest value known durable on this node. */
  private durableValue = 0;
  /** Pending fsyncs: the value each makes durable, and whether it is a step of recovery. */
  private readonly fsyncValues = new Map<number, { value: number; step: 'append' | 'recovery-file' | 'recovery-rename' }>();
  /** Primary only: what each backup has acked. */
  private readonly backupAcked = new Map<NodeId, number>();
  /** Primary only: adds waiting for their value to be durable on a majority. */
  private pending: Array<{ client: NodeId; requestId: number; value: number }> = [];
  private recovering = false;
  private recoverReplies = new Map<NodeId, number>();
  /** Primary only: the recovered value that must be durable before serving again. */
  private recoveredValueToPersist: number | null = null;

  constructor(
    private readonly host: Host<CounterMessage>,
    private readonly config: CounterConfig,
  ) {
    this.isPrimary = config.replicas[0] === host.nodeId;
    this.backups = config.replicas.filter((id) => id !== config.replicas[0]);
  }

  onStart(): void {
    const read = this.host.disk.read(LOG_FILE);
    const data = read.ok ? read.value : new Uint8Array(0);
    const recovered = recoverCounterLog(data);
    if (recovered.validBytes < data.length && !this.isPrimary) this.host.disk.truncate(LOG_FILE, recovered.validBytes);
    this.value = recovered.value;
    this.durableValue = recovered.value;
    this.host.trace({ type: 'counter.recovered', value: recovered.value, clean: recovered.clean, bytes: data.length });
    if (this.isPrimary) {
      const trustsOwnLog = this.config.ackBeforeFsync && data.length > 0;
      if ((!recovered.clean || data.length === 0) && !trustsOwnLog) this.startRecovery();
      else this.host.trace({ type: 'counter.serving', value: this.value });
      this.host.setTimer(this.config.replicateIntervalMs, 'replicate');
    } else {
      // Tell the primary what this incarnation really holds: it may be less than before a crash.
      this.host.send(this.config.replicas[0]!, { api: 'ReplicateAck', value: this.durableValue }, 'replication');
    }
  }

  onMessage(from: NodeId, message: CounterMessage): void {
    switch (message.api) {
      case 'Add':
        return this.handleAdd(from, message.requestId, message.amount);
      case 'Replicate':
        return this.handleReplicate(from, message.value);
      case 'ReplicateAck':
        return this.handleReplicateAck(from, message.value);
      case 'Recover':
        this.host.send(from, { api: 'RecoverResponse', value: this.durableValue }, 'replication');
        return;
      case 'RecoverResponse':
        return this.handleRecoverResponse(from, message.value);
      case 'AddResponse':
        throw new Error(`replica ${this.host.nodeId} got an AddResponse`);
      default: {
        const unreachable: never = message;
        throw new Error(`unknown message ${JSON.stringify(unreachable)}`);
      }
    }
  }

  onTimer(tag: string): void {
    if (tag === 'replicate') {
      this.host.setTimer(this.config.replicateIntervalMs, 'replicate');
      if (this.recovering && this.recoveredValueToPersist === null) this.askBackups();
      else this.replicateToLagging();
      return;
    }
    throw new Error(`unknown timer ${tag}`);
  }

  onDiskComplete(completion: DiskCompletion): void {
    const pending = this.fsyncValues.get(completion.opId);
    if (pending === undefined) throw new Error(`unknown fsync ${completion.opId}`);
    this.fsyncValues.delete(completion.opId);
    switch (pending.step) {
      case 'append':
        return this.onDurable(pending.value);
      case 'recovery-file': {
        // The new log is durable under its temporary name; swap it in, then make the swap durable.
        const renamed = this.host.disk.rename(RECOVERY_FILE, LOG_FILE);
        if (!renamed.ok) throw new Error(`rename of the recovery file failed: ${renamed.error.message}`);
        this.fsyncValues.set(this.host.disk.fsync(LOG_FILE), { value: pending.value, step: 'recovery-rename' });
        return;
      }
      case 'recovery-rename':
        this.durableValue = pending.value;
        this.host.trace({ type: 'counter.durable', value: pending.value });
        this.recoveredValueToPersist = null;
        this.recovering = false;
        this.host.trace({ type: 'counter.serving', value: this.value });
        this.replicateToLagging();
        return;
    }
  }

  private onDurable(value: number): void {
    if (value <= this.durableValue) return;
    this.durableValue = value;
    this.host.trace({ type: 'counter.durable', value });
    if (this.isPrimary) {
      this.replicateToLagging();
      this.maybeAcknowledge();
    } else {
      this.host.send(this.config.replicas[0]!, { api: 'ReplicateAck', value }, 'replication');
    }
  }

  onDisconnect(): void {
    // Nothing to fail: the primary's periodic replicate covers lost messages.
  }

  private handleAdd(client: NodeId, requestId: number, amount: number): void {
    if (!this.isPrimary || this.recovering) {
      this.host.send(client, { api: 'AddResponse', requestId, errorCode: 'NOT_READY', value: this.value }, 'client');
      return;
    }
    const next = this.value + amount;
    if (!this.writeValue(next)) {
      this.host.send(client, { api: 'AddResponse', requestId, errorCode: 'NOT_READY', value: this.value }, 'client');
      return;
    }
    this.value = next;
    this.host.trace({ type: 'counter.applied', value: next, requestId, client });
    if (this.config.ackBeforeFsync) {
      this.host.send(client, { api: 'AddResponse', requestId, errorCode: 'NONE', value: next }, 'client');
    } else {
      this.pending.push({ client, requestId, value: next });
      this.maybeAcknowledge();
    }
  }

  private handleReplicate(primary: NodeId, value: number): void {
    if (value <= this.value) {
      // Already held; say so again once it is durable (the ack may have been lost).
      if (value <= this.durableValue) this.host.send(primary, { api: 'ReplicateAck', value: this.durableValue }, 'replication');
      return;
    }
    if (this.writeValue(value)) this.value = value;
  }

  private handleReplicateAck(backup: NodeId, value: number): void {
    // The latest ack wins: within one incarnation of a backup its acks only grow (one connection,
    // in order), and a restarted backup announces what it really holds, which may be less.
    this.backupAcked.set(backup, value);
    this.maybeAcknowledge();
  }

  /** Appends a value to the log and starts its fsync; false if the disk refused the write. */
  private writeValue(value: number): boolean {
    const appended = this.host.disk.append(LOG_FILE, encodeRecord(value));
    if (!appended.ok) {
      this.host.trace({ type: 'counter.write-failed', code: appended.error.code });
      return false;
    }
    if (this.isPrimary && this.config.ackBeforeFsync) this.onDurable(value);
    else this.fsyncValues.set(this.host.disk.fsync(LOG_FILE), { value, step: 'append' });
    return true;
  }

  /** The highest value durable on a majority of replicas, the primary included. */
  private majorityDurableValue(): number {
    const values = [this.durableValue, ...this.backups.map((id) => this.backupAcked.get(id) ?? 0)].sort((a, b) => b - a);
    const majority = Math.floor(this.config.replicas.length / 2) + 1;
    return values[majority - 1]!;
  }

  private maybeAcknowledge(): void {
    const committed = this.majorityDurableValue();
    const ready = this.pending.filter((add) => add.value <= committed);
    if (ready.length === 0) return;
    this.pending = this.pending.filter((add) => add.value > committed);
    for (const add of ready) {
      this.host.send(add.client, { api: 'AddResponse', requestId: add.requestId, errorCode: 'NONE', value: add.value }, 'client');
    }
  }

  private replicateToLagging(): void {
    for (const backup of this.backups) {
      if ((this.backupAcked.get(backup) ?? -1) < this.durableValue) {
        this.host.send(backup, { api: 'Replicate', value: this.durableValue }, 'replication');
      }
    }
  }

  private startRecovery(): void {
    this.recovering = true;
    this.recoverReplies = new Map();
    this.host.trace({ type: 'counter.recovering', value: this.value });
    this.askBackups();
  }

  private askBackups(): void {
    for (const backup of this.backups) {
      if (!this.recoverReplies.has(backup)) this.host.send(backup, { api: 'Recover' }, 'replication');
    }
  }

  private handleRecoverResponse(backup: NodeId, value: number): void {
    if (!this.recovering || this.recoveredValueToPersist !== null) return;
    this.recoverReplies.set(backup, value);
    // Every backup must answer: an acknowledged value is durable on a majority, which may be the
    // primary and one backup, and that backup may be any of them.
    if (this.recoverReplies.size < this.backups.length) return;
    const best = Math.max(this.value, ...this.recoverReplies.values());
    // Serve only once the recovered value is durable in a clean log: serving it from memory alone,
    // then crashing, would roll back what was acknowledged.
    const disk = this.host.disk;
    if (disk.exists(RECOVERY_FILE)) disk.delete(RECOVERY_FILE);
    if (!disk.append(RECOVERY_FILE, encodeRecord(best)).ok) {
      this.recoverReplies = new Map();
      return;
    }
    this.recoveredValueToPersist = best;
    this.value = best;
    this.fsyncValues.set(disk.fsync(RECOVERY_FILE), { value: best, step: 'recovery-file' });
  }
}

/** A client: sends adds to the primary and records each one's outcome as a history operation. */
export class CounterClient implements ProtocolNode<CounterMessage> {
  private nextRequestId = 1;
  private readonly inFlight = new Map<number, { amount: number; timer: TimerId }>();

  constructor(
    private readonly host: Host<CounterMessage>,
    private readonly config: CounterClientConfig,
  ) {}

  onStart(): void {
    this.scheduleNext();
  }

  onMessage(_from: NodeId, message: CounterMessage): void {
    if (message.api !== 'AddResponse') throw new Error(`client ${this.host.nodeId} got ${message.api}`);
    const op = this.inFlight.get(message.requestId);
    if (op === undefined) return; // Already timed out and recorded as unknown.
    this.inFlight.delete(message.requestId);
    this.host.cancelTimer(op.timer);
    if (message.errorCode === 'NONE') {
      this.host.trace({ type: 'op.ok', op: 'add', requestId: message.requestId, amount: op.amount, value: message.value });
    } else {
      this.host.trace({ type: 'op.fail', op: 'add', requestId: message.requestId, amount: op.amount, error: message.errorCode });
    }
  }

  onTimer(tag: string): void {
    if (tag === 'send') {
      if (this.host.nowMs() >= this.config.quiesceAtMs) return;
      this.sendAdd();
      this.scheduleNext();
      return;
    }
    if (tag.startsWith('timeout/')) {
      const requestId = Number(tag.slice('timeout/'.length));
      const op = this.inFlight.get(requestId);
      if (op === undefined) return;
      this.inFlight.delete(requestId);
      this.host.trace({ type: 'op.info', op: 'add', requestId, amount: op.amount, reason: 'timeout' });
      return;
    }
    throw new Error(`unknown timer ${tag}`);
  }

  onDiskComplete(): void {
    throw new Error('a counter client does not use its disk');
  }

  onDisconnect(peer: NodeId): void {
    if (peer !== this.config.primary) return;
    // The outcome of what was in flight is unknown: the primary may have applied it.
    for (const [requestId, op] of [...this.inFlight.entries()].sort(([a], [b]) => a - b)) {
      this.host.cancelTimer(op.timer);
      this.host.trace({ type: 'op.info', op: 'add', requestId, amount: op.amount, reason: 'disconnected' });
    }
    this.inFlight.clear();
  }

  private scheduleNext(): void {
    const half = Math.floor(this.config.intervalMs / 2);
    this.host.setTimer(this.config.intervalMs - half + this.host.random.nextInt(0, 2 * half + 1), 'send');
  }

  private sendAdd(): void {
    // Request ids are unique per client across restarts only within an incarnation, so the
    // incarnation is folded in.
    const requestId = this.host.incarnation * 1_000_000 + this.nextRequestId++;
    const amount = this.host.random.nextInt(1, this.config.amountMax + 1);
    const timer = this.host.setTimer(this.config.requestTimeoutMs, `timeout/${requestId}`);
    this.inFlight.set(requestId, { amount, timer });
    this.host.trace({ type: 'op.invoke', op: 'add', requestId, amount });
    this.host.send(this.config.primary, { api: 'Add', requestId, amount }, 'client');
  }
}

export function counterMessageSizeBytes(message: unknown): number {
  const api = (message as CounterMessage).api;
  return api === 'Recover' ? 16 : 32;
}
