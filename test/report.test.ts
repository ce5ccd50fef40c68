// Reporters on hand-built run results: they only format, so these tests need no engine.
import assert from 'node:assert/strict';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { buildJsonReport, formatJson, JSON_FORMAT_VERSION } from '../src/report/json.js';
import { buildSarifLog, formatSarif, pascalCase, SARIF_SCHEMA_URI, SRCROOT } from '../src/report/sarif.js';
import type { SarifLog } from '../src/report/sarif.js';
import { formatNotificationsText, formatStatsTable, formatText } from '../src/report/text.js';
import { formatCheckpatch } from '../src/report/checkpatch.js';
import { toolInfo } from '../src/report/tool-info.js';
import type { ToolInfo } from '../src/report/tool-info.js';
import type { RuleMeta } from '../src/rules/rule.js';
import type { FileNotification, Finding, RunResult, RunStats } from '../src/types.js';
import { validateSarifFile, validatorUnavailableReason } from './support/sarif-validator.js';

const WORKING_DIRECTORY = path.resolve('/home/dev/linux');
const TOOL: ToolInfo = { name: 'vmalint', version: '1.2.3', informationUri: 'https://example.org/vmalint' };

const RULES: RuleMeta[] = [
  {
    id: 'fault-under-mmap-lock',
    severity: 'warning',
    shortDescription: 'A call that can fault on user memory while the mmap lock is held.',
    fullDescription: 'The page-fault handler takes the mmap lock for read; faulting while holding it can deadlock.',
    docs: {
      what: 'Reports calls such as copy_from_user() made while the mmap lock is held.',
      why: 'A fault takes mmap_read_lock(); with a writer queued in between, that deadlocks.',
      wrong: 'mmap_read_lock(mm);\nif (copy_from_user(&k, buf, sizeof(k)))\n\tret = -EFAULT;\nmmap_read_unlock(mm);\n',
      right: 'if (copy_from_user(&k, buf, sizeof(k)))\n\treturn -EFAULT;\nmmap_read_lock(mm);\nmmap_read_unlock(mm);\n',
    },
  },
  {
    id: 'mmap-lock-imbalance',
    severity: 'error',
    shortDescription: 'The mmap lock is not released on every path.',
    fullDescription: 'Some path out of the function keeps the mmap lock that other paths release.',
    docs: {
      what: 'Reports a path that returns with the mmap lock held.',
      why: 'Every lock taken must be released on every path out of the function.',
      wrong: 'mmap_read_lock(mm);\nif (err)\n\treturn err;\nmmap_read_unlock(mm);',
      right: 'mmap_read_lock(mm);\nif (err)\n\tgoto out;\nout:\nmmap_read_unlock(mm);',
    },
  },
];

function stats(overrides: Partial<RunStats> = {}): RunStats {
  return {
    files: 3,
    filesFailed: 1,
    contextFiles: 0,
    bytes: 4096,
    functions: 12,
    cfgGiveUps: 0,
    ruleErrors: 0,
    ruleMs: {},
    functionsWithParseErrors: 1,
    functionsWidened: 0,
    summaryRounds: 1,
    fileReanalyses: 0,
    summariesJoined: 0,
    functionsWithCallerEntry: 0,
    headerSummaries: 0,
    kbEntriesNotMatching: 0,
    kbEntriesMoved: 0,
    functionsInRun: 12,
    filesParsed: 3,
    parsesReused: 0,
    filesAnalyzedAhead: 0,
    filesAnalyzedAgain: 0,
    functionsReused: 0,
    filesFromCache: 0,
    filesMoved: 0,
    factsFromCache: 0,
    parseMs: 10.4,
    analyzeMs: 20.6,
    totalMs: 31,
    findingsByRule: { 'mmap-lock-imbalance': 1, 'fault-under-mmap-lock': 2 },
    ...overrides,
  };
}

