// Reading an object whose type the caller knows it needs: a missing object or one of another type is a GitFormatError
// that says which (the REST layer answers both with 422, never 500 — repositories imported before fsck existed may
// have a branch at a blob or a tree entry pointing at the wrong kind of object).
import { GitFormatError, type GitObject, type ObjectId, type ObjectReader, type ObjectType } from './objects.js';

export class MissingObjectError extends GitFormatError {
  constructor(readonly object: ObjectId, readonly expected: ObjectType | 'object') {
    super(`missing ${expected} ${object}`);
  }
}

export class WrongTypeError extends GitFormatError {
  constructor(readonly object: ObjectId, readonly actual: ObjectType, readonly expected: ObjectType) {
    super(`object ${object} is a ${actual}, expected a ${expected}`);
  }
}

/** The object `id`, which must exist and be a `type`. */
export function readTyped(reader: ObjectReader, id: ObjectId, type: ObjectType): GitObject {
  const obj = reader.readObject(id);
  if (!obj) throw new MissingObjectError(id, type);
  if (obj.type !== type) throw new WrongTypeError(id, obj.type, type);
  return obj;
}
