// Damaging one repository's copy on an agent the way a bad disk does: the agent process is frozen (SIGSTOP, so
// nothing is written meanwhile), one byte in the middle of that repository's journal is flipped, and the process is
// killed; the process kubelet restarts it (after its back-off) and the agent finds a complete record whose checksum
// fails, which it must quarantine. The journal is `<pod dir>/volumes/data/repos/<repo>/journal` (the agent Pod's
// emptyDir `data` is a directory under the process kubelet's pod dir): records `[u32 length LE][u32 crc32][payload]`,
// then preallocated zeros.
import { existsSync, openSync, readFileSync, readSync, readdirSync, closeSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import type { PlaneHandle } from '../../harness/plane-handle.js';

const HEADER = 8;

/** The agent's data dir (GOVC_DATA_DIR) of the Pod `pod` with uid `uid`. */
export function agentDataDir(p: PlaneHandle, namespace: string, pod: string, uid: string): string {
  const dir = join(p.containerLogDir(namespace), `${pod}_${uid}`, 'volumes', 'data');
  if (!existsSync(dir)) throw new Error(`no data dir for ${namespace}/${pod} (uid ${uid}) at ${dir}`);
  return dir;
}

export const repoDir = (dataDir: string, repo: string): string => join(dataDir, 'repos', repo);

/** Files the agent kept of a damaged copy once it re-seeded it (`journal.damaged-<time>`, `meta.json.damaged-<time>`). */
export function forensicFiles(dataDir: string, repo: string): string[] {
  const dir = repoDir(dataDir, repo);
  return existsSync(dir) ? readdirSync(dir).filter((f) => f.includes('.damaged-')).sort() : [];
}

/** Where each complete record starts (offset of its header) and how long its payload is. */
export function journalRecords(journal: string): Array<{ offset: number; length: number }> {
  const buf = readFileSync(journal);
  const out: Array<{ offset: number; length: number }> = [];
  let at = 0;
  while (at + HEADER <= buf.length) {
    const length = buf.readUInt32LE(at);
    if (length === 0 || at + HEADER + length > buf.length) break;
    out.push({ offset: at, length });
    at += HEADER + length;
  }
  return out;
}

export interface FlippedByte {
  journal: string;
  /** Byte offset in the journal, and its value before the flip. */
  offset: number;
  original: number;
  /** Which record (0-based) of how many. */
  record: number;
  records: number;
}

/** Inverts one byte in the middle of the payload of the journal's middle record. */
export function flipMiddleByte(journal: string): FlippedByte {
  const records = journalRecords(journal);
  if (records.length < 3) throw new Error(`${journal} holds ${records.length} records; need at least 3 to damage one in the middle`);
  const record = Math.floor(records.length / 2);
  const r = records[record];
  const offset = r.offset + HEADER + Math.floor(r.length / 2);
  const fd = openSync(journal, 'r+');
  try {
    const b = Buffer.alloc(1);
    readSync(fd, b, 0, 1, offset);
    const original = b[0];
    b[0] = original ^ 0xff;
    writeSync(fd, b, 0, 1, offset);
    return { journal, offset, original, record, records: records.length };
  } finally {
    closeSync(fd);
  }
}

/** Puts the flipped byte back (an operator restoring the file by hand). */
export function restoreByte(f: FlippedByte): void {
  const fd = openSync(f.journal, 'r+');
  try {
    writeSync(fd, Buffer.from([f.original]), 0, 1, f.offset);
  } finally {
    closeSync(fd);
  }
}

/**
 * Freezes the agent container of `pod`, applies `edit` to its files, and kills it (the kubelet restarts it). The
 * process is killed even when the edit fails. Returns what the edit returned and when the kill happened.
 */
export function editWhileStopped<T>(p: PlaneHandle, namespace: string, pod: string, edit: () => T): { result: T; killedAt: number } {
  p.signalPod(namespace, pod, 'agent', 'SIGSTOP');
  try {
    const result = edit();
    return { result, killedAt: Date.now() };
  } finally {
    p.signalPod(namespace, pod, 'agent', 'SIGKILL');
  }
}
