/**
 * Resource ids and UUIDs from a seeded generator, so that a scenario replays with the same
 * ids every run (readable demos, reproducible bug reports).
 */

export class IdFactory {
  private state: number;

  constructor(seed: number) {
    // mulberry32 wants a non-zero 32-bit state
    this.state = (Math.floor(seed) >>> 0) || 0x9e3779b9;
  }

  /** A float in [0, 1). */
  random(): number {
    this.state = (this.state + 0x6d2b79f5) >>> 0;
    let t = this.state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }

  /** An integer in [min, max]. */
  integer(min: number, max: number): number {
    return min + Math.floor(this.random() * (max - min + 1));
  }

  hex(length: number): string {
    let out = '';
    for (let i = 0; i < length; i += 1) out += Math.floor(this.random() * 16).toString(16);
    return out;
  }

  /** An EC2-style id: prefix, "-0" and 16 hex digits (e.g. i-0e5b4a3f2c1d09876). */
  resourceId(prefix: string): string {
    return `${prefix}-0${this.hex(16)}`;
  }

  /** A version-4 shaped UUID. */
  uuid(): string {
    const h = this.hex(32).split('');
    h[12] = '4';
    h[16] = '89ab'[Math.floor(this.random() * 4)] ?? '8';
    const s = h.join('');
    return `${s.slice(0, 8)}-${s.slice(8, 12)}-${s.slice(12, 16)}-${s.slice(16, 20)}-${s.slice(20)}`;
  }
}
