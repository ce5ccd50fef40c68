// The values of named integer constants (`#define VM_FAULT_BADACCESS ((__force vm_fault_t)0x020000)`,
// `enum vm_fault_reason { VM_FAULT_OOM = (__force vm_fault_t)0x000001, ... }`), read from C text:
// the file under analysis and the tree's mm headers. With them the dataflow decides a bit test
// of a variable that was assigned a named constant (`fault = VM_FAULT_BADACCESS; ...
// if (fault & VM_FAULT_RETRY)` is never taken) instead of taking both ways.
//
// Only what an integer constant expression of literals, casts and other such names gives is
// read; a definition with anything else (a call, a variable, a string) has no value.

/** Name -> the text of its definition. */
export type ConstantDefinitions = Map<string, string>;

const NAME = /^[A-Z_][A-Z0-9_]*$/;

/** The `#define NAME value` and enumerator definitions of a C text whose names are in constant style. */
export function readConstantDefinitions(text: string): ConstantDefinitions {
  const out: ConstantDefinitions = new Map();
  if (!text.includes('#') && !text.includes('enum')) return out;
  const clean = blankBlockComments(text).replace(/\/\/[^\n]*/g, '');
  // Object-like macros (a function-like one has `(` right after its name).
  for (const m of clean.matchAll(/^[ \t]*#[ \t]*define[ \t]+([A-Z_][A-Z0-9_]*)(?![\w(])[ \t]*((?:[^\n\\]|\\\n|\\)*)/gm)) {
    const value = m[2]!.replace(/\\\n/g, ' ').trim();
    if (value && !out.has(m[1]!)) out.set(m[1]!, value);
  }
  // Enumerators: `NAME = expr` or `NAME` (the previous one plus 1).
  for (const m of clean.matchAll(/\benum\b[\w\s]*\{([^{}]*)\}/g)) {
    let previous: string | null = null;
    for (const item of splitTopLevel(m[1]!)) {
      const e = /^\s*([A-Za-z_]\w*)\s*(?:=\s*([\s\S]+?))?\s*$/.exec(item);
      if (!e) {
        previous = null;
        continue;
      }
      const [, name, value] = e;
      const definition = value ?? (previous === null ? '0' : `(${previous}) + 1`);
      if (NAME.test(name!) && !out.has(name!)) out.set(name!, definition);
      previous = name!;
    }
  }
  return out;
}

/**
 * The text with each block comment's characters but its line breaks made spaces: what
 * `text.replace(/\/\*[\s\S]*?\*\//g, (c) => c.replace(/[^\n]/g, ' '))` gives (an unterminated
 * comment is left), ten times faster on mm.h (7 ms of a pre-commit hook's run, every run).
 */
export function blankBlockComments(text: string): string {
  let out = '';
  let done = 0;
  for (;;) {
    const start = text.indexOf('/*', done);
    if (start < 0) break;
    const end = text.indexOf('*/', start + 2);
    if (end < 0) break;
    out += text.slice(done, start);
    const stop = end + 2;
    let from = start;
    for (let nl = text.indexOf('\n', from); nl >= 0 && nl < stop; nl = text.indexOf('\n', from)) {
      out += `${' '.repeat(nl - from)}\n`;
      from = nl + 1;
    }
    out += ' '.repeat(stop - from);
    done = stop;
  }
  return out + text.slice(done);
}

/** The items of an enum body, split at commas outside parentheses. */
function splitTopLevel(body: string): string[] {
  const items: string[] = [];
  let depth = 0;
  let start = 0;
  for (let i = 0; i < body.length; i++) {
    const c = body[i];
    if (c === '(') depth++;
    else if (c === ')') depth--;
    else if (c === ',' && depth === 0) {
      items.push(body.slice(start, i));
      start = i + 1;
    }
  }
  if (body.slice(start).trim()) items.push(body.slice(start));
  return items;
}

/** Values of named constants, looked up in the definitions given, the first that has the name winning. */
export class NamedConstants {
  private readonly values = new Map<string, bigint | null>();

  constructor(private readonly sources: readonly ReadonlyMap<string, string>[]) {}

  /** The value of `name`, or undefined when it has no integer definition here. */
  value(name: string): bigint | undefined {
    const known = this.values.get(name);
    if (known !== undefined) return known ?? undefined;
    this.values.set(name, null); // a definition that refers to itself has no value
    let v: bigint | null = null;
    for (const s of this.sources) {
      const text = s.get(name);
      if (text === undefined) continue;
      v = this.evaluate(text);
      break;
    }
    this.values.set(name, v);
    return v ?? undefined;
  }

  /** The value of an expression's text: a literal, a named constant, or null. */
  evaluate(text: string): bigint | null {
    try {
      return new ConstantExpression(text, (n) => this.value(n)).parse();
    } catch {
      return null;
    }
  }
}

const TOKEN = /\s*(0[xX][0-9a-fA-F]+|\d+|[A-Za-z_]\w*|<<|>>|[-+*~|&^()!])/y;
/** Type words of a cast: `(__force vm_fault_t)`, `(unsigned long)`, `(u64)`. */
const TYPE_WORD = /^(?:__force|unsigned|signed|long|int|short|char|const|[a-z_][a-z0-9_]*_t|u8|u16|u32|u64|s8|s16|s32|s64|__u8|__u16|__u32|__u64)$/;
/** Kernel macros of one bit: BIT(n), BIT_ULL(n), _BITUL(n), _BITULL(n). */
const BIT_MACROS = new Set(['BIT', 'BIT_ULL', '_BITUL', '_BITULL']);
const MASK = (1n << 64n) - 1n;

class NotConstant extends Error {}

/** A recursive-descent reader of an integer constant expression (|, ^, &, <<, >>, +, -, *, ~, !, casts). */
class ConstantExpression {
  private readonly tokens: string[] = [];
  private at = 0;

  constructor(text: string, private readonly lookup: (name: string) => bigint | undefined) {
    TOKEN.lastIndex = 0;
    let m: RegExpExecArray | null;
    let end = 0;
    while ((m = TOKEN.exec(text))) {
      // Integer suffixes (UL, ULL, U, L) belong to the number before them.
      if (/^[uUlL]+$/.test(m[1]!) && this.tokens.length && /^\d|^0x/i.test(this.tokens[this.tokens.length - 1]!) && m[0] === m[1]) {
        end = TOKEN.lastIndex;
        continue;
      }
      this.tokens.push(m[1]!);
      end = TOKEN.lastIndex;
    }
    if (text.slice(end).trim()) throw new NotConstant();
  }

  parse(): bigint {
    const v = this.binary(0);
    if (this.at !== this.tokens.length) throw new NotConstant();
    return v;
  }

  private static readonly LEVELS: readonly (readonly string[])[] = [['|'], ['^'], ['&'], ['<<', '>>'], ['+', '-'], ['*']];

  private binary(level: number): bigint {
    if (level === ConstantExpression.LEVELS.length) return this.unary();
    let left = this.binary(level + 1);
    for (;;) {
      const op = this.tokens[this.at];
      if (op === undefined || !ConstantExpression.LEVELS[level]!.includes(op)) return left;
      this.at++;
      const right = this.binary(level + 1);
      switch (op) {
        case '|': left = left | right; break;
        case '^': left = left ^ right; break;
        case '&': left = left & right; break;
        case '<<': left = (left << right) & MASK; break;
        case '>>': left = left >> right; break;
        case '+': left = (left + right) & MASK; break;
        case '-': left = (left - right) & MASK; break;
        case '*': left = (left * right) & MASK; break;
      }
    }
  }

  private unary(): bigint {
    const t = this.tokens[this.at++];
    if (t === undefined) throw new NotConstant();
    if (t === '~') return ~this.unary() & MASK;
    if (t === '-') return -this.unary() & MASK;
    if (t === '+') return this.unary();
    if (t === '!') return this.unary() === 0n ? 1n : 0n;
    if (t === '(') {
      // A cast: only type words up to the closing parenthesis.
      let j = this.at;
      while (j < this.tokens.length && TYPE_WORD.test(this.tokens[j]!)) j++;
      if (j > this.at && this.tokens[j] === ')') {
        this.at = j + 1;
        return this.unary();
      }
      const v = this.binary(0);
      if (this.tokens[this.at++] !== ')') throw new NotConstant();
      return v;
    }
    if (/^\d/.test(t)) return BigInt(/^0[0-7]+$/.test(t) ? `0o${t.slice(1)}` : t);
    if (BIT_MACROS.has(t) && this.tokens[this.at] === '(') {
      this.at++;
      const n = this.binary(0);
      if (this.tokens[this.at++] !== ')') throw new NotConstant();
      return (1n << n) & MASK;
    }
    const v = NAME.test(t) ? this.lookup(t) : undefined;
    if (v === undefined) throw new NotConstant();
    return v;
  }
}
