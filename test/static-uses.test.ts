// usesIn() (src/file-analysis/file-functions.ts), which tells the static functions called only by
// name in a file (their callers are all there) from those taken as values: a few names are each
// searched with indexOf, more are found in one pass over the text's words. Both ways tell the same
// names apart, on every fixture with sets of its own identifiers and on words that contain a name.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { usesIn } from '../src/file-analysis/file-functions.js';
import { fixtureTexts } from './support/fixture-texts.js';

/** The names whose count stays under 1000: called only (what the file's statics are taken from). */
function calledOnly(uses: Map<string, number>, names: ReadonlySet<string>): string[] {
  return [...names].filter((n) => (uses.get(n) ?? 0) < 1000).sort();
}

test('both ways tell called-only names from names used as values, on every fixture', () => {
  let sets = 0;
  let taken = 0;
  for (const { text } of fixtureTexts()) {
    const words = [...new Set(text.match(/\b[A-Za-z_]\w*\b/g) ?? [])].sort();
    for (let size = 1; size <= 24 && size <= words.length; size *= 2) {
      for (let start = 0; start < words.length; start += Math.max(size, Math.floor(words.length / 4))) {
        const names = new Set(words.slice(start, start + size));
        const searched = usesIn(text, names, false);
        const byWords = usesIn(text, names, true);
        assert.deepEqual(calledOnly(searched, names), calledOnly(byWords, names));
        // Counts under 1000 are the same calls counted.
        for (const n of names) if ((byWords.get(n) ?? 0) < 1000) assert.equal(searched.get(n) ?? 0, byWords.get(n) ?? 0, n);
        taken += names.size - calledOnly(byWords, names).length;
        sets++;
      }
    }
  }
  assert.ok(sets > 500, `sets: ${sets}`);
  assert.ok(taken > 100, `names used as values: ${taken}`);
});

test('an occurrence inside a longer word is no use of the name; a call through blanks is', () => {
  const text = 'static int f(void);\nint xf(void) { return f_2() + 1f + f\t (3) + g.f + f; }\nvoid h(void) { (f)(1); ff(); }\n';
  const names = new Set(['f', 'ff', 'h']);
  for (const byWords of [false, true]) {
    const uses = usesIn(text, names, byWords);
    // f: declared `f(`, called `f\t (`, then `g.f`, `f;` and `(f)` are values.
    assert.ok((uses.get('f') ?? 0) >= 1000, `f ${byWords}`);
    assert.equal(uses.get('ff'), 1);
    assert.equal(uses.get('h'), 1);
  }
  const onlyCalls = usesIn('a(); b_a(); ab(); a (1); /* a( */', new Set(['a']), false);
  assert.equal(onlyCalls.get('a'), 3);
});
