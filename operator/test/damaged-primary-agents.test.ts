// A primary whose journal was damaged while it was down comes back quarantined and resumes fenced, waiting for the
// operator. A look that missed it (the primary's state could not be read) must not assign it primary again: the
// assignment reads it once more and stops, so the reconcile fails it over instead (before, a failed look led to a
// blind Assign that made the damaged copy an unfenced primary again). Then the failover as the reconciler does it: the damaged
// primary stays in the set as a replica, the assignment answers show its copy damaged (status.damagedCopies), and it
// re-seeds from the new primary, after which the tracker forgets it. Real agent processes on loopback.
import test from 'ava';
import { closeSync, openSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { AgentAdmin, Role, WriteConcern } from '../src/agents/agent-admin.js';
import type { AgentView } from '../src/controllers/agent-view.js';
import { DamageTracker } from '../src/controllers/damage-tracker.js';
import { ensureAssignments, replicaReports } from '../src/controllers/repository-agents.js';
import { damagedCopies, observeDamage } from '../src/damaged-copies.js';
import { failoverFromDamagedPrimary } from '../src/damaged-primary.js';
import { chooseNewPrimary, statusView } from '../src/failover.js';
import { OperatorMetrics } from '../src/runtime/metrics.js';
import type { RepoDecision } from '../src/types.js';
import { fileSource, journalEntries } from '../../agent/src/persistence/record-reader.js';
import { TOKEN, assignAll, commit, converged, startCluster, startNode, stopAll, until, type Node } from '../../agent/test/helpers/replication-cluster.js';

function corruptMiddleRecord(node: Node, repo: string): void {
  const path = join(node.dataDir, 'repos', repo, 'journal');
  const fd = openSync(path, 'r');
  const offsets = [...journalEntries(fileSource(fd))].filter((e) => e.kind === 'record').map((e) => e.offset);
  closeSync(fd);
  const buf = readFileSync(path);
  buf[offsets[Math.floor(offsets.length / 2)] + 30] ^= 0x10;
  writeFileSync(path, buf);
}

const view = (n: Node): AgentView => ({
  name: n.name, ip: '127.0.0.1', ready: true, addr: n.grpc, httpAddr: `127.0.0.1:${n.httpPort}`, terminating: false, incarnation: n.name,
});
const membersOf = (primary: Node, replicas: Node[]) => [
  { agent: primary.name, address: primary.grpc, role: 'primary' as const },
  ...replicas.map((n) => ({ agent: n.name, address: n.grpc, role: 'replica' as const })),
];

test('a damaged primary is never assigned again; failed over, it stays a replica, shows as damaged, re-seeds and is forgotten', async (t) => {
  const nodes = await startCluster(3);
  const admin = new AgentAdmin(new OperatorMetrics());
  try {
    const [a, b, c] = nodes;
    await assignAll(nodes, 'r', a, 1, WriteConcern.WRITE_CONCERN_QUORUM);
    for (let i = 0; i < 8; i++) t.is((await commit(a, 'r', i)).status, 201);
    const good = await converged(nodes, 'r');
    await a.proc.stop();
    corruptMiddleRecord(a, 'r');
    nodes[0] = await startNode('n0', {}, a);
    const agents = nodes.map(view);
    const resumed = await admin.repoState(a.grpc, TOKEN, 'r');
    t.true(resumed?.damaged);
    t.true(resumed?.fenced, 'a restarted primary waits for the operator');

    // The reconcile's look at the primary failed (null): the assignment looks again and assigns nobody.
    const members = membersOf(a, [b, c]);
    const out = await ensureAssignments(admin, TOKEN, agents, { repo: 'r', epoch: 1, members, writeConcern: 'quorum', defaultBranch: 'main' }, false, null);
    t.deepEqual(out.assigned, []);
    t.true(out.primaryState?.damaged);
    t.true(out.states.get(a.name)?.damaged);
    t.true((await admin.repoState(a.grpc, TOKEN, 'r'))?.fenced, 'still fenced: not made primary of a damaged copy');

    // The tracker remembers it and asks the agent again on a later look.
    const tracker = new DamageTracker();
    t.true(tracker.primaryDamaged('ns/r', a.name, out.primaryState!.damage, 0));
    t.false(tracker.primaryDamaged('ns/r', a.name, out.primaryState!.damage, 1), 'known already: no second Event');
    const known = await tracker.current('ns/r', 'r', a.name, agents, admin, TOKEN, 10_000);
    t.regex(known?.damage ?? '', /journal is corrupt/);

    // The failover the reconciler makes of it.
    const keep: RepoDecision = { repo: 'r', primary: a.name, replicas: [b.name, c.name], primaryAction: 'keep', previousPrimary: null, failoverCandidates: [], underReplicated: false, zoneSpread: 'full' };
    const decision = failoverFromDamagedPrimary(keep, a.name, [b.name, c.name])!;
    const status = statusView({ primary: a.name, replicas: [b.name, c.name], members, epoch: 1 }, 'quorum');
    const first = chooseNewPrimary({ repo: 'r', status, reports: await replicaReports(admin, TOKEN, agents, 'r', decision.failoverCandidates) });
    if (first.decision !== 'promote') return t.fail(JSON.stringify(first));
    const choice = chooseNewPrimary({ repo: 'r', status, reports: await replicaReports(admin, TOKEN, agents, 'r', decision.failoverCandidates, first.newEpoch) });
    if (choice.decision !== 'promote') return t.fail(JSON.stringify(choice));
    const promoted = nodes.find((n) => n.name === choice.newPrimary)!;
    const next = membersOf(promoted, decision.replicas.filter((r) => r !== promoted.name).map((r) => nodes.find((n) => n.name === r)!));
    t.true(next.some((m) => m.agent === a.name && m.role === 'replica'), 'the damaged primary stays in the set as a replica');
    const assigned = await ensureAssignments(admin, TOKEN, agents, { repo: 'r', epoch: choice.newEpoch, members: next, writeConcern: 'quorum', defaultBranch: 'main' }, true);
    t.is(assigned.assigned.length, 3);
    // What the assignment answered may already show the re-seed done; the record follows what was heard.
    const heard = observeDamage({ members: next, primary: assigned.primaryState, states: assigned.states });
    const listed = damagedCopies([{ agent: a.name, role: 'primary', damage: known!.damage, since: '2026-12-01T00:00:00Z' }], next, heard, '2026-12-01T00:00:01Z');
    t.true(listed.length === 0 || (listed[0].agent === a.name && listed[0].role === 'replica'), JSON.stringify(listed));

    // It re-seeds from the new primary; writes go on with quorum.
    t.is((await commit(promoted, 'r', 100)).status, 201);
    const healed = await until('the old primary re-seeded', async () => {
      const s = await admin.repoState(a.grpc, TOKEN, 'r');
      return s && !s.damaged && s.inSync ? s : undefined;
    }, 15_000);
    t.is(healed.role, Role.ROLE_REPLICA);
    const after = await converged(nodes, 'r');
    t.true(after.appliedSeq > good.appliedSeq);
    t.deepEqual([...observeDamage({ members: next, states: new Map([[a.name, healed]]) })], [[a.name, null]]);
    t.is(await tracker.current('ns/r', 'r', promoted.name, agents, admin, TOKEN, 20_000), undefined, 'no longer the primary: forgotten');
  } finally {
    admin.close();
    await stopAll(nodes);
  }
});

test('a damaged primary the tracker knows is forgotten once its agent says the copy is healthy again', async (t) => {
  const nodes = await startCluster(1);
  const admin = new AgentAdmin(new OperatorMetrics());
  try {
    const [a] = nodes;
    await assignAll(nodes, 'solo', a, 1, WriteConcern.WRITE_CONCERN_ASYNC);
    for (let i = 0; i < 6; i++) t.is((await commit(a, 'solo', i)).status, 201);
    const path = join(a.dataDir, 'repos', 'solo', 'journal');
    await a.proc.stop();
    const original = readFileSync(path);
    corruptMiddleRecord(a, 'solo');
    nodes[0] = await startNode('n0', {}, a);
    const tracker = new DamageTracker();
    const state = await admin.repoState(a.grpc, TOKEN, 'solo');
    t.true(state?.damaged);
    tracker.primaryDamaged('ns/solo', a.name, state!.damage, 0);
    t.truthy(await tracker.current('ns/solo', 'solo', a.name, [view(nodes[0])], admin, TOKEN, 1_000));
    // Not asked again within the recheck interval; an agent not ready keeps the last word.
    t.truthy(await tracker.current('ns/solo', 'solo', a.name, [{ ...view(nodes[0]), ready: false }], admin, TOKEN, 60_000));
    // Restored by hand and restarted.
    await nodes[0].proc.stop();
    writeFileSync(path, original);
    nodes[0] = await startNode('n0', {}, a);
    t.is(await tracker.current('ns/solo', 'solo', a.name, [view(nodes[0])], admin, TOKEN, 120_000), undefined);
    t.false((await admin.repoState(a.grpc, TOKEN, 'solo'))?.damaged);
  } finally {
    admin.close();
    await stopAll(nodes);
  }
});
