// Inline suppressions (src/suppressions.ts): what a comment covers, and when an unused one is
// reported. The fixtures in fixtures/unused-suppression/ show both on analysed code.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { applySuppressions, parseSuppressions } from '../src/suppressions.js';
import type { Finding } from '../src/types.js';

const TEXT = [
  'int f(void)', // 1
  '{', // 2
  '\t/* vmalint: ignore rule-a -- checked', // 3
  '\t   by the caller */', // 4
  '\tx();', // 5
  '\ty(); // vmalint: ignore rule-b,rule-c -- why', // 6
  '\t/* vmalint: ignore */', // 7
  '\tz();', // 8
  '}', // 9
].join('\n');

function finding(ruleId: string, line: number): Finding {
  return { ruleId, severity: 'error', file: 'f.c', line, column: 2, endLine: line, endColumn: 2, function: 'f', message: 'm', trace: [], lineText: '' };
}

test('suppressions: a comment covers its lines and the line after it; its rules and reason are read', () => {
  const list = parseSuppressions(TEXT);
  assert.deepEqual(
    list.map((s) => [s.line, s.lastLine, s.rules, s.reason]),
    [
      [3, 4, ['rule-a'], 'checked by the caller'],
      [6, 6, ['rule-b', 'rule-c'], 'why'],
      [7, 7, [], ''],
    ],
  );
  const known = new Set(['rule-a', 'rule-b', 'rule-c', 'unused-suppression']);
  const kept = applySuppressions([finding('rule-a', 5), finding('rule-a', 6), finding('rule-c', 6), finding('rule-b', 8)], new Map([['f.c', list]]), known, known);
  // rule-a on line 5 and rule-c on line 6 are suppressed; rule-a on 6 and rule-b on 8 are not;
  // rule-b of the comment on line 6 suppresses nothing, and the comment that names no rule is
  // reported.
  assert.deepEqual(
    kept.map((f) => [f.ruleId, f.line]),
    [
      ['rule-a', 6],
      ['rule-b', 8],
      ['unused-suppression', 6],
      ['unused-suppression', 7],
    ],
  );
});

test('suppressions: a comment naming two rules, one of which suppresses nothing, reports that one', () => {
  const list = parseSuppressions('x(); /* vmalint: ignore rule-a, rule-b -- why */\n');
  const known = new Set(['rule-a', 'rule-b', 'rule-c', 'unused-suppression']);
  const run = (findings: Finding[], rulesRun = known): string[] => applySuppressions(findings, new Map([['f.c', list]]), rulesRun, known).map((f) => `${f.ruleId} ${f.line}: ${f.message}`);
  assert.deepEqual(run([finding('rule-a', 1)]), [
    'unused-suppression 1: nothing to suppress for rule-b: it reports nothing on this line or the next (remove it from the comment, which rule-a still needs)',
  ]);
  assert.deepEqual(run([finding('rule-a', 1), finding('rule-b', 1)]), [], 'both used');
  assert.deepEqual(run([]), ['unused-suppression 1: nothing to suppress: rule-a, rule-b reports nothing on this line or the next (remove the comment)']);
  // rule-b did not run: nothing is known of it.
  assert.deepEqual(run([finding('rule-a', 1)], new Set(['rule-a', 'unused-suppression'])), []);
  // A misspelt rule beside a used one is reported too.
  const typo = parseSuppressions('x(); /* vmalint: ignore rule-a, rule-bb -- why */\n');
  assert.deepEqual(
    applySuppressions([finding('rule-a', 1)], new Map([['f.c', typo]]), known, known).map((f) => f.message),
    ["this vmalint: ignore comment names 'rule-bb', which no rule is called (see vmalint --list-rules)"],
  );
});

test('suppressions: one of rules that did not run is not reported; without unused-suppression, none is', () => {
  const list = parseSuppressions('x(); /* vmalint: ignore rule-b -- later */\n');
  const known = new Set(['rule-a', 'rule-b', 'unused-suppression']);
  assert.deepEqual(applySuppressions([], new Map([['f.c', list]]), new Set(['rule-a', 'unused-suppression']), known), []);
  assert.equal(applySuppressions([], new Map([['f.c', list]]), new Set(['rule-b', 'unused-suppression']), known).length, 1);
  assert.deepEqual(applySuppressions([], new Map([['f.c', list]]), new Set(['rule-b']), known), []);
});
