// Objects computed by a command but not yet applied: reads see them on top of the repository, writes stay pending until
// the command applies them together with its ref update (or throws them away on conflict).
import { GitObject, ObjectId, ObjectReader, ObjectType, hashObject } from '../git/objects.js';
import { StoredObject } from '../store/repository.js';

export class PendingObjects implements ObjectReader {
  private readonly pending = new Map<ObjectId, StoredObject>();
  constructor(private readonly base: ObjectReader & { has(id: ObjectId): boolean }) {}

  readObject(id: ObjectId): GitObject | undefined {
    return this.pending.get(id) ?? this.base.readObject(id);
  }

  writeObject(type: ObjectType, data: Buffer): ObjectId {
    const id = hashObject(type, data);
    if (!this.base.has(id)) this.pending.set(id, { id, type, data });
    return id;
  }

  /** The new objects, for Repository.apply. */
  objects(): StoredObject[] {
    return [...this.pending.values()];
  }
}
