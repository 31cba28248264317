/**
 * Trace recording: every executed event and every trace event a node emits is folded into the
 * run's trace hash (traceHash.ts), written as one JSON line to the trace sink when one is asked for
 * (`--trace FILE`), and trace events are handed to the listeners (checkers, narration, tests).
 *
 * What the hash covers, and why it is enough (docs/decisions.md, "Trace hash"): each executed
 * event's time, kind, endpoints, message API and size, and every trace event's fields in full —
 * not each message's bytes, which would cost more than the rest of the loop. Message contents still
 * reach the hash through their sizes and through the trace events they cause.
 *
 * Invariant: an event is hashed before it runs, so the trace events it causes follow it in the
 * hash and in the trace file.
 */
import type { NodeId, TraceEvent } from '../src/host.js';
import type { WorldEvent } from './events.js';
import { describeFault } from './faults/plan.js';
import { TraceHash } from './traceHash.js';

/** A trace event as the world records it: stamped with the time and the emitting node. */
export interface TraceRecord {
  readonly atMs: number;
  readonly node: NodeId;
  readonly incarnation: number;
  readonly event: TraceEvent;
}

export class TraceRecorder {
  private readonly hash = new TraceHash();
  private readonly listeners: Array<(record: TraceRecord) => void> = [];
  private traceEventCount = 0;

  /** `sink` receives one JSON line per executed event and per trace event (the `--trace FILE` option). */
  constructor(private readonly sink: ((line: string) => void) | undefined) {}

  get digest(): string {
    return this.hash.digest();
  }

  get traceEvents(): number {
    return this.traceEventCount;
  }

  onTrace(listener: (record: TraceRecord) => void): void {
    this.listeners.push(listener);
  }

  /** Folds an event the kernel is about to execute into the hash and the trace file. */
  recordEvent(atMs: number, event: WorldEvent): void {
    const hash = this.hash;
    hash.beginEvent();
    hash.int(atMs);
    hash.string(event.kind);
    switch (event.kind) {
      case 'start':
        hash.string(event.node);
        hash.int(event.incarnation);
        break;
      case 'deliver':
        hash.string(event.from);
        hash.string(event.to);
        hash.string(event.trafficClass);
        hash.string(messageApi(event.message));
        hash.int(event.sizeBytes);
        break;
      case 'disconnect':
        hash.string(event.node);
        hash.string(event.peer);
        hash.string(event.trafficClass);
        break;
      case 'timer':
        hash.string(event.node);
        hash.int(event.incarnation);
        hash.string(event.tag);
        break;
      case 'fsync-done':
      case 'disk-complete':
        hash.string(event.node);
        hash.int(event.incarnation);
        break;
      case 'deferred-input':
        hash.string(event.node);
        hash.string(event.input.kind);
        break;
      case 'page-cache-flush':
      case 'restart':
        hash.string(event.node);
        break;
      case 'resume':
        hash.string(event.node);
        hash.int(event.pauseId);
        break;
      case 'fault':
      case 'fault-end':
        hash.value(event.action);
        break;
      default: {
        const unreachable: never = event;
        throw new Error(`unknown event ${JSON.stringify(unreachable)}`);
      }
    }
    if (this.sink !== undefined) this.sink(eventLine(atMs, event));
  }

  /** Records a trace event a node emitted, and hands it to every listener. */
  recordTrace(record: TraceRecord): void {
    this.traceEventCount++;
    this.hash.value(record.event);
    if (this.sink !== undefined) {
      this.sink(JSON.stringify({ t: record.atMs, node: record.node, inc: record.incarnation, trace: record.event }, jsonReplacer));
    }
    for (const listener of this.listeners) listener(record);
  }
}

/** The Kafka API a message names (`Fetch`, `Vote`, ...), or `message` for a message without one. */
export function messageApi(message: unknown): string {
  if (typeof message === 'object' && message !== null) {
    const api = (message as { api?: unknown }).api;
    if (typeof api === 'string') return api;
  }
  return 'message';
}

function jsonReplacer(_key: string, value: unknown): unknown {
  if (value instanceof Uint8Array) return `<${value.length} bytes>`;
  return value;
}

function eventLine(atMs: number, event: WorldEvent): string {
  switch (event.kind) {
    case 'deliver':
      return JSON.stringify(
        { t: atMs, event: 'deliver', from: event.from, to: event.to, class: event.trafficClass, bytes: event.sizeBytes, message: event.message },
        jsonReplacer,
      );
    case 'fsync-done':
      return JSON.stringify({ t: atMs, event: 'fsync-done', node: event.node, file: event.pending.completion.file });
    case 'deferred-input':
      return JSON.stringify({ t: atMs, event: 'deferred-input', node: event.node, input: event.input.kind });
    case 'fault':
      return JSON.stringify({ t: atMs, event: 'fault', action: event.action, description: describeFault(event.action) });
    default:
      return JSON.stringify({ t: atMs, event: event.kind, ...event });
  }
}
