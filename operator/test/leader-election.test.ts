import test from 'ava';
import { canAcquire } from '../src/runtime/leader-election.js';
import { microTime } from '../src/kube/kube-clients.js';

const now = Date.parse('2030-01-01T00:00:30Z');
const lease = (holderIdentity: string | undefined, renewTime: string | undefined, leaseDurationSeconds = 10) =>
  ({ spec: { holderIdentity, renewTime: renewTime as unknown as Date, leaseDurationSeconds } });

test('a free, own or expired Lease can be taken; a live one cannot', (t) => {
  t.true(canAcquire(lease(undefined, undefined), 'me', now));
  t.true(canAcquire(lease('', '2030-01-01T00:00:29.000000Z'), 'me', now));
  t.true(canAcquire(lease('me', '2030-01-01T00:00:29.000000Z'), 'me', now));
  t.false(canAcquire(lease('other', '2030-01-01T00:00:25.000000Z'), 'me', now));
  t.true(canAcquire(lease('other', '2030-01-01T00:00:19.000000Z'), 'me', now));
});

test('MicroTime has six fractional digits', (t) => {
  t.is(microTime(Date.parse('2030-01-01T00:00:30.123Z')), '2030-01-01T00:00:30.123000Z');
});
