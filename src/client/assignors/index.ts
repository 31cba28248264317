/**
 * The assignors by name, as partition.assignment.strategy chooses them, and the rebalance protocol
 * a consumer follows: cooperative only when every configured assignor supports it (Kafka's
 * ConsumerCoordinator), so the default [range, cooperative-sticky] is eager until a rolling bounce
 * drops range.
 */

import type { AssignorName } from '../consumerConfig.js';
import { CooperativeStickyAssignor } from './cooperativeStickyAssignor.js';
import type { PartitionAssignor, RebalanceProtocol } from './partitionAssignor.js';
import { RangeAssignor } from './rangeAssignor.js';
import { RoundRobinAssignor } from './roundRobinAssignor.js';
import { StickyAssignor } from './stickyAssignor.js';

export function createAssignor(name: AssignorName): PartitionAssignor {
  switch (name) {
    case 'range':
      return new RangeAssignor();
    case 'roundrobin':
      return new RoundRobinAssignor();
    case 'sticky':
      return new StickyAssignor();
    case 'cooperative-sticky':
      return new CooperativeStickyAssignor();
    default: {
      const unknown: never = name;
      throw new Error(`unknown assignor ${String(unknown)}`);
    }
  }
}

/** The protocol every assignor supports, cooperative preferred; Kafka refuses a list with none in common. */
export function rebalanceProtocolOf(assignors: readonly PartitionAssignor[]): RebalanceProtocol {
  if (assignors.length === 0) throw new Error('rebalanceProtocolOf: no assignors');
  const common = (['COOPERATIVE', 'EAGER'] as const).filter((protocol) => assignors.every((assignor) => assignor.supportedProtocols.includes(protocol)));
  if (common.length === 0) throw new Error(`the assignors ${assignors.map((assignor) => assignor.name).join(', ')} share no rebalance protocol`);
  return common[0]!;
}
