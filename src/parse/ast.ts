// A plain JavaScript copy of a tree-sitter syntax tree.
// The engine walks this instead of web-tree-sitter's Node objects: every Node property access
// crosses into WASM and allocates, and the WASM tree must be deleted as soon as possible (WASM
// memory is not garbage collected). One cursor walk per file builds this copy.

import type { Language, Tree, TreeCursor } from 'web-tree-sitter';
import { repairMacroStatement } from './macro-statement.js';
import { walkFrom, type TreeWalk } from './cursor-walk.js';

export interface SourceFile {
  path: string;
  text: string;
}

/** Where each line of a file's text starts (computed once per file, when a position is first asked). */
const lineIndex = new WeakMap<SourceFile, Uint32Array>();

function lineStarts(file: SourceFile): Uint32Array {
  let starts = lineIndex.get(file);
  if (!starts) {
    const text = file.text;
    let n = 1;
    for (let i = text.indexOf('\n'); i >= 0; i = text.indexOf('\n', i + 1)) n++;
    starts = new Uint32Array(n);
    let row = 1;
    for (let i = text.indexOf('\n'); i >= 0; i = text.indexOf('\n', i + 1)) starts[row++] = i + 1;
    lineIndex.set(file, starts);
  }
  return starts;
}

/** The 0-based line of an offset. */
function rowAt(file: SourceFile, offset: number): number {
  const starts = lineStarts(file);
  let lo = 0;
  let hi = starts.length - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (starts[mid] <= offset) lo = mid;
    else hi = mid - 1;
  }
  return lo;
}

/** The 1-based line of an offset of a file's text (the file's line index, computed once). */
export function lineAt(file: SourceFile, offset: number): number {
  return rowAt(file, offset) + 1;
}

/** The 0-based row and column (UTF-16 code units) of an offset of a file's text, as tree-sitter's points count them. */
export function pointAt(file: SourceFile, offset: number): { row: number; column: number } {
  const row = rowAt(file, offset);
  return { row, column: offset - lineStarts(file)[row] };
}

export class AstNode {
  readonly children: AstNode[] = [];
  parent: AstNode | null = null;
  constructor(
    readonly file: SourceFile,
    readonly type: string,
    readonly named: boolean,
    /** Field name under the parent (`condition`, `body`, `function`, ...), null when none. */
    readonly field: string | null,
    readonly missing: boolean,
    /** Offsets in the file's text (UTF-16 code units). */
    readonly start: number,
    readonly end: number,
  ) {}

  /** 0-based row and column (UTF-16 code units, so a tab or a non-ASCII letter counts one), from the file's text. */
  get row(): number {
    return rowAt(this.file, this.start);
  }

  get col(): number {
    return this.start - lineStarts(this.file)[rowAt(this.file, this.start)];
  }

  get endRow(): number {
    return rowAt(this.file, this.end);
  }

  get endCol(): number {
    return this.end - lineStarts(this.file)[rowAt(this.file, this.end)];
  }

  get text(): string {
    return this.file.text.slice(this.start, this.end);
  }

  /** First child under a field name. */
  child(field: string): AstNode | null {
    for (const c of this.children) if (c.field === field) return c;
    return null;
  }

  /** All children under a field name. */
  childrenOf(field: string): AstNode[] {
    return this.children.filter((c) => c.field === field);
  }

  /** Named children, comments excluded. */
  get namedChildren(): AstNode[] {
    return this.children.filter((c) => c.named && c.type !== 'comment');
  }

  /** The operator token of an expression (field `operator`), or null. */
  get operator(): string | null {
    const op = this.child('operator');
    return op ? op.type : null;
  }

  /** A stable identity for maps: the byte range and type. */
  get key(): string {
    return `${this.start}:${this.end}:${this.type}`;
  }
}

/** Anonymous tokens worth keeping beside the named nodes. */
const KEPT_TOKENS = new Set(['#ifdef', '#ifndef', '#elifdef', '#elifndef', 'default', 'case', '{', '}']);

/** Per language: node type names and whether each type is named, by type id (read once). */
let typeTable: { language: Language; types: string[]; named: boolean[]; fields: (string | null)[] } | null = null;

function tablesOf(language: Language): NonNullable<typeof typeTable> {
  if (typeTable?.language !== language) {
    const types = language.types;
    typeTable = { language, types, named: types.map((_, id) => language.nodeTypeIsNamed(id)), fields: language.fields };
  }
  return typeTable;
}

