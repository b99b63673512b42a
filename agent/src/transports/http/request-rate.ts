// REST requests per second over the last minute, for the Admin stats: one counter per second in a ring.
const SECONDS = 60;

export class RequestRate {
  private readonly all = new Uint32Array(SECONDS);
  private readonly writes = new Uint32Array(SECONDS);
  private second = Math.floor(Date.now() / 1000);

  count(write: boolean): void {
    this.roll();
    this.all[this.second % SECONDS]++;
    if (write) this.writes[this.second % SECONDS]++;
  }

  rates(): { requests: number; writes: number } {
    this.roll();
    let a = 0;
    let w = 0;
    for (let i = 0; i < SECONDS; i++) {
      a += this.all[i];
      w += this.writes[i];
    }
    return { requests: a / SECONDS, writes: w / SECONDS };
  }

  private roll(): void {
    const now = Math.floor(Date.now() / 1000);
    if (now === this.second) return;
    for (let s = this.second + 1; s <= now && s <= this.second + SECONDS; s++) {
      this.all[s % SECONDS] = 0;
      this.writes[s % SECONDS] = 0;
    }
    this.second = now;
  }
}
