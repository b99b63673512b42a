import test from 'ava';
import { parseQuantity } from '../src/quantity.js';

test('binary and decimal suffixes, millis, exponents and plain numbers', (t) => {
  t.is(parseQuantity('512Mi'), 512 * 2 ** 20);
  t.is(parseQuantity('1Gi'), 2 ** 30);
  t.is(parseQuantity('1.5G'), 1.5e9);
  t.is(parseQuantity('250m'), 0.25);
  t.is(parseQuantity('2'), 2);
  t.is(parseQuantity('1e3'), 1000);
  t.is(parseQuantity('.5'), 0.5);
  t.is(parseQuantity(3), 3);
  t.is(parseQuantity(undefined), undefined);
});

test('malformed quantities are undefined, not guessed', (t) => {
  for (const bad of ['', 'Mi', '12XB', '1.2.3', 'ten', '5 Gi', '1e', 'NaN', 'Infinity']) t.is(parseQuantity(bad), undefined, bad);
});
