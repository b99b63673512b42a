// PROCESS KUBELET (test stand-in): there is no container runtime on the test
// machines, so an "image" is mapped to a local command line (its ENTRYPOINT).
// A container's `command` replaces the entrypoint and `args` are appended, as
// with a real image whose CMD is empty.
import { join } from 'node:path';
import { repoRoot } from '../paths.js';

export type ImageMap = Array<{ match: RegExp; entrypoint: string[] }>;

/** govc/agent:* and govc/operator:* run the built TypeScript entries. */
export function defaultImageMap(root = repoRoot): ImageMap {
  return [
    { match: /^(?:[\w.-]+(?::\d+)?\/)?govc\/agent(?::[\w.-]+)?$/, entrypoint: [process.execPath, join(root, 'dist/agent/src/main.js')] },
    { match: /^(?:[\w.-]+(?::\d+)?\/)?govc\/operator(?::[\w.-]+)?$/, entrypoint: [process.execPath, join(root, 'dist/operator/src/main.js')] },
    // A bare Node.js runtime for test pods that bring their own command.
    { match: /^(?:docker\.io\/)?(?:library\/)?node(?::[\w.-]+)?$/, entrypoint: [process.execPath] },
  ];
}

export function resolveImage(map: ImageMap, image: string): string[] | undefined {
  return map.find((m) => m.match.test(image))?.entrypoint;
}

/**
 * Kubernetes $(VAR) expansion: $(NAME) is replaced when NAME is defined,
 * left as is otherwise; $$ escapes a dollar.
 */
export function expandVars(s: string, env: Record<string, string>): string {
  let out = '';
  for (let i = 0; i < s.length; i++) {
    const c = s[i];
    if (c === '$' && s[i + 1] === '$') {
      out += '$';
      i++;
    } else if (c === '$' && s[i + 1] === '(') {
      const end = s.indexOf(')', i + 2);
      if (end < 0) {
        out += s.slice(i);
        break;
      }
      const name = s.slice(i + 2, end);
      out += Object.hasOwn(env, name) ? env[name] : s.slice(i, end + 1);
      i = end;
    } else {
      out += c;
    }
  }
  return out;
}
