// `vmalint merge`: merging the SARIF logs of shards (src/report/sarif-merge.ts) on hand-built
// logs, the command's usage errors and exit status, and shards of the real fixtures merged into
// the log an unsharded run writes.
import assert from 'node:assert/strict';
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { discoverFiles } from '../src/discover.js';
import { compareFindingOrder } from '../src/report/order.js';
import { buildSarifLog, serializeSarifLog } from '../src/report/sarif.js';
import type { SarifLog, SarifResult } from '../src/report/sarif.js';
import { mergeSarifLogs, parseSarifLog, SarifMergeError } from '../src/report/sarif-merge.js';
import { toolInfo } from '../src/report/tool-info.js';
import type { ToolInfo } from '../src/report/tool-info.js';
import type { RuleMeta } from '../src/rules/rule.js';
import type { FileNotification, Finding, RunResult } from '../src/types.js';
import { emptyRunResult } from '../src/report/outcome.js';
import { validateSarifFile, validatorUnavailableReason } from './support/sarif-validator.js';
import { runCli, type CapturedRun } from './support/run-cli.js';

const REPOSITORY_ROOT = fileURLToPath(new URL('../../', import.meta.url));
const WORKING_DIRECTORY = path.resolve('/home/ci/linux');
const TOOL: ToolInfo = { name: 'vmalint', version: '1.2.3', informationUri: 'https://example.org/vmalint' };

function run(argv: string[], cwd: string = process.cwd()): Promise<CapturedRun> {
  return runCli(argv, { cwd });
}

function assertNoStackTrace(text: string): void {
  assert.doesNotMatch(text, /^\s+at /m, `stack trace printed:\n${text}`);
}

async function temporaryDirectory(): Promise<string> {
  return mkdtemp(path.join(tmpdir(), 'vmalint-merge-test-'));
}

/** JSON round trip: what a log is once written and read back (no undefined fields, no sharing). */
function normalised<T>(value: T): T {
  return JSON.parse(JSON.stringify(value)) as T;
}

// ---------------------------------------------------------------------------------------------
// Hand-built logs

function rule(id: string): RuleMeta {
  return {
    id,
    severity: 'error',
    shortDescription: `${id} short`,
    fullDescription: `${id} full`,
    docs: { what: `${id} what`, why: `${id} why`, wrong: 'wrong();\n', right: 'right();\n' },
  };
}

const FAULT = rule('fault-under-mmap-lock');
const IMBALANCE = rule('mmap-lock-imbalance');

function finding(file: string, line: number, overrides: Partial<Finding> = {}): Finding {
  return {
    ruleId: FAULT.id,
    severity: 'error',
    file,
    line,
    column: 2,
    endLine: line,
    endColumn: 20,
    function: 'f',
    message: `finding at ${file}:${line}`,
    trace: [{ file, line, column: 2, message: 'here' }],
    lineText: `line ${line}`,
    ...overrides,
  };
}

function result(findings: Finding[], notifications: FileNotification[] = [], files = 1, filesFailed = 0): RunResult {
  const empty = emptyRunResult();
  return { ...empty, findings, notifications, stats: { ...empty.stats, files, filesFailed } };
}

function log(runResult: RunResult, rules: readonly RuleMeta[] = [FAULT, IMBALANCE], tool: ToolInfo = TOOL): SarifLog {
  return buildSarifLog(runResult, rules, tool, { workingDirectory: WORKING_DIRECTORY });
}

/** What one run over all the findings would write: the findings sorted as the analysis sorts them. */
function singleRunLog(findings: Finding[], notifications: FileNotification[] = []): SarifLog {
  return log(result([...findings].sort(compareFindingOrder), notifications));
}

