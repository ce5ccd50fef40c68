// What a file's text says before it is parsed: the functions it defines (found by a tokenizer,
// not by the parser: about ten times faster), and the identifiers each one mentions. The run uses
// this to decide which functions can matter to a check (src/engine/demand.ts) and to parse and
// analyse only those: most of the kernel never touches an mm lock.
//
// Kernel style makes a function easy to find: a body opens at brace depth 0 after a header with a
// parenthesised parameter list and no `=`, and a `}` in column 0 closes whatever is open (which
// also recovers from braces an #ifdef left unbalanced). Whatever this gets wrong costs speed, not
// findings, as long as it errs towards "mentions more".

import { definitionMacroName, isAttributeMacro } from './c-names.js';
import { KERNEL_LOCK_CALLS, MMAP_CONTEXT_CALLBACKS } from '../kb/kernel-locks.js';

export interface PrescanFunction {
  /** The name the engine gives it (SYSCALL_DEFINEn(name, ...) is sys_name, see c-names.ts). */
  name: string;
  /** Byte offsets of the header (from the end of the previous top-level item: its comments too) and of the closing brace. */
  start: number;
  end: number;
  /**
   * What the function mentions that can matter: the names it calls (an identifier before `(`) and
   * the identifiers of the `wanted` set given to prescan() (the knowledge base's lock API, fields
   * and types), comments, strings and preprocessor lines left out; `vm_start=` (fieldWrite()) when
   * `vm_start=` is wanted and the function assigns to a `vm_start`. Header identifiers only when wanted.
   */
  ids: string[];
  isStatic: boolean;
  /** The 0-based rows of `start` and `end` (where another file's results anchor their places in it: src/run/foreign-places.ts). */
  startRow: number;
  endRow: number;
  /** A rule's text trigger matches the function with the comments above it (set by the caller). */
  triggered?: boolean;
}

export interface FilePrescan {
  functions: PrescanFunction[];
  /** The wanted identifiers of file-scope brace initializers (`.walk_lock = PGWALK_WRLOCK`). */
  fileScopeIds: Set<string>;
  /**
   * File-scope declarations with a brace initializer (`static const struct mm_walk_ops x = {...};`):
   * the analysis reads them (callback tables, page walk locks), so they are parsed with the functions.
   */
  initializers: { start: number; end: number }[];
  /** Size of the file (UTF-8 bytes). */
  bytes: number;
  /**
   * Functions the file's callback tables give the kernel to call with the mmap lock held
   * (`.fault = foo_fault` in a `struct vm_operations_struct`: kb MMAP_CONTEXT_CALLBACKS).
   */
  mmapCallbacks?: string[];
}

/** Kernel lock calls whose lock the prescan names (`mutex_lock(&rt->buffer_mutex)`: `&buffer_mutex`), and the guards. */
const LOCK_ARGUMENT_CALLS: ReadonlySet<string> = new Set([...[...KERNEL_LOCK_CALLS].filter(([, c]) => c.op === 'acquire' && !c.className).map(([n]) => n), 'guard', 'scoped_guard']);

/** How the prescan records a lock a function takes: `&` and the lock's last name (a field or a variable). */
export function lockedName(name: string): string {
  return `&${name}`;
}

/** The end of the argument starting at `from` (at a `,` or `)` of depth 0), or -1 past a bound. */
function argumentEnd(text: string, from: number): number {
  let depth = 0;
  for (let k = from; k < text.length && k < from + 240; k++) {
    const c = text.charCodeAt(k);
    if (c === 40) depth++;
    else if (c === 41) {
      if (depth === 0) return k;
      depth--;
    } else if (c === 44 && depth === 0) return k;
  }
  return -1;
}

/**
 * The last name of the lock argument of a lock call whose `(` is at `open` (`&rt->buffer_mutex`:
 * `buffer_mutex`); for `guard(mutex)(&m)` the second parenthesis, for `scoped_guard(mutex, &m)` the
 * second argument.
 */
