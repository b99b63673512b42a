// Structured JSON logs on stdout through winston. Callers pass metadata objects, never request bodies or secrets.
// Logging one line per request sits on the hot path, so the format is a single JSON.stringify and the transport batches
// the lines of one event-loop turn into one write (winston's Console transport costs ~3x more per line).
import winston from 'winston';
import Transport from 'winston-transport';

export type Logger = winston.Logger;

const MESSAGE = Symbol.for('message');

// The ISO timestamp changes once a millisecond; formatting it for every line is measurable at request rates.
let lastMs = 0;
let lastIso = '';
function timestamp(): string {
  const now = Date.now();
  if (now !== lastMs) {
    lastMs = now;
    lastIso = new Date(now).toISOString();
  }
  return lastIso;
}

const jsonLine = winston.format((info) => {
  const line: Record<string, unknown> = { timestamp: timestamp(), level: info.level, message: info.message };
  for (const key of Object.keys(info)) {
    if (key === 'level' || key === 'message') continue;
    const value = info[key];
    if (value instanceof Error) {
      line[key] = value.message;
      line.stack = value.stack;
    } else line[key] = value;
  }
  (info as Record<string | symbol, unknown>)[MESSAGE] = JSON.stringify(line);
  return info;
});

// Lines wait at most this long (or until this many are pending) and then go out in one write: at request rates a
// write per event-loop turn was still a measurable share of serving a small read.
const FLUSH_MS = 10;
const FLUSH_LINES = 256;

/** Writes to stdout in batches. */
class BatchedStdout extends Transport {
  private pending: string[] = [];
  private scheduled = false;

  override log(info: Record<string | symbol, unknown>, next: () => void): void {
    this.line(info[MESSAGE] as string);
    next();
  }

  line(text: string): void {
    if (this.pending.push(text) >= FLUSH_LINES) this.flush();
    else if (!this.scheduled) {
      this.scheduled = true;
      setTimeout(() => this.flush(), FLUSH_MS);
    }
  }

  flush(): void {
    this.scheduled = false;
    if (this.pending.length === 0) return;
    const text = this.pending.join('\n') + '\n';
    this.pending = [];
    process.stdout.write(text);
  }
}

const outputs = new Set<BatchedStdout>();

/** Writes out batched lines now; call before process.exit so the last lines are not lost. */
export function flushLogs(): void {
  for (const o of outputs) o.flush();
}

const fastPaths = new WeakMap<Logger, { out: BatchedStdout; component: string }>();

export function createLogger(level: string, component = 'agent'): Logger {
  const out = new BatchedStdout();
  outputs.add(out);
  const format = jsonLine();
  const logger = winston.createLogger({ level, defaultMeta: { component }, format, transports: [out] });
  fastPaths.set(logger, { out, component });
  return logger;
}

// Printable ASCII without '"' and '\\' needs no escaping; JSON.stringify is a call into C++ that costs more than the test.
const PLAIN = /^[\x20\x21\x23-\x5b\x5d-\x7e]*$/;
const jsonString = (s: string): string => (PLAIN.test(s) ? `"${s}"` : JSON.stringify(s));
const jsonValue = (v: string | number): string =>
  typeof v === 'number' ? (Number.isFinite(v) ? `${v}` : 'null') : jsonString(v);
// Meta keys repeat on every line: quote each once.
const quotedKeys = new Map<string, string>();
const jsonKey = (k: string): string => {
  let q = quotedKeys.get(k);
  if (q === undefined && quotedKeys.size < 1000) quotedKeys.set(k, (q = JSON.stringify(k)));
  return q ?? JSON.stringify(k);
};

/**
 * An info-level logger for one line per request: the same line `logger` would write, built as one string and handed to
 * its transport directly. Winston's object streams and generic format cost more than the rest of serving a small read.
 * Meta values are primitives (ids, route, status, timings).
 */
export function requestLogger(logger: Logger): (message: string, meta: Record<string, string | number>) => void {
  const fast = fastPaths.get(logger);
  if (!fast) return (message, meta) => logger.info(message, meta);
  const component = JSON.stringify(fast.component);
  return (message, meta) => {
    if (!logger.isInfoEnabled()) return;
    let line = `{"timestamp":"${timestamp()}","level":"info","message":${jsonString(message)},"component":${component}`;
    for (const key in meta) line += `,${jsonKey(key)}:${jsonValue(meta[key])}`;
    fast.out.line(line + '}');
  };
}