test('merge: the shards of a run merge into the log one run writes (results in file, line, column, rule, message order)', () => {
  const shard1 = [finding('mm/b.c', 3), finding('mm/b.c', 3, { column: 1 }), finding('mm/d.c', 1), finding('mm/d.c', 1, { ruleId: IMBALANCE.id })];
  const shard2 = [finding('mm/a.c', 9), finding('mm/c.c', 2), finding('mm/c.c', 2, { message: 'a message sorted first' }), finding('mm/e.c', 1)];
  const notifications1: FileNotification[] = [{ file: 'mm/z.c', level: 'error', message: 'binary file, not C source: skipped' }];
  const notifications2: FileNotification[] = [
    { file: 'mm/m.c', level: 'note', message: 'function g (line 9) was not fully analysed' },
    { file: 'mm/m.c', level: 'note', message: 'function a (line 30) was not fully analysed' },
  ];
  const merged = mergeSarifLogs([
    { source: 'shard-1.sarif', log: singleRunLog(shard1, notifications1) },
    { source: 'shard-2.sarif', log: singleRunLog(shard2, notifications2) },
  ]);
  assert.deepEqual(normalised(merged), normalised(singleRunLog([...shard1, ...shard2], [...notifications2, ...notifications1])));
  assert.deepEqual(
    merged.runs[0].results.map((sarif) => sarif.locations[0].physicalLocation.artifactLocation.uri),
    ['mm/a.c', 'mm/b.c', 'mm/b.c', 'mm/c.c', 'mm/c.c', 'mm/d.c', 'mm/d.c', 'mm/e.c'],
  );
  // One file's notifications keep their order.
  assert.deepEqual(
    merged.runs[0].invocations[0].toolExecutionNotifications.map((notification) => notification.message.text),
    ['function g (line 9) was not fully analysed', 'function a (line 30) was not fully analysed', 'binary file, not C source: skipped'],
  );
});

test('merge: files are ordered by their paths, not by their URI-encoded spelling', () => {
  // ' ' (0x20) sorts before '!' (0x21), but its encoding '%20' sorts after it.
  const spaced = finding('mm/a .c', 1);
  const banged = finding('mm/a!.c', 1);
  const merged = mergeSarifLogs([
    { source: '1', log: singleRunLog([banged]) },
    { source: '2', log: singleRunLog([spaced]) },
  ]);
  assert.deepEqual(
    merged.runs[0].results.map((sarif) => sarif.locations[0].physicalLocation.artifactLocation.uri),
    ['mm/a%20.c', 'mm/a!.c'],
  );
});

test('merge: a rule only a later log has is appended, and every ruleIndex points into the merged list', () => {
  const first = log(result([finding('mm/a.c', 1, { ruleId: IMBALANCE.id })]), [IMBALANCE]);
  const second = log(result([finding('mm/b.c', 1), finding('mm/b.c', 2, { ruleId: IMBALANCE.id }), finding('mm/b.c', 3, { ruleId: 'unknown-rule' })]), [FAULT, IMBALANCE]);
  assert.equal(second.runs[0].results[0]!.ruleIndex, 0);
  const merged = mergeSarifLogs([
    { source: 'a', log: first },
    { source: 'b', log: second },
  ]);
  const rules = merged.runs[0].tool.driver.rules;
  assert.deepEqual(
    rules.map((descriptor) => descriptor.id),
    [IMBALANCE.id, FAULT.id],
  );
  for (const sarif of merged.runs[0].results) {
    if (sarif.ruleId === 'unknown-rule') assert.equal(sarif.ruleIndex, undefined);
    else assert.equal(rules[sarif.ruleIndex!]!.id, sarif.ruleId);
  }
  assert.equal(second.runs[0].results[0]!.ruleIndex, 0, 'the inputs are not modified');
});

test('merge: the run is successful when every shard was; driver, base URIs and working directory are the first log\'s', () => {
  const good = log(result([]));
  const failed = log(result([], [{ file: 'mm/x.c', level: 'error', message: 'cannot read' }], 1, 1));
  assert.equal(failed.runs[0].invocations[0].executionSuccessful, false);
  const inputs = (logs: SarifLog[]) => logs.map((each, index) => ({ source: `shard-${index + 1}.sarif`, log: each }));
  assert.equal(mergeSarifLogs(inputs([good, good])).runs[0].invocations[0].executionSuccessful, true);
  assert.equal(mergeSarifLogs(inputs([good, failed])).runs[0].invocations[0].executionSuccessful, false);
  const elsewhere = buildSarifLog(result([]), [FAULT, IMBALANCE], TOOL, { workingDirectory: path.resolve('/elsewhere') });
  const merged = mergeSarifLogs(inputs([good, elsewhere]));
  assert.deepEqual(merged.runs[0].originalUriBaseIds, good.runs[0].originalUriBaseIds);
  assert.deepEqual(merged.runs[0].invocations[0].workingDirectory, good.runs[0].invocations[0].workingDirectory);
  assert.deepEqual(merged.runs[0].tool, good.runs[0].tool);
});

