// How the replication layer talks to other agents, without knowing the transport: the gRPC transport implements it
// (transports/grpc/peer-connector.ts) and main wires it in.
import { ChecksumReply, PrimaryMessage, ReplicaMessage } from '../../../proto/gen/govc/v1/replication.js';

export interface PrimaryLink {
  send(msg: ReplicaMessage): void;
  close(): void;
}

export interface PeerConnector {
  /** Opens a replication stream to the primary at `addr`; `onEnd` runs once when it ends for any reason. */
  stream(addr: string, onMessage: (m: PrimaryMessage) => void, onEnd: (err?: Error) => void): PrimaryLink;
  checksum(addr: string, repo: string, epoch: number): Promise<ChecksumReply>;
}

/** The primary's side of one replica's stream. */
export interface ReplicaSink {
  /** Queues `msg`; false once the transport's buffer is full: send nothing more until `onDrain` fires. */
  send(msg: PrimaryMessage): boolean;
  /** Runs `cb` once, when the buffer has drained after `send` returned false. */
  onDrain(cb: () => void): void;
  /** Messages queued and not yet taken by the transport. */
  buffered(): number;
  /** Ends the stream; with an error the replica sees it as the call's status. */
  close(err?: Error): void;
}
