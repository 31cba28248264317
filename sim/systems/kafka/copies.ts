/**
 * The copies of every record on every replica over time, and the faults that struck the replicas:
 * the evidence the contract judges one lost record by (contract.ts, `judgeLoss`). It answers, for a
 * record (a value at an offset of a partition): when a leader's high watermark first covered it,
 * which replicas held it then, and how each replica's last copy of it ended.
 *
 * A copy is one replica holding the record, from the moment the replica appended it until it gave
 * it up: by truncation (it followed a leader whose log lacks the record), or by losing it in a crash
 * (its next incarnation recovered a log that ends below it: a power loss took it from the page
 * cache, a lost disk took everything, a flipped bit cut the log at the corrupt batch). A replica may
 * hold one record several times over (lost, then fetched again); only its last copy says how the
 * replica's part in the record ended.
 *
 * A lost copy ends twice: when the fault struck (the time a verdict cites), and when the replica's
 * next incarnation recovered the partition and showed the loss. Until then the leader may still
 * count the replica's old fetch offset, so for "who held it when it was committed" the copy counts.
 *
 * Faults are the world's fault actions (crashes of each mode, bit flips), handed in by the system,
 * and the `process.halt` of a node that ended itself. Every crash and halt is, to Kafka, an unclean
 * shutdown (no clean-shutdown file), which takes the replica out of the ELR (KIP-966); power loss,
 * disk loss and a flipped bit may also destroy what the replica stored.
 *
 * Left out: records that retention deletes (never in a run of seconds), and any notion of which
 * copies were flushed: a lost copy is seen, not predicted.
 */
import type { NodeId } from '../../../src/host.js';
import type { FaultCitation } from '../../checker/types.js';

export type ReplicaFaultKind = 'process-crash' | 'power-loss' | 'disk-loss' | 'bit-flip' | 'halt';

export interface ReplicaFault extends FaultCitation {
  readonly kind: ReplicaFaultKind;
  /** For a bit flip: the file it struck (`<topic>-<partition>/<segment>`), to scope it to a partition. */
  readonly file?: string;
}

export type CopyFate = 'held' | 'truncated' | 'lost';

interface Copy {
  readonly replica: NodeId;
  readonly fromMs: number;
  fate: CopyFate;
  /** When the ledger learned the copy was gone (the truncation, or the recovery that showed the loss). */
  observedEndMs: number | null;
  /** The destructive faults that struck the replica between its previous recovery and the one that showed the loss. */
  lostBy: ReplicaFault[];
}

/** How one replica's last copy of a record ended, with the shutdowns it went through. */
export interface ReplicaCopyEvidence {
  readonly replica: NodeId;
  readonly fate: CopyFate;
  readonly lostBy: readonly ReplicaFault[];
  /** Crashes and halts of the replica while it held its last copy (the one that lost it included). */
  readonly uncleanShutdowns: readonly ReplicaFault[];
}

/** Everything the contract needs to judge the loss of one record. */
export interface RecordEvidence {
  readonly partition: string;
  readonly offset: number;
  readonly value: string | null;
  /** When a leader's high watermark first covered the record, or null if none ever did. */
  readonly committedAtMs: number | null;
  /** The replicas holding it at that moment. */
  readonly holdersAtCommit: readonly NodeId[];
  /** Every replica that ever held it, with its last copy. */
  readonly copies: readonly ReplicaCopyEvidence[];
}

const SHUTDOWN_KINDS: ReadonlySet<ReplicaFaultKind> = new Set(['process-crash', 'power-loss', 'disk-loss', 'halt']);
const DESTRUCTIVE_KINDS: ReadonlySet<ReplicaFaultKind> = new Set(['power-loss', 'disk-loss', 'bit-flip']);

function recordKey(offset: number, value: string | null): string {
  return `${offset}|${value === null ? '\u0000' : value}`;
}

export class CopyLedger {
  /** Partition → record key → every copy of it, oldest first. */
  private readonly copies = new Map<string, Map<string, Copy[]>>();
  /** Partition → replica → offset → the copy it holds there now. */
  private readonly held = new Map<string, Map<NodeId, Map<number, Copy>>>();
  /** Partition → record key → when a leader's high watermark first covered it. */
  private readonly commits = new Map<string, Map<string, number>>();
  /** Node → its faults, in time order. */
  private readonly faults = new Map<NodeId, ReplicaFault[]>();
  /** `partition|replica` → when it last recovered that partition. */
  private readonly lastRecoveryMs = new Map<string, number>();
  /** The destructive faults the last recovery of each partition's replica found (`partition|replica`). */
  private readonly lastRecoveryFaults = new Map<string, ReplicaFault[]>();

  onFault(fault: ReplicaFault): void {
    const list = this.faults.get(fault.node) ?? [];
    list.push(fault);
    this.faults.set(fault.node, list);
  }

  onAppend(partition: string, replica: NodeId, offset: number, value: string | null, atMs: number): void {
    const heldHere = this.heldBy(partition, replica);
    const previous = heldHere.get(offset);
    if (previous !== undefined) this.end(previous, 'truncated', atMs);
    const copy: Copy = { replica, fromMs: atMs, fate: 'held', observedEndMs: null, lostBy: [] };
    heldHere.set(offset, copy);
    const byRecord = this.copies.get(partition) ?? new Map<string, Copy[]>();
    this.copies.set(partition, byRecord);
    const key = recordKey(offset, value);
    byRecord.set(key, [...(byRecord.get(key) ?? []), copy]);
  }

