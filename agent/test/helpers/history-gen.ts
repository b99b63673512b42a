// Generated work-tree states for oracle tests of renames: a base of files in a few directories, and "sides" of 1-4
// operations each — edits, renames (with and without edits), whole-directory moves, copies, deletes, additions, mode
// and type changes — reproducible from a seed.
import { prng } from './git-cli.js';
import { type FileSpec, type State } from './object-repo.js';

/** Random histories: a base of files in a few directories, and two sides of 1-4 operations each. */
export function generator(seed: number) {
  const rnd = prng(seed);
  const pick = <T>(a: readonly T[]): T => a[Math.floor(rnd() * a.length)];
  let uniq = 0;
  const vocab = ['{\n', '}\n', '\n', 'return x;\n', '  y++;\n', 'end\n'];
  const text = (n: number) => Array.from({ length: n }, () => (rnd() < 0.25 ? pick(vocab) : `line ${uniq++} ${Math.floor(rnd() * 1e6)}\n`)).join('');
  const edit = (t: string) => {
    const ls = t.split(/(?<=\n)/);
    for (let k = 1 + Math.floor(rnd() * 3); k > 0; k--) {
      const at = Math.floor(rnd() * (ls.length + 1));
      const r = rnd();
      if (r < 0.4) ls.splice(at, 1, `edit ${uniq++}\n`);
      else if (r < 0.7) ls.splice(at, 0, `ins ${uniq++}\n`);
      else ls.splice(at, 1);
    }
    return ls.join('');
  };
  const dirs = ['', 'a', 'b', 'a/sub', 'c'];
  const names = ['x.txt', 'y.txt', 'z.c', 'w', 'v.md'];
  const join = (d: string, n: string) => (d ? `${d}/${n}` : n);
  const str = (v: FileSpec) => (typeof v === 'string' ? v : Buffer.isBuffer(v) ? v.toString() : 'exec' in v ? v.exec : v.link);
  const base = (): State => {
    const s: State = {};
    for (let i = 3 + Math.floor(rnd() * 8); i > 0; i--) {
      const t = text(4 + Math.floor(rnd() * 20));
      s[join(pick(dirs), pick(names))] = rnd() < 0.05 ? { exec: t } : t;
    }
    return s;
  };
  const side = (b: State): State => {
    const s: State = { ...b };
    for (let k = 1 + Math.floor(rnd() * 4); k > 0; k--) {
      const keys = Object.keys(s);
      if (keys.length === 0) break;
      const r = rnd();
      const f = pick(keys);
      if (r < 0.25) s[f] = edit(str(s[f]));
      else if (r < 0.5) {
        // a rename: to another directory under the same name, or to another name in the same directory
        const to = rnd() < 0.5 ? join(pick(dirs), f.split('/').pop()!) : join(f.includes('/') ? f.slice(0, f.lastIndexOf('/')) : '', pick(names));
        const v = s[f];
        delete s[f];
        s[to] = rnd() < 0.5 ? edit(str(v)) : v;
      } else if (r < 0.6) delete s[f];
      else if (r < 0.7) s[join(pick(dirs), pick(names))] = rnd() < 0.3 ? str(s[f]) : text(5); // sometimes a copy
      else if (r < 0.78) {
        // a whole directory moves
        const d = pick(dirs.filter(Boolean));
        const to = pick(['m', 'a/moved', 'n/deep', '']);
        for (const p of Object.keys(s)) {
          if (!p.startsWith(d + '/')) continue;
          const v = s[p];
          delete s[p];
          s[join(to, p.slice(d.length + 1))] = v;
        }
      } else if (r < 0.84) s[f] = { exec: str(s[f]) };
      else if (r < 0.88) s[f] = { link: `target${Math.floor(rnd() * 2)}` };
      else if (r < 0.94) s[join(pick(dirs.filter(Boolean)), `new${uniq++}`)] = text(4);
      else s[f] = edit(edit(str(s[f])));
    }
    const keys = Object.keys(s);
    for (const k of keys) if (keys.some((o) => o.startsWith(k + '/'))) delete s[k]; // a path cannot be a file and a directory
    return s;
  };
  return { base, side };
}

