// Counters of the journal's group commit, kept as plain numbers on the write path and exposed as Prometheus metrics by
// the REST transport when /metrics is scraped (govc_journal_fsyncs_total, govc_journal_fsync_batch_size,
// govc_journal_fsync_seconds, govc_journal_fsync_failures_total).

/** Changes made durable by one fdatasync. */
export const BATCH_BUCKETS = [1, 2, 4, 8, 16, 32, 64, 128, 256, 1024];
export const SECONDS_BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1];

export class Histogram {
  /** Per bucket, not cumulative; the last one is +Inf. */
  readonly counts: Float64Array;
  sum = 0;
  count = 0;

  constructor(readonly buckets: readonly number[]) {
    this.counts = new Float64Array(buckets.length + 1);
  }

  observe(v: number): void {
    let b = 0;
    while (b < this.buckets.length && v > this.buckets[b]) b++;
    this.counts[b]++;
    this.sum += v;
    this.count++;
  }
}

export class JournalStats {
  /** fdatasyncs of journal data (folder and metadata syncs are not counted). */
  fsyncs = 0;
  /** Syncs that failed (each quarantined its repository). */
  failures = 0;
  readonly batch = new Histogram(BATCH_BUCKETS);
  readonly seconds = new Histogram(SECONDS_BUCKETS);

  fsynced(changes: number, seconds: number): void {
    this.fsyncs++;
    this.batch.observe(changes);
    this.seconds.observe(seconds);
  }
}
