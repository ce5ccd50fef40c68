// `vmalint merge`: merging the SARIF logs of shards (src/report/sarif-merge.ts) on hand-built
// logs, the command's usage errors and exit status, and shards of the real fixtures merged into
// the log an unsharded run writes.
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { discoverFiles } from '../src/discover.js';
import { compareFindingOrder } from '../src/report/order.js';
import { buildSarifLog, serializeSarifLog } from '../src/report/sarif.js';
import type { SarifLog, SarifResult } from '../src/report/sarif.js';
import { mergeSarifLogs, parseSarifLog, SarifMergeError } from '../src/report/sarif-merge.js';
import type { SarifInput } from '../src/report/sarif-merge.js';
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

/** A whole run's log (written without --shard). */
function log(runResult: RunResult, rules: readonly RuleMeta[] = [FAULT, IMBALANCE], tool: ToolInfo = TOOL): SarifLog {
  return buildSarifLog(runResult, rules, tool, { workingDirectory: WORKING_DIRECTORY });
}

const RUN = '0123456789abcdef';

/** The log of shard `index`/`count` of run `run` (RUN unless given). */
function shardLog(runResult: RunResult, index: number, count: number, options: { rules?: readonly RuleMeta[]; tool?: ToolInfo; run?: string; workingDirectory?: string } = {}): SarifLog {
  return buildSarifLog(runResult, options.rules ?? [FAULT, IMBALANCE], options.tool ?? TOOL, {
    workingDirectory: options.workingDirectory ?? WORKING_DIRECTORY,
    shard: { shard: { index, count }, run: options.run ?? RUN },
  });
}

/** Logs as inputs of mergeSarifLogs, named shard-1.sarif, shard-2.sarif... in their order. */
function inputs(logs: readonly SarifLog[]): SarifInput[] {
  return logs.map((each, index) => ({ source: `shard-${index + 1}.sarif`, log: each }));
}

/** What one run over all the findings would write: the findings sorted as the analysis sorts them. */
function singleRunLog(findings: Finding[], notifications: FileNotification[] = []): SarifLog {
  return log(result([...findings].sort(compareFindingOrder), notifications));
}

/** A whole run's log as merging `count` shards of run `run` writes it: its properties name the run and N. */
function asMerged(whole: SarifLog, count: number, run: string = RUN): SarifLog {
  return { ...whole, runs: [{ ...whole.runs[0], properties: { vmalint: { shard: null, run, mergedShards: count } } }] };
}

test('merge: the shards of a run merge into the log one run writes (results in file, line, column, rule, message order)', () => {
  const shard1 = [finding('mm/b.c', 3), finding('mm/b.c', 3, { column: 1 }), finding('mm/d.c', 1), finding('mm/d.c', 1, { ruleId: IMBALANCE.id })];
  const shard2 = [finding('mm/a.c', 9), finding('mm/c.c', 2), finding('mm/c.c', 2, { message: 'a message sorted first' }), finding('mm/e.c', 1)];
  const notifications1: FileNotification[] = [{ file: 'mm/z.c', level: 'error', message: 'binary file, not C source: skipped' }];
  const notifications2: FileNotification[] = [
    { file: 'mm/m.c', level: 'note', message: 'function g (line 9) was not fully analysed' },
    { file: 'mm/m.c', level: 'note', message: 'function a (line 30) was not fully analysed' },
  ];
  const shardOf = (findings: Finding[], notifications: FileNotification[], index: number): SarifLog =>
    shardLog(result([...findings].sort(compareFindingOrder), notifications), index, 2);
  const merged = mergeSarifLogs(inputs([shardOf(shard1, notifications1, 1), shardOf(shard2, notifications2, 2)]));
  assert.deepEqual(normalised(merged), normalised(asMerged(singleRunLog([...shard1, ...shard2], [...notifications2, ...notifications1]), 2)));
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
  const merged = mergeSarifLogs(inputs([shardLog(result([banged]), 1, 2), shardLog(result([spaced]), 2, 2)]));
  assert.deepEqual(
    merged.runs[0].results.map((sarif) => sarif.locations[0].physicalLocation.artifactLocation.uri),
    ['mm/a%20.c', 'mm/a!.c'],
  );
});

