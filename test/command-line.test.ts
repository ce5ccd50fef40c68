// The table-driven command line (src/command-line.ts): what it accepts, what it refuses, and the
// help text made from the same table.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { formatHelp, parseCommand, type ProgramSpec } from '../src/command-line.js';
import { UsageError } from '../src/usage-error.js';

const PROGRAM: ProgramSpec = {
  name: 'tool',
  version: '1.2.3',
  usage: 'Usage: tool [options] <path..>',
  epilogue: 'Exit status: 0.',
  commands: [
    {
      name: null,
      positional: { name: 'paths', required: false, variadic: true, describe: 'Paths' },
      describe: 'Analyse',
      options: [
        { name: 'format', aliases: ['f'], type: 'string', choices: ['text', 'json'], default: 'text', describe: 'Format' },
        { name: 'rule', type: 'string', repeatable: true, describe: 'A rule' },
        { name: 'D', aliases: ['define'], type: 'string', repeatable: true, describe: 'Define' },
        { name: 'jobs', aliases: ['j'], type: 'string', describe: 'Jobs' },
        { name: 'stats', type: 'boolean', describe: 'Stats' },
        { name: 'no-cache', type: 'boolean', describe: 'No cache' },
      ],
    },
    { name: 'explain', positional: { name: 'rule', required: true, variadic: false, describe: 'Rule' }, describe: 'Explain', options: [] },
  ],
};

function parsed(argv: string[]) {
  const result = parseCommand(PROGRAM, argv);
  assert.equal(result.kind, 'run');
  if (result.kind !== 'run') throw new Error('unreachable');
  return result;
}

function refused(argv: string[], message: RegExp): void {
  assert.throws(() => parseCommand(PROGRAM, argv), (err: unknown) => err instanceof UsageError && message.test(err.message), argv.join(' '));
}

test('command line: long, short, inline and attached spellings give the same values; defaults fill the rest', () => {
  for (const argv of [['--jobs', '2', 'a'], ['-j', '2', 'a'], ['-j2', 'a'], ['--jobs=2', 'a']]) {
    const { values, positionals } = parsed(argv);
    assert.equal(values.get('jobs'), '2', argv.join(' '));
    assert.equal(values.get('format'), 'text');
    assert.deepEqual(positionals, ['a']);
  }
  assert.deepEqual(parsed(['-D', 'A', '--define', 'B=2', '-DC']).values.get('D'), ['A', 'B=2', 'C']);
  assert.equal(parsed(['--no-cache']).values.get('no-cache'), true);
  assert.deepEqual(parsed(['a', '--', '-odd-name']).positionals, ['a', '-odd-name']);
});

test('command line: a repeatable option collects its values in order; another given twice is refused', () => {
  assert.deepEqual(parsed(['--rule', 'x', '--rule', 'y,z']).values.get('rule'), ['x', 'y,z']);
  refused(['-j', '1', '--jobs', '2'], /^--jobs may be given once only$/);
});

test('command line: unknown options, missing values, values of flags and bad choices are usage errors', () => {
  refused(['--bogus'], /^unknown option --bogus$/);
  refused(['--rule'], /^--rule needs a value/);
  refused(['--rule', '--stats'], /^--rule needs a value/);
  refused(['--stats=yes'], /^--stats takes no value$/);
  refused(['--format', 'xml'], /'xml' is not one of "text", "json"/);
  // A command accepts only its own options.
  refused(['explain', 'r', '--stats'], /^unknown option --stats \(an option of tool \[paths\.\.\], not of tool explain\)$/);
});

test('command line: an unknown option is named as typed, with the closest option of the command when one is close', () => {
  refused(['--sttas'], /^unknown option --sttas \(did you mean --stats\?\)$/);  // two letters swapped count one
  refused(['--no-cahce=1'], /^unknown option --no-cahce \(did you mean --no-cache\?\)$/);
  refused(['--Format', 'json'], /^unknown option --Format \(did you mean --format\?\)$/);  // case does not count
  refused(['--defin', 'X'], /^unknown option --defin \(did you mean --define\?\)$/);
  refused(['--for', 'json'], /^unknown option --for \(did you mean --format\?\)$/);  // the one option it begins
  refused(['-J', '2'], /^unknown option -J \(did you mean -j\?\)$/);
  refused(['--hlep'], /^unknown option --hlep \(did you mean --help\?\)$/);
  // Nothing close: no guess (a third of the length is the most the spelling may be off by).
  for (const far of ['--bogus', '--no-such-option', '--stat-table', '-x', '--st']) refused([far], new RegExp(`^unknown option ${far}$`));
});

test('command line: a command takes its positional arguments as declared', () => {
  const explain = parsed(['explain', 'some-rule']);
  assert.equal(explain.command.name, 'explain');
  assert.deepEqual(explain.positionals, ['some-rule']);
  refused(['explain'], /^explain: one rule expected/);
  refused(['explain', 'a', 'b'], /^explain: one rule expected, got 2/);
});

test('command line: --help and --version win over the rest; the help lists every option of every command', () => {
  assert.deepEqual(parseCommand(PROGRAM, ['a', '--version']), { kind: 'version', text: '1.2.3' });
  const help = parseCommand(PROGRAM, ['explain', '-h']);
  assert.equal(help.kind, 'help');
  const text = formatHelp(PROGRAM);
  for (const spelling of ['-f, --format', '--rule', '-D, --define', '-j, --jobs', '--stats', '--no-cache', 'tool explain <rule>', 'tool [paths..]', 'Exit status: 0.']) {
    assert.ok(text.includes(spelling), spelling);
  }
  for (const line of text.split('\n')) assert.ok(line.length <= 80, `longer than 80 columns: ${line}`);
});
