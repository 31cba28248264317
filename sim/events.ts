/**
 * The events of the world's one queue: what the kernel (world.ts) pops, the trace recorder hashes,
 * and node hosting, the disk, the network and the faults schedule.
 *
 * An input event is for one node incarnation: it is handed to that incarnation only (never to a
 * later one), and waits while the node is paused. The other events are the world's own: an fsync
 * reaching the platter, the OS's writeback, a fault firing or ending, a supervisor's restart, a
 * pause ending.
 */
import type { DiskCompletion, NodeId, TimerId } from '../src/host.js';
import type { PendingFsync } from './disk.js';
import type { FaultAction } from './faults/plan.js';
import type { Delivery, DisconnectNotice } from './network.js';

/** An input for one node incarnation; a paused node's inputs wait and then run in order. */
export type InputEvent =
  | { kind: 'start'; node: NodeId; incarnation: number }
  | Delivery
  | DisconnectNotice
  | { kind: 'timer'; node: NodeId; incarnation: number; timerId: TimerId; tag: string }
  | { kind: 'disk-complete'; node: NodeId; incarnation: number; completion: DiskCompletion };

export type WorldEvent =
  | InputEvent
  | { kind: 'fsync-done'; node: NodeId; incarnation: number; pending: PendingFsync }
  | { kind: 'deferred-input'; node: NodeId; incarnation: number; input: InputEvent }
  | { kind: 'page-cache-flush'; node: NodeId }
  | { kind: 'fault'; action: FaultAction }
  | { kind: 'fault-end'; faultId: number; action: FaultAction }
  | { kind: 'restart'; node: NodeId }
  | { kind: 'resume'; node: NodeId; pauseId: number };

/** What a part of the world needs from the kernel: the clock, the queue, and the stop switch. */
export interface Kernel {
  readonly nowMs: number;
  schedule(atMs: number, event: WorldEvent): void;
  /** Ends the run after the current event. */
  stop(reason: string): void;
}
