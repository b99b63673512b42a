// AVA configuration for the e2e suite (run with `ava --config e2e/ava.config.mjs`;
// AVA's projectDir stays the repository root, where package.json is).
// The tests share one real control plane (started by dist/e2e/harness/run-e2e.js
// and found through GOVC_E2E_PLANE), so they run one file and one test at a time.
export default {
  files: ['dist/e2e/test/**/*.test.js'],
  serial: true,
  concurrency: 1,
  workerThreads: false,
  timeout: '5m',
  verbose: true,
};
