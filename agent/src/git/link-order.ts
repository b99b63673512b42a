// Objects in an order where every object comes after the objects it links to (a commit after its tree and parents, a
// tree after its entries, a tag after its target): a post-order walk over the links among the given objects. An import
// applied in several changes uses it so that each change only links to objects already there — which is what lets a
// replica check every link of every change (fsckLinks) against what it holds, as it would the import in one piece.
// Objects are read as fsckObject left them (well formed); links to objects outside the set are ignored.
import type { ObjectType } from './objects.js';
import { scanTree } from './fsck/tree.js';

export interface LinkedObjects {
  readonly count: number;
  /** The object's id as 20 binary bytes. */
  key(i: number): Buffer;
  type(i: number): ObjectType;
  data(i: number): Buffer;
}

const GITLINK = 0o160000;
const HEX40 = /^[0-9a-f]{40}$/;

/** Keys (binary, as latin1 strings) of what object i links to. */
function links(objects: LinkedObjects, i: number, out: string[]): void {
  out.length = 0;
  const type = objects.type(i);
  if (type === 'blob') return;
  const data = objects.data(i);
  if (type === 'tree') {
    scanTree(data, (e) => {
      if (e.mode !== GITLINK) out.push(data.toString('latin1', e.idAt, e.idAt + 20));
    });
    return;
  }
  // A commit's tree and parents, a tag's object: header lines "<name> <40 hex>\n" before the first other header.
  const names = type === 'commit' ? ['tree', 'parent'] : ['object'];
  for (let at = 0; at < data.length; ) {
    const nl = data.indexOf(0x0a, at);
    const end = nl < 0 ? data.length : nl;
    const sp = data.indexOf(0x20, at);
    if (sp < 0 || sp > end || !names.includes(data.toString('latin1', at, sp))) break;
    const hex = data.toString('latin1', sp + 1, end);
    if (HEX40.test(hex)) out.push(Buffer.from(hex, 'hex').toString('latin1'));
    at = end + 1;
  }
}

/** A permutation of 0..count-1 putting every object after the objects (of the set) it links to. */
export function linkOrder(objects: LinkedObjects): Uint32Array {
  const n = objects.count;
  const index = new Map<string, number>();
  for (let i = 0; i < n; i++) index.set(objects.key(i).toString('latin1'), i);
  const state = new Uint8Array(n); // 0 unvisited, 1 visiting (its links pushed), 2 placed
  const order = new Uint32Array(n);
  let placed = 0;
  const stack: number[] = [];
  const out: string[] = [];
  for (let root = 0; root < n; root++) {
    if (state[root] !== 0) continue;
    stack.push(root);
    while (stack.length > 0) {
      const v = stack[stack.length - 1];
      if (state[v] === 0) {
        state[v] = 1;
        links(objects, v, out);
        for (const k of out) {
          const c = index.get(k);
          if (c !== undefined && state[c] === 0) stack.push(c);
        }
        continue;
      }
      stack.pop();
      if (state[v] === 1) {
        state[v] = 2;
        order[placed++] = v;
      }
    }
  }
  return order;
}
