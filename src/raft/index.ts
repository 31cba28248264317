/**
 * The public surface of the KRaft quorum for the rest of ksim: the client a controller or broker
 * embeds, the raft-only quorum node, the messages and the configuration. Everything else in this
 * folder is an implementation detail that tests may still import directly.
 */

export { DEFAULT_RAFT_CONFIG, RAFT_CONFIG_KEYS, type RaftConfig, parseRaftConfig } from './config.js';
export {
  type CommittedEntry,
  FETCH_MAX_WAIT_MS,
  KafkaRaftClient,
  type KafkaRaftClientOptions,
  type ProposeResult,
  RAFT_LOG_DIR,
  type RaftListener,
} from './kafkaRaftClient.js';
export {
  type RaftApi,
  type RaftErrorCode,
  type RaftMessage,
  type RaftRequest,
  type RaftResponse,
  isRaftMessage,
  raftMessageSizeBytes,
} from './messages.js';
export { type QuorumRole, QUORUM_ROLES } from './quorumState.js';
export type { ReplicatedLog } from './replicatedLog.js';
