/** ProducerConfig: Kafka's names and defaults, errors as data, and the idempotence cross-checks. */
import { describe, expect, test } from 'vitest';
import { DEFAULT_PRODUCER_CONFIG, parseProducerConfig } from '../../src/client/config.js';

function errorsOf(properties: Record<string, unknown>): readonly string[] {
  const result = parseProducerConfig(properties);
  return result.ok ? [] : result.errors;
}

describe('ProducerConfig', () => {
  test("defaults are Kafka 4.0's: acks=all, idempotence on, 5 in flight, linger 5", () => {
    const result = parseProducerConfig({});
    expect(result).toEqual({ ok: true, config: DEFAULT_PRODUCER_CONFIG });
    expect(DEFAULT_PRODUCER_CONFIG.acks).toBe(-1);
    expect(DEFAULT_PRODUCER_CONFIG.enableIdempotence).toBe(true);
    expect(DEFAULT_PRODUCER_CONFIG.maxInFlightRequestsPerConnection).toBe(5);
    expect(DEFAULT_PRODUCER_CONFIG.deliveryTimeoutMs).toBe(120_000);
    expect(DEFAULT_PRODUCER_CONFIG.lingerMs).toBe(5);
    expect(DEFAULT_PRODUCER_CONFIG.batchSize).toBe(16_384);
  });

  test('accepts strings as Kafka properties files give them', () => {
    const result = parseProducerConfig({ acks: 'all', 'linger.ms': '0', 'enable.idempotence': 'false', 'batch.size': 100 });
    expect(result.ok && result.config).toMatchObject({ acks: -1, lingerMs: 0, enableIdempotence: false, batchSize: 100 });
  });

  test('bad values and unknown keys are errors as data, all of them at once', () => {
    const errors = errorsOf({ acks: 2, 'linger.ms': -1, 'batch.size': 'big', 'enable.idempotence': 'yes', 'lingr.ms': 5 });
    expect(errors).toHaveLength(5);
    expect(errors.join('\n')).toMatch(/acks/);
    expect(errors.join('\n')).toMatch(/unknown producer config 'lingr.ms'/);
  });

  test('explicit idempotence with acks=1 or more than 5 in flight is a config error, as in Kafka', () => {
    expect(errorsOf({ 'enable.idempotence': true, acks: 1 })).toHaveLength(1);
    expect(errorsOf({ 'enable.idempotence': true, 'max.in.flight.requests.per.connection': 6 })).toHaveLength(1);
    expect(errorsOf({ 'enable.idempotence': true, retries: 0 })).toHaveLength(1);
  });

  test('default idempotence is quietly disabled by conflicting settings (KAFKA-13598)', () => {
    const result = parseProducerConfig({ acks: 1 });
    expect(result.ok && result.config.enableIdempotence).toBe(false);
    const inFlight = parseProducerConfig({ 'max.in.flight.requests.per.connection': 10 });
    expect(inFlight.ok && inFlight.config.enableIdempotence).toBe(false);
  });

  test('delivery.timeout.ms must cover linger.ms + request.timeout.ms when explicit, and is raised when default', () => {
    expect(errorsOf({ 'delivery.timeout.ms': 1000, 'request.timeout.ms': 2000 })).toHaveLength(1);
    const raised = parseProducerConfig({ 'request.timeout.ms': 200_000 });
    expect(raised.ok && raised.config.deliveryTimeoutMs).toBe(200_005);
  });
});
