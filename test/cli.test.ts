// The command line, run in-process through main() with captured streams, plus file discovery and
// the bin/vmalint launcher. Tests that need real findings skip while the engine is not written.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { chmod, copyFile, mkdir, mkdtemp, readFile, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { analyzeFiles } from '../src/analyze.js';
import { splitAttachedDefines } from '../src/cli.js';
import { macroOptions } from '../src/project-options.js';
import { runCli, type CapturedRun } from './support/run-cli.js';
import { discoverFiles } from '../src/discover.js';
import { toolInfo } from '../src/report/tool-info.js';
import { allRules } from '../src/rules/index.js';
import { UsageError } from '../src/usage-error.js';
import { validateSarifFile, validatorUnavailableReason } from './support/sarif-validator.js';

const REPOSITORY_ROOT = fileURLToPath(new URL('../../', import.meta.url));

interface RunOptions {
  isTTY?: boolean;
  env?: Record<string, string | undefined>;
  cwd?: string;
}

function run(argv: string[], options: RunOptions = {}): Promise<CapturedRun> {
  return runCli(argv, options);
}

function assertNoStackTrace(text: string): void {
  assert.doesNotMatch(text, /^\s+at /m, `stack trace printed:\n${text}`);
}

async function temporaryDirectory(): Promise<string> {
  return mkdtemp(path.join(tmpdir(), 'vmalint-cli-test-'));
}

async function writeFiles(root: string, files: Record<string, string>): Promise<void> {
  for (const [relative, text] of Object.entries(files)) {
    const file = path.join(root, relative);
    await mkdir(path.dirname(file), { recursive: true });
    await writeFile(file, text);
  }
}

// ---------------------------------------------------------------------------------------------
// Usage errors: exit 2, one `vmalint: ...` line, no stack trace

test('cli: a path that does not exist is a usage error naming the path', async () => {
  const missing = path.join(await temporaryDirectory(), 'no-such-dir');
  const result = await run([missing]);
  assert.equal(result.status, 2);
  assert.equal(result.stdout, '');
  assert.equal(result.stderr, `vmalint: ${missing}: no such file or directory\n`);
});

test('cli: an unknown --rule is a usage error that lists the known rules', async () => {
  const result = await run(['--rule', 'no-such-rule', REPOSITORY_ROOT]);
  assert.equal(result.status, 2);
  assert.match(result.stderr, /^vmalint: unknown rule 'no-such-rule'; known rules: /);
  for (const rule of allRules()) assert.ok(result.stderr.includes(rule.meta.id), rule.meta.id);
  assertNoStackTrace(result.stderr);
});

test('cli: an unknown id in a comma-separated --disable is a usage error', async () => {
  const known = allRules()[0]?.meta.id;
  const list = known ? `${known},bogus-rule` : 'bogus-rule';
  const result = await run(['--disable', list, REPOSITORY_ROOT]);
  assert.equal(result.status, 2);
  assert.match(result.stderr, /unknown rule 'bogus-rule'/);
});

test('cli: an unknown --format is a usage error', async () => {
  const result = await run(['--format', 'xml', REPOSITORY_ROOT]);
  assert.equal(result.status, 2);
  assert.match(result.stderr, /^vmalint: .*format.*xml/s);
  assert.match(result.stderr, /text.*json.*sarif/s);
  assertNoStackTrace(result.stderr);
});

test('cli: an unknown option is a usage error naming it once, as typed', async () => {
  for (const option of ['--bogus-option', '--no-such-option']) {
    const result = await run([option, REPOSITORY_ROOT]);
    assert.equal(result.status, 2);
    assert.equal(result.stderr, `vmalint: unknown option ${option}\n`);
  }
});

test('cli: a misspelt option is a usage error that suggests the closest one, without a stack trace', async () => {
  for (const [typed, meant] of [['--staeged', '--staged'], ['--exit-zreo', '--exit-zero'], ['--write-basline=b.json', '--write-baseline'], ['--quite', '--quiet'], ['--no-cahce', '--no-cache']]) {
    const result = await run([typed, REPOSITORY_ROOT]);
    assert.deepEqual([result.status, result.stdout, result.stderr], [2, '', `vmalint: unknown option ${typed.replace(/=.*/, '')} (did you mean ${meant}?)\n`]);
  }
  const werror = await run(['--kbuild-werror', 'x.c']);
  assert.equal(werror.stderr, 'vmalint: unknown option --kbuild-werror (an option of vmalint --kbuild <args..>, not of vmalint [paths..])\n');
});

