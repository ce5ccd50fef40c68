// Runs vmalint over every C fixture under fixtures/ and compares what it reports with the
// expectations written inline in the fixture (see fixtures/README.md):
//
//   code;  /* expect: rule-id */              a finding of that rule on this line
//   code;  /* expect: rule-a, rule-b */       several rules on this line
//   /* expect-next-line: rule-id */           a finding on the next line (for lines that cannot
//                                             carry a trailing comment, e.g. the opening line of
//                                             a multi-line comment)
//   /* clean */                               on the line(s) just above a function definition:
//                                             no finding at all inside that function
//   /* vmalint-args: -D NAME -U NAME */       first line only: macros decided on the command line;
//   /* vmalint-args: --disable RULE */        also: a rule turned off (the fixture is about another
//                                             rule's reading of the same code)
//
// A folder named `*.run` is one run over all its .c and .h files (for what crosses files: summaries,
// callers in another file). When it has `include/linux/mm.h`, it is the kernel tree of the run and
// its headers are summarised as the real tree's are. Expectations are read per file as above.
//
// One test per fixture file; any missing or extra (line, rule) pair fails it with every
// difference listed, and so does any change of a message, a trace or a notification against the
// run's snapshot in test/snapshots/ (`npm run snapshots` writes them again). One more test
// checks that every registered rule has fixtures.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync, statSync, existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { analyzeSources } from '../src/analyze.js';
import { allRules } from '../src/rules/index.js';
import type { Finding } from '../src/types.js';
import { checkSnapshot, snapshotFile, snapshotText } from './support/snapshots.js';

/** Repository root: this file runs as dist/test/fixtures.test.js. */
const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const FIXTURES = path.join(ROOT, 'fixtures');
/** Fixture folders that are not named after a rule. */
const SHAPE_DIRS = new Set(['shapes', 'summaries']);

interface Expectation {
  line: number;
  ruleId: string;
}

interface CleanFunction {
  name: string;
  /** Line of the function's name, and the last line of its body (1-based, inclusive). */
  startLine: number;
  endLine: number;
  /** Line of the clean marker. */
  markerLine: number;
}

interface Fixture {
  /** Path relative to the repository root, with forward slashes (also the path given to vmalint). */
  rel: string;
  text: string;
  defines: Map<string, string>;
  undefines: Set<string>;
  /** Rules turned off for this fixture (`--disable RULE`): it tests another rule's reading of the same code. */
  disabled: Set<string>;
  expectations: Expectation[];
  clean: CleanFunction[];
  /** Annotation mistakes found while reading the file. */
  problems: string[];
}

/** Fixture runs: a single .c file, or every .c file of a `*.run` folder (its include/ excepted). */
function listFixtures(dir: string, into?: string[], top = false): string[][] {
  const out: string[][] = [];
  for (const name of readdirSync(dir).sort()) {
    const p = path.join(dir, name);
    if (statSync(p).isDirectory()) {
      if (into) {
        // The run's own include/ is its kernel headers (summarised, not analysed); an
        // architecture's headers (arch/x/include) are files of the run, as on the real tree.
        if (!(top && name === 'include')) listFixtures(p, into);
      } else if (name.endsWith('.run')) {
        const files: string[] = [];
        listFixtures(p, files, true);
        if (files.length) out.push(files);
      } else out.push(...listFixtures(p));
    } else if (name.endsWith('.c') || (into && name.endsWith('.h'))) {
      if (into) into.push(p);
      else out.push([p]);
    }
  }
  return out;
}

const EXPECT_RE = /\/\*\s*expect(-next-line)?\s*:\s*([^*]*?)\s*\*\//g;
const ANNOTATION_LIKE_RE = /\/\*\s*(expect\S*|clean\S*|vmalint-args\S*)/g;
const RULE_ID_RE = /^[a-z][a-z0-9-]*$/;

function parseArgs(spec: string, defines: Map<string, string>, undefines: Set<string>, problems: string[], disabled: Set<string>): void {
  const tokens = spec.trim().split(/\s+/).filter(Boolean);
  for (let i = 0; i < tokens.length; i++) {
    const tok = tokens[i]!;
    if (tok === '--disable') {
      const id = tokens[++i];
      if (id && RULE_ID_RE.test(id)) disabled.add(id);
      else problems.push('vmalint-args: --disable without a rule id');
      continue;
    }
    const m = /^-([DU])(.*)$/.exec(tok);
    if (!m) {
      problems.push(`vmalint-args: unknown argument "${tok}" (only -D NAME[=VALUE], -U NAME and --disable RULE)`);
      continue;
    }
    let value = m[2]!;
    if (value === '') {
      value = tokens[++i] ?? '';
      if (!value) {
        problems.push(`vmalint-args: -${m[1]} without a name`);
        continue;
      }
    }
    if (m[1] === 'D') {
      const eq = value.indexOf('=');
      if (eq >= 0) defines.set(value.slice(0, eq), value.slice(eq + 1));
      else defines.set(value, '1');
    } else {
      undefines.add(value);
    }
  }
}

