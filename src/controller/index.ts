/**
 * The public surface of the KRaft controller for the rest of ksim: the controller node factory the
 * simulation builds, its configuration, and the controller API helpers brokers may want (the
 * request guard and the NOT_CONTROLLER answers). Everything else in this folder is an
 * implementation detail that tests may still import directly.
 */

export {
  CONTROLLER_CONFIG_KEYS,
  type ControllerConfig,
  DEFAULT_CONTROLLER_CONFIG,
  PRODUCER_ID_BLOCK_SIZE,
  parseControllerConfig,
} from './config.js';
export { ControllerNode, type ControllerNodeOptions, createControllerNode } from './controllerNode.js';
export {
  type ControllerRaft,
  type ControllerRequest,
  QuorumController,
  isControllerRequest,
  notControllerResponse,
} from './quorumController.js';
export { MIN_INSYNC_REPLICAS_CONFIG, UNCLEAN_LEADER_ELECTION_ENABLE_CONFIG } from './replicationControl.js';
