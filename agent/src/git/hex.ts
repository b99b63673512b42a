// Hex ids to bytes in plain JS: Buffer.write(hex) and Buffer.from(hex) are each a call into C++, which costs more than
// decoding 40 characters on the hot write path.
const HEX = new Int8Array(128).fill(-1);
for (let i = 0; i < 16; i++) HEX['0123456789abcdef'.charCodeAt(i)] = i;
for (let i = 10; i < 16; i++) HEX['ABCDEF'.charCodeAt(i - 10)] = i;

/** Writes the 20 bytes of a 40-digit hex id at `at`; false (with `out` partly written) when `id` is not one. */
export function writeHexId(id: string, out: Uint8Array, at: number): boolean {
  if (id.length !== 40) return false;
  for (let i = 0; i < 20; i++) {
    const a = id.charCodeAt(2 * i);
    const b = id.charCodeAt(2 * i + 1);
    const hi = a < 128 ? HEX[a] : -1;
    const lo = b < 128 ? HEX[b] : -1;
    if (hi < 0 || lo < 0) return false;
    out[at + i] = (hi << 4) | lo;
  }
  return true;
}

/** A string's UTF-8 bytes; ASCII ones are built in JS (small typed arrays live on the V8 heap, not in external memory). */
export function utf8Bytes(s: string): Uint8Array {
  const n = s.length;
  const out = new Uint8Array(n);
  for (let i = 0; i < n; i++) {
    const c = s.charCodeAt(i);
    if (c >= 0x80) return Buffer.from(s, 'utf8');
    out[i] = c;
  }
  return out;
}