function lockArgumentName(text: string, open: number, call: string): string | null {
  let start = open + 1;
  if (call === 'guard' || call === 'scoped_guard') {
    const first = argumentEnd(text, start);
    if (first < 0) return null;
    if (call === 'scoped_guard') {
      if (text.charCodeAt(first) !== 44) return null;
      start = first + 1;
    } else {
      const next = skipBlanks(text, first + 1, text.length);
      if (text.charCodeAt(next) !== 40) return null;
      start = next + 1;
    }
  }
  const end = argumentEnd(text, start);
  if (end < 0) return null;
  return /([A-Za-z_]\w*)[\s)]*$/.exec(text.slice(start, end))?.[1] ?? null;
}

/** The functions an initializer's text (`static const struct vm_operations_struct x = {...}`) gives as mmap-context callbacks. */
export function mmapContextCallbacks(text: string, start: number, end: number): string[] {
  const brace = text.indexOf('{', start);
  if (brace < 0 || brace >= end) return [];
  const type = /\bstruct\s+(\w+)/.exec(text.slice(start, brace))?.[1];
  const table = type ? MMAP_CONTEXT_CALLBACKS[`struct ${type}`] : undefined;
  if (!table) return [];
  const out: string[] = [];
  for (const m of text.slice(brace, end).matchAll(/\.\s*(\w+)\s*=\s*&?\s*(\w+)/g)) if (table.fields.includes(m[1])) out.push(internName(m[2]));
  return out;
}

const NOT_A_NAME = new Set(['if', 'while', 'for', 'switch', 'return', 'sizeof', 'typeof', '__typeof__', 'do', 'else']);

/**
 * One copy of each name. A slice of the file text would keep the whole text alive (V8 shares
 * the characters of a slice of 13 or more with the string it was cut from): the prescans of a
 * whole tree would hold every file.
 */
const names = new Map<string, string>();
/**
 * Forgets the table of names (not the names: what holds them keeps them). Once a thread's files are
 * read, the table only holds memory: the whole 6.12 tree's names took ~50 MB in each worker, whose
 * facts the main thread receives as copies anyway, and more in the main thread.
 */
export function forgetNames(): void {
  names.clear();
}

/** Names are interned (one copy each, see `names`), or only cut out of the text. */
let interning = true;

/**
 * Runs `read` with names only cut out of the text, not interned: for facts that are copied to
 * another thread at once (a worker's), where one copy of each is made there and a copy here only
 * costs time (2 s of each worker's 17 s of facts on the whole 6.12 tree). What `read` returns may
 * hold its texts until it is copied.
 */
export function withoutInterning<T>(read: () => T): T {
  interning = false;
  try {
    return read();
  } finally {
    interning = true;
  }
}

/** The one copy of a name found by a regular expression or a slice (see `names`). */
export function internName(name: string): string {
  return intern(name, 0, name.length);
}

function intern(text: string, start: number, end: number): string {
  const slice = text.slice(start, end);
  if (!interning) return slice;
  let name = names.get(slice);
  if (name === undefined) {
    name = end - start < 13 ? slice : Buffer.from(slice, 'latin1').toString('latin1');
    names.set(name, name);
  }
  return name;
}

/** Character classes, by UTF-16 code unit (every one has an entry: no bound to test). */
const IDENT_START = 1;
const IDENT_PART = 2;
const BLANK = 4;
const CLASS = new Uint8Array(65536);
for (let c = 0; c < 128; c++) {
  const letter = (c >= 97 && c <= 122) || (c >= 65 && c <= 90) || c === 95;
  if (letter) CLASS[c] = IDENT_START | IDENT_PART;
  else if (c >= 48 && c <= 57) CLASS[c] = IDENT_PART;
  else if (c === 32 || c === 9 || c === 13 || c === 12 || c === 11) CLASS[c] = BLANK;
}

/** How the prescan records an assignment to a field or variable (`vm_start = ...`: `vm_start=`), when that is wanted. */
export function fieldWrite(field: string): string {
  return `${field}=`;
}

/** Is there an assignment operator at `k` (`=`, `|=`, `+=`, ..., not `==`)? */
function isAssignment(text: string, k: number): boolean {
  const c = text.charCodeAt(k);
  if (c === 61) return text.charCodeAt(k + 1) !== 61;
  // |= &= ^= += -= *= /= %=
  if (c === 124 || c === 38 || c === 94 || c === 43 || c === 45 || c === 42 || c === 47 || c === 37) return text.charCodeAt(k + 1) === 61;
  return false;
}

