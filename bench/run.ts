// `npm run bench -- <name>`: runs one benchmark (or all when no name is given). Each ends with one JSON line.
// (operator and failover need the e2e control-plane binaries: `make e2e-tools`.)
import { agentBench } from './agent.js';

const BENCHES: Record<string, () => Promise<void>> = {
  agent: agentBench,
  replication: (await import('./replication.js')).replicationBench,
  operator: (await import('./operator.js')).operatorBench,
  failover: (await import('./failover.js')).failoverBench,
  handover: (await import('./handover.js')).handoverBench,
  'json-body': (await import('./json-body.js')).jsonBodyBench,
  fsck: (await import('./fsck.js')).fsckBench,
  import: (await import('./import.js')).importBench,
  stalls: (await import('./stalls.js')).stallsBench,
};

const names = process.argv.slice(2).filter((a) => !a.startsWith('-'));
const unknown = names.filter((n) => !BENCHES[n]);
if (unknown.length > 0) {
  process.stderr.write(`unknown benchmark(s) ${unknown.join(', ')}; available: ${Object.keys(BENCHES).join(', ')}\n`);
  process.exit(2);
}
for (const name of names.length > 0 ? names : Object.keys(BENCHES)) await BENCHES[name]();
// Keep-alive sockets and informer timers of a finished benchmark must not keep the process up.
process.exit(0);