test('merge: logs of another tool version are refused, naming both files', () => {
  const older = log(result([]), [FAULT], { ...TOOL, version: '1.2.2' });
  assert.throws(
    () => mergeSarifLogs([
      { source: 'shard-1.sarif', log: log(result([])) },
      { source: 'shard-2.sarif', log: older },
    ]),
    (error: unknown) => {
      assert.ok(error instanceof SarifMergeError);
      assert.equal(error.message, 'shard-2.sarif was written by vmalint 1.2.2, shard-1.sarif by vmalint 1.2.3: merge the logs of one run, written by the same tool and version');
      return true;
    },
  );
  assert.throws(() => mergeSarifLogs([]), SarifMergeError);
});

test('merge: parseSarifLog refuses what is not a one-run SARIF 2.1.0 log', () => {
  const good = log(result([finding('mm/a.c', 1)]));
  assert.deepEqual(parseSarifLog(serializeSarifLog(good), 'ok.sarif'), normalised(good));
  const refused = (text: string, message: RegExp): void => {
    assert.throws(
      () => parseSarifLog(text, 'in.sarif'),
      (error: unknown) => {
        assert.ok(error instanceof SarifMergeError, String(error));
        assert.match(error.message, message);
        assert.ok(error.message.startsWith('in.sarif: '), error.message);
        return true;
      },
      message.source,
    );
  };
  const edited = (edit: (copy: Record<string, any>) => void): string => {
    const copy = normalised(good) as unknown as Record<string, any>;
    edit(copy);
    return JSON.stringify(copy);
  };
  refused('{ "version": ', /not valid JSON/);
  refused('{\n  "version": "2.1.0",\n  oops\n}', /^in\.sarif: not valid JSON: [^\n]* \(line 3 column 3\)$/);
  refused('[]', /not a SARIF log/);
  refused(edited((copy) => (copy['version'] = '2.0.0')), /not a SARIF 2\.1\.0 log \(version: "2\.0\.0"\)/);
  refused(edited((copy) => delete copy['version']), /not a SARIF 2\.1\.0 log \(version: missing\)/);
  refused(edited((copy) => (copy['runs'] = [])), /has 0 runs/);
  refused(edited((copy) => copy['runs'].push(copy['runs'][0])), /has 2 runs/);
  refused(edited((copy) => delete copy['runs'][0].tool.driver.version), /driver has no name and version/);
  refused(edited((copy) => delete copy['runs'][0].results[0].ruleId), /results\[0\] has no ruleId/);
  refused(edited((copy) => (copy['runs'][0].results[0].locations = [])), /results\[0\] has no file location/);
  refused(edited((copy) => (copy['runs'][0].invocations = [])), /exactly one invocation/);
});

// ---------------------------------------------------------------------------------------------
// The command

async function writeLog(directory: string, name: string, sarif: SarifLog | string): Promise<string> {
  const file = path.join(directory, name);
  await writeFile(file, typeof sarif === 'string' ? sarif : serializeSarifLog(sarif));
  return file;
}

/** Logs with this build's tool name and version, as the analysis writes them. */
function realToolLog(findings: Finding[]): SarifLog {
  return log(result(findings), [FAULT, IMBALANCE], toolInfo());
}

test('cli merge: inputs that are missing, not JSON, not SARIF 2.1.0 or of another version are usage errors', async () => {
  const directory = await temporaryDirectory();
  const good = await writeLog(directory, 'good.sarif', realToolLog([]));
  const cases: [string, RegExp][] = [
    [path.join(directory, 'missing.sarif'), /^vmalint: .*missing\.sarif: cannot read: no such file\n$/],
    [directory, /^vmalint: .*: cannot read: is a directory\n$/],
    [await writeLog(directory, 'text.sarif', 'not json\n'), /^vmalint: .*text\.sarif: not valid JSON: [^\n]*\n$/],
    [await writeLog(directory, 'old.sarif', '{ "version": "2.0.0", "runs": [] }'), /^vmalint: .*old\.sarif: not a SARIF 2\.1\.0 log \(version: "2\.0\.0"\)\n$/],
    [await writeLog(directory, 'two.sarif', JSON.stringify({ ...realToolLog([]), runs: [realToolLog([]).runs[0], realToolLog([]).runs[0]] })), /^vmalint: .*two\.sarif: has 2 runs; .*\n$/],
    [await writeLog(directory, 'other.sarif', log(result([]), [FAULT], { ...toolInfo(), version: '0.0.0-other' })), /^vmalint: .*other\.sarif was written by vmalint 0\.0\.0-other, .*good\.sarif by vmalint .*\n$/],
  ];
  for (const [bad, message] of cases) {
    const merged = await run(['merge', good, bad, '-o', path.join(directory, 'out.sarif')]);
    assert.equal(merged.status, 2, bad);
    assert.equal(merged.stdout, '');
    assert.match(merged.stderr, message);
    assertNoStackTrace(merged.stderr);
  }
  const none = await run(['merge']);
  assert.equal(none.status, 2);
  assert.match(none.stderr, /^vmalint: /);
  const analyseOption = await run(['merge', '--shard', '1/2', good]);
  assert.equal(analyseOption.status, 2);
  assert.equal(analyseOption.stderr, 'vmalint: unknown option --shard (an option of vmalint [paths..], not of vmalint merge)\n');
});