test('cli: no path at all is a usage error', async () => {
  const result = await run([]);
  assert.equal(result.status, 2);
  assert.match(result.stderr, /^vmalint: no files or directories given/);
});

test('cli: a directory without C files says so and exits 2 when nothing is left', async () => {
  const directory = await temporaryDirectory();
  await writeFiles(directory, { 'README.txt': 'no C here\n', 'sub/x.py': 'print(1)\n' });
  const result = await run([directory]);
  assert.equal(result.status, 2);
  assert.ok(result.stderr.includes(`vmalint: warning: ${directory}: no C files (*.c, *.h) in this directory\n`), result.stderr);
  assert.match(result.stderr, /vmalint: nothing to analyse: no C files found\n$/);
});

test('cli: a bad -D name is a usage error', async () => {
  const result = await run(['-D', '3BAD', REPOSITORY_ROOT]);
  assert.equal(result.status, 2);
  assert.equal(result.stderr, "vmalint: -D: '3BAD' is not a macro name\n");
});

test('cli: --output into a directory that does not exist is a usage error', async () => {
  const target = path.join(await temporaryDirectory(), 'missing', 'rules.txt');
  const result = await run(['--list-rules', '--output', target]);
  assert.equal(result.status, 2);
  assert.match(result.stderr, /^vmalint: cannot write .*rules\.txt: ENOENT\n$/);
});

// ---------------------------------------------------------------------------------------------
// Informational commands

test('cli: --list-rules prints every rule with its severity and exits 0', async () => {
  const result = await run(['--list-rules']);
  assert.equal(result.status, 0);
  assert.equal(result.stderr, '');
  const lines = result.stdout.split('\n').filter((line) => line.length > 0);
  assert.equal(lines.length, allRules().length);
  for (const rule of allRules()) {
    assert.match(result.stdout, new RegExp(`^${rule.meta.id} +${rule.meta.severity} +`, 'm'), rule.meta.id);
  }
});

test('cli: --list-rules --format json is a JSON array of the rules', async () => {
  const result = await run(['--list-rules', '--format', 'json']);
  assert.equal(result.status, 0);
  const listed = JSON.parse(result.stdout) as { id: string }[];
  assert.deepEqual(
    listed.map((rule) => rule.id),
    allRules().map((rule) => rule.meta.id),
  );
});

test('cli: --list-rules --output writes the file and nothing to stdout', async () => {
  const target = path.join(await temporaryDirectory(), 'rules.json');
  const result = await run(['--list-rules', '--format', 'json', '--output', target]);
  assert.equal(result.status, 0);
  assert.equal(result.stdout, '');
  assert.ok(Array.isArray(JSON.parse(await readFile(target, 'utf8'))));
});

test('cli: --list-rules and explain print text or json; --format sarif or checkpatch is a usage error, not text', async () => {
  for (const format of ['sarif', 'checkpatch']) {
    for (const spelling of [['--format', format], ['-f', format], [`--format=${format}`]]) {
      const list = await run(['--list-rules', ...spelling]);
      assert.deepEqual([list.status, list.stdout, list.stderr], [2, '', `vmalint: --list-rules prints text or json, not ${format}\n`], spelling.join(' '));
    }
    const explain = await run(['explain', allRules()[0]!.meta.id, '-f', format]);
    assert.deepEqual([explain.status, explain.stdout, explain.stderr], [2, '', `vmalint: -f: '${format}' is not one of "text", "json"\n`]);
  }
  const json = await run(['explain', allRules()[0]!.meta.id, '--format', 'json']);
  assert.equal(JSON.parse(json.stdout).id, allRules()[0]!.meta.id);
});

test('cli: explain of an unknown rule exits 2 and lists the known ids', async () => {
  const result = await run(['explain', 'no-such-rule']);
  assert.equal(result.status, 2);
  assert.equal(result.stdout, '');
  assert.match(result.stderr, /^vmalint: unknown rule 'no-such-rule'; known rules: /);
  for (const rule of allRules()) assert.ok(result.stderr.includes(rule.meta.id), rule.meta.id);
});