  /** The replica cut its log at `offset`: every copy at or above it was given up. */
  onTruncate(partition: string, replica: NodeId, offset: number, atMs: number): void {
    const heldHere = this.heldBy(partition, replica);
    for (const [held, copy] of [...heldHere.entries()]) {
      if (held < offset) continue;
      this.end(copy, 'truncated', atMs);
      heldHere.delete(held);
    }
  }

  /**
   * A new incarnation recovered the partition from its disk: copies at or above its log end are
   * lost, by whatever destructive fault struck the replica since it last recovered the partition.
   */
  onRecovered(partition: string, replica: NodeId, logStartOffset: number, logEndOffset: number, atMs: number): void {
    const heldHere = this.heldBy(partition, replica);
    const sinceMs = this.lastRecoveryMs.get(`${partition}|${replica}`) ?? -1;
    const destructive = (this.faults.get(replica) ?? []).filter((fault) => fault.atMs > sinceMs && fault.atMs <= atMs && destroysIn(fault, partition));
    for (const [held, copy] of [...heldHere.entries()]) {
      if (held >= logStartOffset && held < logEndOffset) continue;
      this.end(copy, 'lost', atMs);
      // A power loss or a lost disk takes only what the replica held when it struck; a flipped bit
      // stays in the file until recovery cuts the log at the corrupt batch, taking every later one.
      copy.lostBy = destructive.filter((fault) => fault.kind === 'bit-flip' || fault.atMs >= copy.fromMs);
      heldHere.delete(held);
    }
    this.lastRecoveryMs.set(`${partition}|${replica}`, atMs);
    this.lastRecoveryFaults.set(`${partition}|${replica}`, destructive);
  }

  /**
   * The recovery just seen brought back, from `offset` on, older records than the copies held there
   * (a power loss undid the truncation that had removed them, and the appends after it): those
   * copies are lost by the same faults, as if the log had ended at `offset`.
   */
  onRecoveredOlderRecords(partition: string, replica: NodeId, offset: number, atMs: number): void {
    const heldHere = this.heldBy(partition, replica);
    const destructive = this.lastRecoveryFaults.get(`${partition}|${replica}`) ?? [];
    for (const [held, copy] of [...heldHere.entries()]) {
      if (held < offset) continue;
      this.end(copy, 'lost', atMs);
      copy.lostBy = destructive.filter((fault) => fault.kind === 'bit-flip' || fault.atMs >= copy.fromMs);
      heldHere.delete(held);
    }
  }

  /** A leader's high watermark covered the record: the first time counts. */
  onCommitted(partition: string, offset: number, value: string | null, atMs: number): void {
    const byRecord = this.commits.get(partition) ?? new Map<string, number>();
    this.commits.set(partition, byRecord);
    const key = recordKey(offset, value);
    if (!byRecord.has(key)) byRecord.set(key, atMs);
  }

  /** Crashes and halts of a node from `fromMs` on (the lossy ones included): each is an unclean shutdown to Kafka. */
  uncleanShutdowns(node: NodeId, fromMs: number): ReplicaFault[] {
    return (this.faults.get(node) ?? []).filter((fault) => fault.atMs >= fromMs && SHUTDOWN_KINDS.has(fault.kind));
  }

  evidence(partition: string, offset: number, value: string | null): RecordEvidence {
    const key = recordKey(offset, value);
    const all = this.copies.get(partition)?.get(key) ?? [];
    const committedAtMs = this.commits.get(partition)?.get(key) ?? null;
    const holdersAtCommit =
      committedAtMs === null
        ? []
        : distinct(all.filter((copy) => copy.fromMs <= committedAtMs && (copy.observedEndMs === null || copy.observedEndMs > committedAtMs)).map((copy) => copy.replica));
    const lastCopies = new Map<NodeId, Copy>();
    for (const copy of all) lastCopies.set(copy.replica, copy);
    const copies = [...lastCopies.values()].map((copy): ReplicaCopyEvidence => ({
      replica: copy.replica,
      fate: copy.fate,
      lostBy: copy.lostBy,
      uncleanShutdowns: this.uncleanShutdowns(copy.replica, copy.fromMs).filter((fault) => copy.observedEndMs === null || fault.atMs <= copy.observedEndMs),
    }));
    return { partition, offset, value, committedAtMs, holdersAtCommit, copies };
  }

  private heldBy(partition: string, replica: NodeId): Map<number, Copy> {
    const byReplica = this.held.get(partition) ?? new Map<NodeId, Map<number, Copy>>();
    this.held.set(partition, byReplica);
    const heldHere = byReplica.get(replica) ?? new Map<number, Copy>();
    byReplica.set(replica, heldHere);
    return heldHere;
  }

  private end(copy: Copy, fate: Exclude<CopyFate, 'held'>, atMs: number): void {
    copy.fate = fate;
    copy.observedEndMs = atMs;
  }
}

/** Whether a fault can destroy stored records of this partition: a bit flip only in the partition's own files. */
function destroysIn(fault: ReplicaFault, partition: string): boolean {
  if (!DESTRUCTIVE_KINDS.has(fault.kind)) return false;
  return fault.kind !== 'bit-flip' || fault.file === undefined || fault.file.startsWith(`${partition}/`);
}

function distinct(ids: readonly NodeId[]): NodeId[] {
  return [...new Set(ids)];
}
