// The progress line (src/report/progress.ts) on a fake terminal with a fake clock, and the CLI's
// on a real one (a pseudo-terminal) and with --quiet.
import assert from 'node:assert/strict';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { main } from '../src/cli.js';
import type { CliEnvironment } from '../src/cli.js';
import { formatDuration, formatProgress, ProgressLine } from '../src/report/progress.js';
import type { ProgressLineOptions } from '../src/report/progress.js';
import { pseudoTerminalUnavailableReason, runVmalintOnTerminal, type TerminalRun } from './support/pseudo-terminal.js';

const ERASE = '\r\u001b[K';

/** A stderr that records what is written, and a clock the test moves by hand. */
function fakeTerminal(isTTY = true, options: ProgressLineOptions = {}) {
  const writes: string[] = [];
  let now = 5_000; // an arbitrary origin: only differences count
  const line = new ProgressLine({ write: (text: string) => writes.push(text), isTTY }, { now: () => now, ...options });
  return {
    line,
    writes,
    /** Moves the clock to `ms` after the line was created. */
    at(ms: number): void {
      now = 5_000 + ms;
    },
  };
}

test('progress: nothing is shown during the first second', () => {
  const terminal = fakeTerminal();
  for (const ms of [0, 10, 500, 999]) {
    terminal.at(ms);
    terminal.line.update({ done: ms, total: 5000 });
  }
  terminal.line.finish();
  assert.deepEqual(terminal.writes, [], 'a run shorter than a second prints nothing, not even the erase');
});

test('progress: after a second, one self-overwriting line with the count, the rate and the time left', () => {
  const terminal = fakeTerminal();
  terminal.at(2_000);
  terminal.line.update({ done: 100, total: 1_100 });
  // 100 files in 2 s: 50 files/s; 1,000 left: 20 s.
  assert.deepEqual(terminal.writes, [`${ERASE}vmalint: 100/1100 files, 50 files/s, 20s left`]);
  terminal.at(3_000);
  terminal.line.update({ done: 1_234, total: 59_932 });
  // 1,234 files in 3 s: 411.3 files/s; 58,698 left: 142.7 s, shown rounded up.
  assert.equal(terminal.writes[1], `${ERASE}vmalint: 1234/59932 files, 411 files/s, 2m23s left`);
  assert.ok(terminal.writes.every((text) => !text.includes('\n')), 'never a new line');
});

test('progress: redrawn at most five times a second', () => {
  const terminal = fakeTerminal();
  let done = 0;
  for (let ms = 1_000; ms <= 3_000; ms += 10) {
    terminal.at(ms);
    terminal.line.update({ done: ++done, total: 10_000 });
  }
  // Drawn at 1.0, 1.2, ..., 3.0 s: 11 times in 2 s.
  assert.equal(terminal.writes.length, 11);
  terminal.at(3_100);
  terminal.line.update({ done: ++done, total: 10_000 });
  assert.equal(terminal.writes.length, 11, 'not 200 ms since the last draw');
  terminal.at(3_200);
  terminal.line.update({ done: ++done, total: 10_000 });
  assert.equal(terminal.writes.length, 12);
});

test('progress: finish() erases the line it drew, once; later updates draw nothing', () => {
  const terminal = fakeTerminal();
  terminal.at(1_500);
  terminal.line.update({ done: 3, total: 4 });
  terminal.line.finish();
  assert.equal(terminal.writes.length, 2);
  assert.equal(terminal.writes[1], ERASE);
  terminal.line.finish();
  assert.equal(terminal.writes.length, 2);
  terminal.at(5_000);
  terminal.line.update({ done: 4, total: 4 });
  assert.equal(terminal.writes.length, 2, 'an update after finish() draws nothing');
});

test('progress: silent when stderr is not a terminal, or when disabled (--quiet)', () => {
  for (const terminal of [fakeTerminal(false), fakeTerminal(true, { enabled: false })]) {
    for (const ms of [0, 1_000, 2_000, 60_000]) {
      terminal.at(ms);
      terminal.line.update({ done: ms, total: 100_000 });
    }
    terminal.line.finish();
    assert.deepEqual(terminal.writes, []);
  }
});

test('progress: a total that grows (files analysed again) is shown as it is; done never shows above it', () => {
  const terminal = fakeTerminal();
  terminal.at(10_000);
  terminal.line.update({ done: 185, total: 185 });
  terminal.at(11_000);
  terminal.line.update({ done: 187, total: 231 });
  assert.deepEqual(terminal.writes, [
    `${ERASE}vmalint: 185/185 files, 19 files/s, 0s left`,
    // 187 files in 11 s: 17 files/s; 44 left: 2.6 s.
    `${ERASE}vmalint: 187/231 files, 17 files/s, 3s left`,
  ]);
  assert.equal(formatProgress({ done: 240, total: 231 }, 10_000), 'vmalint: 240/240 files, 24 files/s, 0s left');
});