test('merge: a rule only a later log has is appended, and every ruleIndex points into the merged list', () => {
  const first = shardLog(result([finding('mm/a.c', 1, { ruleId: IMBALANCE.id })]), 1, 2, { rules: [IMBALANCE] });
  const second = shardLog(result([finding('mm/b.c', 1), finding('mm/b.c', 2, { ruleId: IMBALANCE.id }), finding('mm/b.c', 3, { ruleId: 'unknown-rule' })]), 2, 2);
  assert.equal(second.runs[0].results[0]!.ruleIndex, 0);
  const merged = mergeSarifLogs(inputs([first, second]));
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
  const good = shardLog(result([]), 1, 2);
  const alsoGood = shardLog(result([]), 2, 2);
  const failed = shardLog(result([], [{ file: 'mm/x.c', level: 'error', message: 'cannot read' }], 1, 1), 2, 2);
  assert.equal(failed.runs[0].invocations[0].executionSuccessful, false);
  assert.equal(mergeSarifLogs(inputs([good, alsoGood])).runs[0].invocations[0].executionSuccessful, true);
  assert.equal(mergeSarifLogs(inputs([good, failed])).runs[0].invocations[0].executionSuccessful, false);
  const elsewhere = shardLog(result([]), 2, 2, { workingDirectory: path.resolve('/elsewhere') });
  const merged = mergeSarifLogs(inputs([good, elsewhere]));
  assert.deepEqual(merged.runs[0].originalUriBaseIds, good.runs[0].originalUriBaseIds);
  assert.deepEqual(merged.runs[0].invocations[0].workingDirectory, good.runs[0].invocations[0].workingDirectory);
  assert.deepEqual(merged.runs[0].tool, good.runs[0].tool);
});

