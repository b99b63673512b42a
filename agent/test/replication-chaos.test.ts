// A bounded random-fault run: random quorum writes (to random agents, so some are forwarded) while replicas are
// killed with SIGKILL and restarted at random; afterwards every acknowledged commit is reachable on the primary and
// all agents converge to identical checksums.
import test from 'ava';
import { WriteConcern } from '../../proto/gen/govc/v1/admin.js';
import { assignAll, commit, converged, startCluster, startNode, stopAll } from './helpers/replication-cluster.js';

const DURATION_MS = Number(process.env.GOVC_CHAOS_MS ?? 15000);

// A small deterministic PRNG so a failing run can be repeated with the same seed.
function prng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s * 1664525 + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

test.serial('random writes with random replica kill -9 / restart: acknowledged writes survive, replicas converge', async (t) => {
  const seed = Number(process.env.GOVC_CHAOS_SEED ?? Date.now() % 100000);
  t.log(`seed ${seed}, ${DURATION_MS} ms`);
  const rand = prng(seed);
  const nodes = await startCluster(3);
  try {
    const p = nodes[0];
    await assignAll(nodes, 'chaos', p, 1, WriteConcern.WRITE_CONCERN_QUORUM);
    const acked: string[] = [];
    let failed = 0;
    let kills = 0;
    const deadline = Date.now() + DURATION_MS;
    const writer = async (w: number) => {
      for (let i = 0; Date.now() < deadline; i++) {
        const via = nodes[Math.floor(rand() * nodes.length)];
        try {
          const r = await commit(via, 'chaos', w * 100000 + i);
          if (r.status === 201) acked.push(r.body.sha);
          else {
            failed++;
            t.true(r.status === 503 || r.status === 409, `unexpected ${r.status} ${JSON.stringify(r.body)}`);
          }
        } catch {
          failed++; // the agent we sent it to was killed mid-request
        }
      }
    };
    const chaos = async () => {
      while (Date.now() < deadline - 2000) {
        await new Promise((r) => setTimeout(r, 500 + rand() * 1500));
        const i = 1 + Math.floor(rand() * 2);
        await nodes[i].proc.stop('SIGKILL');
        kills++;
        await new Promise((r) => setTimeout(r, rand() * 1000));
        nodes[i] = await startNode(nodes[i].name, {}, nodes[i]);
      }
    };
    await Promise.all([writer(0), writer(1), chaos()]);
    t.log(`acknowledged ${acked.length}, failed ${failed}, kills ${kills}`);
    t.true(acked.length > 0);
    await converged(nodes, 'chaos', 20000);
    const seen = new Set<string>();
    for (let cursor: string | undefined, more = true; more; ) {
      const page = await p.proc.client.get(`/repos/chaos/commits?limit=1000${cursor ? `&cursor=${cursor}` : ''}`);
      for (const c of page.body.commits) seen.add(c.sha);
      cursor = page.body.next;
      more = cursor !== undefined;
    }
    const lost = acked.filter((s) => !seen.has(s));
    t.deepEqual(lost, [], 'every acknowledged commit is reachable on the primary');
  } finally {
    await stopAll(nodes);
  }
});
