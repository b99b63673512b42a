// A bare git repository filled in-process: objects are hashed and written as loose objects by the test itself (no git
// process per file), so oracle tests can build hundreds of histories and spend their git calls on the commands under
// test. The same objects are readable in memory for the code under test.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { deflateSync } from 'node:zlib';
import { encodeCommit, encodeTree, hashObject, MODE_TREE, type FileMode, type GitObject, type ObjectId, type ObjectReader, type ObjectType } from '../../src/git/objects.js';
import { makeTempRepo } from './git-cli.js';

export type FileSpec = string | Buffer | { exec: string } | { link: string };
export type State = Record<string, FileSpec>;

export class ObjectRepo implements ObjectReader {
  readonly dir = makeTempRepo({ bare: true });
  readonly objects = new Map<ObjectId, GitObject>();
  private tick = 0;

  readObject(id: ObjectId): GitObject | undefined {
    return this.objects.get(id);
  }

  put(type: ObjectType, data: Buffer): ObjectId {
    const id = hashObject(type, data);
    if (this.objects.has(id)) return id;
    this.objects.set(id, { type, data });
    const dir = join(this.dir, 'objects', id.slice(0, 2));
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, id.slice(2)), deflateSync(Buffer.concat([Buffer.from(`${type} ${data.length}\0`), data])));
    return id;
  }

  /** The tree of a whole work-tree state (paths with '/' make directories). */
  tree(state: State): ObjectId {
    const root = new Map<string, unknown>();
    for (const [path, spec] of Object.entries(state)) {
      const parts = path.split('/');
      let node = root;
      for (const dir of parts.slice(0, -1)) {
        let next = node.get(dir);
        if (!(next instanceof Map)) node.set(dir, (next = new Map<string, unknown>()));
        node = next as Map<string, unknown>;
      }
      node.set(parts[parts.length - 1], spec);
    }
    const write = (node: Map<string, unknown>): ObjectId => {
      const entries = [...node].map(([name, v]) => {
        if (v instanceof Map) return { name, mode: MODE_TREE, id: write(v as Map<string, unknown>) };
        const spec = v as FileSpec;
        let mode: FileMode = '100644';
        let data: string | Buffer;
        if (typeof spec === 'string' || Buffer.isBuffer(spec)) data = spec;
        else if ('exec' in spec) (mode = '100755'), (data = spec.exec);
        else (mode = '120000'), (data = spec.link);
        return { name, mode, id: this.put('blob', Buffer.isBuffer(data) ? data : Buffer.from(data)) };
      });
      return this.put('tree', encodeTree(entries));
    };
    return write(root);
  }

  /** A commit of `state` with the given parents; `date` (seconds) defaults to one minute after the previous commit. */
  commit(state: State, parents: ObjectId[] = [], date?: number): ObjectId {
    const when = date ?? 1700000000 + ++this.tick * 60;
    const who = { name: 'T', email: 't@example.com', timestamp: when, timezone: '+0000' };
    return this.put('commit', encodeCommit({ tree: this.tree(state), parents, author: who, committer: who, extraHeaders: [], message: `c${this.tick}\n` }));
  }
}