test('merge: logs of another tool version are refused, naming both files', () => {
  const older = shardLog(result([]), 2, 2, { rules: [FAULT], tool: { ...TOOL, version: '1.2.2' } });
  assert.throws(
    () => mergeSarifLogs(inputs([shardLog(result([]), 1, 2), older])),
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
  // What a log records of its shard must be a shard K/N and a run, or (not a shard) a null shard.
  const shard = normalised(shardLog(result([]), 2, 4)) as unknown as Record<string, any>;
  assert.deepEqual(parseSarifLog(JSON.stringify(shard), 'ok.sarif'), shard);
  const editedShard = (edit: (vmalint: Record<string, any>) => void): string => {
    const copy = normalised(shard);
    edit(copy['runs'][0].automationDetails.properties.vmalint);
    return JSON.stringify(copy);
  };
  for (const bad of ['5/4', '0/4', 'two', 2]) {
    refused(editedShard((vmalint) => (vmalint['shard'] = bad)), /^in\.sarif: runs\[0\]\.automationDetails\.properties\.vmalint is not a shard K\/N and a run$/);
  }
  refused(editedShard((vmalint) => delete vmalint['run']), /automationDetails\.properties\.vmalint is not a shard K\/N and a run/);
  refused(edited((copy) => (copy['runs'][0].properties.vmalint.shard = '1/2')), /^in\.sarif: runs\[0\]\.properties\.vmalint\.shard is not null/);
});

// ---------------------------------------------------------------------------------------------
// The shards of one run, each once

/** The message of the SarifMergeError that merging these logs throws. */
function mergeError(logs: readonly SarifLog[] | SarifInput[]): string {
  const given = logs.every((each) => 'log' in each) ? (logs as SarifInput[]) : inputs(logs as SarifLog[]);
  try {
    mergeSarifLogs(given);
  } catch (error) {
    assert.ok(error instanceof SarifMergeError, String(error));
    return error.message;
  }
  assert.fail('the logs were merged');
}

test('merge: a shard records K/N and its run in automationDetails; a whole run records that it is not a shard', () => {
  const shard = shardLog(result([]), 2, 4).runs[0];
  assert.deepEqual(shard.automationDetails, {
    id: `vmalint/shard-2-of-4/${RUN}`,
    description: { text: `Shard 2 of 4 of vmalint run ${RUN}: \`vmalint merge\` joins the logs of its 4 shards into one.` },
    properties: { vmalint: { shard: '2/4', run: RUN } },
  });
  assert.equal(shard.properties, undefined);
  const whole = log(result([])).runs[0];
  assert.equal(whole.automationDetails, undefined, 'code scanning takes the upload\'s category only when a run has no automationDetails');
  assert.deepEqual(whole.properties, { vmalint: { shard: null } });
});

test('merge: a complete set in any order merges; the merged log has no automationDetails and names the run and N', () => {
  const logs = [3, 1, 4, 2].map((index) => shardLog(result([finding(`mm/${index}.c`, 1)]), index, 4));
  const merged = mergeSarifLogs(inputs(logs)).runs[0];
  assert.equal(merged.automationDetails, undefined);
  assert.deepEqual(merged.properties, { vmalint: { shard: null, run: RUN, mergedShards: 4 } });
  assert.deepEqual(merged.results.map((sarif) => sarif.locations[0].physicalLocation.artifactLocation.uri), ['mm/1.c', 'mm/2.c', 'mm/3.c', 'mm/4.c']);
  // One shard of one: the log of the whole run, merged alone.
  assert.deepEqual(mergeSarifLogs(inputs([shardLog(result([]), 1, 1)])).runs[0].properties, { vmalint: { shard: null, run: RUN, mergedShards: 1 } });
});

test('merge: a shard missing is refused, naming it (and every one missing)', () => {
  const of4 = (index: number): SarifLog => shardLog(result([]), index, 4);
  assert.equal(mergeError([of4(1), of4(2), of4(4)]), 'shard 3/4 is missing: merge needs the logs of all 4 shards (got 3)');
  assert.equal(mergeError([of4(4)]), 'shards 1/4, 2/4 and 3/4 are missing: merge needs the logs of all 4 shards (got 1)');
  assert.equal(mergeError([of4(2), of4(3)]), 'shards 1/4 and 4/4 are missing: merge needs the logs of all 4 shards (got 2)');
  const many = mergeError([shardLog(result([]), 16, 16)]);
  assert.equal(many, 'shards 1/16, 2/16, 3/16, 4/16, 5/16, 6/16, 7/16, 8/16, 9/16, 10/16 and 5 more are missing: merge needs the logs of all 16 shards (got 1)');
});

test('merge: a shard given twice is refused, naming both files', () => {
  const logs = [shardLog(result([]), 1, 3), shardLog(result([]), 2, 3), shardLog(result([finding('mm/a.c', 1)]), 2, 3), shardLog(result([]), 3, 3)];
  assert.equal(mergeError(logs), 'shard-2.sarif and shard-3.sarif are both shard 2/3');
  // The same file twice is two logs claiming one shard.
  const once = shardLog(result([]), 1, 2);
  assert.equal(mergeError([{ source: 'a.sarif', log: once }, { source: 'a.sarif', log: once }, { source: 'b.sarif', log: shardLog(result([]), 2, 2) }]), 'a.sarif and a.sarif are both shard 1/2');
});

test('merge: shards of different N are refused, naming both files', () => {
  assert.equal(mergeError([shardLog(result([]), 1, 2), shardLog(result([]), 2, 3)]), 'shard-2.sarif is shard 2/3, shard-1.sarif is shard 1/2: the shards of one run have the same N');
  // Even when K/N and K'/N' would together cover the files: 1/2 with 2/2 of another N.
  assert.equal(mergeError([shardLog(result([]), 1, 1), shardLog(result([]), 2, 2)]), 'shard-2.sarif is shard 2/2, shard-1.sarif is shard 1/1: the shards of one run have the same N');
});

test('merge: shards of different runs are refused, naming both files and runs', () => {
  const other = 'fedcba9876543210';
  assert.equal(
    mergeError([shardLog(result([]), 1, 2), shardLog(result([]), 2, 2, { run: other })]),
    `shard-2.sarif is a shard of run ${other}, shard-1.sarif of run ${RUN}: they analysed another commit or other files, summaries, options or rules; merge the shards of one run`,
  );
});

test('merge: a log that is not a shard\'s is refused, naming it: a whole run\'s, a merged log, one without shard information', () => {
  const shard1 = shardLog(result([]), 1, 2);
  const shard2 = shardLog(result([]), 2, 2);
  const usage = ': merge takes the logs of the N shards of one run (vmalint --shard K/N --format sarif)';
  const whole = log(result([]));
  assert.equal(mergeError([shard1, shard2, whole]), `shard-3.sarif: the log of a whole run (written without --shard), not a shard's${usage}`);
  assert.equal(mergeError([whole, shard1, shard2]), `shard-1.sarif: the log of a whole run (written without --shard), not a shard's${usage}`);
  assert.equal(mergeError([whole]), `shard-1.sarif: the log of a whole run (written without --shard), not a shard's${usage}`);
  const merged = mergeSarifLogs(inputs([shard1, shard2]));
  assert.equal(mergeError([merged, shard1, shard2]), `shard-1.sarif: already a merged log (of the 2 shards of run ${RUN}), not a shard's${usage}`);
  // Another tool's log, or one written before logs recorded their shard.
  const unrecorded = normalised(whole);
  delete unrecorded.runs[0].properties;
  assert.equal(mergeError([shard1, unrecorded]), `shard-2.sarif: no shard information (runs[0].automationDetails), not a log of vmalint --shard K/N${usage}`);
  const withoutDetails = normalised(shard2);
  delete withoutDetails.runs[0].automationDetails;
  assert.equal(mergeError([shard1, withoutDetails]), `shard-2.sarif: no shard information (runs[0].automationDetails), not a log of vmalint --shard K/N${usage}`);
});

// ---------------------------------------------------------------------------------------------
// The command

async function writeLog(directory: string, name: string, sarif: SarifLog | string): Promise<string> {
  const file = path.join(directory, name);
  await writeFile(file, typeof sarif === 'string' ? sarif : serializeSarifLog(sarif));
  return file;
}

/** Logs with this build's tool name and version, as the analysis writes them. */
function realToolLog(findings: Finding[], index = 1, count = 2): SarifLog {
  return shardLog(result(findings), index, count, { tool: toolInfo() });
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
    [await writeLog(directory, 'other.sarif', shardLog(result([]), 2, 2, { rules: [FAULT], tool: { ...toolInfo(), version: '0.0.0-other' } })), /^vmalint: .*other\.sarif was written by vmalint 0\.0\.0-other, .*good\.sarif by vmalint .*\n$/],
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
  const analyzeOption = await run(['merge', '--shard', '1/2', good]);
  assert.equal(analyzeOption.status, 2);
  assert.equal(analyzeOption.stderr, 'vmalint: unknown option --shard (an option of vmalint [paths..], not of vmalint merge)\n');
});

