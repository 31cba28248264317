/**
 * The streaming trace hash: every executed event is folded into it, so two runs with the same
 * seed must end with the same hash, and any divergence — one extra event, one different delay —
 * changes it. Two independent 32-bit lanes (FNV-1a and a multiply-rotate mix) make a 64-bit
 * digest; this is for detecting drift, not for security.
 */

const FNV_PRIME = 0x01000193;

export class TraceHash {
  private laneA = 0x811c9dc5;
  private laneB = 0x9747b28c;
  private count = 0;

  get eventsHashed(): number {
    return this.count;
  }

  /** Marks the start of one event, so that field boundaries between events cannot alias. */
  beginEvent(): void {
    this.count++;
    this.int(0x5eed);
  }

  int(value: number): void {
    // Integers up to 2^53 are folded as two 32-bit halves.
    const low = value | 0;
    const high = Math.floor(value / 0x1_0000_0000) | 0;
    this.word(low);
    this.word(high);
  }

  string(value: string): void {
    this.word(value.length);
    for (let i = 0; i < value.length; i++) this.word(value.charCodeAt(i));
  }

  /** Folds a JSON-like value (trace event fields); object keys in their insertion order. */
  value(value: unknown): void {
    switch (typeof value) {
      case 'number':
        if (Number.isInteger(value)) this.int(value);
        else this.string(String(value));
        return;
      case 'string':
        this.string(value);
        return;
      case 'boolean':
        this.word(value ? 1 : 2);
        return;
      case 'undefined':
        this.word(3);
        return;
      case 'object':
        if (value === null) {
          this.word(4);
        } else if (Array.isArray(value)) {
          this.word(5);
          this.word(value.length);
          for (const item of value) this.value(item);
        } else if (value instanceof Uint8Array) {
          this.word(6);
          this.word(value.length);
          for (let i = 0; i < value.length; i++) this.word(value[i]!);
        } else {
          this.word(7);
          for (const key of Object.keys(value)) {
            this.string(key);
            this.value((value as Record<string, unknown>)[key]);
          }
        }
        return;
      default:
        throw new Error(`TraceHash: cannot hash a ${typeof value}`);
    }
  }

  private word(value: number): void {
    this.laneA = Math.imul(this.laneA ^ (value & 0xffff), FNV_PRIME);
    this.laneA = Math.imul(this.laneA ^ (value >>> 16), FNV_PRIME);
    let b = Math.imul(value, 0xcc9e2d51);
    b = (b << 15) | (b >>> 17);
    b = Math.imul(b, 0x1b873593);
    this.laneB ^= b;
    this.laneB = (this.laneB << 13) | (this.laneB >>> 19);
    this.laneB = (Math.imul(this.laneB, 5) + 0xe6546b64) | 0;
  }

  /** The digest so far, as 16 hex characters. */
  digest(): string {
    const hex = (n: number) => (n >>> 0).toString(16).padStart(8, '0');
    return hex(this.laneA) + hex(this.laneB ^ this.count);
  }
}