test('cli: explain rejects the options of the analysis', async () => {
  for (const option of ['--stats', '--exit-zero', '--output=x']) {
    const result = await run(['explain', allRules()[0]?.meta.id ?? 'x', option]);
    assert.equal(result.status, 2, option);
    assert.equal(result.stdout, '');
    assert.equal(result.stderr, `vmalint: unknown option ${option.replace(/=.*/, '')} (an option of vmalint [paths..], not of vmalint explain)\n`);
  }
});

test('cli: explain without a rule is a usage error', async () => {
  const result = await run(['explain']);
  assert.equal(result.status, 2);
  assert.match(result.stderr, /^vmalint: /);
});

test('cli: explain prints id, severity, what, why, wrong and right for every rule', { skip: allRules().length === 0 ? 'no rule is registered in src/rules/index.ts yet' : false }, async () => {
  for (const rule of allRules()) {
    const result = await run(['explain', rule.meta.id]);
    assert.equal(result.status, 0, rule.meta.id);
    const { docs } = rule.meta;
    assert.ok(result.stdout.startsWith(`${rule.meta.id} (${rule.meta.severity})\n`), result.stdout);
    for (const part of [docs.what, docs.why]) assert.ok(result.stdout.includes(part.trim().split('\n')[0]!), part);
    for (const code of [docs.wrong, docs.right]) {
      const firstCodeLine = code.split('\n').find((line) => line.trim().length > 0)!;
      assert.ok(result.stdout.includes(`    ${firstCodeLine}`), `example not printed: ${firstCodeLine}`);
    }
    assert.match(result.stdout, /^Wrong:$/m);
    assert.match(result.stdout, /^Right:$/m);
  }
});

