// The submodule rules git applies to a .gitmodules blob (fsck_gitmodules_fn, check_submodule_name, check_submodule_url
// in git 2.39): a name with a ".." component (CVE-2018-11235: it would place the submodule's repository outside
// .git/modules), a url or path starting with "-" (read as an option by the tools git runs: CVE-2018-17456), an
// `update = !command`, a relative or git:// url with an encoded newline or escaping its root with "../" towards
// "https::..." (CVE-2020-11008), and an http(s)/ftp(s) url whose credential parts hold a newline or whose host is empty.
// Strings are byte strings (latin1), as git-config.ts hands them over.
import { parseGitConfig } from './git-config.js';

function isSep(c: string): boolean {
  return c === '/' || c === '\\';
}

/** git's check_submodule_name: not empty, no ".." path component ('/' or '\' separated). */
export function submoduleNameOk(name: string): boolean {
  if (name.length === 0) return false;
  for (let i = 0; i <= name.length; i++) {
    if (i > 0 && !isSep(name[i - 1])) continue;
    // At the start of a component.
    if (name[i] === '.' && name[i + 1] === '.' && (i + 2 >= name.length || isSep(name[i + 2]))) return false;
  }
  return true;
}

function startsWithDotSlash(s: string, from = 0): boolean {
  return s[from] === '.' && isSep(s[from + 1] ?? '');
}
function startsWithDotDotSlash(s: string, from = 0): boolean {
  return s[from] === '.' && s[from + 1] === '.' && isSep(s[from + 2] ?? '');
}

function hexVal(c: string | undefined): number {
  if (c === undefined) return -1;
  const n = c.charCodeAt(0);
  if (n >= 0x30 && n <= 0x39) return n - 0x30;
  if (n >= 0x61 && n <= 0x66) return n - 0x57;
  if (n >= 0x41 && n <= 0x46) return n - 0x37;
  return -1;
}

/** git's url_decode_mem: %XX decoded (not %00), the part before the first ':' (a scheme) kept as is; stops at NUL. */
function urlDecode(s: string): string {
  let out = '';
  let i = 0;
  const colon = s.indexOf(':');
  if (colon > 0) {
    out = s.slice(0, colon);
    i = colon;
  }
  for (; i < s.length; i++) {
    const c = s[i];
    if (c === '\0') break;
    if (c === '%' && s.length - i >= 3) {
      const hi = hexVal(s[i + 1]);
      const lo = hexVal(s[i + 2]);
      const val = hi < 0 || lo < 0 ? -1 : (hi << 4) | lo;
      if (val > 0) {
        out += String.fromCharCode(val);
        i += 2;
        continue;
      }
    }
    out += c;
  }
  return out;
}

/** The part of `url` that git-remote-curl would get, for the schemes it serves; undefined for others. */
function curlUrl(url: string): string | undefined {
  for (const p of ['http::', 'https::', 'ftp::', 'ftps::']) if (url.startsWith(p)) return url.slice(p.length);
  for (const p of ['http://', 'https://', 'ftp://', 'ftps://']) if (url.startsWith(p)) return url;
  return undefined;
}

/** git's credential_from_url_gently (quiet) followed by fsck's empty-host test: false when git refuses the url. */
function credentialUrlOk(url: string): boolean {
  const protoEnd = url.indexOf('://');
  if (protoEnd <= 0) return false;
  const cp = protoEnd + 3;
  const atSign = url.indexOf('@', cp);
  const colon = url.indexOf(':', cp);
  let slash = cp;
  while (slash < url.length && url[slash] !== '/' && url[slash] !== '?' && url[slash] !== '#') slash++;
  const parts: string[] = [url.slice(0, protoEnd)];
  let hostStart: number;
  if (atSign < 0 || slash <= atSign) {
    hostStart = cp;
  } else if (colon < 0 || atSign <= colon) {
    parts.push(urlDecode(url.slice(cp, atSign)));
    hostStart = atSign + 1;
  } else {
    parts.push(urlDecode(url.slice(cp, colon)), urlDecode(url.slice(colon + 1, atSign)));
    hostStart = atSign + 1;
  }
  const host = urlDecode(url.slice(hostStart, slash));
  parts.push(host);
  let p = slash;
  while (url[p] === '/') p++;
  if (p < url.length) parts.push(urlDecode(url.slice(p)));
  if (parts.some((s) => s.includes('\n'))) return false;
  return host.length > 0;
}

/** git's check_submodule_url: false when git refuses `url` in a .gitmodules. */
export function submoduleUrlOk(url: string): boolean {
  if (url.startsWith('-')) return false;
  if (startsWithDotSlash(url) || startsWithDotDotSlash(url) || url.startsWith('git://')) {
    if (urlDecode(url).includes('\n')) return false;
    // Leading "./" and "../" components; a "../" followed by ':' or '/' escapes to a url of another host.
    let i = 0;
    let dotdots = 0;
    for (;;) {
      if (startsWithDotDotSlash(url, i)) {
        dotdots++;
        i += 3;
      } else if (startsWithDotSlash(url, i)) {
        i += 2;
      } else {
        break;
      }
    }
    return !(dotdots > 0 && (url[i] === ':' || url[i] === '/'));
  }
  const curl = curlUrl(url);
  return curl === undefined || credentialUrlOk(curl);
}

export interface SubmoduleProblem {
  check: 'gitmodulesName' | 'gitmodulesUrl' | 'gitmodulesPath' | 'gitmodulesUpdate' | 'gitmodulesPlatform';
  message: string;
}

/**
 * The first problem git's fsck finds in a .gitmodules blob's entries, or undefined. The blob is read as git reads it
 * where C chars are signed (the oracle's) and, when the readings can differ (a 0xFF byte, a leading byte order mark),
 * also as where they are unsigned: what a git on such a machine would refuse is refused too ("gitmodulesPlatform").
 */
export function gitmodulesProblem(data: Uint8Array): SubmoduleProblem | undefined {
  const problem = submoduleEntriesProblem(data, true);
  if (problem) return problem;
  const bom = data[0] === 0xef && data[1] === 0xbb && data[2] === 0xbf;
  if (!bom && data.indexOf(0xff) < 0) return undefined;
  const elsewhere = submoduleEntriesProblem(data, false);
  return elsewhere && { check: 'gitmodulesPlatform', message: `${elsewhere.check} where C char is unsigned: ${elsewhere.message}` };
}

function submoduleEntriesProblem(data: Uint8Array, signedChars: boolean): SubmoduleProblem | undefined {
  let problem: SubmoduleProblem | undefined;
  parseGitConfig(data, (name, value) => {
    if (problem || !name.startsWith('submodule.')) return;
    const lastDot = name.lastIndexOf('.');
    if (lastDot === 'submodule'.length) return; // no subsection
    const sub = name.slice('submodule.'.length, lastDot);
    const key = name.slice(lastDot + 1);
    const shown = JSON.stringify(sub);
    if (!submoduleNameOk(sub)) problem = { check: 'gitmodulesName', message: `disallowed submodule name: ${shown}` };
    else if (key === 'url' && value !== null && !submoduleUrlOk(value)) problem = { check: 'gitmodulesUrl', message: `disallowed submodule url: ${JSON.stringify(value)}` };
    else if (key === 'path' && value !== null && value.startsWith('-')) problem = { check: 'gitmodulesPath', message: `disallowed submodule path: ${JSON.stringify(value)}` };
    else if (key === 'update' && value !== null && value.startsWith('!')) problem = { check: 'gitmodulesUpdate', message: `disallowed submodule update setting: ${JSON.stringify(value)}` };
  }, signedChars);
  return problem;
}