/** The index after the `*\/` that closes a block comment whose body starts at `i`. */
function skipBlockComment(text: string, i: number, n: number): number {
  const end = text.indexOf('*/', i);
  return end < 0 || end + 2 > n ? n : end + 2;
}

/** The index after the spaces and tabs at `k`. */
function skipBlanks(text: string, k: number, n: number): number {
  while (k < n && (text.charCodeAt(k) === 32 || text.charCodeAt(k) === 9)) k++;
  return k;
}

/** The index of the newline that ends a `//` comment starting at `i` (a backslash continues it). */
function skipLineComment(text: string, i: number, n: number): number {
  while (i < n && text.charCodeAt(i) !== 10) i += text.charCodeAt(i) === 92 ? 2 : 1;
  return i;
}

/** The index after a string or character literal opened by `quote` at `i` (or after the newline that ends it). */
function skipLiteral(text: string, i: number, n: number, quote: number): number {
  i++;
  while (i < n) {
    const e = text.charCodeAt(i);
    if (e === 92) i += 2;
    else if (e === quote || e === 10) return i + 1;
    else i++;
  }
  return i;
}

/**
 * Where a text's next backslash and next `/*` are, from a place on: found with indexOf and kept
 * until passed, so that the directive lines of a file (the register headers' hundreds of thousands
 * of `#define` lines) cost a search each for their end, not a step per character.
 */
class DirectiveMarks {
  private backslash = -1;
  private comment = -1;

  constructor(private readonly text: string) {}

  /** The next backslash at or after `i` (the text's length: none). */
  backslashFrom(i: number): number {
    if (this.backslash < i) this.backslash = found(this.text.indexOf('\\', i), this.text.length);
    return this.backslash;
  }

  /** The next `/*` at or after `i` (the text's length: none). */
  commentFrom(i: number): number {
    if (this.comment < i) this.comment = found(this.text.indexOf('/*', i), this.text.length);
    return this.comment;
  }
}

function found(at: number, none: number): number {
  return at < 0 ? none : at;
}

/**
 * The index of the newline that ends a preprocessor line starting at `i`, its continuations
 * included: a backslash takes the character after it (a newline too), a block comment is skipped
 * whole (its newlines too).
 */
function skipPreprocessorLine(text: string, i: number, n: number, marks: DirectiveMarks): number {
  while (i < n) {
    const newline = found(text.indexOf('\n', i), n);
    const backslash = marks.backslashFrom(i);
    const comment = marks.commentFrom(i);
    if (newline <= backslash && newline <= comment) return newline;
    if (backslash < comment) i = backslash + 2;
    else i = skipBlockComment(text, comment + 2, n);
  }
  return i;
}

/**
 * A hand-written scanner (a regular expression per token is three times slower): comments, string
 * and character literals and preprocessor lines are skipped; inside a function only the names it
 * calls (an identifier before `(`) and the names of `wanted` are kept.
 */
export function prescan(text: string, wanted: ReadonlySet<string>): FilePrescan {
  return new Prescanner(text, wanted).scan();
}

/** Sets each function's startRow and endRow (the functions in the order of the text). */
function setRows(text: string, functions: PrescanFunction[]): void {
  let row = 0;
  let at = 0;
  const rowOf = (offset: number): number => {
    for (let nl = text.indexOf('\n', at); nl !== -1 && nl < offset; nl = text.indexOf('\n', nl + 1)) {
      row++;
      at = nl + 1;
    }
    return row;
  };
  for (const fn of functions) {
    fn.startRow = rowOf(fn.start);
    fn.endRow = rowOf(fn.end);
  }
}

/**
 * A quick test of whether a name of the text may be one of a set: its length with its first and
 * last characters (a name longer than FILTER_LENGTH always may). Most of a body's names fail it.
 */
