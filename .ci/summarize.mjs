// Sums ava's closing lines ("N tests passed", "N tests failed", "N uncaught exceptions", ...) over every ava run in a log
// and prints the one line CI reads. A non-zero make status with nothing counted as failed still counts as one failure.
import { readFileSync } from 'node:fs';

const [logPath, statusArg] = process.argv.slice(2);
const text = readFileSync(logPath, 'utf8').replace(/\x1b\[[0-9;]*m/g, '');
const sum = (re) => [...text.matchAll(re)].reduce((n, m) => n + Number(m[1]), 0);
const passed = sum(/^\s*(\d+) tests? passed/gm);
let failed =
  sum(/^\s*(\d+) tests? failed/gm) +
  sum(/^\s*(\d+) uncaught exceptions?/gm) +
  sum(/^\s*(\d+) unhandled rejections?/gm) +
  sum(/^\s*(\d+) tests? remained pending/gm);
const status = Number(statusArg);
if (status !== 0 && failed === 0) failed = 1;
console.log(`tests: ${passed} passed, ${failed} failed`);
process.exit(status !== 0 || failed > 0 ? 1 : 0);
