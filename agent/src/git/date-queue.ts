// A newest-first queue of commits on committer date, ties in insertion order: git's prio_queue as history walks use it.
import { ObjectId } from './objects.js';

/** Newest-first queue on committer date, ties in insertion order (git's prio_queue on dates). */
export class DateQueue {
  private items: { id: ObjectId; date: number; seq: number }[] = [];
  private seq = 0;
  get size(): number {
    return this.items.length;
  }
  push(id: ObjectId, date: number): void {
    const it = { id, date, seq: this.seq++ };
    const a = this.items;
    a.push(it);
    for (let i = a.length - 1; i > 0; ) {
      const p = (i - 1) >> 1;
      if (!this.before(a[i], a[p])) break;
      [a[i], a[p]] = [a[p], a[i]];
      i = p;
    }
  }
  pop(): ObjectId {
    const a = this.items;
    const top = a[0];
    const last = a.pop()!;
    if (a.length > 0) {
      a[0] = last;
      for (let i = 0; ; ) {
        const l = 2 * i + 1;
        const r = l + 1;
        let m = i;
        if (l < a.length && this.before(a[l], a[m])) m = l;
        if (r < a.length && this.before(a[r], a[m])) m = r;
        if (m === i) break;
        [a[i], a[m]] = [a[m], a[i]];
        i = m;
      }
    }
    return top.id;
  }
  /** The id pop() would return next. */
  peek(): ObjectId {
    return this.items[0].id;
  }
  some(pred: (id: ObjectId) => boolean): boolean {
    return this.items.some((i) => pred(i.id));
  }
  private before(x: { date: number; seq: number }, y: { date: number; seq: number }): boolean {
    return x.date > y.date || (x.date === y.date && x.seq < y.seq);
  }
}

