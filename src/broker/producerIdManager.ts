/**
 * RPCProducerIdManager (KIP-730): producer ids come from the controller in blocks
 * (AllocateProducerIds, committed as a ProducerIdsRecord so no id is ever handed out twice), and
 * this broker hands them out one by one.
 *
 * - A new block is asked for when fewer than PRODUCER_ID_BLOCK_REFILL_BELOW ids are left. ksim checks
 *   on every heartbeat tick; Kafka checks on each id it hands out (at 90% of the block).
 * - One request at a time. A request lost to a partition or a controller failover must not block
 *   producers forever: a timer (not the wall clock, which skew can move) lets it be asked again.
 * - With no id left, InitProducerId answers COORDINATOR_LOAD_IN_PROGRESS, which clients retry (Kafka
 *   chose it over REQUEST_TIMED_OUT because older clients treat that one as fatal).
 *
 * Timer: `broker.producer-ids-timeout` (the outstanding request may be asked again).
 *
 * Left out: Kafka's prefetched next block (a block replaces the current one when it arrives) and the
 * backoff after an error answer (the timer stands in for both).
 */
import type { Host, NodeId } from '../host.js';
import type { AllocateProducerIdsResponse, InitProducerIdResponse } from '../protocol/apis.js';
import type { Timers } from './timers.js';

/** How long an AllocateProducerIds may go unanswered before it is asked again. */
const ALLOCATE_PRODUCER_IDS_TIMEOUT_MS = 5_000;
/** A new block is asked for once fewer ids than this are left. */
const PRODUCER_ID_BLOCK_REFILL_BELOW = 10;
const REQUEST_TIMER = 'broker.producer-ids-timeout';

export interface ProducerIdManagerContext {
  nextCorrelationId(): number;
  brokerEpoch(): number;
}

export class RPCProducerIdManager {
  /** The block being handed out: `next` is the next id, `end` one past the block's last. */
  private block: { next: number; end: number } | null = null;
  /** An AllocateProducerIds is outstanding; its timer clears this, so a lost one is asked again. */
  private requestInFlight = false;

  constructor(
    private readonly host: Host<unknown>,
    private readonly timers: Timers,
    private readonly context: ProducerIdManagerContext,
  ) {}

  /** Asks `controller` for a new block when this one runs low and no request is outstanding. */
  maybeRequestNextBlock(controller: NodeId): void {
    const remaining = this.block === null ? 0 : this.block.end - this.block.next;
    if (remaining >= PRODUCER_ID_BLOCK_REFILL_BELOW || this.requestInFlight) return;
    this.requestInFlight = true;
    this.timers.schedule(REQUEST_TIMER, ALLOCATE_PRODUCER_IDS_TIMEOUT_MS, () => {
      this.requestInFlight = false;
    });
    this.host.send(controller, { api: 'AllocateProducerIds', correlationId: this.context.nextCorrelationId(), brokerId: this.host.nodeId, brokerEpoch: this.context.brokerEpoch() }, 'controller');
  }

  handleAllocateProducerIdsResponse(response: AllocateProducerIdsResponse): void {
    this.requestInFlight = false;
    if (response.errorCode === 'NONE') this.block = { next: response.producerIdStart, end: response.producerIdStart + response.producerIdLen };
  }

  /** The next producer id, or null while this broker has none to give. */
  generateProducerId(): number | null {
    const block = this.block;
    if (block === null || block.next >= block.end) return null;
    return block.next++;
  }

  /**
   * InitProducerId without a transactional id: a fresh id at epoch 0, which is also how an
   * idempotent producer "bumps" after an unknown sequence (KIP-360's idempotent path). In Kafka the
   * transaction coordinator answers InitProducerId; this moves there when transactions arrive.
   */
  initProducerIdResponse(correlationId: number): InitProducerIdResponse {
    const producerId = this.generateProducerId();
    if (producerId === null) return { api: 'InitProducerIdResponse', correlationId, errorCode: 'COORDINATOR_LOAD_IN_PROGRESS', producerId: -1, producerEpoch: -1 };
    return { api: 'InitProducerIdResponse', correlationId, errorCode: 'NONE', producerId, producerEpoch: 0 };
  }
}
