// Handing request bodies to a worker without a copy: a Buffer that owns its whole ArrayBuffer can be transferred (the
// main thread no longer needs it); one that shares memory (Buffer's pool, a slice) is copied once.

/** `data` as a Uint8Array owning its whole, transferable ArrayBuffer. */
export function ownedBytes(data: Uint8Array): Uint8Array {
  if (data.byteOffset === 0 && data.byteLength === data.buffer.byteLength && data.buffer instanceof ArrayBuffer) {
    return new Uint8Array(data.buffer, 0, data.byteLength);
  }
  return new Uint8Array(data);
}
