// Agent configuration from environment variables. Defaults are the embedded, safe ones: loopback only, data under ./.data.
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { availableParallelism } from 'node:os';
import { DEFAULT_LIMITS, Limits } from './limits.js';

export interface AgentConfig {
  http: { host: string; port: number };
  /** Where the local-disk tier keeps repositories; empty string = memory only. */
  dataDir: string;
  /** batch: a write is acknowledged once on disk (one fdatasync per batch of concurrent writes); off: never synced. */
  fsync: 'batch' | 'off';
  logLevel: 'error' | 'warn' | 'info' | 'debug';
  /** Largest request body accepted, in bytes (413 above it). */
  bodyLimit: number;
  /** What one request may make the agent hold or walk (see limits.ts). */
  limits: Limits;
  /** Worker threads for heavy requests (imports, exports, large bodies). */
  workerThreads: number;
  replication: ReplicationConfig;
}

export interface ReplicationConfig {
  /** gRPC listener for Admin and Replication; only started when a token is configured. */
  grpc: { host: string; port: number };
  /** The gRPC address peers and the operator use for this agent (its identity in replica sets). */
  advertiseAddr: string;
  /** The REST address peers forward requests to. */
  httpAdvertiseAddr: string;
  /** Shared admin/replication token; undefined = gRPC off (the agent runs standalone). */
  token: string | undefined;
  /** Whether GOVC_GRPC_ADDR was set explicitly (then a missing token deserves a warning). */
  grpcRequested: boolean;
  writeConcernTimeoutMs: number;
  readWaitMs: number;
  /** 0 = off. */
  antiEntropyMs: number;
  /** Memory budget for the change windows of all repositories together (oldest changes trimmed first). */
  windowBytes: number;
}

export class ConfigError extends Error {
  override name = 'ConfigError';
}

export function parseAddr(value: string, name: string): { host: string; port: number } {
  const m = /^(\[[0-9a-fA-F:.]+\]|[^:]+):(\d{1,5})$/.exec(value);
  const port = m ? Number(m[2]) : NaN;
  if (!m || port > 65535) throw new ConfigError(`${name} must be host:port, got ${JSON.stringify(value)}`);
  return { host: m[1].replace(/^\[|\]$/g, ''), port };
}

function parseBytes(value: string, name: string): number {
  const m = /^(\d+)\s*(k|m|g|ki|mi|gi)?b?$/i.exec(value.trim());
  if (!m) throw new ConfigError(`${name} must be a byte count like 65536, 64MiB or 1GiB, got ${JSON.stringify(value)}`);
  const unit = (m[2] ?? '').toLowerCase();
  const mult = { '': 1, k: 1e3, m: 1e6, g: 1e9, ki: 1024, mi: 1024 ** 2, gi: 1024 ** 3 }[unit] ?? 1;
  return Number(m[1]) * mult;
}

function parseCount(value: string | undefined, fallback: number, name: string, min = 1): number {
  if (value === undefined || value === '') return fallback;
  if (!/^\d{1,12}$/.test(value) || Number(value) < min) throw new ConfigError(`${name} must be a whole number ≥ ${min}, got ${JSON.stringify(value)}`);
  return Number(value);
}

function loadLimits(env: NodeJS.ProcessEnv): Limits {
  const bytes = (name: string, fallback: number) => {
    const value = env[name];
    return value ? parseBytes(value, name) : fallback;
  };
  return {
    maxObjectBytes: bytes('GOVC_MAX_OBJECT_BYTES', DEFAULT_LIMITS.maxObjectBytes),
    maxImportBytes: bytes('GOVC_MAX_IMPORT_BYTES', DEFAULT_LIMITS.maxImportBytes),
    maxImportObjects: parseCount(env.GOVC_MAX_IMPORT_OBJECTS, DEFAULT_LIMITS.maxImportObjects, 'GOVC_MAX_IMPORT_OBJECTS'),
    maxTreeDepth: parseCount(env.GOVC_MAX_TREE_DEPTH, DEFAULT_LIMITS.maxTreeDepth, 'GOVC_MAX_TREE_DEPTH'),
    maxPathBytes: parseCount(env.GOVC_MAX_PATH_BYTES, DEFAULT_LIMITS.maxPathBytes, 'GOVC_MAX_PATH_BYTES'),
  };
}