test('cli merge: writes to stdout or -o FILE; exit 1 with results (0 with --exit-zero), 0 without', async () => {
  const directory = await temporaryDirectory();
  const withResults = await writeLog(directory, 'a.sarif', realToolLog([finding('mm/a.c', 1)], 1, 2));
  const clean = await writeLog(directory, 'b.sarif', realToolLog([], 2, 2));

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
  const nothing = await run(['merge', clean, await writeLog(directory, 'c.sarif', realToolLog([], 1, 2))]);
  assert.equal(nothing.status, 0);
  assert.deepEqual((JSON.parse(nothing.stdout) as SarifLog).runs[0].results, []);
});

test('cli merge: the logs of real shard runs: all N merge; a shard missing or twice, another N, another tree or a whole run\'s log is a usage error naming the files', async () => {
  const directory = await temporaryDirectory();
  const tree = path.join(directory, 'mm');
  await mkdir(tree);
  // Six files, each with a leak of the mmap lock.
  const leak = (name: string): string => `int ${name}(struct mm_struct *mm, int bad)\n{\n\tmmap_read_lock(mm);\n\tif (bad)\n\t\treturn -EINVAL;\n\tmmap_read_unlock(mm);\n\treturn 0;\n}\n`;
  for (let index = 0; index < 6; index++) await writeFile(path.join(tree, `f${index}.c`), leak(`f${index}`));
  const analyze = async (name: string, args: string[]): Promise<string> => {
    const result = await run([...args, '--format', 'sarif', '-o', name, '--exit-zero', tree], directory);
    assert.equal(result.status, 0, result.stderr);
    return name;
  };
  const of3: string[] = [];
  for (let index = 1; index <= 3; index++) of3.push(await analyze(`shard-${index}.sarif`, ['--shard', `${index}/3`]));
  const merge = (...files: string[]): Promise<CapturedRun> => run(['merge', ...files, '-o', 'merged.sarif'], directory);
  const refused = async (files: string[], message: string): Promise<void> => {
    const result = await merge(...files);
    assert.deepEqual(result, { status: 2, stdout: '', stderr: `vmalint: ${message}\n` }, files.join(' '));
  };

  const complete = await merge(of3[2]!, of3[0]!, of3[1]!);
  assert.equal(complete.status, 1, complete.stderr);
  const merged = JSON.parse(await readFile(path.join(directory, 'merged.sarif'), 'utf8')) as SarifLog;
  assert.equal(merged.runs[0].results.length, 6);
  const identity = merged.runs[0].properties?.vmalint.run;
  assert.match(identity ?? '', /^[0-9a-f]{16}$/);

  await refused([of3[0]!, of3[2]!], 'shard 2/3 is missing: merge needs the logs of all 3 shards (got 2)');
  await refused([of3[0]!, of3[1]!, of3[1]!, of3[2]!], 'shard-2.sarif and shard-2.sarif are both shard 2/3');
  const of2 = await analyze('other-n.sarif', ['--shard', '2/2']);
  await refused([...of3, of2], 'other-n.sarif is shard 2/2, shard-1.sarif is shard 1/3: the shards of one run have the same N');
  const whole = await analyze('whole.sarif', []);
  await refused([...of3, whole], "whole.sarif: the log of a whole run (written without --shard), not a shard's: merge takes the logs of the N shards of one run (vmalint --shard K/N --format sarif)");
  await refused(['merged.sarif', of3[0]!], `merged.sarif: already a merged log (of the 3 shards of run ${identity}), not a shard's: merge takes the logs of the N shards of one run (vmalint --shard K/N --format sarif)`);
  // A shard of another tree (here, a file more), say one left over from an earlier run.
  await writeFile(path.join(tree, 'new.c'), 'int g(void)\n{\n\treturn 0;\n}\n');
  const stale = await analyze('shard-2-now.sarif', ['--shard', '2/3']);
  const now = (JSON.parse(await readFile(path.join(directory, stale), 'utf8')) as SarifLog).runs[0].automationDetails?.properties.vmalint.run;
  await refused([of3[0]!, stale, of3[2]!], `shard-2-now.sarif is a shard of run ${now}, shard-1.sarif of run ${identity}: they analysed another commit or other files, summaries, options or rules; merge the shards of one run`);
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
  // One name defined in several programs of a tree (a summaries file keeps one definition per
  // name); and a kernel tree sorted before header-wrappers.run: a run has one kernel root, the
  // first tree found, which a shard without this tree's files does not share.
  'fixtures/fault-under-mmap-lock/separate-programs.run/',
  // Other kernel trees (the same reason: one kernel root per run, and the features read from it,
  // such as per-VMA locks, apply to every file of the run): header-wrappers.run is the one tree
  // the comparison keeps.
  'fixtures/fault-under-mmap-lock/kmap-atomic.run/',
  'fixtures/vma-write-without-mmap-write/plain-vm-flags.run/',
  'fixtures/vma-write-without-vma-lock/tree-with-vma-locks.run/',
  'fixtures/vma-write-without-vma-lock/tree-without-vma-locks.run/',
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
  shardFiles: string[];
  shards: SarifLog[];
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
  const shards: SarifLog[] = [];
  for (let index = 1; index <= count; index++) {
    const shardFile = path.join(directory, `shard-${index}.sarif`);
    const shard = await run(['--shard', `${index}/${count}`, '--summaries-in', summaries, '--format', 'sarif', '-o', shardFile, ...files], REPOSITORY_ROOT);
    assert.ok(shard.status === 0 || shard.status === 1, shard.stderr);
    shards.push(JSON.parse(await readFile(shardFile, 'utf8')) as SarifLog);
    shardFiles.push(shardFile);
  }
  const mergedFile = path.join(directory, 'merged.sarif');
  const merge = await run(['merge', ...shardFiles, '-o', mergedFile], REPOSITORY_ROOT);
  assert.equal(merge.status, 1, merge.stderr);
  return {
    whole: JSON.parse(await readFile(wholeFile, 'utf8')) as SarifLog,
    merged: JSON.parse(await readFile(mergedFile, 'utf8')) as SarifLog,
    mergedFile,
    shardFiles,
    shards,
    resultsPerShard: shards.map((shard) => shard.runs[0].results.length),
  };
}

let mergedFixturesFile: string | undefined;
let shardFixturesFile: string | undefined;

test('cli: the fixtures run as --shard 1/2 and 2/2 with the whole run\'s summaries merge into the whole run\'s log (also 3 shards)', async () => {
  const files = (await fixtureFiles()).filter((file) => !NEEDS_MORE_THAN_SUMMARIES.some((excluded) => repositoryPath(file).startsWith(excluded)));
  assert.ok(files.length > 50, `${files.length} fixture files`);
  for (const count of [2, 3]) {
    const { whole, merged, mergedFile, shardFiles, shards, resultsPerShard } = await runWholeAndSharded(files, count);
    assert.ok(whole.runs[0].results.length > 100, `${whole.runs[0].results.length} results`);
    assert.ok(resultsPerShard.every((results) => results > 0), `every shard has results: ${resultsPerShard.join(', ')}`);
    assert.deepEqual(normalised(merged.runs[0].results), normalised(whole.runs[0].results), `${count} shards`);
    // Every shard records K/N and the run, the same for all; the merged log names the run and N.
    const run = shards[0]!.runs[0].automationDetails?.properties.vmalint.run;
    assert.match(run ?? '', /^[0-9a-f]{16}$/);
    assert.deepEqual(shards.map((shard) => shard.runs[0].automationDetails?.properties.vmalint), shards.map((_, index) => ({ shard: `${index + 1}/${count}`, run })));
    assert.deepEqual(merged.runs[0].properties, { vmalint: { shard: null, run, mergedShards: count } });
    assert.deepEqual(whole.runs[0].properties, { vmalint: { shard: null } });
    // Not only the results: but for its properties, the whole log is the one a single run writes.
    assert.deepEqual(normalised({ ...merged, runs: [{ ...merged.runs[0], properties: whole.runs[0].properties }] }), normalised(whole), `${count} shards`);
    mergedFixturesFile ??= mergedFile;
    shardFixturesFile ??= shardFiles[0];
  }
});

test('cli merge: the merged log of the fixtures, and a shard\'s log, pass the SARIF Multitool validator', { skip: validatorUnavailableReason() ?? false }, async () => {
  assert.ok(mergedFixturesFile && shardFixturesFile, 'the sharded fixtures test ran first');
  for (const file of [mergedFixturesFile, shardFixturesFile]) {
    const validation = await validateSarifFile(file);
    assert.deepEqual(validation.errors, [], validation.console);
  }
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
