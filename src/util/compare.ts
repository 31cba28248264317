/**
 * Comparators for sorting, so that every order in the simulation is explicit (the tidy test bans a
 * bare `.sort()`, whose order depends on string conversion).
 */

/** Orders strings by UTF-16 code units, as a bare `.sort()` would, but saying so. */
export function compareStrings(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
