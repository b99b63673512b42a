// A worker thread reading an ObjectStore snapshot while its creator keeps writing (object-snapshot.test.ts): checks every
// object of the snapshot (present, exact bytes) and that none written after it is visible, round after round.
import { parentPort, workerData } from 'node:worker_threads';
import { hashObject, type ObjectId } from '../../src/git/objects.js';
import type { StoreSnapshot } from '../../src/store/object-store.js';
import { SnapshotReader } from '../../src/store/object-snapshot.js';

const { snapshot, inside, outside } = workerData as { snapshot: StoreSnapshot; inside: ObjectId[]; outside: ObjectId[] };
const reader = new SnapshotReader(snapshot);
let rounds = 0;
let problems = 0;
let stop = false;
parentPort!.on('message', () => (stop = true));
const round = () => {
  for (const id of inside) {
    const o = reader.readObject(id);
    if (!o || hashObject(o.type, o.data) !== id) problems++;
  }
  for (const id of outside) if (reader.has(id)) problems++;
  let n = 0;
  for (const o of reader.records()) if (o.data.length >= 0) n++;
  if (n !== inside.length) problems++;
  rounds++;
  if (stop) parentPort!.postMessage({ rounds, problems });
  else setImmediate(round);
};
round();
