// PROCESS KUBELET (test stand-in): pod "networking". Linux routes the whole
// of 127.0.0.0/8 to the loopback interface, so each pod gets its own address
// 127.<a>.<b>.x and can bind the same port as every other pod. Each plane
// draws its own 127.<a>.<b>.0/24 (never 127.0.0.0/24, where the control
// plane listens), so two planes on one machine do not hand out one address.
export class LoopbackIpPool {
  private readonly used = new Set<number>();
  private next: number;
  readonly prefix: string;

  constructor(prefix?: string, private readonly first = 10, private readonly last = 250) {
    this.next = first;
    const r = Math.floor(Math.random() * 64 * 250);
    this.prefix = prefix ?? `127.${1 + Math.floor(r / 250)}.${1 + (r % 250)}.`;
  }

  allocate(): string {
    const size = this.last - this.first + 1;
    for (let i = 0; i < size; i++) {
      const n = this.first + ((this.next - this.first + i) % size);
      if (!this.used.has(n)) {
        this.used.add(n);
        // Round robin, so a just-released address is not reused at once.
        this.next = n + 1 > this.last ? this.first : n + 1;
        return `${this.prefix}${n}`;
      }
    }
    throw new Error('process kubelet: no free loopback pod IP');
  }

  release(ip: string): void {
    if (ip.startsWith(this.prefix)) this.used.delete(Number(ip.slice(this.prefix.length)));
  }
}
