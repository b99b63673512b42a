// The replica's side of the Replication service: one channel per peer address, the token on every call.
import { Metadata, credentials } from '@grpc/grpc-js';
import { PeerConnector, PrimaryLink } from '../../replication/peer.js';
import { ChecksumReply, PrimaryMessage, ReplicaMessage, ReplicationClient } from '../../../../proto/gen/govc/v1/replication.js';

export class GrpcPeerConnector implements PeerConnector {
  private readonly clients = new Map<string, ReplicationClient>();

  constructor(private readonly token: string) {}

  private client(addr: string): ReplicationClient {
    let c = this.clients.get(addr);
    if (!c) {
      c = new ReplicationClient(addr, credentials.createInsecure(), {
        'grpc.max_receive_message_length': 8 * 1024 * 1024,
        'grpc.max_send_message_length': 8 * 1024 * 1024,
        // Notice a dead or frozen primary within seconds, not at the TCP timeout.
        'grpc.keepalive_time_ms': 2000,
        'grpc.keepalive_timeout_ms': 2000,
        'grpc.keepalive_permit_without_calls': 1,
        'grpc.initial_reconnect_backoff_ms': 100,
        'grpc.max_reconnect_backoff_ms': 1000,
      });
      this.clients.set(addr, c);
    }
    return c;
  }

  private metadata(): Metadata {
    const md = new Metadata();
    md.set('authorization', `Bearer ${this.token}`);
    return md;
  }

  stream(addr: string, onMessage: (m: PrimaryMessage) => void, onEnd: (err?: Error) => void): PrimaryLink {
    const call = this.client(addr).stream(this.metadata());
    let done = false;
    const end = (err?: Error) => {
      if (done) return;
      done = true;
      onEnd(err);
    };
    call.on('data', onMessage);
    call.on('error', (e: Error) => end(e));
    call.on('end', () => end());
    call.on('close', () => end());
    return {
      send: (m: ReplicaMessage) => {
        if (!done) call.write(m);
      },
      close: () => {
        if (done) return;
        // Half-close first so a last message (a Fence) is delivered; cut the call if the peer does not finish.
        call.end();
        setTimeout(() => call.cancel(), 1000).unref();
        end();
      },
    };
  }

  checksum(addr: string, repo: string, epoch: number): Promise<ChecksumReply> {
    return new Promise((res, rej) => {
      this.client(addr).checksum({ repo, epoch }, this.metadata(), { deadline: Date.now() + 5000 }, (err, reply) => (err ? rej(err) : res(reply)));
    });
  }

  close(): void {
    for (const c of this.clients.values()) c.close();
    this.clients.clear();
  }
}
