// Test-side access to the e2e control plane. Under run-e2e.js (make e2e) the
// plane is already up and GOVC_E2E_PLANE names its state file; a test file run
// on its own (npx ava --config e2e/ava.config.mjs dist/e2e/test/x.test.js)
// starts a private plane and stops it after its tests.
import type { TestFn } from 'ava';
import { ControlPlane } from '../../harness/control-plane.js';
import { PlaneHandle } from '../../harness/plane-handle.js';

let cached: Promise<PlaneHandle> | undefined;

export function usePlane(test: TestFn): () => Promise<PlaneHandle> {
  const statePath = process.env.GOVC_E2E_PLANE;
  let own: ControlPlane | undefined;
  if (!statePath) {
    test.after.always('stop private control plane', async () => {
      if (own) await own.stop();
    });
  }
  return async () => {
    cached ??= statePath
      ? Promise.resolve(PlaneHandle.fromFile(statePath))
      : ControlPlane.start().then((p) => {
        own = p;
        return p.handle;
      });
    return await cached;
  };
}

/** A unique, DNS-safe name for per-test objects. */
export function uniqueName(prefix: string): string {
  return `${prefix}-${Date.now().toString(36)}-${Math.floor(Math.random() * 1e4).toString(36)}`;
}