function faultFinding(overrides: Partial<Finding> = {}): Finding {
  return {
    ruleId: 'fault-under-mmap-lock',
    severity: 'warning',
    file: 'mm/madvise.c',
    line: 42,
    column: 6,
    endLine: 42,
    endColumn: 38,
    function: 'madvise_collapse',
    message: 'copy_from_user() can fault while the mmap read lock of mm is held',
    trace: [
      { file: 'mm/madvise.c', line: 40, column: 2, message: 'mmap read lock of mm taken here' },
      { file: 'mm/madvise.c', line: 42, column: 6, message: 'copy_from_user() can fault on user memory' },
    ],
    lineText: 'if (copy_from_user(&k, buf, sizeof(k)))',
    ...overrides,
  };
}

function imbalanceFinding(overrides: Partial<Finding> = {}): Finding {
  return {
    ruleId: 'mmap-lock-imbalance',
    severity: 'error',
    file: 'mm/memory.c',
    line: 7,
    column: 3,
    endLine: 7,
    endColumn: 14,
    function: null,
    message: 'return with the mmap read lock of mm held',
    trace: [],
    lineText: 'return err;',
    ...overrides,
  };
}

const NOTIFICATION: FileNotification = { file: 'mm/broken.c', level: 'error', message: 'could not read the file' };

function runResult(findings: Finding[], notifications: FileNotification[] = [], runStats: RunStats = stats()): RunResult {
  return { findings, notifications, stats: runStats, summaries: {} };
}

function sarifOf(result: RunResult, rules: readonly RuleMeta[] = RULES): SarifLog {
  return buildSarifLog(result, rules, TOOL, { workingDirectory: WORKING_DIRECTORY });
}

// ---------------------------------------------------------------------------------------------
// text

test('text: gcc-style finding line followed by one note per trace step', () => {
  const text = formatText(runResult([faultFinding()]), { color: false });
  assert.equal(
    text,
    'mm/madvise.c:42:6: warning: copy_from_user() can fault while the mmap read lock of mm is held [fault-under-mmap-lock]\n' +
      'mm/madvise.c:40:2: note: mmap read lock of mm taken here\n' +
      'mm/madvise.c:42:6: note: copy_from_user() can fault on user memory\n',
  );
});

test('text: the severity word comes from the finding', () => {
  const text = formatText(runResult([imbalanceFinding(), faultFinding({ severity: 'note', trace: [] })]), { color: false });
  const lines = text.trimEnd().split('\n');
  assert.match(lines[0]!, /^mm\/memory\.c:7:3: error: return with the mmap read lock of mm held \[mmap-lock-imbalance\]$/);
  assert.match(lines[1]!, /^mm\/madvise\.c:42:6: note: .* \[fault-under-mmap-lock\]$/);
  assert.equal(lines.length, 2);
});

test('text: every line matches the gcc problem-matcher pattern', () => {
  const text = formatText(runResult([faultFinding(), imbalanceFinding()]), { color: false });
  for (const line of text.trimEnd().split('\n')) {
    assert.match(line, /^[^:]+:\d+:\d+: (error|warning|note): .+$/, line);
  }
});

test('text: files that could not be analysed are one line each for stderr, not part of the report', () => {
  const text = formatText(runResult([faultFinding({ trace: [] })], [NOTIFICATION]), { color: false });
  assert.doesNotMatch(text, /broken\.c/);
  assert.equal(formatNotificationsText([NOTIFICATION, NOTIFICATION], { color: false }), 'mm/broken.c: error: could not read the file\n'.repeat(2));
});

test('text: no findings and no notifications give an empty report', () => {
  assert.equal(formatText(runResult([]), { color: false }), '');
});

