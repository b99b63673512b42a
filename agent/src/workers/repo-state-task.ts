// The Admin RepoState of a repository with many refs, finished in a worker: the refs (listed and sorted on the main
// thread, handed over as one string), the checksum over them and the protobuf encoding of the whole reply — for
// 100,000 refs ~80 ms of encoding and hashing that held the agent's event loop. The reply's bytes move back without a
// copy and grpc-js sends them as they are (transports/grpc/encoded-reply.ts).
import { RepoState } from '../../../proto/gen/govc/v1/admin.js';
import { checksumOf } from '../replication/checksum.js';
import { ownedBytes } from './transfer.js';

export interface RepoStateTaskInput {
  /** The state with `refs` and `checksum` empty (ReplicationManager.stateWithoutRefs). */
  state: RepoState;
  /** The refs, sorted: "name\nid\n" each (query-tasks.ts flattenRefs). */
  refs: string;
  objectCount: number;
  idFold: Uint8Array;
  defaultBranch: string;
}

export interface EncodedMessage {
  bytes: Uint8Array;
}

export function repoStateTask({ state, refs: text, objectCount, idFold, defaultBranch }: RepoStateTaskInput): EncodedMessage {
  const lines = text.split('\n');
  const refs: [string, string][] = [];
  for (let i = 0; i + 1 < lines.length; i += 2) refs.push([lines[i], lines[i + 1]]);
  const checksum = checksumOf(refs, objectCount, idFold, defaultBranch);
  const bytes = RepoState.encode({ ...state, refs: refs.map(([name, id]) => ({ name, id })), checksum }).finish();
  return { bytes: ownedBytes(bytes) };
}
