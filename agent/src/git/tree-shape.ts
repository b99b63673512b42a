// How deep a tree nests and how long its longest path is, checked against the structural limits (git's core.maxTreeDepth,
// PATH_MAX) before a tree is accepted. Trees share subtrees, so each tree's shape is computed once and remembered; the
// walk keeps its own stack (no recursion) and stops as soon as a limit is passed, so a hostile tree nested a million
// levels deep costs no more than the limit's worth of work and never the call stack.
import { GitFormatError, type ObjectId, type ObjectReader } from './objects.js';

export interface TreeShapeLimits {
  /** Most components a path may have ("a/b/cde/f" has 4). */
  maxTreeDepth: number;
  /** Longest path, in bytes. */
  maxPathBytes: number;
}

/** A tree over a structural limit; `limit` says which one. */
export class TreeLimitError extends GitFormatError {
  override name = 'TreeLimitError';
  constructor(
    readonly limit: 'depth' | 'path',
    message: string,
    readonly treeId: ObjectId,
  ) {
    super(message);
  }
}

/** A tree's extent below it: most path components and longest path in bytes (0 and 0 for an empty tree). */
interface Shape {
  depth: number;
  pathBytes: number;
}

interface Frame {
  id: ObjectId;
  data: Buffer;
  at: number;
  /** Components and bytes of the path leading to this tree ("a/b/" is 2 and 4). */
  prefixDepth: number;
  prefixBytes: number;
  shape: Shape;
  /** The entry being descended into: its name's length, awaiting the subtree's shape. */
  pendingName: number;
}

const SPACE = 0x20;

/** True when a raw tree entry mode names a tree ("40000", or the legacy "040000"). */
function isTreeMode(data: Buffer, start: number, end: number): boolean {
  let i = start;
  if (end - i === 6 && data[i] === 0x30) i++;
  return end - i === 5 && data[i] === 0x34 && data[i + 1] === 0x30 && data[i + 2] === 0x30 && data[i + 3] === 0x30 && data[i + 4] === 0x30;
}

export class TreeShapes {
  private readonly known = new Map<ObjectId, Shape>();

  constructor(
    private readonly reader: ObjectReader,
    private readonly limits: TreeShapeLimits,
  ) {}

  /**
   * Throws TreeLimitError when some path below tree `root` has more than maxTreeDepth components or more than
   * maxPathBytes bytes. Subtrees the reader lacks count as empty (connectivity is checked elsewhere); malformed trees
   * are left to the object checks (their entries are read as far as they parse).
   */
  check(root: ObjectId): void {
    if (this.known.has(root)) return;
    const top = this.frame(root, 0, 0);
    if (!top) return;
    const stack: Frame[] = [top];
    while (stack.length > 0) {
      const f = stack[stack.length - 1];
      const entry = this.nextEntry(f);
      if (!entry) {
        stack.pop();
        this.known.set(f.id, f.shape);
        const parent = stack[stack.length - 1];
        if (parent) this.merge(parent, parent.pendingName, f.shape);
        continue;
      }
      const depth = f.prefixDepth + 1;
      const bytes = f.prefixBytes + entry.nameBytes;
      if (depth > this.limits.maxTreeDepth) {
        throw new TreeLimitError('depth', `tree ${root} nests deeper than the limit of ${this.limits.maxTreeDepth} path components`, root);
      }
      if (bytes > this.limits.maxPathBytes) {
        throw new TreeLimitError('path', `tree ${root} has a path longer than the limit of ${this.limits.maxPathBytes} bytes`, root);
      }
      if (entry.subtree === undefined) {
        this.merge(f, entry.nameBytes, undefined);
        continue;
      }
      const seen = this.known.get(entry.subtree);
      if (seen) {
        if (depth + seen.depth > this.limits.maxTreeDepth) {
          throw new TreeLimitError('depth', `tree ${root} nests deeper than the limit of ${this.limits.maxTreeDepth} path components`, root);
        }
        if (seen.pathBytes > 0 && bytes + 1 + seen.pathBytes > this.limits.maxPathBytes) {
          throw new TreeLimitError('path', `tree ${root} has a path longer than the limit of ${this.limits.maxPathBytes} bytes`, root);
        }
        this.merge(f, entry.nameBytes, seen);
        continue;
      }
      const child = this.frame(entry.subtree, depth, bytes + 1);
      if (!child) {
        this.merge(f, entry.nameBytes, undefined);
        continue;
      }
      f.pendingName = entry.nameBytes;
      stack.push(child);
    }
  }

  private frame(id: ObjectId, prefixDepth: number, prefixBytes: number): Frame | undefined {
    const o = this.reader.readObject(id);
    if (!o || o.type !== 'tree') return undefined;
    return { id, data: o.data, at: 0, prefixDepth, prefixBytes, shape: { depth: 0, pathBytes: 0 }, pendingName: 0 };
  }

  /** Folds one entry (a leaf, or a subtree of the given shape) into its tree's shape. */
  private merge(f: Frame, nameBytes: number, sub: Shape | undefined): void {
    const depth = 1 + (sub?.depth ?? 0);
    const bytes = sub && sub.pathBytes > 0 ? nameBytes + 1 + sub.pathBytes : nameBytes;
    if (depth > f.shape.depth) f.shape.depth = depth;
    if (bytes > f.shape.pathBytes) f.shape.pathBytes = bytes;
  }

  /** The next entry of a raw tree: its name's byte length and, for a tree entry, the subtree's id. */
  private nextEntry(f: Frame): { nameBytes: number; subtree: ObjectId | undefined } | undefined {
    const { data } = f;
    if (f.at >= data.length) return undefined;
    const sp = data.indexOf(SPACE, f.at);
    const nul = sp < 0 ? -1 : data.indexOf(0, sp);
    if (sp < 0 || nul < 0 || nul + 21 > data.length) {
      f.at = data.length;
      return undefined;
    }
    const subtree = isTreeMode(data, f.at, sp) ? data.toString('hex', nul + 1, nul + 21) : undefined;
    const nameBytes = nul - sp - 1;
    f.at = nul + 21;
    return { nameBytes, subtree };
  }
}

/** Why a path given to a write (e.g. a REST commit) breaks the structural limits, as [code, message], or undefined. */
export function pathLimitProblem(path: string, limits: TreeShapeLimits): [code: string, message: string] | undefined {
  if (path.length > limits.maxPathBytes / 3 && Buffer.byteLength(path) > limits.maxPathBytes) {
    return ['path_too_long', `path of ${Buffer.byteLength(path)} bytes is over the limit of ${limits.maxPathBytes}`];
  }
  let depth = 1;
  for (let i = path.indexOf('/'); i >= 0; i = path.indexOf('/', i + 1)) depth++;
  if (depth > limits.maxTreeDepth) return ['tree_too_deep', `path has ${depth} components, over the limit of ${limits.maxTreeDepth}`];
  return undefined;
}
