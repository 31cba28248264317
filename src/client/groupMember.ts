/**
 * What the consumer needs of its group protocol, whichever it is: the classic ConsumerCoordinator or
 * KIP-848's ConsumerMembershipManager. Both split their work as Kafka's consumers do: `poll` runs in
 * the application's call (rebalance callbacks, joining, auto-commit), `runBackground` on every input
 * (heartbeats and timeouts), and both say who the member is for commits.
 */

import type { ConsumerException } from './consumerRecord.js';
import type { GroupCommitMember } from './offsetCommitManager.js';

/** Who the member is in its group, for the application's records (ConsumerGroupMetadata and a little more). */
export interface GroupMetadata {
  /** The generation (classic) or member epoch (KIP-848); -1 outside the group. */
  readonly generationId: number;
  readonly memberId: string;
  readonly groupInstanceId: string | null;
  /** The membership state, in the protocol's own words. */
  readonly state: string;
  /** Whether this member computed the last assignment (classic only). */
  readonly leader: boolean;
}

/** What a group protocol's poll reports to the consumer's poll. */
export type GroupPollResult = { readonly ok: true; readonly ready: boolean } | { readonly ok: false; readonly exception: ConsumerException };

export interface GroupMember extends GroupCommitMember {
  /** The application's poll: keep the member alive, complete rebalances, auto-commit. `ready` is false while the group is unsettled. */
  poll(nowMs: number): GroupPollResult;
  /** Heartbeats, timeouts and rediscovery; called on every input. */
  runBackground(nowMs: number): void;
  /** When the member next needs an input without one arriving. */
  nextWakeupMs(): number;
  /** Revoke (or lose) the partitions and leave, from close. */
  close(): void;
  groupMetadata(): GroupMetadata;
}
