// kill -9 of a real agent while writers keep changes queued on its journals (commits of a few MiB among small ones,
// several branches at once) and readers record every head they are shown: after each restart every acknowledged write
// is there, and so is every head any reader saw — a read never showed a change a crash then took back. Each kill comes
// the instant a reader first sees a 24 MiB commit (whose record takes the longest to checksum, write and sync): were
// changes visible before they are durable, that is when the crash would take one back.
import test from 'ava';
import { commitBody, spawnAgent, tempDir, type AgentProcess } from './helpers/agent.js';

const BRANCHES = ['b0', 'b1', 'b2', 'b3'];
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

interface Seen {
  acked: Map<string, string[]>;
  read: Map<string, Set<string>>;
}

/** Writers (one per branch) and readers run until the agent dies; returns how many writes were acknowledged. */
async function load(a: AgentProcess, seen: Seen, round: number, stop: () => boolean): Promise<void> {
  const big = 'x'.repeat(3 * 2 ** 20);
  const writer = async (branch: string) => {
    for (let i = 0; !stop(); i++) {
      // Every fourth commit is 3 MiB: its record takes a while to write and sync, and others queue behind it.
      const content = i % 4 === 3 ? `${big}${round}.${i}` : `${round}.${i}`;
      try {
        const r = await a.client.post('/repos/k/commits', commitBody(branch, { [`${branch}.txt`]: content }));
        if (r.status === 201) seen.acked.get(branch)!.push(r.body.sha);
      } catch {
        return; // the agent died
      }
    }
  };
  const reader = async (offset: number) => {
    for (let i = offset; !stop(); i++) {
      const branch = BRANCHES[i % BRANCHES.length];
      try {
        const r = await a.client.get(`/repos/k/branches/${branch}`);
        if (r.status === 200) seen.read.get(branch)!.add(r.body.sha);
      } catch {
        return;
      }
    }
  };
  await Promise.all([...BRANCHES.map(writer), reader(0), reader(1), reader(2)]);
}

test('kill -9 while changes are queued: every acknowledged write and every head a reader saw survive', async (t) => {
  const data = tempDir();
  const all = [...BRANCHES, 'huge'];
  const seen: Seen = { acked: new Map(all.map((b) => [b, []])), read: new Map(all.map((b) => [b, new Set()])) };
  let a = await spawnAgent({ GOVC_DATA_DIR: data });
  t.is((await a.client.post('/repos', { name: 'k' })).status, 201);
  try {
    for (let round = 0; round < 3; round++) {
      let dead = false;
      const running = load(a, seen, round, () => dead);
      // Once writes are flowing, a 24 MiB commit on its own branch; the kill comes as soon as a reader sees it.
      const ackedBefore = [...seen.acked.values()].reduce((s, l) => s + l.length, 0);
      for (const deadline = Date.now() + 15000; Date.now() < deadline; await sleep(10)) {
        if ([...seen.acked.values()].reduce((s, l) => s + l.length, 0) >= ackedBefore + 20) break;
      }
      const previous = (await a.client.get('/repos/k/branches/huge')).body.sha;
      const huge = a.client.post('/repos/k/commits', commitBody('huge', { huge: `${'y'.repeat(24 * 2 ** 20)}${round}` })).then((r) => {
        if (r.status === 201) seen.acked.get('huge')!.push(r.body.sha);
      }, () => undefined);
      for (const deadline = Date.now() + 20000; Date.now() < deadline; ) {
        const r = await a.client.get('/repos/k/branches/huge').catch(() => undefined);
        if (r?.status === 200 && r.body.sha !== previous) {
          seen.read.get('huge')!.add(r.body.sha);
          break;
        }
      }
      await a.stop('SIGKILL');
      dead = true;
      await Promise.all([running, huge]);
      a = await spawnAgent({ GOVC_DATA_DIR: data });
      t.notRegex(a.output(), /quarantined/);
      for (const branch of all) {
        const log = (await a.client.get(`/repos/k/commits?ref=${branch}&limit=1000`)).body.commits?.map((x: { sha: string }) => x.sha) ?? [];
        const history = new Set<string>(log);
        for (const sha of seen.acked.get(branch)!) t.true(history.has(sha), `round ${round}: acknowledged ${sha} on ${branch} lost`);
        for (const sha of seen.read.get(branch)!) t.true(history.has(sha), `round ${round}: ${sha}, read on ${branch}, is gone`);
      }
    }
    const acked = [...seen.acked.values()].reduce((s, l) => s + l.length, 0);
    const read = [...seen.read.values()].reduce((s, l) => s + l.size, 0);
    t.log(`${acked} writes acknowledged, ${read} distinct heads read over 3 kills`);
    t.true(acked >= 60 && read >= 20, `${acked} acknowledged, ${read} heads read`);
  } finally {
    await a.stop('SIGKILL');
  }
});
