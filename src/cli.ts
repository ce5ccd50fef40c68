// The command line: `vmalint [paths..]` analyses, `vmalint explain RULE` documents a rule,
// `vmalint merge FILE.sarif...` merges the SARIF logs of the shards of a run (`--shard K/N`).
// `main()` does everything but end the process, so that tests can run it in-process with their
// own streams; `runFromCommandLine()` (called by bin/vmalint) is the only place that touches the
// process's exit status.
import { readFileSync, statSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import v8 from 'node:v8';
import { allowHeapBound, BOUNDED_HEAP_FROM_FILES } from './run/heap-growth.js';
import { analyzeFiles, analyzeSources, findKernelRoot, type SourceInput } from './analyze.js';
import { changes, type ChangeBase } from './git.js';
import { installHook } from './install-hook.js';
import { applyBaseline, formatBaseline, loadBaseline } from './baseline.js';
import { analysisSetup, macroOptions, withConfiguredSeverity } from './project-options.js';
import { buildConfiguration, parseCompilerArguments, readCompileCommands, type CompilerCommand } from './kbuild.js';
import { onlyChangedLines, relativeToWorkingDirectory } from './changed-lines.js';
import { decodeSource, readSource } from './read-source.js';
import { calleeFiles } from './callee-files.js';
import { relevantNames } from './engine/demand-names.js';
import { allApis } from './kb/lock-api.js';
import { discoverFiles, shownPath } from './discover.js';
import { formatJson } from './report/json.js';
import { formatCheckpatch } from './report/checkpatch.js';
import { explainRule, formatRuleList } from './report/rules.js';
import { emptyRunResult, everyFileFailed } from './report/outcome.js';
import { withProgressLine } from './report/progress.js';
import { formatSarif, serializeSarifLog } from './report/sarif.js';
import type { SarifLog } from './report/sarif.js';
import { mergeSarifLogs, readSarifInputs, SarifMergeError } from './report/sarif-merge.js';
import { formatNotificationsText, formatStatsTable, formatText } from './report/text.js';
import { toolInfo } from './report/tool-info.js';
import { installRoot } from './install-root.js';
import type { RuleMeta } from './rules/rule.js';
import { allRules, everyRuleDemand } from './rules/index.js';
import { selectShard, shardRun, type ShardRun } from './shard.js';
import type { AnalyzeOptions, FileNotification, RunResult } from './types.js';
import { UsageError } from './usage-error.js';
import { parseCommandLine, type AnalyzeArguments, type MergeArguments, type OutputFormat } from './cli-arguments.js';
import { cacheDirectory } from './cache.js';
import { ConfigError, findConfig, formatSummaries, loadConfig, loadLockOrder, loadSummaryFiles, type ProjectConfig } from './kb/config.js';
import { minimatch } from 'minimatch';

export const EXIT_CLEAN = 0;
export const EXIT_FINDINGS = 1;
export const EXIT_USAGE = 2;

export { OUTPUT_FORMATS, splitAttachedDefines, parseJobs, type OutputFormat } from './cli-arguments.js';

/** Where the CLI writes and what it knows of its surroundings (the real process by default). */
export interface CliStream {
  write(text: string): unknown;
  isTTY?: boolean;
}

export interface CliEnvironment {
  stdout: CliStream;
  stderr: CliStream;
  env: Readonly<Record<string, string | undefined>>;
  /** Absolute working directory; SARIF locations are relative to it. */
  cwd: string;
  /** The run is the process's (bin/vmalint): it may set V8 flags for itself. */
  ownsProcess?: boolean;
}

export function processEnvironment(): CliEnvironment {
  return { stdout: process.stdout, stderr: process.stderr, env: process.env, cwd: process.cwd() };
}

/** Runs vmalint with the given arguments (without the node and script paths); returns the exit status. */
export async function main(argv: string[], environment: CliEnvironment = processEnvironment()): Promise<number> {
  try {
    const command = parseCommandLine(argv);
    switch (command.kind) {
      case 'print':
        environment.stdout.write(command.text.endsWith('\n') ? command.text : `${command.text}\n`);
        return EXIT_CLEAN;
      case 'explain':
        environment.stdout.write(explainRule(command.ruleId, command.format));
        return EXIT_CLEAN;
      case 'analyze':
        return await runAnalyze(command.args, environment);
      case 'merge':
        return await runMerge(command.args, environment);
      case 'kbuild':
        return await runKbuild(command, environment);
      case 'lsp': {
        // Loaded only for the server: the protocol library is not needed by the other commands.
        const { runLanguageServer } = await import('./lsp.js');
        if (environment.ownsProcess) boundHeapGrowth(true);
        runLanguageServer(environment.env);
        return await new Promise<number>(() => {});
      }
      case 'install-hook':
        environment.stdout.write(installHook(environment.cwd, command.force, process.execPath, path.join(installRoot(), 'bin', 'vmalint')));
        return EXIT_CLEAN;
    }
  } catch (error) {
    reportError(error, environment);
    return EXIT_USAGE;
  }
}

/** The flags the user gave node (on its command line or in NODE_OPTIONS). */
function nodeFlagsGiven(): string[] {
  return [...process.execArgv, ...(process.env.NODE_OPTIONS ?? '').split(/\s+/)];
}

/**
 * Lets the run bound its heap's growth (src/run/heap-growth.ts) unless the user chose a heap
 * setting of their own (node flags, NODE_OPTIONS); `now` for the language server.
 */
function boundHeapGrowth(now = false): void {
  if (nodeFlagsGiven().some((flag) => /^--(?:heap-growing-percent|heap_growing_percent|max-old-space-size|max_old_space_size|optimize-for-size)\b/.test(flag))) return;
  allowHeapBound(now);
}

/**
 * Below this much C source, V8's optimising compilation of the parser's WebAssembly costs a short
 * run more than it saves: one file of mm/ took 0.26 to 0.30 s with it, 0.17 to 0.18 s without (the
 * compilation runs while the file is parsed and holds the exit back); the whole of mm/ parses 1.3
 * to 1.7 times faster with it.
 */
const SHORT_RUN_BYTES = 1_000_000;

/** V8 set for the length of the run: a long one bounds its heap's growth, a short one keeps the parser at the baseline compiler. */
function tuneForRunLength(files: readonly string[]): void {
  // Bounded when the run reads or analyses that many files itself (src/run/heap-growth.ts).
  if (files.length >= BOUNDED_HEAP_FROM_FILES) boundHeapGrowth();
  compileParserForRunLength(files);
  optimiseWithoutInlining();
}

/**
 * V8's optimising compiler without inlining (unless the user chose an inlining flag). The
 * analysis has many hot functions of many shapes: V8 optimised about 760 of them on 6.12's mm/,
 * several again after a deoptimisation, and with inlining a compilation took up to 60 ms
 * (joinStates with what it calls): about a third of the run's CPU time was compiling, on a
 * thread beside the analysis (-j 1: 10.3 s of CPU for 6.8 s of wall; 10.4 s with the compiler
 * on the main thread). Without inlining, mm/ -j 1 takes 8.6 s of CPU, 5% less wall, -j 2 15%
 * less (each worker compiles the same functions again), the whole 7.2 tree 1.4 s less.
 */
function optimiseWithoutInlining(): void {
  if (nodeFlagsGiven().some((flag) => /^--(?:no-)?(?:turbo[-_]inlining|max[-_]inlined)/.test(flag))) return;
  v8.setFlagsFromString('--no-turbo-inlining');
}

/** A short run keeps the parser's WebAssembly at V8's baseline compiler (unless the user chose a wasm flag). */
function compileParserForRunLength(files: readonly string[]): void {
  if (nodeFlagsGiven().some((flag) => /^--(?:no-)?(?:liftoff|wasm)/.test(flag))) return;
  let bytes = 0;
  for (const file of files) {
    if (bytes > SHORT_RUN_BYTES) return;
    try {
      bytes += statSync(file).size;
    } catch {
      // An unreadable file is reported by the analysis.
    }
  }
  if (bytes <= SHORT_RUN_BYTES) v8.setFlagsFromString('--liftoff-only');
}

/** Entry point of bin/vmalint. */
export async function runFromCommandLine(): Promise<void> {
  process.stdout.on('error', ignoreBrokenPipe);
  // exitCode rather than exit(): a report piped to another program is flushed completely.
  process.exitCode = await main(process.argv.slice(2), { ...processEnvironment(), ownsProcess: true });
}

function ignoreBrokenPipe(error: NodeJS.ErrnoException): void {
  if (error.code !== 'EPIPE') throw error;
}

function reportError(error: unknown, environment: CliEnvironment): void {
  const message = error instanceof Error ? error.message : String(error);
  environment.stderr.write(`vmalint: ${message}\n`);
  if (!(error instanceof UsageError) && environment.env['VMALINT_DEBUG'] && error instanceof Error && error.stack) {
    environment.stderr.write(`${error.stack}\n`);
  }
}

// ---------------------------------------------------------------------------------------------
// Analysis


async function runAnalyze(args: AnalyzeArguments, environment: CliEnvironment): Promise<number> {
  let project: ProjectConfig | null = null;
  const options: AnalyzeOptions = {};
  try {
    const configFile = args.config !== undefined ? path.resolve(environment.cwd, args.config) : findConfig(environment.cwd);
    if (configFile) project = loadConfig(configFile, allRules().map((rule) => rule.meta.id));
    if (args.summariesOut !== undefined) options.exportSummaries = true;
    if (args.summariesIn.length) {
      const files = args.summariesIn.map((file) => path.resolve(environment.cwd, file));
      options.summariesIn = loadSummaryFiles(files);
      const lockOrder = loadLockOrder(files);
      if (lockOrder.length) options.lockOrderIn = lockOrder;
    }
  } catch (error) {
    if (error instanceof ConfigError) throw new UsageError(`${shownPath(environment.cwd, error.file)}: ${error.problem}`);
    throw error;
  }
  const { rules, selected: selectedRuleIds, options: projectOptions } = analysisSetup(project, args);
  if (args.listRules) {
    await writeReport(formatRuleList(rules, args.format), args.output, environment);
    return EXIT_CLEAN;
  }
  Object.assign(options, projectOptions);
  if (args.printConfig) {
    await writeReport(formatEffectiveConfig(project && { ...project, file: shownPath(environment.cwd, project.file) }, rules, selectedRuleIds, options), args.output, environment);
    return EXIT_CLEAN;
  }
  if (args.jobs !== undefined) options.jobs = args.jobs;
  const cacheDir = args.cache ? cacheDirectory(environment.env) : null;
  if (cacheDir) options.cacheDir = cacheDir;

  const baseline = args.baseline !== undefined ? loadBaseline(path.resolve(environment.cwd, args.baseline), args.baseline) : null;
  let result: RunResult;
  // With --shard, the shard's part of every file found (none is an empty run, not an error); its
  // SARIF log records the shard and the run's identity (src/shard.ts).
  let shard: ShardRun | undefined;
  const shardOf = (all: string[]): string[] => {
    if (!args.shard) return all;
    if (args.format === 'sarif') shard = shardRun({ shard: args.shard, version: toolInfo().version, workingDirectory: environment.cwd, files: all, summariesIn: args.summariesIn, baseline: args.baseline, options, rules, selected: selectedRuleIds });
    return selectShard(all, args.shard, environment.cwd);
  };
  if (args.diff !== undefined || args.staged || args.patch !== undefined) {
    result = await analyzeChanges(args, options, project, environment);
  } else if (args.compileCommands !== undefined) {
    const files = shardOf(filesOfCompileCommands(args, options, project, environment));
    if (environment.ownsProcess) tuneForRunLength(files);
    result = files.length > 0 ? await analyzeWithProgress((onProgress) => analyzeFiles(files, { ...options, kernelRoot: findKernelRoot(files) ?? false, onProgress }), args.quiet, environment) : emptyRunResult();
  } else {
    const { files: found, unlisted } = await filesToAnalyze(args.paths, environment, args.allPrograms);
    const discovered = keptByConfig(found, project, namedFiles(args.paths, environment.cwd));
    if (found.length && !discovered.length) environment.stderr.write(`vmalint: warning: every file found is left out by the include/exclude globs of ${shownPath(environment.cwd, project!.file)}\n`);
    const files = shardOf(discovered);
    if (environment.ownsProcess) tuneForRunLength(files);
    result = files.length > 0 ? await analyzeWithProgress((onProgress) => analyzeFiles(files, { ...options, onProgress }), args.quiet, environment) : emptyRunResult();
    // Never silently clean: what could not be listed is in every format's report (not cached).
    if (unlisted.length) result = { ...result, notifications: [...unlisted, ...result.notifications] };
  }
  // No absolute path in any report: a kernel header's, the cache's (src/changed-lines.ts).
  result = withConfiguredSeverity(relativeToWorkingDirectory(result, environment.cwd), rules);

  if (args.summariesOut !== undefined) await writeReport(formatSummaries(result.summaries, toolInfo().version, result.lockOrder), args.summariesOut, environment);
  // The baseline written holds every finding of the run; the one read takes its findings out.
  const recorded = result.findings.length;
  if (args.writeBaseline !== undefined) await writeReport(formatBaseline(result.findings, environment.cwd, `vmalint ${toolInfo().version}`), args.writeBaseline, environment);
  if (baseline) result = applyBaseline(result, baseline, environment.cwd);
  const color = args.output === undefined && wantsColor(environment);
  await writeReport(formatReport(result, args.format, rules, environment.cwd, color, shard), args.output, environment);
  // JSON and SARIF carry the notifications inside the report; the text report is findings only.
  if (args.format === 'text' || args.format === 'checkpatch') environment.stderr.write(formatNotificationsText(result.notifications, { color: wantsColor(environment, 'stderr') }));
  if (args.stats) environment.stderr.write(formatStatsTable(result.stats));
  // Writing a baseline is the adoption step: the findings it records are expected (exit 0).
  if (args.writeBaseline !== undefined) environment.stderr.write(`vmalint: wrote ${recorded} ${recorded === 1 ? 'entry' : 'entries'} to ${args.writeBaseline}\n`);
  const checkingChanges = args.diff !== undefined || args.staged || args.patch !== undefined;
  return exitStatus(result, args.exitZero || args.writeBaseline !== undefined, environment, checkingChanges);
}

/** --print-config: what the run would use, after the configuration file and the command line. */
function formatEffectiveConfig(project: ProjectConfig | null, rules: readonly RuleMeta[], selected: readonly string[] | undefined, options: AnalyzeOptions): string {
  const effective = {
    file: project?.file ?? null,
    rules: Object.fromEntries(rules.map((rule) => [rule.id, !selected || selected.includes(rule.id) ? rule.severity : 'off'])),
    include: project?.include ?? [],
    exclude: project?.exclude ?? [],
    defines: Object.fromEntries([...(options.defines ?? [])].sort()),
    undefines: [...(options.undefines ?? [])].sort(),
    functions: (project?.functions ?? []).map((entry) => entry.name),
  };
  return `${JSON.stringify(effective, null, 2)}\n`;
}

/**
 * The files found in directories (or changed in git) that the project's include and exclude globs
 * keep; the globs are relative to the configuration file's directory. Files named on the command
 * line are always kept.
 */
function keptByConfig(files: readonly string[], project: ProjectConfig | null, named: ReadonlySet<string>): string[] {
  if (!project || (!project.include.length && !project.exclude.length)) return [...files];
  const base = path.dirname(project.file);
  return files.filter((file) => {
    if (named.has(path.resolve(file))) return true;
    const relative = path.relative(base, path.resolve(file)).split(path.sep).join('/');
    if (project.include.length && !project.include.some((glob) => minimatch(relative, glob, { dot: true }))) return false;
    return !project.exclude.some((glob) => minimatch(relative, glob, { dot: true }));
  });
}

/** The paths given on the command line that are files (always analysed, whatever the globs say). */
function namedFiles(paths: readonly string[], cwd: string): Set<string> {
  const out = new Set<string>();
  for (const p of paths) {
    const file = path.resolve(cwd, p);
    try {
      if (statSync(file).isFile()) out.add(file);
    } catch {
      // Reported by discovery.
    }
  }
  return out;
}

/** An analysis with the progress line on stderr (erased before returning or throwing). */
async function analyzeWithProgress(
  analyse: (onProgress: AnalyzeOptions['onProgress']) => Promise<RunResult>,
  quiet: boolean,
  environment: CliEnvironment,
): Promise<RunResult> {
  return withProgressLine(environment.stderr, environment.env, quiet, analyse);
}

// ---------------------------------------------------------------------------------------------
// The kernel build: --kbuild (its checker) and -p compile_commands.json

/**
 * `vmalint --kbuild [--kbuild-werror] COMPILER-FLAGS... FILE.c`, as `make C=1 CHECK="vmalint --kbuild"`
 * runs it: the build's configuration decides the #ifdefs (src/kbuild.ts); findings are written
 * gcc-style on stderr, where the build shows its compiler's warnings, and the exit status is 0 (the
 * build goes on) unless --kbuild-werror and there are findings.
 */
async function runKbuild(command: { werror: boolean; compiler: string[] }, environment: CliEnvironment): Promise<number> {
  const compiler = parseCompilerArguments(command.compiler, environment.cwd);
  if (!compiler.files.length) throw new UsageError('--kbuild: no .c file among the arguments (CHECK="vmalint --kbuild" is given the compiler flags and the file)');
  const files = compiler.files.map((f) => path.resolve(environment.cwd, f));
  if (environment.ownsProcess) tuneForRunLength(files);
  const result = await analyzeFiles(files, { ...compilerOptions(compiler, environment), kernelRoot: findKernelRoot(files) ?? false });
  const shown = relativeToWorkingDirectory(result, environment.cwd);
  environment.stderr.write(formatText(shown, { color: false }));
  environment.stderr.write(formatNotificationsText(shown.notifications, { color: false }));
  return command.werror && result.findings.length ? EXIT_FINDINGS : EXIT_CLEAN;
}

/** The analysis options of a compiler command: its macros and, when found, the build's whole configuration. */
function compilerOptions(compiler: CompilerCommand, environment: CliEnvironment): AnalyzeOptions {
  const configuration = buildConfiguration(compiler);
  const defines = [...(configuration ? [...configuration.values].map(([k, v]) => `${k}=${v}`) : []), ...compiler.defines.filter((d) => /^[A-Za-z_]\w*(=|$)/.test(d))];
  const options: AnalyzeOptions = { ...macroOptions(defines, compiler.undefines.filter((u) => /^[A-Za-z_]\w*$/.test(u))), jobs: 1 };
  if (configuration) options.completeConfig = true;
  else environment.stderr.write('vmalint: warning: no generated/autoconf.h among the include directories: CONFIG_ options are left undecided (run it from the kernel build: make C=1 CHECK="vmalint --kbuild")\n');
  const cacheDir = cacheDirectory(environment.env);
  if (cacheDir) options.cacheDir = cacheDir;
  return options;
}

/**
 * -p FILE: the database's C files (those under the paths given, when there are some, and kept by
 * the project's globs), and into `options`, the build's configuration and the macros every entry
 * defines (the command line's -D and -U still win).
 */
function filesOfCompileCommands(args: AnalyzeArguments, options: AnalyzeOptions, project: ProjectConfig | null, environment: CliEnvironment): string[] {
  const under = args.paths.map((p) => path.resolve(environment.cwd, p));
  const inPaths = (f: string): boolean => !under.length || under.some((dir) => f === dir || f.startsWith(`${dir}${path.sep}`));
  const all = readCompileCommands(path.resolve(environment.cwd, args.compileCommands!), args.compileCommands);
  const kept = new Set(keptByConfig(all.map((e) => e.files[0]!).filter(inPaths), project, new Set()));
  const entries = all.filter((e) => kept.has(e.files[0]!));
  // The build's configuration from an entry that includes it (host tools built on the way do not),
  // and the macros every entry analysed defines.
  const configured = entries.find((e) => buildConfiguration(e)) ?? entries[0];
  if (!configured) return [];
  const common: CompilerCommand = { ...configured, defines: configured.defines.filter((d) => entries.every((e) => e.defines.includes(d))), undefines: configured.undefines.filter((u) => entries.every((e) => e.undefines.includes(u))) };
  const fromBuild = compilerOptions(common, environment);
  // The command line's -D and -U win.
  const defines = new Map([...(fromBuild.defines ?? []), ...(options.defines ?? [])]);
  for (const u of options.undefines ?? []) defines.delete(u);
  const undefines = new Set([...(fromBuild.undefines ?? [])].filter((u) => !options.defines?.has(u)).concat([...(options.undefines ?? [])]));
  Object.assign(options, { defines, undefines, completeConfig: fromBuild.completeConfig });
  return entries.map((e) => e.files[0]!);
}

// ---------------------------------------------------------------------------------------------
// Changed lines: --diff REV, --staged, --patch FILE

/** The text of --patch FILE, or of standard input for `-`. */
function readPatch(file: string, environment: CliEnvironment): Buffer {
  try {
    return readFileSync(file === '-' ? 0 : path.resolve(environment.cwd, file));
  } catch (err) {
    throw new UsageError(`--patch: cannot read ${file === '-' ? 'standard input' : file}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`);
  }
}

/**
 * --diff REV and --staged: the C files changed against REV (the working tree's) or in the index
 * (their staged content, not the working file's), analysed whole; only the findings on a changed
 * line or whose trace passes through one are reported, with paths relative to the working
 * directory.
 */
async function analyzeChanges(args: AnalyzeArguments, options: AnalyzeOptions, project: ProjectConfig | null, environment: CliEnvironment): Promise<RunResult> {
  const given = [args.diff !== undefined && '--diff', args.staged && '--staged', args.patch !== undefined && '--patch'].filter((o): o is string => !!o);
  if (given.length > 1) throw new UsageError(`${given.join(' and ')} do not go together`);
  const what = given[0]!;
  if (args.diff !== undefined && args.diff.includes('..')) throw new UsageError(`--diff takes one revision, the working tree is compared with it (got ${args.diff})`);
  if (args.shard) throw new UsageError(`${what} does not go with --shard`);
  const base: ChangeBase = args.patch !== undefined ? { kind: 'patch', text: readPatch(args.patch, environment) } : args.staged ? { kind: 'staged' } : { kind: 'revision', revision: args.diff! };
  const { root, lines, contents } = changes(environment.cwd, base, args.paths, what);
  const files = keptByConfig([...lines.keys()].sort(), project, new Set());
  if (!files.length) return emptyRunResult();
  if (environment.ownsProcess) tuneForRunLength(files);
  const kernelRoot = findKernelRoot(files) ?? false;
  // What the changed functions call in the repository's other files is read for its summaries.
  const changedTexts = new Map<string, { text: string; lines: ReadonlySet<number> }>();
  for (const file of files) {
    const got = contents ? decodeSource(contents.get(file)!) : ((r) => ('text' in r ? r.text : null))(readSource(file));
    if (got !== null) changedTexts.set(file, { text: got, lines: lines.get(file)! });
  }
  const names = relevantNames([...allApis(), ...(options.config ?? [])], everyRuleDemand());
  const knownRelevant = (name: string): boolean => names.lockNames.has(name) || names.insideNames.has(name);
  const context: AnalyzeOptions = { ...options, kernelRoot, contextFiles: calleeFiles(root, changedTexts, options.cacheDir ?? null, knownRelevant).files };
  let result: RunResult;
  if (contents) {
    const sources: SourceInput[] = [];
    const skipped: FileNotification[] = [];
    for (const file of files) {
      const text = changedTexts.get(file)?.text;
      if (text === undefined) skipped.push({ file, level: 'error', message: 'binary file, not C source: skipped' });
      else sources.push({ path: file, text });
    }
    result = await analyzeWithProgress((onProgress) => analyzeSources(sources, { ...context, onProgress }), args.quiet, environment);
    result.notifications.unshift(...skipped);
  } else {
    result = await analyzeWithProgress((onProgress) => analyzeFiles(files, { ...context, onProgress }), args.quiet, environment);
  }
  return relativeToWorkingDirectory(onlyChangedLines(result, lines, environment.cwd), environment.cwd);
}

/** The files the paths given hold, and a notification for each directory under them that could not be listed. */
async function filesToAnalyze(paths: string[], environment: CliEnvironment, allPrograms: boolean): Promise<{ files: string[]; unlisted: FileNotification[] }> {
  if (paths.length === 0) throw new UsageError('no files or directories given (try: vmalint ./linux/mm, or vmalint --help)');
  const discovery = await discoverFiles(paths, { allPrograms });
  for (const directory of discovery.directoriesWithoutCFiles) {
    environment.stderr.write(`vmalint: warning: ${directory}: no C files (*.c, *.h) in this directory\n`);
  }
  const unlisted = discovery.unreadableDirectories.map(({ directory, reason }): FileNotification => ({ file: directory, level: 'error', message: `directory could not be listed (${reason}): the C files in it were not analysed` }));
  if (discovery.files.length === 0) {
    const first = discovery.unreadableDirectories[0];
    throw new UsageError(first ? `nothing to analyse: ${first.directory} could not be listed (${first.reason})` : 'nothing to analyse: no C files found');
  }
  return { files: discovery.files, unlisted };
}

/** Colour on a terminal, unless NO_COLOR is set to anything but the empty string. */
export function wantsColor(environment: CliEnvironment, stream: 'stdout' | 'stderr' = 'stdout'): boolean {
  const noColor = environment.env['NO_COLOR'];
  return environment[stream].isTTY === true && (noColor === undefined || noColor === '');
}

export function formatReport(
  result: RunResult,
  format: OutputFormat,
  rules: readonly RuleMeta[],
  workingDirectory: string,
  color: boolean,
  shard?: ShardRun,
): string {
  switch (format) {
    case 'text':
      return formatText(result, { color });
    case 'json':
      return formatJson(result, toolInfo());
    case 'sarif':
      return formatSarif(result, rules, toolInfo(), { workingDirectory, shard });
    case 'checkpatch':
      return formatCheckpatch(result);
  }
}

async function writeReport(report: string, output: string | undefined, environment: CliEnvironment): Promise<void> {
  if (output === undefined) {
    if (report.length > 0) environment.stdout.write(report);
    return;
  }
  try {
    await writeFile(path.resolve(environment.cwd, output), report, 'utf8');
  } catch (error) {
    const reason = (error as NodeJS.ErrnoException).code ?? (error instanceof Error ? error.message : String(error));
    throw new UsageError(`cannot write ${output}: ${reason}`);
  }
}

// ---------------------------------------------------------------------------------------------
// Merge

/**
 * `vmalint merge FILE.sarif... [-o OUT]`: one log from the shards' logs; exit 1 when it has
 * results (unless --exit-zero), as the analysis would have.
 */
async function runMerge(args: MergeArguments, environment: CliEnvironment): Promise<number> {
  let merged: SarifLog;
  try {
    merged = mergeSarifLogs(await readSarifInputs(args.files, environment.cwd));
  } catch (error) {
    if (error instanceof SarifMergeError) throw new UsageError(error.message);
    throw error;
  }
  await writeReport(serializeSarifLog(merged), args.output, environment);
  return merged.runs[0].results.length > 0 && !args.exitZero ? EXIT_FINDINGS : EXIT_CLEAN;
}

/**
 * 2 when nothing could be analysed, or, checking a change (a gate: the hook, a patch), when one of
 * the changed files could not be: the change was not checked. 1 with findings, else 0.
 */
function exitStatus(result: RunResult, exitZero: boolean, environment: CliEnvironment, checkingChanges = false): number {
  if (everyFileFailed(result.stats)) {
    environment.stderr.write(`vmalint: none of the ${result.stats.files} files could be analysed\n`);
    return EXIT_USAGE;
  }
  const unanalyzed = new Set(result.notifications.filter((n) => n.level === 'error').map((n) => n.file));
  if (checkingChanges && unanalyzed.size) {
    environment.stderr.write(`vmalint: ${[...unanalyzed].join(', ')}: could not be analysed (above): the change is not checked\n`);
    return EXIT_USAGE;
  }
  if (result.findings.length > 0 && !exitZero) return EXIT_FINDINGS;
  return EXIT_CLEAN;
}
