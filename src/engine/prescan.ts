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

export interface PrescanFunction {
  /** The name the engine gives it (SYSCALL_DEFINEn(name, ...) is sys_name, see c-names.ts). */
  name: string;
  /** Byte offsets of the header (from the end of the previous top-level item: its comments too) and of the closing brace. */
  start: number;
  end: number;
  /**
   * What the function mentions that can matter: the names it calls (an identifier before `(`) and
   * the identifiers of the `wanted` set given to prescan() (the knowledge base's lock API, fields
   * and types), comments, strings and preprocessor lines left out; `vm_start=` when `vm_start=`
   * is wanted and the function assigns to a `vm_start`. Header identifiers only when wanted.
   */
  ids: string[];
  isStatic: boolean;
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
}

const NOT_A_NAME = new Set(['if', 'while', 'for', 'switch', 'return', 'sizeof', 'typeof', '__typeof__', 'do', 'else']);

/**
 * One copy of each name. A slice of the file text would keep the whole text alive (V8 shares
 * the characters of a slice of 13 or more with the string it was cut from): the prescans of a
 * whole tree would hold every file.
 */
const names = new Map<string, string>();
/** The one copy of a name found by a regular expression or a slice (see `names`). */
export function internName(name: string): string {
  return intern(name, 0, name.length);
}

function intern(text: string, start: number, end: number): string {
  const slice = text.slice(start, end);
  let name = names.get(slice);
  if (name === undefined) {
    name = end - start < 13 ? slice : Buffer.from(slice, 'latin1').toString('latin1');
    names.set(name, name);
  }
  return name;
}

function isIdentStart(c: number): boolean {
  return (c >= 97 && c <= 122) || (c >= 65 && c <= 90) || c === 95;
}
function isIdentPart(c: number): boolean {
  return (c >= 97 && c <= 122) || (c >= 65 && c <= 90) || c === 95 || (c >= 48 && c <= 57);
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
  while (i < n) {
    if (text.charCodeAt(i) === 42 && text.charCodeAt(i + 1) === 47) return i + 2;
    i++;
  }
  return n;
}

/**
 * A hand-written scanner (a regular expression per token is three times slower): comments, string
 * and character literals and preprocessor lines are skipped; inside a function only the names it
 * calls (an identifier before `(`) and the names of `wanted` are kept.
 */