class NameFilter {
  private static readonly made = new WeakMap<ReadonlySet<string>, NameFilter>();
  private readonly bits = new Uint8Array((FILTER_LENGTH + 1) << 14);

  private constructor(names: ReadonlySet<string>) {
    for (const name of names) {
      const first = name.charCodeAt(0);
      const last = name.charCodeAt(name.length - 1);
      if (name.length <= FILTER_LENGTH && first < 128 && last < 128) this.bits[(name.length << 14) | (first << 7) | last] = 1;
    }
  }

  static of(names: ReadonlySet<string>): NameFilter {
    let filter = NameFilter.made.get(names);
    if (!filter) NameFilter.made.set(names, (filter = new NameFilter(names)));
    return filter;
  }

  /** May the name text[i, j) (identifier characters) be in the set? */
  mayHave(text: string, i: number, j: number): boolean {
    const length = j - i;
    return length > FILTER_LENGTH || this.bits[(length << 14) | (text.charCodeAt(i) << 7) | text.charCodeAt(j - 1)] === 1;
  }

  /** May the name's assignment (fieldWrite(): the name and `=`) be in the set? */
  mayHaveWritten(text: string, i: number, j: number): boolean {
    const length = j - i + 1;
    return length > FILTER_LENGTH || this.bits[(length << 14) | (text.charCodeAt(i) << 7) | 61] === 1;
  }
}

const FILTER_LENGTH = 63;

/** The state of one file's prescan: where it is in the top-level item being read. */
class Prescanner {
  private readonly functions: PrescanFunction[] = [];
  private readonly fileScopeIds = new Set<string>();
  private readonly initializers: { start: number; end: number }[] = [];
  private readonly mmapCallbacks: string[] = [];
  private readonly n: number;
  /** Where the file-scope brace initializer being read starts (-1: none). */
  private initializerStart = -1;
  private depth = 0;
  /** The header of the next top-level item: where it starts, its identifiers, its name, its first argument. */
  private headerStart = 0;
  private headerIds: string[] = [];
  private headerName: string | null = null;
  private headerFirstArg: string | null = null;
  private parenDepth = 0;
  private lastIdentifier: string | null = null;
  private sawEquals = false;
  /** The function being read. */
  private current: PrescanFunction | null = null;
  /** The current function's ids while it is read (an array once it is closed: smaller). */
  private currentIds = new Set<string>();
  /** Inside a top-level brace that is not a function's body. */
  private inOther = false;

  private readonly filter: NameFilter;
  private readonly marks: DirectiveMarks;

  constructor(
    private readonly text: string,
    private readonly wanted: ReadonlySet<string>,
  ) {
    this.n = text.length;
    this.filter = NameFilter.of(wanted);
    this.marks = new DirectiveMarks(text);
  }

  scan(): FilePrescan {
    const { text, n } = this;
    let lineStart = true;
    let i = 0;
    while (i < n) {
      const c = text.charCodeAt(i);
      if (c === 10) {
        lineStart = true;
        i++;
        continue;
      }
      const kind = CLASS[c]!;
      if (kind & BLANK) {
        i++;
        continue;
      }
      const atLineStart = lineStart;
      lineStart = false;
      if (kind & IDENT_START) {
        let j = i + 1;
        while (j < n && CLASS[text.charCodeAt(j)]! & IDENT_PART) j++;
        if (this.depth > 0) this.bodyIdentifier(i, j);
        else this.headerIdentifier(i, j);
        i = j;
        continue;
      }
      if (c === 47 /* / */ && i + 1 < n) {
        const d = text.charCodeAt(i + 1);
        if (d === 42 /* * */) {
          // (A loop: String.prototype.indexOf() is slow here on some large strings.)
          i = skipBlockComment(text, i + 2, n);
          continue;
        }
        if (d === 47) {
          i = skipLineComment(text, i, n);
          continue;
        }
      }
      if (c === 34 /* " */ || c === 39 /* ' */) {
        i = skipLiteral(text, i, n, c);
        continue;
      }
      if (c === 35 /* # */ && atLineStart) {
        i = skipPreprocessorLine(text, i, n, this.marks);
        continue;
      }
      if (c === 123 /* { */) this.openBrace(i);
      else if (c === 125 /* } */) this.closeBrace(i);
      else if (this.depth === 0) this.headerPunctuation(c, i);
      i++;
    }
    if (this.current) {
      // Unclosed at the end of the file: keep what was read.
      this.current.end = n;
      this.current.ids = [...this.currentIds];
      this.functions.push(this.current);
    }
    setRows(text, this.functions);
    const scan: FilePrescan = { functions: this.functions, fileScopeIds: this.fileScopeIds, initializers: this.initializers, bytes: Buffer.byteLength(text) };
    if (this.mmapCallbacks.length) scan.mmapCallbacks = this.mmapCallbacks;
    return scan;
  }

