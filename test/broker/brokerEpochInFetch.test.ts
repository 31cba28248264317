/**
 * KIP-903: a follower's Fetch carries its broker epoch, so a fetch state left by a replica's
 * previous incarnation cannot take the replica into the ISR; the legacy switch
 * (ksim.legacy.fetch.without.broker.epoch) sends -1, as Fetch did before it: the leader then checks
 * the follower's registration alone, and the controller takes -1 as any epoch.
 */
import { describe, expect, test } from 'vitest';
import { DEFAULT_LEGACY_SWITCHES } from '../../src/broker/config.js';
import { KRaftMetadataCache } from '../../src/broker/metadataCache.js';
import type { FetchRequest } from '../../src/protocol/apis.js';
import { decodeImage } from '../../src/metadata/image.js';
import { brokerParts, imageSnapshot, partitionOn } from './brokerParts.js';

/** b2 follows b1 for t-0; the Fetch its fetcher sends. */
function followerFetch(fetchWithoutBrokerEpoch: boolean): FetchRequest {
  const { publisher, caughtUp, sent } = brokerParts('b2', { legacy: { ...DEFAULT_LEGACY_SWITCHES, fetchWithoutBrokerEpoch } });
  caughtUp.value = true;
  publisher.handleLoadSnapshot(imageSnapshot(10, { t: [partitionOn('t', 0, 'b1', 0)] }));
  const fetch = sent.map((entry) => entry.message as { api: string }).find((message) => message.api === 'Fetch');
  expect(fetch).toBeDefined();
  return fetch as FetchRequest;
}

describe('KIP-903: the broker epoch in Fetch', () => {
  test('a follower fetches with its broker epoch (legacy switch: with -1)', () => {
    expect(followerFetch(false).replicaEpoch).toBe(5);
    expect(followerFetch(true).replicaEpoch).toBe(-1);
  });

  test('the leader takes a replica into the ISR only with the epoch it is registered with; a pre-KIP-903 Fetch (no epoch) is checked by its registration alone', () => {
    const cache = new KRaftMetadataCache();
    cache.setImage(decodeImage(imageSnapshot(10, { t: [partitionOn('t', 0, 'b1', 0)] })));
    // brokerParts registers b1..b3 with broker epoch 5: epoch 4 is a previous incarnation's.
    expect(cache.isReplicaIsrEligible('b3', 5)).toBe(true);
    expect(cache.isReplicaIsrEligible('b3', 4)).toBe(false);
    // -1 is a broker between registrations: not eligible (Kafka's brokers always send their epoch).
    expect(cache.isReplicaIsrEligible('b3', -1)).toBe(false);
    expect(cache.isReplicaIsrEligible('b3', null)).toBe(true);
    expect(cache.isReplicaIsrEligible('b4', null)).toBe(false);
  });
});