test('cli merge: writes to stdout or -o FILE; exit 1 with results (0 with --exit-zero), 0 without', async () => {
  const directory = await temporaryDirectory();
  const withResults = await writeLog(directory, 'a.sarif', realToolLog([finding('mm/a.c', 1)]));
  const clean = await writeLog(directory, 'b.sarif', realToolLog([]));

  const toStdout = await run(['merge', withResults, clean]);
  assert.equal(toStdout.status, 1);
  assert.equal(toStdout.stderr, '');
  assert.equal((JSON.parse(toStdout.stdout) as SarifLog).runs[0].results.length, 1);

  const target = path.join(directory, 'merged.sarif');
  const toFile = await run(['merge', clean, withResults, '-o', target]);
  assert.equal(toFile.status, 1);
  assert.equal(toFile.stdout, '');
  assert.equal(await readFile(target, 'utf8'), toStdout.stdout, 'the order of the inputs does not change the merged log');

  assert.equal((await run(['merge', '--exit-zero', withResults, clean])).status, 0);
  const nothing = await run(['merge', clean, clean]);
  assert.equal(nothing.status, 0);
  assert.deepEqual((JSON.parse(nothing.stdout) as SarifLog).runs[0].results, []);
});

// ---------------------------------------------------------------------------------------------
// Shards of the fixtures, run through the real CLI

/**
 * Fixtures whose findings depend on cross-file facts that a summaries file does not carry, so that
 * a shard run cannot reproduce the whole run on them (docs/ci-sharding.md, "What a shard does not
 * see"); they are left out of the exact comparison.
 */
const NEEDS_MORE_THAN_SUMMARIES = [
  // Per-architecture definitions of one name: a summaries file keeps one definition per name.
  'fixtures/mmap-lock-imbalance/noreturn-per-arch.run/',
  'fixtures/summaries/per-arch-definitions.run/',
  'fixtures/stale-cannot-fail/arch-macros.run/',
  // A non-static initializer (an mm_walk_ops) defined in another file: not in a summaries file.
  'fixtures/walk-lock-mismatch/ops-in-another-file.run/',
  // A lock effect on current->mm (target "current"): --summaries-out writes it, --summaries-in rejects it.
  'fixtures/summaries/current-task-mm.c',
];

/** A file's path relative to the repository's root, with `/` separators (as in SARIF URIs). */
function repositoryPath(file: string): string {
  return path.relative(REPOSITORY_ROOT, file).split(path.sep).join('/');
}

async function fixtureFiles(): Promise<string[]> {
  return (await discoverFiles([path.join(REPOSITORY_ROOT, 'fixtures')])).files;
}

interface ShardedComparison {
  whole: SarifLog;
  merged: SarifLog;
  mergedFile: string;
  resultsPerShard: number[];
}

/**
 * Runs the CLI over `files` once whole (writing summaries) and as `count` shards reading those
 * summaries, then merges the shards' logs with `vmalint merge`.
 */
