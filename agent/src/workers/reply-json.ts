// Replies serialized in the worker that computed them, so that neither the serialization nor a copy of a large answer
// (a whole-history patch, a listing of 100,000 entries) costs the event loop: fast-json-stringify compiled from the
// route's own reply schema (transports/http/reply-schemas.ts), exactly as fastify compiles it, so the bytes are the
// ones fastify would have sent. They move to the main thread without a copy (their ArrayBuffer is transferred).
import build from 'fast-json-stringify';
import { branchList, compareReply, historyPage, tagList, treeListing } from '../transports/http/reply-schemas.js';

/** Bytes of a JSON reply, in an ArrayBuffer of their own (moved, not copied, to the main thread, which sends them). */
export interface JsonReply {
  json: Uint8Array;
}

const serializers = {
  compare: build(compareReply),
  history: build(historyPage),
  tree: build(treeListing),
  branches: build(branchList),
  tags: build(tagList),
};

export type ReplyKind = keyof typeof serializers;

export function jsonReply(kind: ReplyKind, value: object): JsonReply {
  const text = serializers[kind](value);
  const json = new Uint8Array(Buffer.byteLength(text));
  Buffer.from(json.buffer).write(text);
  return { json };
}
