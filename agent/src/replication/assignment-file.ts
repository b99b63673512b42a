// Persists each repository's assignment (and the highest epoch this agent has heard of) so a restarted agent resumes
// its role and never accepts an epoch older than one it already saw. One small JSON file per repository, written
// atomically, under <data dir>/replication/.
import { closeSync, existsSync, fsyncSync, mkdirSync, openSync, readFileSync, readdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Assignment } from './types.js';

export interface StoredAssignment {
  assignment: Assignment;
  /** A newer epoch learnt from a peer than the assignment's own; set when this agent was fenced. */
  fencedAt?: number;
}

export class AssignmentFile {
  private readonly dir: string | undefined;

  /** `dataDir` empty = memory only: assignments are then forgotten on restart. */
  constructor(dataDir: string) {
    this.dir = dataDir === '' ? undefined : join(dataDir, 'replication');
    if (this.dir) mkdirSync(this.dir, { recursive: true });
  }

  loadAll(): StoredAssignment[] {
    if (!this.dir) return [];
    const out: StoredAssignment[] = [];
    for (const f of readdirSync(this.dir).sort()) {
      if (!f.endsWith('.json')) continue;
      out.push(JSON.parse(readFileSync(join(this.dir, f), 'utf8')) as StoredAssignment);
    }
    return out;
  }

  save(entry: StoredAssignment): void {
    if (!this.dir) return;
    const path = join(this.dir, `${entry.assignment.repo}.json`);
    const tmp = `${path}.tmp`;
    writeFileSync(tmp, JSON.stringify(entry));
    const fd = openSync(tmp, 'r');
    fsyncSync(fd);
    closeSync(fd);
    renameSync(tmp, path);
  }

  remove(repo: string): void {
    if (!this.dir) return;
    const path = join(this.dir, `${repo}.json`);
    if (existsSync(path)) rmSync(path);
  }
}
