// The assignment journal: saves queued together share one write + fsync, a save resolves only once written, a line
// torn by a crash is dropped (and does not glue onto the next append), a corrupt line is refused, the older
// one-file-per-repository format is read and folded in; an agent killed right after acknowledging an AssignBatch (or
// in the middle of many single Assigns) comes back with every acknowledged assignment.
import test from 'ava';
import { appendFileSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { status } from '@grpc/grpc-js';
import { AssignRequest, RepoStateBatch, Role, WriteConcern } from '../../proto/gen/govc/v1/admin.js';
import { AssignmentFile, StoredAssignment } from '../src/replication/assignment-file.js';
import { tempDir } from './helpers/agent.js';
import { startNode, stopAll } from './helpers/replication-cluster.js';

const stored = (repo: string, epoch: number, fencedAt?: number): StoredAssignment => ({
  assignment: { repo, role: 'replica', epoch, primaryAddr: '127.0.0.1:1', members: ['127.0.0.1:1', '127.0.0.1:2'], writeConcern: 'quorum' },
  ...(fencedAt ? { fencedAt } : {}),
});

test('saves queued together go out in one write + fsync, and resolve only once written', async (t) => {
  const dir = tempDir();
  const f = new AssignmentFile(dir);
  t.deepEqual(f.loadAll(), []);
  const saves = Array.from({ length: 500 }, (_, i) => f.save(stored(`r${i}`, 1)));
  t.false(readFileSync(join(dir, 'replication/assignments.log'), 'utf8').includes('"r0"'), 'nothing is written synchronously');
  await Promise.all(saves);
  t.is(f.syncs, 1);
  t.is(readFileSync(join(dir, 'replication/assignments.log'), 'utf8').split('\n').filter(Boolean).length, 500);
  // Later saves (and removals) form the next group; the last line of a repository wins on reload.
  await Promise.all([f.save(stored('r1', 2, 3)), f.remove('r2'), f.remove('never-there')]);
  t.is(f.syncs, 2);
  await f.close();
  const back = new AssignmentFile(dir).loadAll();
  t.is(back.length, 499);
  t.deepEqual(back.find((s) => s.assignment.repo === 'r1'), stored('r1', 2, 3));
  t.falsy(back.find((s) => s.assignment.repo === 'r2'));
});

test('a torn last line is dropped, a later append is not glued to it; a corrupt line is refused', async (t) => {
  const dir = tempDir();
  const f = new AssignmentFile(dir);
  f.loadAll();
  await f.save(stored('a', 1));
  await f.close();
  const log = join(dir, 'replication/assignments.log');
  appendFileSync(log, JSON.stringify(stored('b', 1)).slice(0, 40)); // the agent died mid-write: never acknowledged
  const g = new AssignmentFile(dir);
  t.deepEqual(g.loadAll().map((s) => s.assignment.repo), ['a']);
  await g.save(stored('c', 4));
  await g.close();
  t.deepEqual(new AssignmentFile(dir).loadAll().map((s) => s.assignment.repo), ['a', 'c']);

  writeFileSync(log, `${JSON.stringify(stored('a', 1))}\n{"assignment":\n${JSON.stringify(stored('c', 4))}\n`);
  t.throws(() => new AssignmentFile(dir).loadAll(), { message: /line 2 is corrupt/ });
});

test('the one-file-per-repository format of earlier versions is read, then folded into the journal', (t) => {
  const dir = tempDir();
  const f = new AssignmentFile(dir);
  f.loadAll();
  writeFileSync(join(dir, 'replication/old.json'), JSON.stringify(stored('old', 7, 9)));
  const back = new AssignmentFile(dir).loadAll();
  t.deepEqual(back, [stored('old', 7, 9)]);
  t.deepEqual(readdirSync(join(dir, 'replication')), ['assignments.log']);
  t.deepEqual(new AssignmentFile(dir).loadAll(), [stored('old', 7, 9)]);
});

test('compaction keeps the journal proportional to the live assignments', async (t) => {
  const dir = tempDir();
  const f = new AssignmentFile(dir);
  f.loadAll();
  for (let round = 1; round <= 40; round++) await Promise.all(Array.from({ length: 100 }, (_, i) => f.save(stored(`r${i}`, round))));
  await f.close();
  const lines = readFileSync(join(dir, 'replication/assignments.log'), 'utf8').split('\n').filter(Boolean).length;
  t.true(lines <= 2 * 100 + 1024 + 100, `${lines} lines for 100 assignments`);
  const back = new AssignmentFile(dir).loadAll();
  t.is(back.length, 100);
  t.true(back.every((s) => s.assignment.epoch === 40));
});

const base = (grpc: string): AssignRequest => ({
  repo: '', role: Role.ROLE_REPLICA, epoch: 3, primaryAddr: '127.0.0.1:1', members: ['127.0.0.1:1', grpc],
  writeConcern: WriteConcern.WRITE_CONCERN_QUORUM, defaultBranch: '', primaryHttpAddr: '',
});

test.serial('kill -9 right after an acknowledged AssignBatch: the agent comes back with all of it', async (t) => {
  const n = await startNode('journal-batch', { GOVC_ANTI_ENTROPY_MS: '0' });
  let again: typeof n | undefined;
  try {
    const names = Array.from({ length: 300 }, (_, i) => `b${i}`);
    const reply = await n.admin.call<object, RepoStateBatch>('assignBatch', {
      assignments: names.map((repo, i) => ({ ...base(n.grpc), repo, ...(i % 3 === 0 ? { role: Role.ROLE_PRIMARY, primaryAddr: n.grpc } : {}) })),
    });
    t.true(reply.results.every((r) => r.code === status.OK));
    await n.proc.stop('SIGKILL');
    again = await startNode('journal-batch', {}, n);
    const states = await again.admin.call<object, RepoStateBatch>('getRepoStates', { repos: names });
    t.deepEqual(states.results.map((r) => r.code), names.map(() => status.OK));
    t.true(states.results.every((r) => r.state?.epoch === 3));
    t.is(states.results.filter((r) => r.state?.role === Role.ROLE_PRIMARY).length, 100);
    const stale = await again.admin.call<object, RepoStateBatch>('assignBatch', { assignments: [{ ...base(n.grpc), repo: 'b1', epoch: 2 }] });
    t.is(stale.results[0].code, status.FAILED_PRECONDITION, 'an epoch older than an acknowledged one stays refused');
  } finally {
    await stopAll(again ? [again] : [n]);
  }
});

test.serial('kill -9 in the middle of many single Assigns: every acknowledged one survives', async (t) => {
  const n = await startNode('journal-single', { GOVC_ANTI_ENTROPY_MS: '0' });
  let again: typeof n | undefined;
  try {
    const acked: string[] = [];
    let killed: Promise<unknown> | undefined;
    await Promise.allSettled(Array.from({ length: 400 }, async (_, i) => {
      await n.admin.assign({ ...base(n.grpc), repo: `s${i}` });
      acked.push(`s${i}`);
      if (acked.length === 150) killed = n.proc.stop('SIGKILL');
    }));
    await killed;
    t.true(acked.length >= 150, `${acked.length} acknowledged before the kill`);
    again = await startNode('journal-single', {}, n);
    const states = await again.admin.call<object, RepoStateBatch>('getRepoStates', { repos: acked });
    t.deepEqual(states.results.filter((r) => r.code !== status.OK).map((r) => r.message), []);
  } finally {
    await stopAll(again ? [again] : [n]);
  }
});
