// The command line: vmalint's commands and options as a table (src/command-line.ts reads it and
// writes the help), and what a parsed command line asks for.
import { parseCommand, type OptionSpec, type ProgramSpec } from './command-line.js';
import { CONFIG_FILE_NAME } from './kb/config.js';
import { RULE_DOC_FORMATS } from './report/rules.js';
import { toolInfo } from './report/tool-info.js';
import { parseShard, type Shard } from './shard.js';
import { UsageError } from './usage-error.js';

export const OUTPUT_FORMATS = ['text', 'json', 'sarif', 'checkpatch'] as const;
export type OutputFormat = (typeof OUTPUT_FORMATS)[number];

/** The options of the analyse command once parsed. */
export interface AnalyzeArguments {
  paths: string[];
  format: OutputFormat;
  output: string | undefined;
  ruleIds: string[];
  disabledRuleIds: string[];
  listRules: boolean;
  stats: boolean;
  defines: string[];
  undefines: string[];
  exitZero: boolean;
  /** --config FILE (otherwise .vmalint.json is looked for upward from the working directory). */
  config: string | undefined;
  summariesOut: string | undefined;
  summariesIn: string[];
  /** --shard K/N: analyse only the files of shard K of N. */
  shard: Shard | undefined;
  /** --quiet: no progress line on stderr. */
  quiet: boolean;
  /** -j N: worker threads (undefined: the default, src/run/run-pool.ts). */
  jobs: number | undefined;
  /** --no-cache: no cache of file analyses. */
  cache: boolean;
  /** --diff REV: report only what the changes against REV touch. */
  diff: string | undefined;
  /** --staged: analyse the staged content, report only what the staged changes touch. */
  staged: boolean;
  /** --patch FILE (- for standard input): a patch series applied to HEAD, reported as --diff would. */
  patch: string | undefined;
  /** -p FILE: a compilation database's files, macros and configuration. */
  compileCommands: string | undefined;
  /** --print-config: print the configuration in effect and exit. */
  printConfig: boolean;
  /** --baseline FILE: report only the findings it does not hold. */
  baseline: string | undefined;
  /** --write-baseline FILE: record the run's findings. */
  writeBaseline: string | undefined;
  /** --all-programs: a kernel tree's tools/, scripts/, samples/, usr/ too. */
  allPrograms: boolean;
}

/** The arguments of `vmalint merge`. */
export interface MergeArguments {
  files: string[];
  output: string | undefined;
  exitZero: boolean;
}

export type Command =
  | { kind: 'analyze'; args: AnalyzeArguments }
  | { kind: 'merge'; args: MergeArguments }
  | { kind: 'explain'; ruleId: string; format: OutputFormat }
  | { kind: 'install-hook'; force: boolean }
  | { kind: 'lsp' }
  | { kind: 'kbuild'; werror: boolean; compiler: string[] }
  | { kind: 'print'; text: string };

const FORMAT_OPTION: OptionSpec = { name: 'format', aliases: ['f'], type: 'string', choices: OUTPUT_FORMATS, default: 'text', value: 'FORMAT', describe: 'Report format' };

/** Where a report goes and what the exit status says: the analysis's and merge's. */
const OUTPUT_OPTIONS: OptionSpec[] = [
  { name: 'output', aliases: ['o'], type: 'string', value: 'FILE', describe: 'Write the report to FILE instead of stdout' },
  { name: 'exit-zero', type: 'boolean', describe: 'Exit with 0 even when there are findings' },
];

