// A rule's visitor run guarded (src/rules/guarded-visitor.ts): a throw is that rule's failure, the
// next events still reach it, and its time is estimated from one call in 16 of each handler, counted
// over the thread's files.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { guardVisitor } from '../src/rules/guarded-visitor.js';
import type { RuleVisitor } from '../src/rules/rule.js';

test('a guarded handler is timed on its first call and every 16th, each time counting for 16', () => {
  const spent: number[] = [];
  let handled = 0;
  const visitor = { call: () => void handled++, deref: () => void handled++ } as unknown as RuleVisitor;
  const record = { failed: () => assert.fail('no failure'), spent: (ms: number) => void spent.push(ms) };
  const guarded = guardVisitor('timed-rule', visitor, record);
  const call = guarded.call as unknown as (event: unknown) => void;
  const deref = guarded.deref as unknown as (event: unknown) => void;
  for (let i = 0; i < 20; i++) call({});
  deref({});
  // The next file's visitor goes on counting: its 20 calls are the 21st to the 40th (counted per
  // file, its 1st and 17th would be timed).
  const next = guardVisitor('timed-rule', visitor, record).call as unknown as (event: unknown) => void;
  for (let i = 0; i < 20; i++) next({});
  assert.equal(handled, 41);
  // Calls 1, 17 and 33 of `call`, and the first of `deref` (each handler counts its own calls).
  assert.equal(spent.length, 4);
  assert.ok(spent.every((ms) => ms >= 0));
});

test('a guarded handler that throws is the rule failure, timed or not, and the next call still runs', () => {
  const failures: unknown[] = [];
  let handled = 0;
  const visitor = {
    call: () => {
      handled++;
      throw new Error('broken');
    },
  } as unknown as RuleVisitor;
  const guarded = guardVisitor('throwing-rule', visitor, { failed: (err) => failures.push(err), spent: () => {} });
  const call = guarded.call as unknown as (event: unknown) => void;
  for (let i = 0; i < 3; i++) call({});
  assert.equal(handled, 3);
  assert.equal(failures.length, 3);
});
