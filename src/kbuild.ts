// The kernel build's checker interface: `make C=1 CHECK="vmalint --kbuild"` runs the checker as
// `$(CHECK) $(CHECKFLAGS) $(c_flags) file.c`, with the compiler's flags, in the object tree; and
// `make compile_commands.json` writes the same flags for every file (`vmalint -p FILE`). From the
// flags vmalint takes the macros (-D, -U), and through the include directories and the `-include`d
// include/linux/kconfig.h, the build's configuration: include/generated/autoconf.h, whose CONFIG_
// values decide #ifdef, #if and IS_ENABLED() inside functions (an option it does not define is not
// set). Every other flag is read past.

import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { UsageError } from './usage-error.js';

/** What vmalint takes from a compiler command line. */
export interface CompilerCommand {
  /** The directory the command runs in (paths of the command are relative to it). */
  directory: string;
  files: string[];
  defines: string[];
  undefines: string[];
  /** -I, -isystem, -idirafter, -iquote directories, in order. */
  includeDirs: string[];
  /** -include files. */
  includes: string[];
}

/** Compiler options whose value is the next argument when it is not attached. */
const TAKES_VALUE = new Set(['-o', '-I', '-D', '-U', '-include', '-imacros', '-isystem', '-idirafter', '-iquote', '-iprefix', '-iwithprefix', '-MF', '-MT', '-MQ', '-x', '-Xpreprocessor', '-Xassembler', '-Xlinker', '--param', '-aux-info', '-L']);

/** Reads a compiler command line (without the compiler): macros, include paths, C files. */
export function parseCompilerArguments(args: readonly string[], directory: string): CompilerCommand {
  const out: CompilerCommand = { directory, files: [], defines: [], undefines: [], includeDirs: [], includes: [] };
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    const value = (option: string): string | null => {
      if (arg === option) return args[++i] ?? null;
      return arg.startsWith(option) && option.length <= 2 ? arg.slice(option.length) : null;
    };
    if (arg.startsWith('-D')) {
      const v = value('-D');
      if (v) out.defines.push(v);
    } else if (arg.startsWith('-U')) {
      const v = value('-U');
      if (v) out.undefines.push(v);
    } else if (arg.startsWith('-I')) {
      const v = value('-I');
      if (v) out.includeDirs.push(v);
    } else if (arg === '-isystem' || arg === '-idirafter' || arg === '-iquote') {
      const v = args[++i];
      if (v) out.includeDirs.push(v);
    } else if (arg === '-include') {
      const v = args[++i];
      if (v) out.includes.push(v);
    } else if (TAKES_VALUE.has(arg)) {
      i++;
    } else if (!arg.startsWith('-') && /\.c$/.test(arg)) {
      out.files.push(arg);
    }
    // Anything else (-W..., -f..., -m..., -O2, -std=..., -nostdinc, -Wp,-MMD,...) does not matter here.
  }
  return out;
}

/** The CONFIG_ values of an autoconf.h (`#define CONFIG_X 1`, `#define CONFIG_X_MODULE 1`, strings, numbers). */
export function parseAutoconf(text: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const m of text.matchAll(/^#define[ \t]+(CONFIG_\w+)[ \t]+(.*?)[ \t]*$/gm)) out.set(m[1]!, m[2]!);
  return out;
}

/**
 * The build's configuration: generated/autoconf.h found in the command's include directories (as
 * kconfig.h's `#include <generated/autoconf.h>` finds it), or null when there is none.
 */
export function buildConfiguration(command: CompilerCommand): { file: string; values: Map<string, string> } | null {
  const dirs = [...command.includeDirs, ...command.includes.map((f) => path.dirname(path.dirname(f)))];
  for (const dir of dirs) {
    const file = path.resolve(command.directory, dir, 'generated', 'autoconf.h');
    if (existsSync(file)) return { file, values: parseAutoconf(readFileSync(file, 'utf8')) };
  }
  return null;
}

interface CompileCommandEntry {
  directory: string;
  file: string;
  arguments?: string[];
  command?: string;
}

/** Splits a shell command line as the compile database writes it (quotes and backslashes). */
function shellWords(command: string): string[] {
  const words: string[] = [];
  let word = '';
  let quote: string | null = null;
  let started = false;
  for (let i = 0; i < command.length; i++) {
    const ch = command[i]!;
    if (quote) {
      if (ch === quote) quote = null;
      else if (ch === '\\' && quote === '"' && i + 1 < command.length) word += command[++i];
      else word += ch;
    } else if (ch === '"' || ch === "'") {
      quote = ch;
      started = true;
    } else if (ch === '\\' && i + 1 < command.length) {
      word += command[++i];
      started = true;
    } else if (/\s/.test(ch)) {
      if (started) words.push(word);
      word = '';
      started = false;
    } else {
      word += ch;
      started = true;
    }
  }
  if (started) words.push(word);
  return words;
}

/** The C files of a compile_commands.json, each with its command (-p FILE). */
export function readCompileCommands(file: string, shown = file): CompilerCommand[] {
  let entries: unknown;
  try {
    entries = JSON.parse(readFileSync(file, 'utf8'));
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    throw new UsageError(`-p: ${shown}: ${e.code === 'ENOENT' ? 'no such file' : e instanceof SyntaxError ? `not JSON (${e.message})` : (e.code ?? e.message)}`);
  }
  if (!Array.isArray(entries)) throw new UsageError(`-p: ${shown}: not a compilation database (expected a list of { directory, file, arguments or command })`);
  return entries.flatMap((raw: unknown, i) => {
    const e = raw as Partial<CompileCommandEntry>;
    if (!e || typeof e.directory !== 'string' || typeof e.file !== 'string' || !(Array.isArray(e.arguments) || typeof e.command === 'string')) {
      throw new UsageError(`-p: ${shown}: [${i}]: expected directory, file, and arguments or command`);
    }
    if (!/\.c$/.test(e.file)) return [];
    const words = Array.isArray(e.arguments) ? e.arguments.map(String) : shellWords(e.command!);
    const command = parseCompilerArguments(words.slice(1), e.directory);
    command.files = [path.resolve(e.directory, e.file)];
    return [command];
  });
}
