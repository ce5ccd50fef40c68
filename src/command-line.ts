// A command line described by a table, read with node:util's parseArgs, and the --help text made
// from the same table. (It replaced yargs, whose import alone took 66 to 87 ms of the 300 ms a
// one-file run may take.) Errors are UsageErrors naming the option as it was typed
// (`unknown option --staeged (did you mean --staged?)`).

import { parseArgs } from 'node:util';
import { UsageError } from './usage-error.js';

export interface OptionSpec {
  /** The long name (`--name`); a one-letter name is the short option itself (`-D`). */
  name: string;
  /** Other spellings: a one-letter alias (`-f` for --format) or a long one (`--define` for -D). */
  aliases?: readonly string[];
  type: 'string' | 'boolean';
  /** May be given more than once (its values are collected in order). */
  repeatable?: boolean;
  choices?: readonly string[];
  default?: string;
  /** The value's placeholder in the help (`FILE`, `N`). */
  value?: string;
  describe: string;
}

export interface CommandSpec {
  /** The first word that selects the command (null: the default command). */
  name: string | null;
  /** The positional arguments: `<rule>` (one, required), `<files..>` (one or more), `[paths..]` (any); none when absent. */
  positional?: { name: string; required: boolean; variadic: boolean; describe: string };
  describe: string;
  options: readonly OptionSpec[];
}

export interface ProgramSpec {
  name: string;
  version: string;
  usage: string;
  commands: readonly CommandSpec[];
  epilogue: string;
}

export type ParsedCommand =
  | { kind: 'help'; text: string }
  | { kind: 'version'; text: string }
  | { kind: 'run'; command: CommandSpec; positionals: string[]; values: Map<string, string | boolean | string[]> };

const HELP: OptionSpec = { name: 'help', aliases: ['h'], type: 'boolean', describe: 'Show help' };
const VERSION: OptionSpec = { name: 'version', type: 'boolean', describe: 'Show version number' };

/** Reads `argv` (without node and the script) as one of the program's commands. */
export function parseCommand(program: ProgramSpec, argv: readonly string[]): ParsedCommand {
  const command = program.commands.find((c) => c.name !== null && c.name === argv[0]) ?? program.commands.find((c) => c.name === null)!;
  const args = command.name === null ? [...argv] : argv.slice(1);
  const specs = [...command.options, HELP, VERSION];
  // Every spelling: parseArgs knows an option by a long name, with at most one letter for it.
  const byName = new Map<string, OptionSpec>();
  const config: Record<string, { type: 'string' | 'boolean'; short?: string }> = {};
  for (const spec of specs) {
    const spellings = [spec.name, ...(spec.aliases ?? [])];
    const longs = spellings.filter((s) => s.length > 1);
    const short = spellings.find((s) => s.length === 1);
    for (const s of spellings) byName.set(s, spec);
    if (!longs.length) config[short!] = { type: spec.type, short };
    longs.forEach((long, i) => (config[long] = i === 0 && short ? { type: spec.type, short } : { type: spec.type }));
  }
  let tokens;
  try {
    ({ tokens } = parseArgs({ args, options: config, allowPositionals: true, strict: false, tokens: true }));
  } catch (err) {
    throw new UsageError(err instanceof Error ? err.message : String(err));
  }
  const values = new Map<string, string | boolean | string[]>();
  const positionals: string[] = [];
  for (const token of tokens) {
    if (token.kind === 'positional') {
      positionals.push(token.value);
      continue;
    }
    if (token.kind !== 'option') continue;
    const spec = byName.get(token.name);
    if (!spec) throw new UsageError(unknownOption(token.rawName, token.name, command, program));
    if (spec.type === 'boolean') {
      if (token.inlineValue) throw new UsageError(`${token.rawName} takes no value`);
      values.set(spec.name, true);
      continue;
    }
    // A string option's value is the next argument unless that is an option itself.
    const value = token.value;
    if (value === undefined || (!token.inlineValue && value.startsWith('-') && value !== '-')) {
      throw new UsageError(`${token.rawName} needs a value${spec.value ? ` (${spec.value})` : ''}`);
    }
    if (spec.choices && !spec.choices.includes(value)) {
      throw new UsageError(`${token.rawName}: '${value}' is not one of ${spec.choices.map((c) => `"${c}"`).join(', ')}`);
    }
    const before = values.get(spec.name);
    if (spec.repeatable) values.set(spec.name, [...((before as string[] | undefined) ?? []), value]);
    else if (before === undefined) values.set(spec.name, value);
    else throw new UsageError(`${token.rawName} may be given once only`);
  }
  if (values.get('help')) return { kind: 'help', text: formatHelp(program) };
  if (values.get('version')) return { kind: 'version', text: program.version };
  for (const spec of command.options) if (spec.default !== undefined && !values.has(spec.name)) values.set(spec.name, spec.default);
  const { positional } = command;
  if (!positional) {
    if (positionals.length) throw new UsageError(`${command.name ?? program.name} takes no arguments (got ${positionals.join(' ')})`);
    return { kind: 'run', command, positionals, values };
  }
  if (positional.required && positionals.length === 0) {
    throw new UsageError(`${command.name ?? program.name}: ${positional.variadic ? 'at least one' : 'one'} ${positional.name.replace(/s$/, '')} expected (${program.name}${command.name ? ` ${command.name}` : ''} ${shape(command)})`);
  }
  if (!positional.variadic && positionals.length > 1) throw new UsageError(`${command.name ?? program.name}: one ${positional.name} expected, got ${positionals.length}: ${positionals.join(' ')}`);
  return { kind: 'run', command, positionals, values };
}