function parseMs(value: string | undefined, fallback: number, name: string): number {
  if (value === undefined || value === '') return fallback;
  if (!/^\d{1,9}$/.test(value)) throw new ConfigError(`${name} must be a whole number of milliseconds, got ${JSON.stringify(value)}`);
  return Number(value);
}

function loadToken(env: NodeJS.ProcessEnv): string | undefined {
  let token = env.GOVC_TOKEN;
  if ((token === undefined || token === '') && env.GOVC_TOKEN_FILE) {
    try {
      token = readFileSync(env.GOVC_TOKEN_FILE, 'utf8').trim();
    } catch (e) {
      throw new ConfigError(`GOVC_TOKEN_FILE ${JSON.stringify(env.GOVC_TOKEN_FILE)} cannot be read: ${(e as Error).message}`);
    }
  }
  if (token === undefined || token === '') return undefined;
  // Never echo the token itself in an error.
  if (token.length < 16) throw new ConfigError('the replication token (GOVC_TOKEN or GOVC_TOKEN_FILE) must be at least 16 characters');
  return token;
}

function loadReplication(env: NodeJS.ProcessEnv, httpAddr: string): ReplicationConfig {
  const grpcAddr = env.GOVC_GRPC_ADDR ?? '127.0.0.1:9090';
  const grpc = parseAddr(grpcAddr, 'GOVC_GRPC_ADDR');
  const advertiseAddr = env.GOVC_ADVERTISE_ADDR || grpcAddr;
  parseAddr(advertiseAddr, 'GOVC_ADVERTISE_ADDR');
  const httpAdvertiseAddr = env.GOVC_HTTP_ADVERTISE_ADDR || httpAddr;
  parseAddr(httpAdvertiseAddr, 'GOVC_HTTP_ADVERTISE_ADDR');
  return {
    grpc, advertiseAddr, httpAdvertiseAddr, token: loadToken(env), grpcRequested: env.GOVC_GRPC_ADDR !== undefined,
    writeConcernTimeoutMs: parseMs(env.GOVC_WRITE_CONCERN_TIMEOUT_MS, 2000, 'GOVC_WRITE_CONCERN_TIMEOUT_MS'),
    readWaitMs: parseMs(env.GOVC_READ_WAIT_MS, 200, 'GOVC_READ_WAIT_MS'),
    antiEntropyMs: parseMs(env.GOVC_ANTI_ENTROPY_MS, 30000, 'GOVC_ANTI_ENTROPY_MS'),
    windowBytes: parseBytes(env.GOVC_REPLICATION_WINDOW_BYTES || '256MiB', 'GOVC_REPLICATION_WINDOW_BYTES'),
  };
}

export function loadConfig(env: NodeJS.ProcessEnv = process.env): AgentConfig {
  const logLevel = (env.GOVC_LOG_LEVEL ?? 'info').toLowerCase();
  if (!['error', 'warn', 'info', 'debug'].includes(logLevel)) {
    throw new ConfigError(`GOVC_LOG_LEVEL must be error, warn, info or debug, got ${JSON.stringify(env.GOVC_LOG_LEVEL)}`);
  }
  const httpAddr = env.GOVC_HTTP_ADDR ?? '127.0.0.1:8080';
  const fsync = (env.GOVC_FSYNC || 'batch').toLowerCase();
  if (fsync !== 'batch' && fsync !== 'off') throw new ConfigError(`GOVC_FSYNC must be batch or off, got ${JSON.stringify(env.GOVC_FSYNC)}`);
  return {
    http: parseAddr(httpAddr, 'GOVC_HTTP_ADDR'),
    dataDir: env.GOVC_DATA_DIR === undefined ? resolve('.data') : env.GOVC_DATA_DIR === '' ? '' : resolve(env.GOVC_DATA_DIR),
    fsync,
    logLevel: logLevel as AgentConfig['logLevel'],
    bodyLimit: parseBytes(env.GOVC_BODY_LIMIT ?? '64MiB', 'GOVC_BODY_LIMIT'),
    limits: loadLimits(env),
    workerThreads: parseCount(env.GOVC_WORKER_THREADS, Math.max(2, Math.min(4, availableParallelism() - 1)), 'GOVC_WORKER_THREADS'),
    replication: loadReplication(env, httpAddr),
  };
}
