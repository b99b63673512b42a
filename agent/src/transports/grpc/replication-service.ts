// The Replication service, primary side: one bidirectional stream per replica and repository (Subscribe, then Acks
// and maybe a Fence in; Hello, changes and snapshots out), and the checksum used by anti-entropy.
import { ServerDuplexStream, handleUnaryCall } from '@grpc/grpc-js';
import { GovcError } from '../../errors.js';
import { ReplicationManager } from '../../replication/manager.js';
import { ReplicaSink } from '../../replication/peer.js';
import { ChecksumReply, ChecksumRequest, PrimaryMessage, ReplicaMessage, ReplicationServer } from '../../../../proto/gen/govc/v1/replication.js';
import { grpcError } from './status.js';

export function replicationService(manager: ReplicationManager): ReplicationServer {
  const checksum: handleUnaryCall<ChecksumRequest, ChecksumReply> = (call, cb) => {
    try {
      cb(null, manager.checksum(call.request.repo, call.request.epoch));
    } catch (e) {
      cb(grpcError(e), null);
    }
  };
  return {
    checksum,
    stream(call: ServerDuplexStream<ReplicaMessage, PrimaryMessage>) {
      let handle: ReturnType<ReplicationManager['attachReplica']> | undefined;
      let ended = false;
      const sink: ReplicaSink = {
        // write() is false once the stream's buffer passed its high-water mark: the caller stops until 'drain'.
        send: (m) => !ended && call.write(m),
        onDrain: (cb) => {
          if (!ended) call.once('drain', cb);
        },
        buffered: () => call.writableLength,
        close: (err) => {
          if (ended) return;
          ended = true;
          if (err) call.emit('error', grpcError(err));
          else call.end();
        },
      };
      const finish = () => {
        handle?.detach();
        ended = true;
      };
      call.on('data', (m: ReplicaMessage) => {
        if (ended || !m.body) return;
        try {
          if (m.body.$case === 'subscribe') {
            if (handle) throw new GovcError('invalid', 'already_subscribed', 'one Subscribe per stream');
            handle = manager.attachReplica(m.body.value, sink);
          } else if (!handle) {
            throw new GovcError('invalid', 'not_subscribed', 'the first message must be Subscribe');
          } else if (m.body.$case === 'ack') {
            handle.ack(m.body.value.appliedSeq);
          } else if (m.body.$case === 'fence') {
            handle.fence(m.body.value.epoch);
          }
        } catch (e) {
          sink.close(e as Error);
        }
      });
      call.on('end', () => {
        finish();
        if (!call.writableEnded) call.end();
      });
      call.on('cancelled', finish);
      call.on('error', finish);
    },
  };
}
