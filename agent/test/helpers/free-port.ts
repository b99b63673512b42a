// A free TCP port for a server a test starts, chosen below the kernel's ephemeral range (ip_local_port_range starts at
// 32768): a port the kernel hands out for port 0 can be handed out again, between our check and the server's bind, to
// any outgoing connection on the machine, and the server then dies with EADDRINUSE. Ports below the range are only
// ever taken by servers that ask for them, so a random one found free stays free, save for a test picking the same one
// at the same moment: a port is never handed out twice by one process, and a server that still loses the race is
// started again on other ports (startNode, replication-cluster.ts: isAddressInUse).
import { createServer } from 'node:net';

const LOW = 20_000;
const HIGH = 32_000;

function tryListen(port: number, host: string): Promise<boolean> {
  return new Promise((resolve) => {
    const srv = createServer();
    srv.unref();
    srv.once('error', () => resolve(false));
    srv.listen(port, host, () => srv.close(() => resolve(true)));
  });
}

const handedOut = new Set<number>();

export async function freePort(host = '127.0.0.1'): Promise<number> {
  for (let attempt = 0; attempt < 200; attempt++) {
    const port = LOW + Math.floor(Math.random() * (HIGH - LOW));
    if (handedOut.has(port)) continue;
    handedOut.add(port);
    if (await tryListen(port, host)) return port;
  }
  throw new Error(`no free port between ${LOW} and ${HIGH} on ${host}`);
}

/** Whether a server failed because another process took its port first (the race above). */
export function isAddressInUse(err: unknown): boolean {
  return err instanceof Error && err.message.includes('EADDRINUSE');
}
