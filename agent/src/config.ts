// Agent configuration from environment variables. Defaults are the embedded, safe ones: loopback only, data under ./.data.
import { resolve } from 'node:path';

export interface AgentConfig {
  http: { host: string; port: number };
  /** Where the local-disk tier keeps repositories; empty string = memory only. */
  dataDir: string;
  logLevel: 'error' | 'warn' | 'info' | 'debug';
  /** Largest request body accepted, in bytes (413 above it). */
  bodyLimit: number;
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

export function loadConfig(env: NodeJS.ProcessEnv = process.env): AgentConfig {
  const logLevel = (env.GOVC_LOG_LEVEL ?? 'info').toLowerCase();
  if (!['error', 'warn', 'info', 'debug'].includes(logLevel)) {
    throw new ConfigError(`GOVC_LOG_LEVEL must be error, warn, info or debug, got ${JSON.stringify(env.GOVC_LOG_LEVEL)}`);
  }
  return {
    http: parseAddr(env.GOVC_HTTP_ADDR ?? '127.0.0.1:8080', 'GOVC_HTTP_ADDR'),
    dataDir: env.GOVC_DATA_DIR === undefined ? resolve('.data') : env.GOVC_DATA_DIR === '' ? '' : resolve(env.GOVC_DATA_DIR),
    logLevel: logLevel as AgentConfig['logLevel'],
    bodyLimit: parseBytes(env.GOVC_BODY_LIMIT ?? '64MiB', 'GOVC_BODY_LIMIT'),
  };
}
