/**
 * A total, deterministic order on node ids, so that every list the metadata layer builds from a
 * map (live brokers, placement candidates) comes out the same on every node and every run.
 *
 * The order is natural: the alphabetic prefix first, then the number, so `b2` < `b10` as an
 * operator expects; ids without a trailing number compare by code units.
 */
import type { NodeId } from '../host.js';

const ID_PATTERN = /^(.*?)(\d+)$/;

export function compareNodeIds(a: NodeId, b: NodeId): number {
  const matchA = ID_PATTERN.exec(a);
  const matchB = ID_PATTERN.exec(b);
  if (matchA !== null && matchB !== null && matchA[1] === matchB[1]) {
    const difference = Number(matchA[2]) - Number(matchB[2]);
    if (difference !== 0) return difference;
  }
  return a < b ? -1 : a > b ? 1 : 0;
}
