// Minimal movement: adding an agent to n should move about its fair share 1/(n+1) of the copies to it and nothing
// else; removing one should re-create about its share. Fractions are of all copies.
import test from 'ava';
import { place } from '../src/placement.js';
import { AgentInfo, PlacementResult } from '../src/types.js';
import { agents, copiesAdded, copiesByAgent, repos } from './helpers/clusters.js';

const COUNT = 6000;

function existingAdds(result: PlacementResult): number {
  return result.moves.filter((m) => m.kind === 'add' && m.reason !== 'new-repository').length;
}

for (const [n, zones, rf] of [
  [3, 0, 2],
  [5, 0, 3],
  [10, 0, 2],
  [20, 0, 3],
  [9, 3, 3],
  [20, 3, 2],
]) {
  test(`adding an agent to ${n} (zones ${zones}, rf ${rf}) moves about 1/${n + 1} of the copies, all to it`, (t) => {
    const list = agents(n, zones);
    const before = place({ repositories: repos(COUNT, rf), agents: list, current: {} });
    const added: AgentInfo = { name: 'agent-new', ready: true, ...(zones ? { zone: 'zone-a' } : {}) };
    const after = place({ repositories: repos(COUNT, rf), agents: [...list, added], current: before.placement });
    const moved = existingAdds(after) / before.totalCopies;
    const ideal = 1 / (n + 1);
    t.log(`moved ${(moved * 100).toFixed(2)}% of copies, ideal ${(ideal * 100).toFixed(2)}% (×${(moved / ideal).toFixed(2)})`);
    t.true(moved <= 1.5 * ideal, `moved ${moved} vs ideal ${ideal}`);
    t.true(after.moves.filter((m) => m.kind === 'add').every((m) => m.agent === 'agent-new'), 'copies only go to the new agent');
    t.true(after.moves.every((m) => m.role === 'replica'), 'no primary moves');
    // The new agent takes a real share (of its zone, when zones constrain it), so scaling out relieves load.
    const loads = copiesByAgent(after);
    const peers = list.filter((a) => !zones || a.zone === 'zone-a').map((a) => loads.get(a.name) ?? 0);
    const peerMean = peers.reduce((s, l) => s + l, 0) / peers.length;
    const got = loads.get('agent-new') ?? 0;
    t.log(`new agent holds ${got}, its peers ${peerMean.toFixed(0)} on average`);
    t.true(got >= 0.75 * peerMean, `new agent holds ${got}, peers ${peerMean}`);
  });

  test(`removing an agent from ${n} (zones ${zones}, rf ${rf}) re-creates about its share and moves nothing else`, (t) => {
    const list = agents(n, zones);
    const before = place({ repositories: repos(COUNT, rf), agents: list, current: {} });
    const share = copiesByAgent(before).get('agent-1')!;
    const failed = list.map((a) => (a.name === 'agent-1' ? { ...a, ready: false } : a));
    const after = place({ repositories: repos(COUNT, rf), agents: failed, current: before.placement });
    const made = copiesAdded(after);
    t.log(`re-created ${made} copies for a lost share of ${share} (×${(made / share).toFixed(2)})`);
    t.true(made >= share, 'every lost copy is replaced');
    t.true(made <= 1.5 * share, `${made} vs ${share}`);
    const untouched = before.repositories.filter((r) => r.primary !== 'agent-1' && !r.replicas.includes('agent-1'));
    const moved = untouched.filter((r) => after.moves.some((m) => m.repo === r.repo)).length;
    t.log(`${moved} of ${untouched.length} repositories without a copy on the lost agent moved`);
    t.true(moved <= 0.5 * share);
  });
}

test('replication factor 1: adding an agent moves no primary (placement never moves one), so nothing moves', (t) => {
  const list = agents(4);
  const before = place({ repositories: repos(2000, 1), agents: list, current: {} });
  const after = place({ repositories: repos(2000, 1), agents: [...list, { name: 'agent-new', ready: true }], current: before.placement });
  t.deepEqual(after.moves, []);
  // New repositories do land on it first: it is the agent furthest below its fair share.
  const more = place({
    repositories: [...repos(2000, 1), { name: 'fresh', replicationFactor: 1 }],
    agents: [...list, { name: 'agent-new', ready: true }],
    current: after.placement,
  });
  t.is(more.repositories.find((r) => r.repo === 'fresh')!.primary, 'agent-new');
});

test('a returning agent is not flooded: it only fills up to its share', (t) => {
  const list = agents(8);
  const before = place({ repositories: repos(COUNT, 2), agents: list, current: {} });
  const without = place({ repositories: repos(COUNT, 2), agents: list.slice(1), current: before.placement });
  const back = place({ repositories: repos(COUNT, 2), agents: list, current: without.placement });
  const got = copiesByAgent(back).get('agent-0') ?? 0;
  const fair = before.totalCopies / 8;
  t.true(got <= Math.ceil(fair), `${got} vs fair ${fair}`);
  t.true(existingAdds(back) <= 1.5 * fair);
});
