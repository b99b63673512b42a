// Continuous writes to many repositories the way a client of the cluster's Service makes them: each request goes to
// the next agent of the cluster (agents forward to the primary), one commit at a time per repository, and every
// acknowledged commit (201) is recorded with who served it. Afterwards `verifyAcked` checks that each of them is in
// the history of the primary and of every in-sync replica (read locally on each: X-Govc-Seq at the copy's own seq).
import type { AgentAdmin } from '../../../operator/src/agents/agent-admin.js';
import { delay } from '../../harness/util.js';

export interface AckedWrite {
  repo: string;
  sha: string;
  seq: number;
  /** gRPC address of the agent that applied it as primary (X-Govc-Served-By). */
  servedBy: string;
  startedAt: number;
  ackedAt: number;
}

/** A write that was not acknowledged: where it went and what came back (for explaining a slow failover). */
export interface FailedWrite {
  target: string;
  startedAt: number;
  endedAt: number;
  /** HTTP status, or the error's name (TimeoutError, TypeError for a refused connection). */
  outcome: string;
  /** The error code of the body, e.g. write_concern_unmet, and who answered. */
  code?: string;
  servedBy?: string;
}

// Longer than the write concern timeout (2 s), short enough that a hung agent holds a writer up only briefly.
const REQUEST_TIMEOUT_MS = 3_000;
/** Failed writes kept per repository (the latest). */
const KEPT_FAILURES = 200;

export class QuorumWriters {
  readonly acked = new Map<string, AckedWrite[]>();
  readonly failures = new Map<string, number>();
  readonly failed = new Map<string, FailedWrite[]>();
  private running = false;
  private loops: Promise<void>[] = [];
  private next = 0;

  /**
   * `agents`: HTTP addresses (ip:port) of the cluster's agents, asked before every request (they may change).
   * `paceMs`: a repository's writes start at least this far apart (0: each as soon as the last one ended).
   */
  constructor(private readonly repos: readonly string[], private readonly agents: () => readonly string[], private readonly paceMs = 0) {
    for (const r of repos) this.acked.set(r, []);
  }

  start(): void {
    this.running = true;
    this.loops = this.repos.map((r) => this.loop(r));
  }

  async stop(): Promise<void> {
    this.running = false;
    await Promise.all(this.loops);
  }

  get totalAcked(): number {
    let n = 0;
    for (const a of this.acked.values()) n += a.length;
    return n;
  }

  /** The first write of `repo` acknowledged after `since` by an agent other than `notBy`. */
  firstAckAfter(repo: string, since: number, notBy?: string): AckedWrite | undefined {
    return this.acked.get(repo)!.find((w) => w.ackedAt > since && w.servedBy !== notBy);
  }

  /**
   * The longest stretch in [from, to] during which `repo` acknowledged no write: between consecutive acknowledgements
   * (the one before `from` counts as the start), and from the last one to `to` when none came after it.
   */
  longestGap(repo: string, from: number, to: number): { ms: number; start: number; end: number } {
    const acks = this.acked.get(repo)!.map((w) => w.ackedAt);
    let last = from;
    for (const at of acks) if (at <= from) last = at;
    let best = { ms: 0, start: from, end: from };
    for (const at of [...acks.filter((a) => a > from && a <= to), to]) {
      if (at - last > best.ms) best = { ms: at - last, start: last, end: at };
      last = at;
    }
    return best;
  }

  /** The failed writes of `repo` that started in [from, to), oldest first. */
  failedBetween(repo: string, from: number, to: number): FailedWrite[] {
    return (this.failed.get(repo) ?? []).filter((f) => f.startedAt >= from && f.startedAt < to);
  }

  private fail(repo: string, f: FailedWrite): void {
    const list = this.failed.get(repo) ?? [];
    list.push(f);
    if (list.length > KEPT_FAILURES) list.shift();
    this.failed.set(repo, list);
  }

  private async loop(repo: string): Promise<void> {
    let i = 0;
    while (this.running) {
      const agents = this.agents();
      if (agents.length === 0) {
        await delay(100);
        continue;
      }
      const target = agents[this.next++ % agents.length];
      const startedAt = Date.now();
      try {
        const res = await fetch(`http://${target}/api/v1/repos/${repo}/commits`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({
            branch: 'main', message: `w${i}`, author: { name: 'Load', email: 'load@example.com' },
            files: [{ path: `w/${i % 16}.txt`, content: `${repo} write ${i} at ${startedAt}\n` }],
          }),
          signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
        });
        const body = await res.text();
        if (res.status === 201) {
          const { sha, seq } = JSON.parse(body) as { sha: string; seq: number };
          this.acked.get(repo)!.push({ repo, sha, seq, servedBy: res.headers.get('x-govc-served-by') ?? '', startedAt, ackedAt: Date.now() });
          i++;
          await this.pause(startedAt, 0);
          continue;
        }
        let code: string | undefined;
        try {
          code = (JSON.parse(body) as { error?: { code?: string } }).error?.code;
        } catch {
          // not JSON
        }
        this.fail(repo, { target, startedAt, endedAt: Date.now(), outcome: String(res.status), code, servedBy: res.headers.get('x-govc-served-by') ?? undefined });
      } catch (err) {
        // Refused, reset or timed out: not acknowledged.
        this.fail(repo, { target, startedAt, endedAt: Date.now(), outcome: (err as Error).name });
      }
      this.failures.set(repo, (this.failures.get(repo) ?? 0) + 1);
      await this.pause(startedAt, 50);
    }
  }

  /** Waits at least `minMs`, and until `paceMs` after `startedAt`. */
  private async pause(startedAt: number, minMs: number): Promise<void> {
    const ms = Math.max(minMs, startedAt + this.paceMs - Date.now());
    if (ms > 0) await delay(ms);
  }
}

export interface CopyCheck {
  repo: string;
  agent: string;
  checked: number;
  missing: string[];
}

/**
 * Every acknowledged sha of `repo` in the history of main on each copy (`copies`: agent name → ip), each read from
 * that copy itself. Returns one result per copy.
 */
export async function verifyAcked(
  admin: AgentAdmin, token: string, repo: string, copies: ReadonlyMap<string, string>, acked: readonly AckedWrite[],
): Promise<CopyCheck[]> {
  return Promise.all([...copies].map(async ([agent, ip]): Promise<CopyCheck> => {
    const state = await admin.repoState(`${ip}:9090`, token, repo);
    if (!state) return { repo, agent, checked: acked.length, missing: acked.map((a) => a.sha) };
    const history = new Set<string>();
    let cursor: string | undefined;
    do {
      const q = new URLSearchParams({ ref: 'main', limit: '1000', ...(cursor ? { cursor } : {}) });
      const res = await fetch(`http://${ip}:8080/api/v1/repos/${repo}/commits?${q}`, { headers: { 'x-govc-seq': String(state.appliedSeq) } });
      if (res.status !== 200) throw new Error(`${agent}: history of ${repo}: HTTP ${res.status} ${await res.text()}`);
      const servedBy = res.headers.get('x-govc-served-by');
      if (servedBy && servedBy !== `${ip}:9090`) throw new Error(`${agent}: history of ${repo} was served by ${servedBy}, not the copy itself`);
      const page = (await res.json()) as { commits: Array<{ sha: string }>; next?: string };
      for (const c of page.commits) history.add(c.sha);
      cursor = page.next;
    } while (cursor);
    return { repo, agent, checked: acked.length, missing: acked.filter((a) => !history.has(a.sha)).map((a) => a.sha) };
  }));
}
