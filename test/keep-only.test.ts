// keepOnly() (src/engine/prescan.ts), the text the parser is given for some functions of a file:
// the same text as blanking each line of the left-out parts by splitting them (the first form),
// on every fixture with ranges of every shape, and on directives cut by the ranges' ends.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { keepOnly } from '../src/engine/prescan.js';
import { fixtureTexts } from './support/fixture-texts.js';

const CONDITIONAL_LINE = /^[ \t]*#[ \t]*(?:if|ifdef|ifndef|elif|else|endif)\b/;

/** The first form: each left-out part split into lines, each blanked unless a directive goes on there. */
function splitting(text: string, kept: readonly { start: number; end: number }[]): string {
  const parts: string[] = [];
  let at = 0;
  const blank = (from: number, to: number): void => {
    if (to <= from) return;
    let continued = false;
    const lines = text.slice(from, to).split('\n');
    for (let i = 0; i < lines.length; i++) {
      const line = lines[i];
      if (continued || CONDITIONAL_LINE.test(line)) continued = /\\\r?$/.test(line);
      else lines[i] = ' '.repeat(line.length);
    }
    parts.push(lines.join('\n'));
  };
  for (const r of kept) {
    if (r.start < at) continue;
    blank(at, r.start);
    parts.push(text.slice(r.start, r.end));
    at = r.end;
  }
  blank(at, text.length);
  return parts.join('');
}

/** A deterministic generator (the test gives the same ranges each run). */
function generator(seed: number): () => number {
  let x = seed;
  return () => {
    x = (x * 1103515245 + 12345) & 0x7fffffff;
    return x / 0x7fffffff;
  };
}

const TRICKY = [
  '#if defined(A) && \\\n    defined(B)\nint f(void) { return 0; }\n#endif\n',
  '  #  ifdef X\r\nint g;\r\n#else \\\r\n  more\r\n# endif\n',
  '#define IF(x) x\n#include <a.h>\n#ifndef Y\n\n\n#elif Z\n#endif',
  'int a; /* #if in a comment */ #if 1\n  #error no\n#endif\\',
  '\n\n\n',
  '',
];

test('keepOnly gives the text the line-splitting form gave, for fixtures and ranges of every shape', () => {
  const texts = [...fixtureTexts().map((f) => f.text), ...TRICKY];
  assert.ok(texts.length > 50);
  const random = generator(22);
  let compared = 0;
  for (const text of texts) {
    for (let round = 0; round < 6; round++) {
      // Ranges that start and end anywhere: at line starts, mid-line, on a newline, at the ends.
      const cuts = new Set<number>();
      const count = Math.floor(random() * 8);
      for (let i = 0; i < count * 2; i++) cuts.add(Math.floor(random() * (text.length + 1)));
      if (round === 1) cuts.add(0);
      if (round === 2) cuts.add(text.length);
      const sorted = [...cuts].sort((a, b) => a - b);
      const kept: { start: number; end: number }[] = [];
      for (let i = 0; i + 1 < sorted.length; i += 2) kept.push({ start: sorted[i], end: sorted[i + 1] });
      const got = keepOnly(text, kept);
      assert.equal(got, splitting(text, kept));
      assert.equal(got.length, text.length);
      compared++;
    }
  }
  assert.ok(compared > 300);
});

test('keepOnly keeps a directive and the lines it goes on over, and blanks the rest to spaces', () => {
  const text = 'int x;\n#if defined(A) && \\\n  defined(B)\nint y;\n#endif\nint z;\n';
  const got = keepOnly(text, [{ start: text.indexOf('int y'), end: text.indexOf('int y') + 6 }]);
  assert.equal(got, '      \n#if defined(A) && \\\n  defined(B)\nint y;\n#endif\n      \n');
});
