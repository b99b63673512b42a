// Admin's RepoState (GetRepoState, GetRepoStates): the state is read on the event loop in one step (so seq, refs and
// checksum describe the same moment); with few refs it is finished and encoded here, with many (over
// STATE_REFS_ON_LOOP) the checksum and the encoding of the reply run in a worker (workers/repo-state-task.ts), which
// hands back the reply's bytes. The bytes on the wire are the same either way: the operator reads the same RepoState.
import { BinaryWriter } from '@bufbuild/protobuf/wire';
import { RepoState, type RepoStateResult } from '../../../../proto/gen/govc/v1/admin.js';
import { repoChecksum } from '../../replication/checksum.js';
import type { ReplicationManager } from '../../replication/manager.js';
import { runInWorker } from '../../workers/pool.js';
import { flattenRefs } from '../../workers/query-tasks.js';
import type { EncodedMessage, RepoStateTaskInput } from '../../workers/repo-state-task.js';
import { encodedBytes, encodedReply, isEncoded, type EncodedReply } from './encoded-reply.js';

/** Repositories with more refs than this have their RepoState encoded in a worker (1000 refs: ~1 ms here). */
export const STATE_REFS_ON_LOOP = 1000;

/** A repository's RepoState: the message itself, or its bytes when a worker encoded it. */
export async function repoStateReply(manager: ReplicationManager, repo: string): Promise<RepoState | EncodedReply> {
  const { state, held } = manager.stateWithoutRefs(repo);
  if (!held) return state;
  // The copy as replication sees it, at its applied seq (pending changes included), like the checksum: listed once.
  const refs = held.newest.listRefs('');
  if (refs.length <= STATE_REFS_ON_LOOP) return { ...state, refs: refs.map(([name, id]) => ({ name, id })), checksum: repoChecksum(held, refs) };
  const input: RepoStateTaskInput = {
    state, refs: flattenRefs(refs), objectCount: held.objects.size, idFold: held.objects.idFold, defaultBranch: held.newest.meta.defaultBranch,
  };
  return encodedReply((await runInWorker<EncodedMessage>('repoState', input)).bytes);
}

export type StateResult = Omit<RepoStateResult, 'state'> & { state: RepoState | EncodedReply | undefined };

/**
 * A RepoStateBatch whose states may be encoded already, encoded as RepoStateBatch.encode would (field 1: each
 * RepoStateResult; in it code 1, message 2, state 3, defaults left out), with encoded states copied in as they are.
 */
export function encodeStateBatch(results: readonly StateResult[]): EncodedReply {
  const w = new BinaryWriter();
  for (const r of results) {
    w.uint32(10).fork();
    if (r.code !== 0) w.uint32(8).uint32(r.code);
    if (r.message !== '') w.uint32(18).string(r.message);
    if (r.state !== undefined) w.uint32(26).bytes(isEncoded(r.state) ? encodedBytes(r.state) : RepoState.encode(r.state).finish());
    w.join();
  }
  return encodedReply(w.finish());
}
