// A function's analysis asks what a callee does once per name (src/engine/function.ts): the answer
// holds for the whole analysis, and asking again at each visit of each call merged the summary
// with the knowledge base's entry anew every time. The answers the analysis acts on stay the same.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { CParser, initParser } from '../src/parse/parser.js';
import { toAst } from '../src/parse/ast.js';
import { topLevelItems } from '../src/parse/top-level.js';
import { analyzeFunction } from '../src/engine/function.js';
import { lookupApi, type ApiEntry } from '../src/kb/lock-api.js';

const SOURCE = `int f(struct mm_struct *mm, int *a)
{
	int i, n = 0;

	for (i = 0; i < 8; i++) {
		if (a[i])
			n += helper(a, i);
		else
			n += helper(a, i + 1);
	}
	mmap_read_lock(mm);
	if (n)
		take(mm);
	mmap_read_unlock(mm);
	return n;
}
`;

test('resolve once: each callee name is asked once per analysis, and the lock effects are those of the answers', async () => {
  await initParser();
  const parsed = new CParser().parse(SOURCE);
  try {
    const fn = toAst(topLevelItems(parsed.rootNode).definitions[0], { path: 'once.c', text: SOURCE });
    const asked = new Map<string, number>();
    const resolve = (name: string): ApiEntry | undefined => {
      asked.set(name, (asked.get(name) ?? 0) + 1);
      return lookupApi(name);
    };
    const analysis = analyzeFunction(fn, 'once.c', { defines: new Map(), undefines: new Set() }, [], {
      resolve,
      initializer: () => undefined,
      summarize: true,
      statics: new Set(),
    });
    // helper() is visited on many paths of the loop, yet asked once.
    for (const [name, n] of asked) assert.equal(n, 1, `${name} asked ${n} times`);
    assert.ok(asked.has('helper') && asked.has('mmap_read_lock') && asked.has('mmap_read_unlock'), [...asked.keys()].join(', '));
    // The lock taken and released on every path: the summary leaves no lock held.
    assert.equal(analysis.summary?.lock, undefined);
  } finally {
    parsed.delete();
  }
});
