// The worker pool's own limits, in a process of its own (the pool is per process): one thread and a queue of one, so
// a burst of imports gets 503 workers_busy for what cannot wait, changes nothing for those, and completes the rest.
import test from 'ava';
import { readFileSync } from 'node:fs';
import { configureWorkers } from '../src/workers/pool.js';
import { startAgent } from './helpers/agent.js';
import { EXPRESS_BUNDLE } from './helpers/corpus.js';

test('a burst of imports beyond the threads and the queue: 503 workers_busy for the overflow, nothing changed by them', async (t) => {
  configureWorkers({ threads: 1, maxQueue: 1 });
  const a = await startAgent();
  try {
    const bundle = readFileSync(EXPRESS_BUNDLE);
    const names = ['b0', 'b1', 'b2', 'b3', 'b4'];
    for (const name of names) await a.client.post('/repos', { name });
    const replies = await Promise.all(names.map((name) => a.client.post(`/repos/${name}/bundle`, bundle)));
    const busy = replies.filter((r) => r.status === 503);
    t.true(busy.length >= 1, replies.map((r) => r.status).join(' '));
    t.true(replies.filter((r) => r.status === 200).length >= 1);
    for (const r of busy) t.is(r.body.error.code, 'workers_busy');
    for (const [i, r] of replies.entries()) {
      if (r.status === 503) t.is(a.store.get(names[i]).objects.size, 0);
      else t.is(r.status, 200);
    }
  } finally {
    await a.close();
  }
});