const ANALYZE_OPTIONS: OptionSpec[] = [
  { name: 'rule', type: 'string', repeatable: true, value: 'ID', describe: 'Run only this rule (repeatable, comma-separated)' },
  { name: 'disable', type: 'string', repeatable: true, value: 'ID', describe: 'Do not run this rule (repeatable, comma-separated)' },
  { name: 'list-rules', type: 'boolean', describe: 'List the rules and exit' },
  { name: 'all-programs', type: 'boolean', describe: "In a kernel tree given as a directory, also analyse tools/, scripts/, samples/ and usr/ (programs not linked with the kernel, left out unless named: vmalint tools/perf)" },
  { name: 'stats', type: 'boolean', describe: 'Print run statistics to stderr' },
  { name: 'D', aliases: ['define'], type: 'string', repeatable: true, value: 'NAME[=VALUE]', describe: 'Define NAME for #if/#ifdef (repeatable; VALUE defaults to 1)' },
  { name: 'U', aliases: ['undefine'], type: 'string', repeatable: true, value: 'NAME', describe: 'Undefine NAME for #if/#ifdef (repeatable)' },
  { name: 'print-config', type: 'boolean', describe: 'Print the configuration in effect (the file, the rules and their severity, include/exclude, macros, knowledge-base additions) as JSON and exit' },
  { name: 'config', type: 'string', value: 'FILE', describe: `Read knowledge-base additions from FILE (default: the first ${CONFIG_FILE_NAME} in the working directory or above)` },
  { name: 'summaries-out', type: 'string', value: 'FILE', describe: "Write the summaries of the run's functions to FILE" },
  { name: 'summaries-in', type: 'string', repeatable: true, value: 'FILE', describe: 'Use the summaries another run wrote to FILE (repeatable)' },
  { name: 'shard', type: 'string', value: 'K/N', describe: 'Analyse only shard K of N of the files (1 <= K <= N; see docs/ci-sharding.md)' },
  { name: 'quiet', aliases: ['q'], type: 'boolean', describe: 'No progress line on stderr (shown on a terminal only)' },
  { name: 'no-cache', type: 'boolean', describe: 'Do not keep file analyses in the cache ($VMALINT_CACHE_DIR, else $XDG_CACHE_HOME/vmalint, else ~/.cache/vmalint), used by default' },
  { name: 'diff', type: 'string', value: 'REV', describe: 'Report only findings on lines changed against the git revision REV, or whose trace passes through one (whole functions are analysed; without paths, the C files changed)' },
  { name: 'staged', type: 'boolean', describe: 'As --diff, for the changes staged in the git index, analysing their staged content (what a pre-commit hook checks)' },
  { name: 'patch', type: 'string', value: 'FILE', describe: 'As --diff, for a patch or patch series (git format-patch output, an mbox; - for standard input) applied to HEAD in a scratch index' },
  { name: 'baseline', type: 'string', value: 'FILE', describe: 'Report only the findings the baseline FILE does not hold, and list its entries that match nothing any more' },
  { name: 'write-baseline', type: 'string', value: 'FILE', describe: "Write the run's findings to FILE as a baseline (keyed by rule, file, function and statement, not line)" },
  { name: 'compile-commands', aliases: ['p'], type: 'string', value: 'FILE', describe: "Analyse the C files of a compilation database (the kernel's make compile_commands.json), with its macros and the build's configuration (generated/autoconf.h); paths given restrict it" },
  { name: 'jobs', aliases: ['j'], type: 'string', value: 'N', describe: 'Read and analyse with N worker threads (1: in this thread only; default: the cores available, for a run of 1,000 files or more to read or to analyse, else this thread). The report is the same for any N' },
];

/** vmalint's commands; each declares the options it reads, so that the others reject them. */
function program(): ProgramSpec {
  return {
    name: 'vmalint',
    version: toolInfo().version,
    usage: 'Usage: vmalint [options] <path..>\n\nFinds mmap_lock and per-VMA lock bugs in Linux kernel C sources.',
    commands: [
      {
        name: null,
        positional: { name: 'paths', required: false, variadic: true, describe: 'Files and directories to analyse' },
        describe: 'Analyse C files and directories (their *.c and *.h files)',
        options: [FORMAT_OPTION, ...OUTPUT_OPTIONS, ...ANALYZE_OPTIONS],
      },
      {
        name: 'explain',
        positional: { name: 'rule', required: true, variadic: false, describe: 'Rule id (see --list-rules)' },
        describe: "Print a rule's documentation: what, why, a wrong and a right example",
        options: [{ ...FORMAT_OPTION, choices: RULE_DOC_FORMATS }],
      },
      {
        name: 'install-hook',
        describe: 'Install a git pre-commit hook that runs vmalint --staged and stops a commit whose staged changes bring a finding',
        options: [{ name: 'force', type: 'boolean', describe: 'Replace a pre-commit hook vmalint did not write (it is kept beside the new one)' }],
      },
      {
        name: 'lsp',
        describe: 'Run the Language Server (over stdio) that gives editors the findings of the C files they edit',
        options: [{ name: 'stdio', type: 'boolean', describe: 'Talk over standard input and output (the only way; accepted because clients pass it)' }],
      },
      {
        // Read before the table (parseCommandLine): listed here for the help.
        name: '--kbuild',
        positional: { name: 'args', required: true, variadic: true, describe: "The compiler's flags and the C file, as the build passes them to its checker" },
        describe: 'The kernel build\'s checker (make C=1 CHECK="vmalint --kbuild"): findings on stderr, gcc-style; exit 0',
        options: [{ name: 'kbuild-werror', type: 'boolean', describe: 'Exit with 1 when there are findings (fail the build)' }],
      },
      {
        name: 'merge',
        positional: { name: 'files', required: true, variadic: true, describe: 'SARIF logs written by vmalint --format sarif --shard K/N' },
        describe: 'Merge the SARIF logs of the shards of a run (--shard K/N) into one SARIF log',
        options: OUTPUT_OPTIONS,
      },
    ],
    epilogue: 'Exit status: 0 no findings, 1 findings, 2 usage error or nothing could be\nanalysed. Colour is used on a terminal unless NO_COLOR is set.',
  };
}

