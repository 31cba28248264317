/** The shared Kafka config parser: defaults, string values, and bad values refused by key. */
import { describe, expect, test } from 'vitest';
import { parseConfigFields, parseNonNegativeInt, parsePositiveInt } from '../../src/util/configValues.js';

const defaults = { timeoutMs: 100, enabled: false };
const keys = { timeoutMs: 'some.timeout.ms', enabled: 'some.enable' };

describe('parseConfigFields', () => {
  test('keeps defaults for missing keys and ignores other components\' keys', () => {
    expect(parseConfigFields(defaults, keys, { 'other.key': 5 }, parsePositiveInt)).toEqual(defaults);
  });

  test('parses numbers and booleans, also given as strings, as Kafka properties files do', () => {
    expect(parseConfigFields(defaults, keys, { 'some.timeout.ms': '250', 'some.enable': 'true' }, parsePositiveInt)).toEqual({ timeoutMs: 250, enabled: true });
  });

  test('refuses a bad value, naming the key', () => {
    expect(() => parseConfigFields(defaults, keys, { 'some.timeout.ms': 0 }, parsePositiveInt)).toThrow(/some.timeout.ms must be a positive integer/);
    expect(parseConfigFields(defaults, keys, { 'some.timeout.ms': 0 }, parseNonNegativeInt).timeoutMs).toBe(0);
    expect(() => parseConfigFields(defaults, keys, { 'some.enable': 'yes' }, parsePositiveInt)).toThrow(/some.enable must be true or false/);
  });
});
