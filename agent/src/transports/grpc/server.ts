// The gRPC listener: Admin (operator → agent) and Replication (agent ↔ agent), both behind the shared token.
import { Metadata, Server, ServerCredentials, ServiceError, UntypedServiceImplementation } from '@grpc/grpc-js';
import { ReplicationManager } from '../../replication/manager.js';
import { AdminService } from '../../../../proto/gen/govc/v1/admin.js';
import { ReplicationService } from '../../../../proto/gen/govc/v1/replication.js';
import { AgentInfo, adminService } from './admin-service.js';
import { acceptingEncoded } from './encoded-reply.js';
import { replicationService } from './replication-service.js';
import { makeTokenCheck, unauthenticated } from './status.js';

export interface GrpcServerOptions {
  manager: ReplicationManager;
  info: AgentInfo;
  token: string;
  host: string;
  port: number;
}

type AnyCall = { metadata: Metadata; emit(event: 'error', e: Partial<ServiceError>): boolean };

/** Every handler first checks the token; a refused call touches nothing. */
function guarded(impl: UntypedServiceImplementation, ok: (md: Metadata) => boolean): UntypedServiceImplementation {
  const out: UntypedServiceImplementation = {};
  for (const [name, fn] of Object.entries(impl)) {
    // The handler signatures differ per call kind; all take the call first and unary ones a callback second.
    const handler = fn as (call: AnyCall, cb?: (e: Partial<ServiceError> | null, v: null) => void) => void;
    out[name] = ((call: AnyCall, cb?: (e: Partial<ServiceError> | null, v: null) => void) => {
      if (ok(call.metadata)) return handler(call, cb);
      if (cb) return cb(unauthenticated(), null);
      call.emit('error', unauthenticated());
    }) as UntypedServiceImplementation[string];
  }
  return out;
}

export async function startGrpcServer(opts: GrpcServerOptions): Promise<{ port: number; close(): Promise<void> }> {
  const server = new Server({ 'grpc.max_receive_message_length': 8 * 1024 * 1024, 'grpc.max_send_message_length': 8 * 1024 * 1024 });
  const ok = makeTokenCheck(opts.token);
  // RepoStates of many refs are encoded in a worker: their replies arrive as bytes (encoded-reply.ts).
  server.addService(acceptingEncoded(AdminService), guarded(adminService(opts.manager, opts.info), ok));
  server.addService(ReplicationService, guarded(replicationService(opts.manager), ok));
  const host = opts.host.includes(':') ? `[${opts.host}]` : opts.host;
  const port = await new Promise<number>((res, rej) =>
    server.bindAsync(`${host}:${opts.port}`, ServerCredentials.createInsecure(), (err, p) => (err ? rej(err) : res(p))));
  return {
    port,
    close: () => new Promise<void>((res) => {
      // Streams never end on their own: give in-flight unary calls a moment, then cut everything.
      const t = setTimeout(() => server.forceShutdown(), 500);
      server.tryShutdown(() => {
        clearTimeout(t);
        res();
      });
    }),
  };
}
