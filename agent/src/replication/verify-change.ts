// What a replica checks before it applies its primary's change or installs a snapshot: every object's id is the SHA-1
// of its type and data, every object passes git's fsck rules (fsckObject, then fsckLinks against what the replica
// holds), and every ref set names an object that is there (a branch a commit). The primary checked all this on its
// write paths; the replica checks again because a change crossed a network and a disk, and a replica must never hold
// what its own write paths would refuse. Throws FsckError; the stream then closes, as on any refused frame.
import { fsckIdentifiedObject, fsckLinks, fsckRef } from '../git/fsck/index.js';
import type { ObjectReader } from '../git/objects.js';
import type { Change } from '../store/repository.js';

export function verifyChange(change: Change, existing: ObjectReader): void {
  for (const o of change.objects) fsckIdentifiedObject(o);
  fsckLinks(change.objects, existing);
  const fresh = new Map(change.objects.map((o) => [o.id, o]));
  const reader: ObjectReader = { readObject: (id) => fresh.get(id) ?? existing.readObject(id) };
  for (const r of change.refs) if (r.new !== null) fsckRef(r.name, r.new, reader);
}