async function runWholeAndSharded(files: string[], count: number): Promise<ShardedComparison> {
  const directory = await temporaryDirectory();
  const summaries = path.join(directory, 'summaries.json');
  const wholeFile = path.join(directory, 'whole.sarif');
  const whole = await run(['--summaries-out', summaries, '--format', 'sarif', '-o', wholeFile, ...files], REPOSITORY_ROOT);
  assert.equal(whole.status, 1, whole.stderr);
  const shardFiles: string[] = [];
  const resultsPerShard: number[] = [];
  for (let index = 1; index <= count; index++) {
    const shardFile = path.join(directory, `shard-${index}.sarif`);
    const shard = await run(['--shard', `${index}/${count}`, '--summaries-in', summaries, '--format', 'sarif', '-o', shardFile, ...files], REPOSITORY_ROOT);
    assert.ok(shard.status === 0 || shard.status === 1, shard.stderr);
    resultsPerShard.push((JSON.parse(await readFile(shardFile, 'utf8')) as SarifLog).runs[0].results.length);
    shardFiles.push(shardFile);
  }
  const mergedFile = path.join(directory, 'merged.sarif');
  const merge = await run(['merge', ...shardFiles, '-o', mergedFile], REPOSITORY_ROOT);
  assert.equal(merge.status, 1, merge.stderr);
  return {
    whole: JSON.parse(await readFile(wholeFile, 'utf8')) as SarifLog,
    merged: JSON.parse(await readFile(mergedFile, 'utf8')) as SarifLog,
    mergedFile,
    resultsPerShard,
  };
}

let mergedFixturesFile: string | undefined;

test('cli: the fixtures run as --shard 1/2 and 2/2 with the whole run\'s summaries merge into the whole run\'s log (also 3 shards)', async () => {
  const files = (await fixtureFiles()).filter((file) => !NEEDS_MORE_THAN_SUMMARIES.some((excluded) => repositoryPath(file).startsWith(excluded)));
  assert.ok(files.length > 50, `${files.length} fixture files`);
  for (const count of [2, 3]) {
    const { whole, merged, mergedFile, resultsPerShard } = await runWholeAndSharded(files, count);
    assert.ok(whole.runs[0].results.length > 100, `${whole.runs[0].results.length} results`);
    assert.ok(resultsPerShard.every((results) => results > 0), `every shard has results: ${resultsPerShard.join(', ')}`);
    assert.deepEqual(normalised(merged.runs[0].results), normalised(whole.runs[0].results), `${count} shards`);
    // Not only the results: the whole log is the one a single run writes.
    assert.deepEqual(normalised(merged), normalised(whole), `${count} shards`);
    mergedFixturesFile ??= mergedFile;
  }
});

test('cli merge: the merged log of the fixtures passes the SARIF Multitool validator', { skip: validatorUnavailableReason() ?? false }, async () => {
  assert.ok(mergedFixturesFile, 'the sharded fixtures test ran first');
  const validation = await validateSarifFile(mergedFixturesFile);
  assert.deepEqual(validation.errors, [], validation.console);
});

test('cli: over all the fixtures, what shards cannot reproduce is confined to the fixtures listed as needing more than summaries', async () => {
  // current-task-mm.c stays out: with it, the shards cannot even read the summaries file.
  const unreadableSummary = NEEDS_MORE_THAN_SUMMARIES.filter((prefix) => prefix.endsWith('.c'));
  const files = (await fixtureFiles()).filter((file) => !unreadableSummary.some((excluded) => repositoryPath(file) === excluded));
  let differences = 0;
  for (const count of [2, 5]) {
    const { whole, merged } = await runWholeAndSharded(files, count);
    const key = (sarif: SarifResult): string => JSON.stringify(normalised(sarif));
    const wholeKeys = new Set(whole.runs[0].results.map(key));
    const mergedKeys = new Set(merged.runs[0].results.map(key));
    const different = [
      ...whole.runs[0].results.filter((sarif) => !mergedKeys.has(key(sarif))),
      ...merged.runs[0].results.filter((sarif) => !wholeKeys.has(key(sarif))),
    ].map((sarif) => sarif.locations[0].physicalLocation.artifactLocation.uri);
    const unexplained = different.filter((uri) => !NEEDS_MORE_THAN_SUMMARIES.some((prefix) => uri.startsWith(prefix)));
    assert.deepEqual(unexplained, [], `${count} shards`);
    differences += different.length;
  }
  // Also a check that this test can see a difference: when none is left, the gaps are closed, and
  // NEEDS_MORE_THAN_SUMMARIES and docs/ci-sharding.md should say so.
  assert.ok(differences > 0, 'sharding reproduces every fixture: shrink NEEDS_MORE_THAN_SUMMARIES');
});