export function prescan(text: string, wanted: ReadonlySet<string>): FilePrescan {
  const functions: PrescanFunction[] = [];
  const fileScopeIds = new Set<string>();
  const initializers: { start: number; end: number }[] = [];
  let initializerStart = -1;
  const n = text.length;
  let depth = 0;
  let headerStart = 0;
  let headerIds: string[] = [];
  let headerName: string | null = null;
  let headerFirstArg: string | null = null;
  let parenDepth = 0;
  let lastIdentifier: string | null = null;
  let sawEquals = false;
  let current: PrescanFunction | null = null;
  /** The current function's ids while it is read (an array once it is closed: smaller). */
  let currentIds = new Set<string>();
  let inOther = false;
  let lineStart = true;
  const resetHeader = (at: number): void => {
    headerStart = at;
    headerIds = [];
    headerName = null;
    headerFirstArg = null;
    parenDepth = 0;
    lastIdentifier = null;
    sawEquals = false;
  };
  let i = 0;
  while (i < n) {
    const c = text.charCodeAt(i);
    if (c === 10) {
      lineStart = true;
      i++;
      continue;
    }
    if (c === 32 || c === 9 || c === 13 || c === 12 || c === 11) {
      i++;
      continue;
    }
    const atLineStart = lineStart;
    lineStart = false;
    if (isIdentStart(c)) {
      let j = i + 1;
      while (j < n && isIdentPart(text.charCodeAt(j))) j++;
      if (depth > 0) {
        let k = j;
        while (k < n && (text.charCodeAt(k) === 32 || text.charCodeAt(k) === 9)) k++;
        if (current) {
          const next = text.charCodeAt(k);
          if (next === 40 /* ( */) currentIds.add(intern(text, i, j));
          else {
            const id = text.slice(i, j);
            if (wanted.has(id)) currentIds.add(intern(text, i, j));
            if (isAssignment(text, k) && wanted.has(`${id}=`)) currentIds.add(intern(`${id}=`, 0, id.length + 1));
          }
        }
        else if (!current && inOther && sawEquals) {
          const id = text.slice(i, j);
          if (wanted.has(id)) fileScopeIds.add(intern(text, i, j));
        }
        i = j;
        continue;
      }
      const tok = intern(text, i, j);
      // A macro invocation without `;` (`subsys_initcall(f)`, `BDI_SHOW(x, y)`) ended before a
      // name in column 0: a new header starts.
      if (headerName && parenDepth === 0 && (i === 0 || text.charCodeAt(i - 1) === 10) && !isAttributeMacro(tok)) {
        resetHeader(i);
      }
      if (headerName && headerFirstArg === null && parenDepth === 1) headerFirstArg = tok;
      lastIdentifier = tok;
      headerIds.push(tok);
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
        while (i < n && text.charCodeAt(i) !== 10) i += text.charCodeAt(i) === 92 ? 2 : 1;
        continue;
      }
    }
    if (c === 34 /* " */ || c === 39 /* ' */) {
      i++;
      while (i < n) {
        const e = text.charCodeAt(i);
        if (e === 92) i += 2;
        else if (e === c || e === 10) {
          i++;
          break;
        } else i++;
      }
      continue;
    }
    if (c === 35 /* # */ && atLineStart) {
      // A preprocessor line and its continuations.
      while (i < n) {
        const e = text.charCodeAt(i);
        if (e === 10) break;
        if (e === 92) i += 2;
        else if (e === 47 && text.charCodeAt(i + 1) === 42) i = skipBlockComment(text, i + 2, n);
        else i++;
      }
      continue;
    }
    if (c === 123 /* { */) {
      if (depth === 0) {
        if (headerName && !sawEquals) {
          const name = definitionMacroName(headerName, headerFirstArg) ?? headerName;
          current = { name, start: headerStart, end: i, ids: [], isStatic: headerIds.includes('static') };
          currentIds = new Set(headerIds.filter((id) => wanted.has(id)));
          inOther = false;
        } else {
          inOther = true;
          initializerStart = sawEquals ? headerStart : -1;
        }
      }
      depth++;
      i++;
      continue;
    }
    if (c === 125 /* } */) {
      const column0 = i === 0 || text.charCodeAt(i - 1) === 10;
      depth = column0 ? 0 : Math.max(0, depth - 1);
      if (depth === 0) {
        if (current) {
          current.end = i + 1;
          current.ids = [...currentIds];
          functions.push(current);
          current = null;
        }
        if (inOther && initializerStart >= 0) {
          let end = i + 1;
          while (end < n && (text.charCodeAt(end) === 32 || text.charCodeAt(end) === 9)) end++;
          initializers.push({ start: initializerStart, end: text.charCodeAt(end) === 59 ? end + 1 : i + 1 });
        }
        initializerStart = -1;
        inOther = false;
        resetHeader(i + 1);
      }
      i++;
      continue;
    }
    if (depth === 0) {
      if (c === 59 /* ; */ && parenDepth === 0) {
        resetHeader(i + 1);
      } else if (c === 40 /* ( */) {
        if (parenDepth === 0 && !headerName && lastIdentifier && !isAttributeMacro(lastIdentifier) && !NOT_A_NAME.has(lastIdentifier)) headerName = lastIdentifier;
        parenDepth++;
      } else if (c === 41 /* ) */) {
        parenDepth = Math.max(0, parenDepth - 1);
      } else if (c === 61 /* = */ && parenDepth === 0) {
        sawEquals = true;
      }
    }
    i++;
  }
  if (current) {
    // Unclosed at the end of the file: keep what was read.
    current.end = n;
    current.ids = [...currentIds];
    functions.push(current);
  }
  return { functions, fileScopeIds, initializers, bytes: Buffer.byteLength(text) };
}

/**
 * The text the parser is given when only some functions of a file are analysed: everything else
 * blanked (newlines kept, so rows, columns and offsets stay those of the file), except the
 * conditional directives, which decide whether a function is compiled.
 */
export function keepOnly(text: string, kept: readonly { start: number; end: number }[]): string {
  const parts: string[] = [];
  let at = 0;
  const blank = (from: number, to: number): void => {
    if (to <= from) return;
    parts.push(text.slice(from, to).replace(/^([ \t]*#[ \t]*(?:if|ifdef|ifndef|elif|else|endif)\b.*)$|[^\n]+/gm, (line, directive: string | undefined) => directive ?? ' '.repeat(line.length)));
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
