/**
 * What a replica must remember across restarts to keep its promises, and the store it asks for it
 * (Kafka's ElectionState and QuorumStateStore). The file behind it is storage, in
 * `src/log/fileQuorumStateStore.ts`.
 *
 * The contract the protocol relies on: `writeElectionState(state, onDurable)` runs `onDurable` only
 * once `state` would survive a power loss; a state written while another write is in flight may
 * supersede the ones queued before it, whose continuations then never run (only the newest state is
 * ever acted on). `readElectionState` answers null for a missing or corrupt file.
 */

import type { DiskCompletion, NodeId } from '../host.js';

export interface ElectionState {
  readonly epoch: number;
  readonly leaderId: NodeId | null;
  readonly votedId: NodeId | null;
}

export function sameElectionState(a: ElectionState, b: ElectionState): boolean {
  return a.epoch === b.epoch && a.leaderId === b.leaderId && a.votedId === b.votedId;
}

export interface QuorumStateStore {
  readElectionState(): ElectionState | null;
  writeElectionState(state: ElectionState, onDurable: () => void): void;
  /** Handles a disk completion if it is one of the store's; false for anyone else's. */
  onFsyncComplete(completion: DiskCompletion): boolean;
}