export function parseCommandLine(argv: string[]): Command {
  // The kernel build's checker call: compiler flags, read by src/kbuild.ts, not by the table.
  const kbuild = argv.findIndex((a) => a !== '--kbuild-werror');
  if (argv[kbuild] === '--kbuild') {
    const rest = argv.filter((_, i) => i !== kbuild);
    return { kind: 'kbuild', werror: rest.includes('--kbuild-werror'), compiler: rest.filter((a) => a !== '--kbuild-werror') };
  }
  const parsed = parseCommand(program(), splitAttachedDefines(argv));
  if (parsed.kind !== 'run') return { kind: 'print', text: parsed.text };
  const { values, positionals } = parsed;
  const text = (name: string): string | undefined => values.get(name) as string | undefined;
  const list = (name: string): string[] => (values.get(name) as string[] | undefined) ?? [];
  const flag = (name: string): boolean => values.get(name) === true;
  const format = text('format') as OutputFormat;
  const output = text('output');
  const exitZero = flag('exit-zero');
  if (parsed.command.name === 'explain') return { kind: 'explain', ruleId: positionals[0]!, format };
  if (parsed.command.name === 'merge') return { kind: 'merge', args: { files: positionals, output, exitZero } };
  if (parsed.command.name === 'install-hook') return { kind: 'install-hook', force: flag('force') };
  if (parsed.command.name === 'lsp') return { kind: 'lsp' };
  const shard = text('shard');
  const jobs = text('jobs');
  return {
    kind: 'analyze',
    args: {
      paths: positionals,
      format,
      output,
      ruleIds: commaSeparatedList(list('rule')),
      disabledRuleIds: commaSeparatedList(list('disable')),
      listRules: flag('list-rules'),
      stats: flag('stats'),
      defines: list('D'),
      undefines: list('U'),
      exitZero,
      config: text('config'),
      summariesOut: text('summaries-out'),
      summariesIn: list('summaries-in'),
      shard: shard === undefined ? undefined : parseShard(shard),
      quiet: flag('quiet'),
      jobs: jobs === undefined ? undefined : parseJobs(jobs),
      cache: !flag('no-cache'),
      diff: text('diff'),
      staged: flag('staged'),
      patch: text('patch'),
      printConfig: flag('print-config'),
      compileCommands: text('compile-commands'),
      baseline: text('baseline'),
      writeBaseline: text('write-baseline'),
      allPrograms: flag('all-programs'),
    },
  };
}

/** `-DNAME=1` and `-UNAME` (compiler style, no space) become `-D NAME=1` and `-U NAME`. */
export function splitAttachedDefines(argv: readonly string[]): string[] {
  const result: string[] = [];
  let afterDoubleDash = false;
  for (const arg of argv) {
    if (afterDoubleDash) {
      result.push(arg);
      continue;
    }
    if (arg === '--') afterDoubleDash = true;
    const attached = /^-([DU])(.+)$/.exec(arg);
    if (attached && !afterDoubleDash) result.push(`-${attached[1]}`, attached[2]!);
    else result.push(arg);
  }
  return result;
}

/** -j N: a whole number from 1 up. */
export function parseJobs(value: string): number {
  if (!/^\d+$/.test(value.trim()) || Number(value) < 1 || Number(value) > 256) throw new UsageError(`--jobs: expected a number of worker threads from 1 to 256, got ${JSON.stringify(value)}`);
  return Number(value);
}

function commaSeparatedList(values: readonly string[]): string[] {
  return values
    .flatMap((item) => item.split(','))
    .map((item) => item.trim())
    .filter((item) => item.length > 0);
}

