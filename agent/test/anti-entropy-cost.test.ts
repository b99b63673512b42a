// Anti-entropy proportional to change: a round checks the replicas that applied something since they last matched
// their primary (or never matched), plus a round-robin slice of the unchanged ones that still covers every replica
// within SWEEP_ROUNDS rounds; with real agents, idle repositories cost a fraction of one checksum call a round each.
import test from 'ava';
import { RepoStateBatch, Role, WriteConcern } from '../../proto/gen/govc/v1/admin.js';
import { SWEEP_ROUNDS, type Verified, planRound } from '../src/replication/anti-entropy.js';
import { commit, metrics, sample, startCluster, stopAll, until } from './helpers/replication-cluster.js';

test('planRound: changed and never-verified replicas every round, each unchanged one within sweepRounds rounds', (t) => {
  const n = 103;
  const seq = Array.from({ length: n }, () => 5);
  const verified = new Map<number, Verified>();
  const view = () => seq.map((s, i) => ({ replica: i, seq: s, verified: verified.get(i) }));
  let due = planRound(view(), 10);
  t.is(due.length, n, 'nothing verified yet: all due');
  for (const i of due) verified.set(i, { seq: seq[i], round: 0 });

  const lastChecked = new Map<number, number>();
  for (let round = 1; round <= 30; round++) {
    if (round % 4 === 0) seq[round % n] += 1; // a replica applied a change
    due = planRound(view(), 10);
    t.true(due.length <= Math.ceil(n / 10) + 1, `round ${round}: ${due.length} checks`);
    if (round % 4 === 0) t.true(due.includes(round % n), 'a replica that moved is checked in the next round');
    for (const i of due) {
      if (round > 10) t.true(round - (lastChecked.get(i) ?? 0) <= 11, `replica ${i} waited ${round - (lastChecked.get(i) ?? 0)} rounds`);
      lastChecked.set(i, round);
      verified.set(i, { seq: seq[i], round });
    }
  }
  t.is(lastChecked.size, n, 'every unchanged replica was re-verified');
  t.true([...lastChecked.values()].every((r) => r > 30 - 11), 'none left behind');
  t.deepEqual(planRound([], 10), []);
});

test.serial('idle repositories: checksum calls per round are a 1/SWEEP_ROUNDS slice, not one per repository', async (t) => {
  const interval = 100;
  const [p, r] = await startCluster(2, { GOVC_ANTI_ENTROPY_MS: String(interval) });
  try {
    const repos = Array.from({ length: 200 }, (_, i) => `ae${i}`);
    const assign = (n: typeof p, role: Role) => n.admin.call<object, RepoStateBatch>('assignBatch', {
      assignments: repos.map((repo) => ({
        repo, role, epoch: 1, primaryAddr: p.grpc, members: [p.grpc, r.grpc], writeConcern: WriteConcern.WRITE_CONCERN_ASYNC, defaultBranch: '', primaryHttpAddr: '',
      })),
    });
    await assign(p, Role.ROLE_PRIMARY);
    await assign(r, Role.ROLE_REPLICA);
    await until('all replicas in sync', async () => {
      const s = await p.admin.call<object, RepoStateBatch>('getRepoStates', { repos });
      return s.results.every((x) => x.state?.members.every((m) => m.inSync));
    }, 20_000);
    await until('every replica verified once', async () => sample(await metrics(r), 'govc_replication_antientropy_checks_total') >= repos.length, 20_000);
    const c0 = sample(await metrics(r), 'govc_replication_antientropy_checks_total');
    const t0 = Date.now();
    for (let i = 0; i < 3; i++) t.is((await commit(p, 'ae1', i)).status, 201);
    await new Promise((res) => setTimeout(res, 2_000));
    const rounds = (Date.now() - t0) / interval;
    const checks = sample(await metrics(r), 'govc_replication_antientropy_checks_total') - c0;
    const perRound = Math.ceil(repos.length / SWEEP_ROUNDS);
    t.true(checks > 0, 'the sweep still checks');
    t.true(checks <= (rounds + 2) * perRound + 10, `${checks} checks in ~${rounds.toFixed(0)} rounds (one per repository would be ${Math.round(rounds * repos.length)})`);
    t.is(sample(await metrics(r), 'govc_replication_antientropy_mismatches_total'), NaN, 'no mismatch reported for healthy replicas');
  } finally {
    await stopAll([p, r]);
  }
});