test('cli: --help describes the usage and the exit status, exit 0', async () => {
  const result = await run(['--help']);
  assert.equal(result.status, 0);
  assert.match(result.stdout, /vmalint \[paths\.\.\]/);
  assert.match(result.stdout, /explain <rule>/);
  assert.match(result.stdout, /merge <files\.\.>/);
  for (const option of ['--format', '--output', '--rule', '--disable', '--list-rules', '--stats', '--exit-zero', '-D', '-U', '--config', '--summaries-out', '--summaries-in', '--shard', '--quiet', '--jobs']) {
    assert.ok(result.stdout.includes(option), option);
  }
  // The kernel build's checker, read before the option table, is in the help too.
  assert.match(result.stdout, /^  vmalint --kbuild <args\.\.> +The kernel build's checker \(make C=1/m);
  assert.match(result.stdout, /^Options of vmalint --kbuild <args\.\.>:\n(?:.*\n)*? {2}--kbuild-werror +Exit with 1 when there are findings/m);
  assert.match(result.stdout, /Exit status: 0 no findings, 1 findings, 2 usage error/);
});

test('cli: --version prints the package version', async () => {
  const result = await run(['--version']);
  assert.equal(result.status, 0);
  assert.equal(result.stdout, `${toolInfo().version}\n`);
});

// ---------------------------------------------------------------------------------------------
// Option parsing helpers

test('cli: -DNAME and -UNAME written compiler-style are split, but not after --', () => {
  assert.deepEqual(splitAttachedDefines(['-DCONFIG_MMU', '-DHZ=100', '-UCONFIG_NUMA', '-D', 'X', 'mm']), [
    '-D',
    'CONFIG_MMU',
    '-D',
    'HZ=100',
    '-U',
    'CONFIG_NUMA',
    '-D',
    'X',
    'mm',
  ]);
  assert.deepEqual(splitAttachedDefines(['--', '-DKEEP']), ['--', '-DKEEP']);
});

test('cli: -D NAME defines NAME as 1, -D NAME=VALUE as VALUE, -U NAME undefines', () => {
  const { defines, undefines } = macroOptions(['CONFIG_MMU', 'HZ=100', 'EMPTY='], ['CONFIG_NUMA']);
  assert.deepEqual([...defines], [
    ['CONFIG_MMU', '1'],
    ['HZ', '100'],
    ['EMPTY', ''],
  ]);
  assert.deepEqual([...undefines], ['CONFIG_NUMA']);
  assert.throws(() => macroOptions(['A-B'], []), UsageError);
  assert.throws(() => macroOptions([], ['']), UsageError);
});

// ---------------------------------------------------------------------------------------------
// File discovery

test('discover: a directory yields its .c and .h files, sorted, without node_modules or .git', async () => {
  const root = await temporaryDirectory();
  await writeFiles(root, {
    'mm/mmap.c': '',
    'mm/internal.h': '',
    'mm/a.c': '',
    'mm/Makefile': '',
    'mm/notes.txt': '',
    'include/linux/mm.h': '',
    'node_modules/pkg/x.c': '',
    '.git/objects/y.c': '',
    'lib/sub/z.c': '',
  });
  const { files, directoriesWithoutCFiles } = await discoverFiles([root]);
  assert.deepEqual(
    files,
    ['include/linux/mm.h', 'lib/sub/z.c', 'mm/a.c', 'mm/internal.h', 'mm/mmap.c'].map((relative) => path.join(root, relative)),
  );
  assert.deepEqual(directoriesWithoutCFiles, []);
});

test('discover: a file is taken as it is whatever its extension, and duplicates are dropped', async () => {
  const root = await temporaryDirectory();
  await writeFiles(root, { 'mm/b.c': '', 'mm/a.c': '', 'mm/kernel.inc': '' });
  const inc = path.join(root, 'mm/kernel.inc');
  const b = path.join(root, 'mm/b.c');
  const { files } = await discoverFiles([inc, b, path.join(root, 'mm'), path.join(root, 'mm', '..', 'mm', 'b.c')]);
  assert.deepEqual(files, [path.join(root, 'mm/a.c'), b, inc]);
});

test('discover: paths keep the spelling they were given', async () => {
  const root = await temporaryDirectory();
  await writeFiles(root, { 'mm/a.c': '' });
  const relativeRoot = path.relative(process.cwd(), root);
  const { files } = await discoverFiles([path.join(relativeRoot, 'mm')]);
  assert.deepEqual(files, [path.join(relativeRoot, 'mm', 'a.c')]);
});

test('discover: symbolic links are not followed into loops, and a linked file is analysed once', async () => {
  const root = await temporaryDirectory();
  await writeFiles(root, { 'mm/a.c': '' });
  await symlink(root, path.join(root, 'mm', 'loop'));
  await symlink(path.join(root, 'mm', 'a.c'), path.join(root, 'mm', 'alias.c'));
  const { files } = await discoverFiles([root]);
  assert.deepEqual(files, [path.join(root, 'mm', 'a.c')]);
});

test('discover: the walk takes .c and .h files only, skips dot names and node_modules, a directory named like a source, and a link to one', async () => {
  const root = await temporaryDirectory();
  await writeFiles(root, {
    'mm/a.c': '', 'mm/b.h': '', 'mm/c.cc': '', 'mm/d.S': '', 'mm/.hidden.c': '', '.git/x.c': '', 'mm/.cache/y.c': '',
    'node_modules/z.c': '', 'lib/node_modules/w.c': '', 'dir.c/inner.c': '', 'mm/deep/er/e.h': '',
  });
  await symlink(path.join(root, 'dir.c'), path.join(root, 'mm', 'link-to-dir.h'));
  await symlink(path.join(root, 'mm', 'gone'), path.join(root, 'mm', 'dangling.c'));
  const { files } = await discoverFiles([root]);
  const shown = files.map((f) => path.relative(root, f).split(path.sep).join('/'));
  // A dangling link is taken (the analysis says it cannot be read); a directory never is.
  assert.deepEqual(shown, ['dir.c/inner.c', 'mm/a.c', 'mm/b.h', 'mm/dangling.c', 'mm/deep/er/e.h']);
});

test('discover: a directory given twice, once through a symbolic link, gives its files once', async () => {
  const root = await temporaryDirectory();
  await writeFiles(root, { 'mm/a.c': '', 'mm/sub/b.h': '' });
  await symlink(path.join(root, 'mm'), path.join(root, 'linked'));
  const { files } = await discoverFiles([path.join(root, 'linked'), path.join(root, 'mm')]);
  assert.deepEqual(files, [path.join(root, 'linked', 'a.c'), path.join(root, 'linked', 'sub', 'b.h')]);
});

test('discover: a missing path is a UsageError naming it; an empty directory is reported', async () => {
  const root = await temporaryDirectory();
  await mkdir(path.join(root, 'empty'));
  await assert.rejects(discoverFiles([path.join(root, 'nope.c')]), (error: unknown) => {
    assert.ok(error instanceof UsageError);
    assert.equal(error.message, `${path.join(root, 'nope.c')}: no such file or directory`);
    return true;
  });
  const discovery = await discoverFiles([path.join(root, 'empty')]);
  assert.deepEqual(discovery, { files: [], directoriesWithoutCFiles: [path.join(root, 'empty')], otherPrograms: [], unreadableDirectories: [] });
});

// ---------------------------------------------------------------------------------------------
// bin/vmalint

test('bin/vmalint runs the compiled CLI', () => {
  const launched = spawnSync(process.execPath, [path.join(REPOSITORY_ROOT, 'bin', 'vmalint'), '--version'], { encoding: 'utf8' });
  assert.equal(launched.status, 0, launched.stderr);
  assert.equal(launched.stdout, `${toolInfo().version}\n`);
});

test('bin/vmalint exits 2 with a clear message when the project is not built', async () => {
  const root = await temporaryDirectory();
  await mkdir(path.join(root, 'bin'));
  await writeFile(path.join(root, 'package.json'), '{ "type": "module" }\n');
  await copyFile(path.join(REPOSITORY_ROOT, 'bin', 'vmalint'), path.join(root, 'bin', 'vmalint'));
  const launched = spawnSync(process.execPath, [path.join(root, 'bin', 'vmalint'), '--version'], { encoding: 'utf8' });
  assert.equal(launched.status, 2);
  assert.equal(launched.stderr, 'vmalint is not built: run npm run build\n');
});

// ---------------------------------------------------------------------------------------------
// Runs with real findings: they need the engine (src/analyze.ts)

const BUGGY_C = `// A fault under the mmap lock.
static int read_key(struct mm_struct *mm, void __user *buf)
{
\tint key;

\tmmap_read_lock(mm);
\tif (copy_from_user(&key, buf, sizeof(key))) {
\t\tmmap_read_unlock(mm);
\t\treturn -EFAULT;
\t}
\tmmap_read_unlock(mm);
\treturn key;
}
`;
const BUGGY_LINE = 7;

const CLEAN_C = `static int read_key(struct mm_struct *mm, void __user *buf)
{
\tint key;

\tif (copy_from_user(&key, buf, sizeof(key)))
\t\treturn -EFAULT;
\tmmap_read_lock(mm);
\tmmap_read_unlock(mm);
\treturn key;
}
`;

interface Sample {
  directory: string;
  buggy: string;
  clean: string;
}

/** A path as the report shows it: relative to the working directory (the tests' own), `..` outside it. */
const shown = (file: string): string => path.relative(process.cwd(), file);

async function writeSample(): Promise<Sample> {
  const directory = await temporaryDirectory();
  const buggy = path.join(directory, 'buggy.c');
  const clean = path.join(directory, 'clean.c');
  await writeFile(buggy, BUGGY_C);
  await writeFile(clean, CLEAN_C);
  return { directory, buggy, clean };
}

/** Why the engine tests must skip, or false when analyzeFiles works. */
async function engineSkipReason(): Promise<string | false> {
  const { clean } = await writeSample();
  try {
    await analyzeFiles([clean]);
    return false;
  } catch (error) {
    if (error instanceof Error && error.message === 'not implemented yet') {
      return 'analyzeFiles() in src/analyze.ts is not implemented yet';
    }
    return false;
  }
}

const engineSkip = await engineSkipReason();
const FAULT_RULE = 'fault-under-mmap-lock';

test('cli+engine: findings exit 1 and print gcc-style lines with trace notes', { skip: engineSkip }, async () => {
  const sample = await writeSample();
  const result = await run([sample.buggy]);
  assert.equal(result.status, 1, result.stderr);
  const lines = result.stdout.trimEnd().split('\n');
  assert.ok(
    lines.some((line) => line.startsWith(`${shown(sample.buggy)}:${BUGGY_LINE}:`) && line.endsWith(`[${FAULT_RULE}]`)),
    result.stdout,
  );
  for (const line of lines) assert.match(line, /^[^:]+:\d+:\d+: (error|warning|note): .+$/, line);
  assert.doesNotMatch(result.stdout, /\u001b\[/, 'no colour when stdout is not a terminal');
});

test('cli+engine: a clean file exits 0 with an empty report', { skip: engineSkip }, async () => {
  const sample = await writeSample();
  const result = await run([sample.clean]);
  assert.equal(result.status, 0, result.stderr);
  assert.equal(result.stdout, '');
});

test('cli+engine: --exit-zero exits 0 despite findings', { skip: engineSkip }, async () => {
  const sample = await writeSample();
  const result = await run(['--exit-zero', sample.buggy]);
  assert.equal(result.status, 0);
  assert.notEqual(result.stdout, '');
});

test('cli+engine: --disable of the only rule that fires gives exit 0', { skip: engineSkip }, async () => {
  const sample = await writeSample();
  const result = await run(['--disable', FAULT_RULE, sample.buggy]);
  assert.equal(result.status, 0, result.stdout);
});

test('cli+engine: colour on a terminal, none with NO_COLOR', { skip: engineSkip }, async () => {
  const sample = await writeSample();
  const coloured = await run([sample.buggy], { isTTY: true });
  assert.match(coloured.stdout, /\u001b\[/);
  const plain = await run([sample.buggy], { isTTY: true, env: { NO_COLOR: '1' } });
  assert.doesNotMatch(plain.stdout, /\u001b\[/);
});

test('cli+engine: --format json holds the findings and the stats', { skip: engineSkip }, async () => {
  const sample = await writeSample();
  const result = await run(['--format', 'json', sample.directory]);
  assert.equal(result.status, 1, result.stderr);
  const report = JSON.parse(result.stdout) as { version: number; findings: { ruleId: string; file: string; line: number }[]; stats: { files: number } };
  assert.equal(report.version, 1);
  assert.equal(report.stats.files, 2);
  assert.ok(report.findings.some((finding) => finding.ruleId === FAULT_RULE && finding.file === shown(sample.buggy) && finding.line === BUGGY_LINE));
  assert.ok(report.findings.every((finding) => finding.file !== shown(sample.clean)), 'no finding in the clean twin');
});

test('cli+engine: --output writes an uncoloured report and nothing to stdout', { skip: engineSkip }, async () => {
  const sample = await writeSample();
  const target = path.join(sample.directory, 'report.txt');
  const result = await run(['--output', target, sample.buggy], { isTTY: true });
  assert.equal(result.status, 1);
  assert.equal(result.stdout, '');
  const written = await readFile(target, 'utf8');
  assert.ok(written.includes(`[${FAULT_RULE}]`));
  assert.doesNotMatch(written, /\u001b\[/);
});

test('cli+engine: --stats prints the statistics table to stderr', { skip: engineSkip }, async () => {
  const sample = await writeSample();
  const result = await run(['--stats', sample.clean]);
  assert.equal(result.status, 0);
  assert.match(result.stderr, /^CFG give-ups +\d+$/m);
  assert.match(result.stderr, /^functions +1$/m);
});

test('cli+engine: --format sarif has relative locations and passes the validator', { skip: engineSkip || validatorUnavailableReason() || false }, async () => {
  const sample = await writeSample();
  const target = path.join(sample.directory, 'vmalint.sarif');
  const result = await run(['--format', 'sarif', '--output', target, sample.buggy], { cwd: sample.directory });
  assert.equal(result.status, 1, result.stderr);
  const log = JSON.parse(await readFile(target, 'utf8')) as {
    runs: { results: { ruleId: string; locations: { physicalLocation: { artifactLocation: { uri: string; uriBaseId?: string } } }[] }[] }[];
  };
  const fault = log.runs[0]!.results.find((candidate) => candidate.ruleId === FAULT_RULE);
  assert.ok(fault, 'the fault is reported');
  assert.deepEqual(fault.locations[0]!.physicalLocation.artifactLocation, { uri: 'buggy.c', uriBaseId: '%SRCROOT%' });
  const validation = await validateSarifFile(target);
  assert.deepEqual(validation.errors, [], validation.console);
});

test('cli+engine: files that cannot be read or are binary are notified in every format; the others are analysed', { skip: engineSkip }, async () => {
  const sample = await writeSample();
  const dir = sample.directory;
  await writeFile(path.join(dir, 'binary.c'), Buffer.from([0x7f, 0x45, 0x4c, 0x46, 0x02, 0x01, 0x00, 0x00, 0xff, 0xfe]));
  // Latin-1 (not UTF-8) in a comment: analysed anyway, and its bug is found.
  await writeFile(path.join(dir, 'latin1.c'), Buffer.concat([Buffer.from('/* D\xe9j\xe0 vu */\n', 'latin1'), Buffer.from(BUGGY_C)]));
  await symlink(path.join(dir, 'gone'), path.join(dir, 'dangling.c'));
  const unreadable = path.join(dir, 'secret.c');
  await writeFile(unreadable, CLEAN_C);
  await chmod(unreadable, 0o000);
  // root reads a mode-0 file anyway: then only the dangling link stands for an unreadable file.
  const secretUnreadable = process.getuid?.() !== 0;
  const notified = secretUnreadable ? ['binary.c', 'dangling.c', 'secret.c'] : ['binary.c', 'dangling.c'];

  const text = await run([dir]);
  assert.equal(text.status, 1, text.stderr);
  assertNoStackTrace(text.stderr);
  assert.ok(text.stdout.includes(`${shown(path.join(dir, 'latin1.c'))}:${BUGGY_LINE + 1}:`), text.stdout);
  assert.ok(text.stdout.includes(`${shown(sample.buggy)}:${BUGGY_LINE}:`), text.stdout);
  assert.doesNotMatch(text.stdout, /binary\.c|dangling\.c/, 'notifications are not in the report on stdout');
  for (const name of notified) assert.match(text.stderr, new RegExp(`^${shown(path.join(dir, name)).replace(/[.]/g, '\\.')}: (error|warning): .+$`, 'm'), text.stderr);
  assert.match(text.stderr, /binary\.c: error: binary file/);
  assert.match(text.stderr, /dangling\.c: error: cannot read: no such file/);

  const json = await run(['--format', 'json', dir]);
  assert.equal(json.status, 1);
  const doc = JSON.parse(json.stdout) as { notifications: { file: string; level: string; message: string }[]; stats: { files: number; filesFailed: number } };
  assert.deepEqual(doc.notifications.map((n) => path.basename(n.file)).sort(), notified);
  assert.equal(doc.stats.filesFailed, notified.length);
  assert.equal(doc.stats.files, 6);

  const sarif = await run(['--format', 'sarif', dir], { cwd: dir });
  assert.equal(sarif.status, 1);
  const log = JSON.parse(sarif.stdout) as { runs: { invocations: { executionSuccessful: boolean; toolExecutionNotifications: { message: { text: string }; locations: { physicalLocation: { artifactLocation: { uri: string } } }[] }[] }[] }[] };
  const inv = log.runs[0].invocations[0];
  assert.equal(inv.executionSuccessful, true);
  assert.deepEqual(inv.toolExecutionNotifications.map((n) => n.locations[0].physicalLocation.artifactLocation.uri).sort(), notified);
});

test('cli+engine: when no file could be analysed the exit status is 2, with one line saying so', { skip: engineSkip }, async () => {
  const dir = await temporaryDirectory();
  await writeFile(path.join(dir, 'a.c'), Buffer.from([0, 1, 2, 3]));
  await symlink(path.join(dir, 'gone'), path.join(dir, 'b.c'));
  const result = await run([dir]);
  assert.equal(result.status, 2);
  assertNoStackTrace(result.stderr);
  assert.match(result.stderr, /^vmalint: none of the 2 files could be analysed$/m);
});

test('cli: -j 1 and -j 3 over the fixtures give the same report; -j 0 is a usage error', async () => {
  const fixtures = path.join(REPOSITORY_ROOT, 'fixtures');
  const one = await run(['-j', '1', '--format', 'json', fixtures]);
  const three = await run(['--jobs', '3', '--format', 'json', fixtures]);
  assert.equal(one.status, 1);
  assert.equal(three.status, one.status);
  const body = (out: string) => {
    const r = JSON.parse(out) as { findings: unknown[]; notifications: unknown[]; stats: Record<string, unknown> };
    // This thread keeps a parse for a file analysed again (parsesReused); workers parse it again.
    return JSON.stringify([r.findings, r.notifications, r.stats['functions'], r.stats['summaryRounds'], r.stats['fileReanalyses'], (r.stats['filesParsed'] as number) + (r.stats['parsesReused'] as number)]);
  };
  assert.ok((JSON.parse(one.stdout) as { findings: unknown[] }).findings.length > 50);
  assert.equal(body(three.stdout), body(one.stdout));
  const zero = await run(['-j', '0', fixtures]);
  assert.equal(zero.status, 2);
  assert.match(zero.stderr, /--jobs: expected a number of worker threads from 1 to 256, got "0"/);
});