  private resetHeader(at: number): void {
    this.headerStart = at;
    this.headerIds = [];
    this.headerName = null;
    this.headerFirstArg = null;
    this.parenDepth = 0;
    this.lastIdentifier = null;
    this.sawEquals = false;
  }

  /** An identifier inside braces: a function's call or wanted name, a file-scope initializer's wanted name. */
  private bodyIdentifier(i: number, j: number): void {
    const { text, wanted } = this;
    if (this.current) {
      const k = skipBlanks(text, j, this.n);
      if (text.charCodeAt(k) === 40 /* ( */) {
        const name = intern(text, i, j);
        this.currentIds.add(name);
        if (LOCK_ARGUMENT_CALLS.has(name)) {
          const lock = lockArgumentName(text, k, name);
          if (lock) this.currentIds.add(internName(lockedName(lock)));
        }
      } else {
        // Most names are neither wanted nor a wanted assignment: told without cutting them out of the text.
        const mayRead = this.filter.mayHave(text, i, j);
        const mayWrite = this.filter.mayHaveWritten(text, i, j) && isAssignment(text, k);
        if (!mayRead && !mayWrite) return;
        const id = text.slice(i, j);
        if (mayRead && wanted.has(id)) this.currentIds.add(intern(text, i, j));
        if (!mayWrite) return;
        const written = fieldWrite(id);
        if (wanted.has(written)) this.currentIds.add(intern(written, 0, written.length));
      }
    } else if (this.inOther && this.sawEquals && this.filter.mayHave(text, i, j)) {
      const id = text.slice(i, j);
      if (wanted.has(id)) this.fileScopeIds.add(intern(text, i, j));
    }
  }

  /** An identifier of a top-level item's header. */
  private headerIdentifier(i: number, j: number): void {
    const tok = intern(this.text, i, j);
    // A macro invocation without `;` (`subsys_initcall(f)`, `BDI_SHOW(x, y)`) ended before a
    // name in column 0: a new header starts.
    if (this.headerName && this.parenDepth === 0 && (i === 0 || this.text.charCodeAt(i - 1) === 10) && !isAttributeMacro(tok)) {
      this.resetHeader(i);
    }
    if (this.headerName && this.headerFirstArg === null && this.parenDepth === 1) this.headerFirstArg = tok;
    this.lastIdentifier = tok;
    this.headerIds.push(tok);
  }

  /** `{`: at depth 0, a function's body (a header with a name and no `=`) or another brace (an initializer's with `=`). */
  private openBrace(i: number): void {
    if (this.depth === 0) {
      if (this.headerName && !this.sawEquals) {
        const name = definitionMacroName(this.headerName, this.headerFirstArg) ?? this.headerName;
        this.current = { name, start: this.headerStart, end: i, ids: [], isStatic: this.headerIds.includes('static'), startRow: 0, endRow: 0 };
        this.currentIds = new Set(this.headerIds.filter((id) => this.wanted.has(id)));
        this.inOther = false;
      } else {
        this.inOther = true;
        this.initializerStart = this.sawEquals ? this.headerStart : -1;
      }
    }
    this.depth++;
  }