/**
 * Finds the function defined right after a clean marker: skips blank and comment-only lines,
 * takes the identifier before the first "(" as the name, then checks that the declarator is
 * followed by a body (a definition, not a prototype) and finds the end of that body.
 */
function findCleanFunction(lines: string[], markerIdx: number): CleanFunction | string {
  let i = markerIdx + 1;
  let inComment = false;
  for (; i < lines.length; i++) {
    const t = lines[i]!.trim();
    if (inComment) {
      if (t.includes('*/')) inComment = false;
      continue;
    }
    if (t === '' || /^\/\*.*\*\/$/.test(t) || t.startsWith('//')) continue;
    if (t.startsWith('/*')) {
      inComment = true;
      continue;
    }
    break;
  }
  if (i >= lines.length) return 'no function follows the clean marker';
  // The declarator may span lines: join from here and look for the first "(".
  const rest = lines.slice(i).join('\n');
  const paren = rest.indexOf('(');
  const brace = rest.indexOf('{');
  const semi = rest.indexOf(';');
  if (paren < 0 || (semi >= 0 && semi < paren) || (brace >= 0 && brace < paren)) {
    return `the clean marker is not followed by a function definition (line ${i + 1})`;
  }
  const nameMatch = /([A-Za-z_]\w*)\s*$/.exec(rest.slice(0, paren));
  if (!nameMatch) return `cannot find the function name after the clean marker (line ${i + 1})`;
  const name = nameMatch[1]!;
  const nameOffset = nameMatch.index;
  // Skip to the matching ")" of the parameter list, then expect a body before any ";".
  let depth = 0;
  let k = paren;
  for (; k < rest.length; k++) {
    if (rest[k] === '(') depth++;
    else if (rest[k] === ')' && --depth === 0) break;
  }
  const after = rest.slice(k + 1);
  const bodyRel = after.search(/[{;]/);
  if (bodyRel < 0 || after[bodyRel] !== '{') {
    return `"${name}" after the clean marker is a declaration, not a definition`;
  }
  // Find the end of the body by brace matching (fixtures keep braces out of strings and comments
  // in a way that does not unbalance them).
  const bodyStart = k + 1 + bodyRel;
  depth = 0;
  let end = bodyStart;
  for (; end < rest.length; end++) {
    if (rest[end] === '{') depth++;
    else if (rest[end] === '}' && --depth === 0) break;
  }
  if (depth !== 0) return `unbalanced braces in "${name}"`;
  const lineOf = (offset: number): number => i + 1 + (rest.slice(0, offset).match(/\n/g)?.length ?? 0);
  return { name, startLine: lineOf(nameOffset), endLine: lineOf(end), markerLine: markerIdx + 1 };
}

function readFixture(file: string): Fixture {
  const text = readFileSync(file, 'utf8');
  const rel = path.relative(ROOT, file).split(path.sep).join('/');
  const lines = text.split('\n');
  const defines = new Map<string, string>();
  const undefines = new Set<string>();
  const expectations: Expectation[] = [];
  const clean: CleanFunction[] = [];
  const problems: string[] = [];
  const disabled = new Set<string>();

  lines.forEach((line, idx) => {
    const lineNo = idx + 1;
    const args = /^\s*\/\*\s*vmalint-args:(.*?)\*\/\s*$/.exec(line);
    if (args) {
      if (lineNo !== 1) problems.push(`line ${lineNo}: vmalint-args is only read on the first line`);
      else parseArgs(args[1]!, defines, undefines, problems, disabled);
      return;
    }
    let known = 0;
    for (const m of line.matchAll(EXPECT_RE)) {
      known++;
      const target = m[1] ? lineNo + 1 : lineNo;
      const ids = m[2]!.split(',').map((s) => s.trim());
      for (const ruleId of ids) {
        if (!RULE_ID_RE.test(ruleId)) problems.push(`line ${lineNo}: malformed rule id "${ruleId}" in expect annotation`);
        else expectations.push({ line: target, ruleId });
      }
    }
    if (/^\s*\/\*\s*clean\s*\*\/\s*$/.test(line)) {
      known++;
      const fn = findCleanFunction(lines, idx);
      if (typeof fn === 'string') problems.push(`line ${lineNo}: ${fn}`);
      else clean.push(fn);
    }
    // Anything that looks like an annotation but was not understood is a typo, not a comment.
    const lookalikes = [...line.matchAll(ANNOTATION_LIKE_RE)].length;
    if (lookalikes > known) problems.push(`line ${lineNo}: annotation not understood: ${line.trim()}`);
  });
  return { rel, text, defines, undefines, disabled, expectations, clean, problems };
}

function describeFinding(f: Finding): string {
  const fn = f.function ? ` in ${f.function}()` : '';
  return `${f.line}:${f.column} [${f.ruleId}]${fn}: ${f.message}`;
}

const fixtureRuns = existsSync(FIXTURES) ? listFixtures(FIXTURES).map((files) => files.map(readFixture)) : [];
const fixtures = fixtureRuns.flat();

for (const group of fixtureRuns) {
  const first = group[0]!;
  const runDir = group.length > 1 || /\.run\//.test(first.rel) ? first.rel.replace(/(\.run)\/.*$/, '$1') : null;
  test(runDir ?? first.rel, async () => {
    for (const fx of group) assert.deepEqual(fx.problems, [], `${fx.rel}: bad annotations`);
    const root = runDir && existsSync(path.join(ROOT, runDir, 'include/linux/mm.h')) ? path.join(ROOT, runDir) : false;
    const result = await analyzeSources(
      group.map((fx) => ({ path: fx.rel, text: fx.text })),
      { defines: first.defines, undefines: first.undefines, kernelRoot: root, rules: allRules().map((r) => r.meta.id).filter((id) => !first.disabled.has(id)) },
    );
    const failures: string[] = [];
    for (const n of result.notifications) {
      if (n.level === 'error') failures.push(`notification: ${n.file}: ${n.message}`);
    }
    if (result.stats.cfgGiveUps > 0) {
      failures.push(`the CFG builder gave up on ${result.stats.cfgGiveUps} function(s)`);
    }
    if (root && result.stats.headerSummaries === 0) failures.push(`no header of ${runDir}/include was summarised`);
    for (const fx of group) failures.push(...compareFixture(fx, result.findings.filter((f) => f.file === fx.rel)));
    const strays = result.findings.filter((f) => !group.some((fx) => fx.rel === f.file));
    for (const f of strays) failures.push(`finding outside the fixture files: ${f.file}:${describeFinding(f)}`);
    // Messages and traces are pinned too (test/support/snapshots.ts).
    const snapshot = checkSnapshot(snapshotFile(ROOT, runDir ?? first.rel), snapshotText(ROOT, result.findings, result.notifications));
    if (snapshot) failures.push(snapshot);
    if (failures.length) {
      assert.fail(`${runDir ?? first.rel}: ${failures.length} difference(s)\n  ${[...new Set(failures)].join('\n  ')}`);
    }
  });
}

/** Differences between a fixture's annotations and the findings in its file. */
function compareFixture(fx: Fixture, findings: Finding[]): string[] {
  const failures: string[] = [];
  const result = { findings };

  const key = (line: number, ruleId: string): string => `${line}\u0000${ruleId}`;
  const expected = new Map<string, Expectation>();
  for (const e of fx.expectations) expected.set(key(e.line, e.ruleId), e);
  const actual = new Map<string, Finding[]>();
  for (const f of result.findings) {
    const k = key(f.line, f.ruleId);
    const list = actual.get(k) ?? [];
    list.push(f);
    actual.set(k, list);
  }

  const lines = fx.text.split('\n');
  const sourceLine = (n: number): string => (lines[n - 1] ?? '').trim();
  for (const [k, e] of expected) {
    if (!actual.has(k)) failures.push(`missing ${fx.rel}:${e.line} [${e.ruleId}]   | ${sourceLine(e.line)}`);
  }
  for (const [k, list] of actual) {
    if (expected.has(k)) continue;
    for (const f of list) failures.push(`extra   ${fx.rel}:${describeFinding(f)}   | ${sourceLine(f.line)}`);
  }

  for (const c of fx.clean) {
    const inside = result.findings.filter(
      (f) => f.function === c.name || (f.line >= c.startLine && f.line <= c.endLine),
    );
    for (const f of inside) {
      failures.push(`clean function ${c.name}() (marked at line ${c.markerLine}) has a finding: ${fx.rel}:${describeFinding(f)}`);
    }
  }
  return failures;
}

test('every registered rule has fixtures: one that expects it, one clean function in its folder', () => {
  assert.ok(fixtures.length > 0, `no fixtures found under ${FIXTURES}`);
  const ruleIds = allRules().map((r) => r.meta.id);
  const registered = new Set(ruleIds);
  const problems: string[] = [];

  for (const id of ruleIds) {
    if (!fixtures.some((fx) => fx.expectations.some((e) => e.ruleId === id))) {
      problems.push(`rule ${id}: no fixture expects it`);
    }
    const inFolder = fixtures.filter((fx) => fx.rel.startsWith(`fixtures/${id}/`));
    if (inFolder.length === 0) problems.push(`rule ${id}: no fixtures/${id}/ folder`);
    else if (!inFolder.some((fx) => fx.clean.length > 0)) problems.push(`rule ${id}: no clean function in fixtures/${id}/`);
  }

  // The other way round: annotations and folders must name rules that exist (typos, removed rules).
  for (const fx of fixtures) {
    for (const e of fx.expectations) {
      if (!registered.has(e.ruleId)) problems.push(`${fx.rel}:${e.line}: expects unknown rule ${e.ruleId}`);
    }
  }
  for (const name of readdirSync(FIXTURES).sort()) {
    if (!statSync(path.join(FIXTURES, name)).isDirectory() || SHAPE_DIRS.has(name)) continue;
    if (!registered.has(name)) problems.push(`fixtures/${name}/ is not named after a registered rule`);
  }

  assert.deepEqual(problems, []);
});