/**
 * Copies a tree-sitter tree or subtree into AstNodes. Iterative: the input controls the depth.
 * Each question to the walk is a call into WASM (src/parse/cursor-walk.ts): a node costs its type
 * id, field id and offsets (names and namedness come from the language's tables, lines and columns
 * from the text when asked).
 */
export function toAst(from: { walk(): TreeCursor; tree: Tree }, file: SourceFile): AstNode {
  const walk = walkFrom(from.walk());
  try {
    return copyTree(walk, tablesOf(from.tree.language), file);
  } finally {
    walk.end();
  }
}

function copyTree(cursor: TreeWalk, tables: NonNullable<typeof typeTable>, file: SourceFile): AstNode {
  const { types, named: namedById, fields } = tables;
  const make = (inError: boolean): AstNode | null => {
    const id = cursor.typeId();
    const type = types[id] || 'ERROR';
    const named = type === 'ERROR' || namedById[id];
    const field = fields[cursor.fieldId()] ?? null;
    if (!named && !field && !inError && !KEPT_TOKENS.has(type)) {
      // An anonymous token is kept only when the parser inserted it (a missing `;`).
      if (!cursor.isMissing()) return null;
      return new AstNode(file, type, named, field, true, cursor.startIndex(), cursor.endIndex());
    }
    const start = cursor.startIndex();
    const end = cursor.endIndex();
    return new AstNode(file, type, named, field, start === end && cursor.isMissing(), start, end);
  };
  const root = make(false)!;
  const stack: { node: AstNode; inError: boolean }[] = [{ node: root, inError: root.type === 'ERROR' }];
  if (!cursor.firstChild()) return root;
  /** ERROR nodes inside the copy, for repairs once it is whole. */
  const errors: AstNode[] = [];
  for (;;) {
    const top = stack[stack.length - 1];
    const node = make(top.inError);
    let descended = false;
    if (node) {
      node.parent = top.node;
      top.node.children.push(node);
      if (node.type === 'ERROR') errors.push(node);
      if (cursor.firstChild()) {
        stack.push({ node, inError: top.inError || node.type === 'ERROR' });
        descended = true;
      }
    }
    if (descended) continue;
    while (!cursor.nextSibling()) {
      if (!cursor.parent() || stack.length <= 1) {
        // A statement macro whose body the grammar read into one expression with it.
        for (const err of errors) repairMacroStatement(err);
        return root;
      }
      stack.pop();
    }
  }
}

/** Depth-first pre-order walk without recursion. The visitor returns false to skip a subtree. */
export function walk(root: AstNode, visit: (n: AstNode) => boolean | void): void {
  const stack: AstNode[] = [root];
  while (stack.length) {
    const n = stack.pop()!;
    if (visit(n) === false) continue;
    for (let i = n.children.length - 1; i >= 0; i--) stack.push(n.children[i]);
  }
}

/** What `&x` takes the address of (x), for an expression whose parentheses are stripped; null otherwise. */
export function addressOperand(e: AstNode): AstNode | null {
  return e.type === 'pointer_expression' && e.operator === '&' ? e.child('argument') : null;
}

/**
 * The pointer a callee dereferences when it dereferences this argument: the argument itself, or
 * for the address of a field (`&vma->flags`, `&(p->f)`) the pointer the field is reached through
 * (an offset from it: NULL there is as invalid).
 */
export function dereferencedThrough(arg: AstNode): AstNode {
  let e = stripParens(arg);
  while (e.type === 'cast_expression' && e.child('value')) e = stripParens(e.child('value')!);
  const field = addressOperand(e);
  const f = field ? stripParens(field) : null;
  if (f?.type === 'field_expression' && f.operator === '->' && f.child('argument')) return stripParens(f.child('argument')!);
  return e;
}

/** Strips parentheses (and comments inside them). */
export function stripParens(n: AstNode): AstNode {
  let cur = n;
  while (cur.type === 'parenthesized_expression') {
    const inner = cur.namedChildren[0];
    if (!inner) break;
    cur = inner;
  }
  return cur;
}

/** Callee name of a call expression when it is a plain identifier. */
export function calleeName(call: AstNode): string | null {
  const fn = call.child('function');
  return fn && fn.type === 'identifier' ? fn.text : null;
}

/** Arguments of a call expression. */
export function callArgs(call: AstNode): AstNode[] {
  const list = call.child('arguments');
  return list ? list.namedChildren : [];
}
