// Unified diffs byte-for-byte like `git diff`: git's headers, path quoting, hunk layout and
// function-name hunk headers, over line-diff.ts's git-identical line diff.
import { type FileMode, type ObjectId, type ObjectReader } from './objects.js';
import { readTyped } from './object-errors.js';
import { diffRecords, splitLines, type LineChange } from './line-diff.js';
import { fileType, type FileChange } from './tree-diff.js';

export interface PatchOptions {
  /** Lines of context around each change (git's -U); default 3. */
  context?: number;
  /** Hex digits of ids on the `index` line; default 7, 40 is `--full-index`. Git may print more
   *  digits when 7 are ambiguous in its repository; this formatter has no repository to ask. */
  abbrev?: number;
  /** Shows an id on the `index` line; overrides `abbrev` (a repository can abbreviate as git does: abbreviate()). */
  abbreviate?: (id: ObjectId) => string;
}

/** Git treats content as binary when a NUL occurs in its first 8000 bytes. */
export function isBinary(data: Buffer): boolean {
  return data.subarray(0, 8000).includes(0);
}

// ---------------------------------------------------------------- hunks

/** Git's default hunk-header function line: the nearest line above the hunk starting with a letter, '_' or '$'. */
function functionLine(lines: readonly string[], before: number): string {
  for (let i = before - 1; i >= 0; i--) {
    if (/^[A-Za-z_$]/.test(lines[i])) return lines[i].slice(0, 80).replace(/[ \t\n\r]+$/, '');
  }
  return '';
}

/** The longest prefix of a byte string (latin1) that is valid UTF-8 by git's rules (utf8.c). */
function utf8Prefix(s: string): string {
  const b = (k: number) => s.charCodeAt(k);
  const cont = (k: number) => k < s.length && (b(k) & 0xc0) === 0x80;
  let i = 0;
  while (i < s.length) {
    const c = b(i);
    let n = 0;
    let cp = 0;
    if (c < 0x80) n = 1;
    else if ((c & 0xe0) === 0xc0 && cont(i + 1)) {
      cp = ((c & 0x1f) << 6) | (b(i + 1) & 0x3f);
      n = cp < 0x80 ? 0 : 2;
    } else if ((c & 0xf0) === 0xe0 && cont(i + 1) && cont(i + 2)) {
      cp = ((c & 0x0f) << 12) | ((b(i + 1) & 0x3f) << 6) | (b(i + 2) & 0x3f);
      n = cp < 0x800 || (cp >= 0xd800 && cp < 0xe000) || cp >= 0xfffe ? 0 : 3;
    } else if ((c & 0xf8) === 0xf0 && cont(i + 1) && cont(i + 2) && cont(i + 3)) {
      cp = ((c & 0x07) << 18) | ((b(i + 1) & 0x3f) << 12) | ((b(i + 2) & 0x3f) << 6) | (b(i + 3) & 0x3f);
      n = cp < 0x10000 || cp > 0x10ffff ? 0 : 4;
    }
    if (n === 0) break;
    i += n;
  }
  return s.slice(0, i);
}

function range(start: number, count: number): string {
  return `${count === 0 ? start - 1 : start}${count === 1 ? '' : `,${count}`}`;
}

function record(prefix: string, line: string): string {
  return line.endsWith('\n') ? prefix + line : `${prefix}${line}\n\\ No newline at end of file\n`;
}

/** Hunks in git's layout (xdl_emit_diff): changes closer than 2*context lines share a hunk. */
export function formatHunks(a: readonly string[], b: readonly string[], changes: readonly LineChange[], context = 3): string {
  let out = '';
  for (let h = 0; h < changes.length; ) {
    let e = h;
    while (e + 1 < changes.length && changes[e + 1].i1 - (changes[e].i1 + changes[e].chg1) <= 2 * context) e++;
    const first = changes[h];
    const last = changes[e];
    const s1 = Math.max(first.i1 - context, 0);
    const s2 = Math.max(first.i2 - context, 0);
    const post = Math.min(context, a.length - (last.i1 + last.chg1), b.length - (last.i2 + last.chg2));
    const e1 = last.i1 + last.chg1 + post;
    const e2 = last.i2 + last.chg2 + post;
    const fn = functionLine(a, s1);
    // git cuts the header at the first invalid UTF-8 byte, then drops trailing whitespace.
    const header = utf8Prefix(`@@ -${range(s1 + 1, e1 - s1)} +${range(s2 + 1, e2 - s2)} @@${fn ? ' ' + fn : ''}`);
    out += header.replace(/[ \t\n\r]+$/, '') + '\n';
    let k = s1;
    for (let c = h; c <= e; c++) {
      const ch = changes[c];
      for (; k < ch.i1; k++) out += record(' ', a[k]);
      for (let i = ch.i1; i < ch.i1 + ch.chg1; i++) out += record('-', a[i]);
      for (let i = ch.i2; i < ch.i2 + ch.chg2; i++) out += record('+', b[i]);
      k = ch.i1 + ch.chg1;
    }
    for (; k < e1; k++) out += record(' ', a[k]);
    h = e + 1;
  }
  return out;
}

// ---------------------------------------------------------------- file headers

const ESCAPES: Record<number, string> = { 7: 'a', 8: 'b', 9: 't', 10: 'n', 11: 'v', 12: 'f', 13: 'r', 0x22: '"', 0x5c: '\\' };