/**
 * `unknown option --NAME`, with the command's option closest to it (`did you mean --staged?`), or
 * else the command that has it (`an option of vmalint [paths..], not of vmalint merge`).
 */
function unknownOption(rawName: string, name: string, command: CommandSpec, program: ProgramSpec): string {
  const suggestion = closestOption(name, [...command.options, HELP, VERSION]);
  if (suggestion) return `unknown option ${rawName} (did you mean ${suggestion}?)`;
  const owner = program.commands.find((c) => c !== command && c.options.some((o) => o.name === name || o.aliases?.includes(name)));
  return `unknown option ${rawName}${owner ? ` (an option of ${commandUsage(program, owner)}, not of ${command.name ? `${program.name} ${command.name}` : commandUsage(program, command)})` : ''}`;
}

/**
 * The spelling (`--staged`, `-D`) of the option closest to `name`: within an edit distance of a
 * third of its length (a letter left out, added, changed or two swapped count one each; case does
 * not count), or else the one option it begins (`--stag`). Null when none is that close.
 */
export function closestOption(name: string, options: readonly OptionSpec[]): string | null {
  const typed = name.toLowerCase();
  const spellings = options.flatMap((o) => [o.name, ...(o.aliases ?? [])].map((s) => ({ spec: o, s })));
  let best: { s: string; distance: number } | null = null;
  for (const { s } of spellings) {
    const distance = editDistance(typed, s.toLowerCase());
    if (distance <= Math.floor(typed.length / 3) && (!best || distance < best.distance)) best = { s, distance };
  }
  if (!best && typed.length >= 3) {
    const begun = spellings.filter(({ s }) => s.length > 1 && s.toLowerCase().startsWith(typed));
    if (new Set(begun.map(({ spec }) => spec)).size === 1) best = { s: begun[0]!.s, distance: 0 };
  }
  return best ? `${best.s.length === 1 ? '-' : '--'}${best.s}` : null;
}

/** Optimal string alignment distance: insertions, deletions, substitutions and adjacent swaps. */
function editDistance(a: string, b: string): number {
  const d: number[][] = Array.from({ length: a.length + 1 }, (_, i) => Array.from({ length: b.length + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)));
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      d[i]![j] = Math.min(d[i - 1]![j]! + 1, d[i]![j - 1]! + 1, d[i - 1]![j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) d[i]![j] = Math.min(d[i]![j]!, d[i - 2]![j - 2]! + 1);
    }
  }
  return d[a.length]![b.length]!;
}

/** `vmalint`, `vmalint explain <rule>`, `vmalint [paths..]`. */
function commandUsage(program: ProgramSpec, command: CommandSpec): string {
  return [program.name, command.name, shape(command)].filter(Boolean).join(' ');
}

/** `<rule>`, `<files..>`, `[paths..]`. */
function shape(command: CommandSpec): string {
  if (!command.positional) return '';
  const { name, required, variadic } = command.positional;
  const inner = `${name}${variadic ? '..' : ''}`;
  return required ? `<${inner}>` : `[${inner}]`;
}

/** Lines of `left  right` with the right column aligned and wrapped at `width`. */
function table(rows: readonly [string, string][], width = 80): string[] {
  const leftWidth = Math.min(32, Math.max(...rows.map(([left]) => left.length))) + 2;
  const out: string[] = [];
  for (const [left, right] of rows) {
    const words = right.split(/\s+/);
    const lines: string[] = [];
    let line = '';
    for (const word of words) {
      if (line && 2 + leftWidth + line.length + 1 + word.length > width) {
        lines.push(line);
        line = word;
      } else line = line ? `${line} ${word}` : word;
    }
    lines.push(line);
    const first = left.length + 2 > leftWidth ? [`${left}`, ...lines.map((l) => ' '.repeat(leftWidth) + l)] : [left.padEnd(leftWidth) + lines[0], ...lines.slice(1).map((l) => ' '.repeat(leftWidth) + l)];
    out.push(...first.map((l) => `  ${l}`.trimEnd()));
  }
  return out;
}

function optionLabel(spec: OptionSpec): string {
  const spellings = [spec.name, ...(spec.aliases ?? [])].sort((a, b) => a.length - b.length).map((s) => (s.length === 1 ? `-${s}` : `--${s}`));
  return `${spellings.join(', ')}${spec.type === 'string' ? ` ${spec.value ?? 'VALUE'}` : ''}`;
}

function optionText(spec: OptionSpec): string {
  const extra = [spec.choices ? `one of: ${spec.choices.join(', ')}` : '', spec.default !== undefined ? `default: ${spec.default}` : ''].filter(Boolean);
  return `${spec.describe}${extra.length ? ` (${extra.join('; ')})` : ''}`;
}

/** The --help text: usage, the commands, each command's options, the epilogue. */
export function formatHelp(program: ProgramSpec): string {
  const out = [program.usage, '', 'Commands:'];
  const usage = (c: CommandSpec): string => commandUsage(program, c);
  out.push(...table(program.commands.map((c) => [usage(c), c.describe])));
  for (const c of program.commands) {
    out.push('', `Options of ${usage(c)}:`);
    const rows: [string, string][] = c.positional ? [[shape(c), c.positional.describe]] : [];
    out.push(...table([...rows, ...c.options.map((o): [string, string] => [optionLabel(o), optionText(o)])]));
  }
  out.push('', 'Every command:', ...table([HELP, VERSION].map((o): [string, string] => [optionLabel(o), o.describe])));
  out.push('', program.epilogue);
  return `${out.join('\n')}\n`;
}
