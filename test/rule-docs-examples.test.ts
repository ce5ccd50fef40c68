// Each rule's documented examples (`vmalint explain`, --list-rules, SARIF help) are analysed: the
// wrong one reports the rule, the right one reports nothing. A fragment of statements is put into
// a function of its own; `...` lines stand for code that does not matter and are left out.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { analyzeSources } from '../src/analyze.js';
import { allRules } from '../src/rules/index.js';

/** The example as a C file: its function definitions and file-scope initializers as written, its loose statements in a function. */
export function exampleFile(example: string): string {
  const lines = example.split('\n').filter((l) => l.trim() !== '...');
  const functions: string[] = [];
  const loose: string[] = [];
  for (let i = 0; i < lines.length; i++) {
    // A definition: a header line, then `{` in column 0, to the `}` in column 0.
    if (lines[i + 1] === '{' && /\)\s*$/.test(lines[i]!) && !/^\s/.test(lines[i]!)) {
      let j = i + 1;
      while (j < lines.length && lines[j] !== '}') j++;
      functions.push(lines.slice(i, j + 1).join('\n'));
      i = j;
    } else if (/^\S.*=\s*\{\s*$/.test(lines[i]!)) {
      // A file-scope initializer (`static const struct mm_walk_ops ops = {`), to its `};`.
      let j = i + 1;
      while (j < lines.length && !/^\};/.test(lines[j]!)) j++;
      functions.push(lines.slice(i, j + 1).join('\n'));
      i = j;
    } else loose.push(lines[i]!);
  }
  const body = loose.filter((l) => l.trim()).map((l) => `\t${l}`).join('\n');
  // A `goto` to code the fragment leaves out: a label that ends the function there.
  const labels = [...new Set([...body.matchAll(/\bgoto\s+(\w+)\s*;/g)].map((m) => m[1]!))].filter((l) => !new RegExp(`^\\s*${l}:`, 'm').test(body));
  const exits = labels.map((l) => `${l}:\n\treturn -1;`).join('\n');
  return `${functions.join('\n\n')}\n\nstatic int documented_example(struct mm_struct *mm, struct vm_area_struct *vma, unsigned long addr, void *ubuf)\n{\n${body}\n\treturn 0;\n${exits}${exits ? '\n' : ''}}\n`;
}

for (const rule of allRules()) {
  const { id, docs } = rule.meta;
  test(`${id}: the documented wrong example reports it, the right one reports nothing`, async () => {
    const run = async (example: string): Promise<string[]> => {
      const r = await analyzeSources([{ path: `examples/${id}.c`, text: exampleFile(example) }], { kernelRoot: false });
      return r.findings.map((f) => `${f.line} ${f.ruleId}: ${f.message}`);
    };
    const wrong = await run(docs.wrong);
    assert.ok(wrong.some((f) => f.includes(` ${id}: `)), `the wrong example reports nothing:\n${exampleFile(docs.wrong)}`);
    assert.deepEqual(await run(docs.right), [], `the right example:\n${exampleFile(docs.right)}`);
  });
}