test('progress: no rate and no time left before the first file is done', () => {
  assert.equal(formatProgress({ done: 0, total: 59_932 }, 1_500), 'vmalint: 0/59932 files');
});

test('progress: rates under 10 files/s keep one decimal', () => {
  assert.equal(formatProgress({ done: 3, total: 10 }, 4_000), 'vmalint: 3/10 files, 0.8 files/s, 10s left');
});

test('progress: durations read 42s, 3m12s, 1h05m', () => {
  assert.equal(formatDuration(0), '0s');
  assert.equal(formatDuration(41.2), '42s');
  assert.equal(formatDuration(59.5), '1m00s');
  assert.equal(formatDuration(192), '3m12s');
  assert.equal(formatDuration(3_599), '59m59s');
  assert.equal(formatDuration(3_900), '1h05m');
  assert.equal(formatDuration(40 * 3600 + 61), '40h01m');
});

// ---------------------------------------------------------------------------------------------
// The CLI

async function runOnTerminal(argv: string[]): Promise<{ status: number; stderr: string }> {
  let stderr = '';
  const environment: CliEnvironment = {
    stdout: { write: () => true, isTTY: true },
    stderr: { write: (text: string) => (stderr += text), isTTY: true },
    env: { NO_COLOR: '1' },
    cwd: process.cwd(),
  };
  return { status: await main(argv, environment), stderr };
}

test('cli: --quiet (-q) is accepted; a short run on a terminal leaves nothing of a progress line on stderr', async () => {
  const directory = await mkdtemp(path.join(tmpdir(), 'vmalint-progress-test-'));
  const file = path.join(directory, 'a.c');
  await writeFile(file, 'static int f(void)\n{\n\treturn 0;\n}\n');
  for (const argv of [[file], ['--quiet', file], ['-q', file]]) {
    const result = await runOnTerminal(argv);
    assert.equal(result.status, 0, result.stderr);
    assert.equal(result.stderr, '', argv.join(' '));
  }
});

// On a real terminal: bin/vmalint with its stderr on a pseudo-terminal, the first second's delay
// taken away (VMALINT_PROGRESS_DELAY_MS=0) so that a run of a few small files draws the line.

const terminalSkip = pseudoTerminalUnavailableReason() ?? false;

const LEAK = (name: string): string => `struct mm_struct;\nint ${name}(struct mm_struct *mm, int bad)\n{\n\tmmap_read_lock(mm);\n\tif (bad)\n\t\treturn -EINVAL;\n\tmmap_read_unlock(mm);\n\treturn 0;\n}\n`;

/** The progress line drawn, then erased, on the terminal; the report whole on stdout. */
function assertProgressShownAndErased(run: TerminalRun, files: number): void {
  assert.equal(run.status, 1, run.terminal);
  assert.match(run.terminal, new RegExp(`^\\r\\u001b\\[Kvmalint: [1-${files}]/${files} files(, [\\d.]+ files/s, \\d+s left)?`), JSON.stringify(run.terminal));
  assert.ok(run.terminal.endsWith('\r\u001b[K'), `the line is erased at the end: ${JSON.stringify(run.terminal)}`);
  assert.equal(run.stdout.match(/\[mmap-lock-imbalance\]/g)?.length, files, run.stdout);
}

test('cli: the progress line is drawn and erased on a terminal, for a directory and for -p compile_commands.json; not with --quiet', { skip: terminalSkip }, async () => {
  const directory = await mkdtemp(path.join(tmpdir(), 'vmalint-progress-terminal-'));
  for (const name of ['a', 'b', 'c']) await writeFile(path.join(directory, `${name}.c`), LEAK(name));
  const env = { VMALINT_PROGRESS_DELAY_MS: '0' };
  assertProgressShownAndErased(runVmalintOnTerminal(['--no-cache', '-j', '1', '.'], { cwd: directory, env }), 3);

  await writeFile(path.join(directory, 'compile_commands.json'), JSON.stringify(['a', 'b', 'c'].map((name) => ({ directory, file: `${name}.c`, arguments: ['gcc', '-c', `${name}.c`] }))));
  const database = runVmalintOnTerminal(['--no-cache', '-j', '1', '-p', 'compile_commands.json'], { cwd: directory, env });
  // Without the build's autoconf.h, -p warns first (a line of its own, before the analysis).
  assertProgressShownAndErased({ ...database, terminal: database.terminal.replace(/^vmalint: warning: no generated\/autoconf\.h[^\n]*\n/, '') }, 3);

  const quiet = runVmalintOnTerminal(['--no-cache', '-j', '1', '--quiet', '.'], { cwd: directory, env });
  assert.deepEqual([quiet.status, quiet.terminal], [1, '']);
});