test('text: colour only when asked for, and then the plain text is unchanged', () => {
  const result = runResult([faultFinding()], [NOTIFICATION]);
  const plain = formatText(result, { color: false });
  const coloured = formatText(result, { color: true });
  assert.doesNotMatch(plain, /\u001b\[/);
  assert.match(coloured, /\u001b\[/);
  assert.equal(coloured.replace(/\u001b\[[0-9;]*m/g, ''), plain);
});

test('text: the --stats table names every statistic and every rule count', () => {
  const table = formatStatsTable(stats());
  for (const label of [
    'files',
    'files failed',
    'bytes',
    'functions',
    'CFG give-ups',
    'functions with parse errors',
    'functions widened',
    'parse time',
    'analysis time',
    'total time',
  ]) {
    assert.match(table, new RegExp(`^${label} +\\S`, 'm'), label);
  }
  assert.match(table, /^findings: fault-under-mmap-lock +2$/m);
  assert.match(table, /^findings: mmap-lock-imbalance +1$/m);
  assert.match(table, /^CFG give-ups +0$/m);
  assert.ok(table.indexOf('fault-under-mmap-lock') < table.indexOf('mmap-lock-imbalance'), 'rules sorted by id');
});

// ---------------------------------------------------------------------------------------------
// json

test('json: versioned document with tool, every finding field, notifications and stats', () => {
  const result = runResult([faultFinding(), imbalanceFinding()], [NOTIFICATION]);
  const document = JSON.parse(formatJson(result, TOOL)) as Record<string, unknown>;
  assert.deepEqual(Object.keys(document), ['version', 'tool', 'findings', 'notifications', 'stats']);
  assert.equal(document['version'], JSON_FORMAT_VERSION);
  assert.equal(JSON_FORMAT_VERSION, 1);
  assert.deepEqual(document['tool'], { name: 'vmalint', version: '1.2.3' });
  assert.deepEqual(document['findings'], [faultFinding(), imbalanceFinding()]);
  assert.deepEqual(document['notifications'], [NOTIFICATION]);
  // Every statistic, under the JSON format's published keys (two keep the spelling `Analysed`).
  const { filesAnalyzedAhead, filesAnalyzedAgain, ...rest } = stats();
  assert.deepEqual(document['stats'], { ...rest, filesAnalysedAhead: filesAnalyzedAhead, filesAnalysedAgain: filesAnalyzedAgain });
});

test('json: finding keys come in the documented order, and nothing outside the schema leaks in', () => {
  const withExtra = { ...faultFinding(), internalState: { secret: true } } as Finding;
  const report = buildJsonReport(runResult([withExtra]), TOOL);
  assert.deepEqual(Object.keys(report.findings[0]!), [
    'ruleId',
    'severity',
    'file',
    'line',
    'column',
    'endLine',
    'endColumn',
    'function',
    'message',
    'trace',
    'lineText',
  ]);
  assert.deepEqual(Object.keys(report.findings[0]!.trace[0]!), ['file', 'line', 'column', 'message']);
});

test('json: findingsByRule is written sorted by rule id', () => {
  const report = buildJsonReport(runResult([]), TOOL);
  assert.deepEqual(Object.keys(report.stats.findingsByRule), ['fault-under-mmap-lock', 'mmap-lock-imbalance']);
});

test('json: the tool name and version are those of package.json', async () => {
  const { readFile } = await import('node:fs/promises');
  const manifest = JSON.parse(await readFile(new URL('../../package.json', import.meta.url), 'utf8')) as { name: string; version: string };
  const info = toolInfo();
  assert.equal(info.name, manifest.name);
  assert.equal(info.version, manifest.version);
  assert.match(info.informationUri, /^https?:\/\//);
});

// ---------------------------------------------------------------------------------------------
// sarif

test('sarif: log header, one run, and a driver that lists every rule', () => {
  const log = sarifOf(runResult([]));
  assert.equal(log.$schema, SARIF_SCHEMA_URI);
  assert.equal(log.version, '2.1.0');
  assert.equal(log.runs.length, 1);
  const driver = log.runs[0].tool.driver;
  assert.equal(driver.name, 'vmalint');
  assert.equal(driver.semanticVersion, '1.2.3');
  assert.equal(driver.informationUri, 'https://example.org/vmalint');
  assert.deepEqual(
    driver.rules.map((rule) => rule.id),
    RULES.map((rule) => rule.id),
  );
  const [fault, imbalance] = driver.rules;
  assert.equal(fault!.name, 'FaultUnderMmapLock');
  assert.equal(fault!.shortDescription.text, RULES[0]!.shortDescription);
  assert.equal(fault!.fullDescription.text, RULES[0]!.fullDescription);
  assert.equal(fault!.defaultConfiguration.level, 'warning');
  assert.equal(imbalance!.defaultConfiguration.level, 'error');
  assert.ok(fault!.properties.tags.length > 0);
  assert.ok(fault!.help.text.includes(RULES[0]!.docs.why));
  assert.ok(fault!.help.markdown.includes('```c\nmmap_read_lock(mm);\nif (copy_from_user'));
  assert.ok(fault!.help.markdown.includes(RULES[0]!.docs.right.trimEnd()));
});

test('sarif: pascalCase turns a rule id into an identifier', () => {
  assert.equal(pascalCase('vma-lock-imbalance'), 'VmaLockImbalance');
  assert.equal(pascalCase('stale-cannot-fail'), 'StaleCannotFail');
});

test('sarif: a result carries rule, index, level, message, relative location and region', () => {
  const log = sarifOf(runResult([faultFinding(), imbalanceFinding()]));
  const [fault, imbalance] = log.runs[0].results;
  assert.equal(fault!.ruleId, 'fault-under-mmap-lock');
  assert.equal(fault!.ruleIndex, 0);
  assert.equal(imbalance!.ruleIndex, 1);
  assert.equal(fault!.level, 'warning');
  assert.equal(imbalance!.level, 'error');
  assert.equal(fault!.message.text, faultFinding().message);
  const location = fault!.locations[0];
  assert.deepEqual(location.physicalLocation.artifactLocation, { uri: 'mm/madvise.c', uriBaseId: SRCROOT });
  assert.deepEqual(location.physicalLocation.region, { startLine: 42, startColumn: 6, endLine: 42, endColumn: 38 });
  assert.deepEqual(location.logicalLocations, [{ name: 'madvise_collapse', kind: 'function' }]);
  assert.equal(imbalance!.locations[0].logicalLocations, undefined);
});

test('sarif: %SRCROOT% is the working directory, as an absolute file URI ending in a slash', () => {
  const run = sarifOf(runResult([])).runs[0];
  assert.match(run.originalUriBaseIds[SRCROOT]!.uri, /^file:\/\/\/.*\/$/);
  assert.ok(run.originalUriBaseIds[SRCROOT]!.uri.endsWith('/home/dev/linux/'));
});

test('sarif: paths are made relative to the working directory and URI-encoded', () => {
  const absoluteInside = path.join(WORKING_DIRECTORY, 'mm', 'gup.c');
  const log = sarifOf(runResult([faultFinding({ file: absoluteInside }), faultFinding({ file: 'mm/odd name#1.c' })]));
  const [inside, odd] = log.runs[0].results;
  assert.deepEqual(inside!.locations[0].physicalLocation.artifactLocation, { uri: 'mm/gup.c', uriBaseId: SRCROOT });
  assert.deepEqual(odd!.locations[0].physicalLocation.artifactLocation, { uri: 'mm/odd%20name%231.c', uriBaseId: SRCROOT });
});

test('sarif: a file outside the working directory is relative to it too, with ..', () => {
  const outside = path.resolve(WORKING_DIRECTORY, '..', 'other', 'x.c');
  const log = sarifOf(runResult([faultFinding({ file: outside, trace: [] }), faultFinding({ file: '../other/y.c', trace: [] })]));
  const [absolute, relative] = log.runs[0].results.map((r) => r.locations[0].physicalLocation.artifactLocation);
  assert.deepEqual(absolute, { uri: '../other/x.c', uriBaseId: SRCROOT });
  assert.deepEqual(relative, { uri: '../other/y.c', uriBaseId: SRCROOT });
});

test('sarif: a region whose end precedes its start collapses to the start', () => {
  const log = sarifOf(runResult([faultFinding({ endLine: 41, endColumn: 1 })]));
  assert.deepEqual(log.runs[0].results[0]!.locations[0].physicalLocation.region, {
    startLine: 42,
    startColumn: 6,
    endLine: 42,
    endColumn: 6,
  });
});

test('sarif: the trace becomes a code flow whose locations each carry a message', () => {
  const log = sarifOf(runResult([faultFinding(), imbalanceFinding()]));
  const [fault, imbalance] = log.runs[0].results;
  const steps = fault!.codeFlows![0]!.threadFlows[0]!.locations;
  assert.equal(steps.length, 2);
  assert.deepEqual(steps[0]!.location, {
    physicalLocation: {
      artifactLocation: { uri: 'mm/madvise.c', uriBaseId: SRCROOT },
      region: { startLine: 40, startColumn: 2 },
    },
    message: { text: 'mmap read lock of mm taken here' },
  });
  assert.equal(steps[1]!.location.message?.text, 'copy_from_user() can fault on user memory');
  assert.equal(imbalance!.codeFlows, undefined, 'no code flow without a trace');
});

test('sarif: a finding of a rule missing from the rule list has no ruleIndex', () => {
  const log = sarifOf(runResult([faultFinding({ ruleId: 'not-a-rule' })]));
  assert.equal(log.runs[0].results[0]!.ruleIndex, undefined);
});

function fingerprint(log: SarifLog, index: number): string {
  return log.runs[0].results[index]!.partialFingerprints.primaryLocationLineHash;
}

test('sarif: primaryLocationLineHash survives unrelated line shifts', () => {
  const before = sarifOf(runResult([faultFinding()]));
  const shifted = faultFinding({
    line: 57,
    endLine: 57,
    column: 10,
    endColumn: 42,
    trace: [{ file: 'mm/madvise.c', line: 55, column: 2, message: 'mmap read lock of mm taken here' }],
    lineText: '  if (copy_from_user(&k,   buf, sizeof(k)))',
  });
  const after = sarifOf(runResult([shifted]));
  assert.match(fingerprint(before, 0), /^[0-9a-f]{16}:1$/);
  assert.equal(fingerprint(after, 0), fingerprint(before, 0));
});

test('sarif: primaryLocationLineHash changes with the rule, the function or the line text', () => {
  const base = fingerprint(sarifOf(runResult([faultFinding()])), 0);
  const variants = [
    faultFinding({ ruleId: 'mmap-lock-imbalance' }),
    faultFinding({ function: 'madvise_other' }),
    faultFinding({ function: null }),
    faultFinding({ lineText: 'if (get_user(k, buf))' }),
  ];
  for (const variant of variants) {
    assert.notEqual(fingerprint(sarifOf(runResult([variant])), 0), base, JSON.stringify(variant));
  }
});

test('sarif: identical keys in one file are told apart by their occurrence index', () => {
  const first = faultFinding();
  const second = faultFinding({ line: 90, endLine: 90 });
  const otherFile = faultFinding({ file: 'mm/gup.c' });
  const log = sarifOf(runResult([first, second, otherFile]));
  const [hash] = fingerprint(log, 0).split(':');
  assert.equal(fingerprint(log, 0), `${hash}:1`);
  assert.equal(fingerprint(log, 1), `${hash}:2`);
  assert.equal(fingerprint(log, 2), `${hash}:1`, 'counted per file');
});

test('sarif: invocations report success and one notification per file not analysed', () => {
  const second: FileNotification = { file: 'mm/huge.c', level: 'warning', message: 'analysed in part: 2 functions skipped' };
  const run = sarifOf(runResult([], [NOTIFICATION, second])).runs[0];
  assert.equal(run.invocations.length, 1);
  const [invocation] = run.invocations;
  assert.equal(invocation.executionSuccessful, true);
  assert.deepEqual(invocation.toolExecutionNotifications, [
    {
      level: 'error',
      message: { text: 'could not read the file' },
      locations: [{ physicalLocation: { artifactLocation: { uri: 'mm/broken.c', uriBaseId: SRCROOT } } }],
    },
    {
      level: 'warning',
      message: { text: 'analysed in part: 2 functions skipped' },
      locations: [{ physicalLocation: { artifactLocation: { uri: 'mm/huge.c', uriBaseId: SRCROOT } } }],
    },
  ]);
});

test('sarif: the run is unsuccessful when every file failed', () => {
  const run = sarifOf(runResult([], [NOTIFICATION], stats({ files: 1, filesFailed: 1 }))).runs[0];
  assert.equal(run.invocations[0].executionSuccessful, false);
});

// ---------------------------------------------------------------------------------------------
// sarif against the official schema and GitHub's ingestion rules

const validatorSkip = validatorUnavailableReason() ?? false;

async function writeTemporary(name: string, text: string): Promise<string> {
  const directory = await mkdtemp(path.join(tmpdir(), 'vmalint-report-test-'));
  const file = path.join(directory, name);
  await writeFile(file, text);
  return file;
}

test('sarif: passes the SARIF Multitool validator (2.1.0 schema, SARIF and GitHub rules) without errors', { skip: validatorSkip }, async () => {
  const outsideFile = path.resolve(WORKING_DIRECTORY, '..', 'elsewhere', 'a.c');
  const result = runResult(
    [
      faultFinding(),
      faultFinding({ line: 90, endLine: 90 }),
      imbalanceFinding(),
      faultFinding({ file: outsideFile, trace: [], function: null }),
      faultFinding({ ruleId: 'unregistered-rule', severity: 'note' }),
    ],
    [NOTIFICATION, { file: 'mm/huge.c', level: 'warning', message: 'analysed in part' }],
  );
  const sarifPath = await writeTemporary('vmalint.sarif', formatSarif(result, RULES, toolInfo(), { workingDirectory: WORKING_DIRECTORY }));
  const validation = await validateSarifFile(sarifPath);
  assert.deepEqual(validation.errors, [], validation.console);
});

test('sarif: an empty run (no rules, no results) is valid too', { skip: validatorSkip }, async () => {
  const sarifPath = await writeTemporary('empty.sarif', formatSarif(runResult([]), [], toolInfo(), { workingDirectory: WORKING_DIRECTORY }));
  const validation = await validateSarifFile(sarifPath);
  assert.deepEqual(validation.errors, [], validation.console);
});

test('sarif: the validator does reject a broken log (so a clean verdict means something)', { skip: validatorSkip }, async () => {
  const log = sarifOf(runResult([faultFinding()]));
  log.runs[0].results[0]!.locations[0].physicalLocation.region = { startLine: 0, startColumn: 0 };
  const sarifPath = await writeTemporary('broken.sarif', JSON.stringify(log));
  const validation = await validateSarifFile(sarifPath);
  assert.ok(validation.errors.length > 0, `expected errors, got none:\n${validation.console}`);
});

test('checkpatch: one line per finding as checkpatch --terse --showfile --show-types writes it, the level from the severity', () => {
  const out = formatCheckpatch(runResult([imbalanceFinding(), faultFinding(), faultFinding({ severity: 'note', line: 50 })]));
  assert.equal(
    out,
    'mm/memory.c:7: ERROR:MMAP_LOCK_IMBALANCE: return with the mmap read lock of mm held\n' +
      'mm/madvise.c:42: WARNING:FAULT_UNDER_MMAP_LOCK: copy_from_user() can fault while the mmap read lock of mm is held\n' +
      'mm/madvise.c:50: CHECK:FAULT_UNDER_MMAP_LOCK: copy_from_user() can fault while the mmap read lock of mm is held\n',
  );
  // What the checkpatch wrappers match (b4, patman): FILE:LINE: LEVEL:TYPE: message.
  for (const line of out.trimEnd().split('\n')) assert.match(line, /^[^:]+:\d+: (ERROR|WARNING|CHECK):[A-Z_]+: \S/);
  assert.equal(formatCheckpatch(runResult([])), '');
});