/** Git's C-style path quoting with core.quotePath on: control bytes, '"', '\\' and non-ASCII bytes force quotes. */
export function quotePath(path: string): string {
  const bytes = Buffer.from(path, 'utf8');
  if (!bytes.some((c) => c < 0x20 || c === 0x22 || c === 0x5c || c >= 0x7f)) return path;
  let out = '"';
  for (const c of bytes) {
    if (ESCAPES[c] !== undefined) out += '\\' + ESCAPES[c];
    else if (c < 0x20 || c >= 0x7f) out += '\\' + c.toString(8).padStart(3, '0');
    else out += String.fromCharCode(c);
  }
  return out + '"';
}

interface Version {
  mode: FileMode;
  id: ObjectId;
}

function content(reader: ObjectReader, s: Version | undefined): Buffer {
  if (!s) return Buffer.alloc(0);
  // Without --submodule git shows a gitlink as this one-line pseudo file.
  if (fileType(s.mode) === 'gitlink') return Buffer.from(`Subproject commit ${s.id}\n`);
  return readTyped(reader, s.id, 'blob').data;
}

/** One file's diff as a byte string (latin1: one char per byte, so any encoding passes through). */
function filePatch(
  reader: ObjectReader, paths: { a: string; b: string }, old: Version | undefined, neu: Version | undefined, context: number,
  abbrev: (id: ObjectId) => string, similarity?: number,
): string {
  if (!old && !neu) return '';
  const renamed = similarity !== undefined;
  if (!renamed && old && neu && old.id === neu.id && old.mode === neu.mode) return '';
  const aName = quotePath('a/' + paths.a);
  const bName = quotePath('b/' + paths.b);
  let out = `diff --git ${aName} ${bName}\n`;
  if (!old) out += `new file mode ${neu?.mode}\n`;
  else if (!neu) out += `deleted file mode ${old.mode}\n`;
  else if (old.mode !== neu.mode) out += `old mode ${old.mode}\nnew mode ${neu.mode}\n`;
  if (renamed) out += `similarity index ${similarity}%\nrename from ${quotePath(paths.a)}\nrename to ${quotePath(paths.b)}\n`;
  const oldId = old?.id ?? '0'.repeat(40);
  const newId = neu?.id ?? '0'.repeat(40);
  if (oldId !== newId) {
    const mode = old && neu && old.mode === neu.mode ? ` ${old.mode}` : '';
    out += `index ${abbrev(oldId)}..${abbrev(newId)}${mode}\n`;
  }
  const x = content(reader, old);
  const y = content(reader, neu);
  const aLabel = old ? aName : '/dev/null';
  const bLabel = neu ? bName : '/dev/null';
  if (isBinary(x) || isBinary(y)) {
    if (!x.equals(y)) out += `Binary files ${aLabel} and ${bLabel} differ\n`;
    return out;
  }
  const a = splitLines(x.toString('latin1'));
  const b = splitLines(y.toString('latin1'));
  const changes = diffRecords(a, b);
  if (changes.length === 0) return out;
  // Git ends a label containing a space with a tab so tools can find where the name stops.
  const tab = (l: string) => (l.includes(' ') ? '\t' : '');
  out += `--- ${aLabel}${tab(aLabel)}\n+++ ${bLabel}${tab(bLabel)}\n`;
  return out + formatHunks(a, b, changes, context);
}

/** The unified diff of `changes` as raw bytes, exactly as git would write them. */
export function formatPatchBuffer(reader: ObjectReader, changes: readonly FileChange[], opts: PatchOptions = {}): Buffer {
  const context = opts.context ?? 3;
  const abbrev = opts.abbrev ?? 7;
  if (!Number.isInteger(context) || context < 0) throw new RangeError(`invalid context ${context}`);
  if (!Number.isInteger(abbrev) || abbrev < 4 || abbrev > 40) throw new RangeError(`invalid abbrev ${abbrev}`);
  const short = opts.abbreviate ?? ((id: ObjectId) => id.slice(0, abbrev));
  let out = '';
  for (const c of changes) {
    const old = c.oldId && c.oldMode ? { mode: c.oldMode, id: c.oldId } : undefined;
    const neu = c.newId && c.newMode ? { mode: c.newMode, id: c.newId } : undefined;
    const paths = { a: c.oldPath ?? c.path, b: c.path };
    if (c.status === 'renamed') {
      out += filePatch(reader, paths, old, neu, context, short, c.similarity ?? 100);
    } else if (old && neu && fileType(old.mode) !== fileType(neu.mode)) {
      // Like git, a type change (file <-> symlink <-> gitlink) is shown as a deletion then a creation.
      out += filePatch(reader, paths, old, undefined, context, short);
      out += filePatch(reader, paths, undefined, neu, context, short);
    } else {
      out += filePatch(reader, paths, old, neu, context, short);
    }
  }
  return Buffer.from(out, 'latin1');
}

/**
 * Unified diff text in git's format (`git diff --no-renames`, or `git diff` once detectDiffRenames made the renames). Content that is not valid UTF-8
 * is replaced by U+FFFD in this string form; use formatPatchBuffer for the exact bytes.
 */
export function formatPatch(reader: ObjectReader, changes: readonly FileChange[], opts: PatchOptions = {}): string {
  return formatPatchBuffer(reader, changes, opts).toString('utf8');
}