  /** `}`: one level closed, or every level when it stands in column 0; at depth 0, the item ends. */
  private closeBrace(i: number): void {
    const { text, n } = this;
    const column0 = i === 0 || text.charCodeAt(i - 1) === 10;
    this.depth = column0 ? 0 : Math.max(0, this.depth - 1);
    if (this.depth !== 0) return;
    if (this.current) {
      this.current.end = i + 1;
      this.current.ids = [...this.currentIds];
      this.functions.push(this.current);
      this.current = null;
    }
    if (this.inOther && this.initializerStart >= 0) {
      const end = skipBlanks(text, i + 1, n);
      const range = { start: this.initializerStart, end: text.charCodeAt(end) === 59 ? end + 1 : i + 1 };
      this.initializers.push(range);
      this.mmapCallbacks.push(...mmapContextCallbacks(text, range.start, range.end));
    }
    this.initializerStart = -1;
    this.inOther = false;
    this.resetHeader(i + 1);
  }

  /** `;`, parentheses and `=` at depth 0: a header ends, its name and parameters, an initializer. */
  private headerPunctuation(c: number, i: number): void {
    if (c === 59 /* ; */ && this.parenDepth === 0) {
      this.resetHeader(i + 1);
    } else if (c === 40 /* ( */) {
      const last = this.lastIdentifier;
      if (this.parenDepth === 0 && !this.headerName && last && !isAttributeMacro(last) && !NOT_A_NAME.has(last)) this.headerName = last;
      this.parenDepth++;
    } else if (c === 41 /* ) */) {
      this.parenDepth = Math.max(0, this.parenDepth - 1);
    } else if (c === 61 /* = */ && this.parenDepth === 0) {
      this.sawEquals = true;
    }
  }
}

/** The functions `roots` and, down their calls, the same file's functions they reach. */
export function withLocalCallees(scan: FilePrescan, roots: readonly PrescanFunction[]): PrescanFunction[] {
  const byName = new Map<string, PrescanFunction[]>();
  for (const fn of scan.functions) byName.set(fn.name, [...(byName.get(fn.name) ?? []), fn]);
  const taken = new Set(roots);
  const work = [...roots];
  while (work.length) {
    for (const id of work.pop()!.ids) {
      for (const d of byName.get(id) ?? []) {
        if (taken.has(d)) continue;
        taken.add(d);
        work.push(d);
      }
    }
  }
  return [...taken];
}

/** A conditional directive's line (its first: it may go on over lines that end with a backslash). */
const CONDITIONAL_LINE = /^[ \t]*#[ \t]*(?:if|ifdef|ifndef|elif|else|endif)\b/;

/**
 * The text the parser is given when only some functions of a file are analysed: everything else
 * blanked (newlines kept, so rows, columns and offsets stay those of the file), except the
 * conditional directives, which decide whether a function is compiled, with the lines they go on
 * over (`#if defined(A) && \`: blanked, the next line left the condition cut short, and the
 * kept functions after it unreadable).
 */
export function keepOnly(text: string, kept: readonly { start: number; end: number }[]): string {
  const parts: string[] = [];
  let at = 0;
  /** Each line of text[from, to) (a line cut by either end included) blanked or kept. */
  const blank = (from: number, to: number): void => {
    if (to <= from) return;
    let continued = false;
    for (let i = from; ; ) {
      let end = text.indexOf('\n', i);
      if (end < 0 || end > to) end = to;
      // Only a line whose first character after blanks is `#` can be a directive.
      let c = i;
      while (c < end && (text.charCodeAt(c) === 32 || text.charCodeAt(c) === 9)) c++;
      if (continued || (c < end && text.charCodeAt(c) === 35 && CONDITIONAL_LINE.test(text.slice(i, end)))) {
        const line = text.slice(i, end);
        continued = /\\\r?$/.test(line);
        parts.push(line);
      } else if (end > i) parts.push(spaces(end - i));
      if (end >= to) return;
      parts.push('\n');
      i = end + 1;
    }
  };
  for (const r of kept) {
    if (r.start < at) continue;
    blank(at, r.start);
    parts.push(text.slice(r.start, r.end));
    at = r.end;
  }
  blank(at, text.length);
  return parts.join('');
}

/** Blanks for keepOnly(): slices of one string of spaces, grown as needed. */
let blanks = ' '.repeat(4096);

function spaces(n: number): string {
  while (blanks.length < n) blanks += blanks;
  return blanks.slice(0, n);
}
