// A plain JavaScript copy of a tree-sitter syntax tree.
// The engine walks this instead of web-tree-sitter's Node objects: every Node property access
// crosses into WASM and allocates, and the WASM tree must be deleted as soon as possible (WASM
// memory is not garbage collected). One cursor walk per file builds this copy.

import type { TreeCursor } from 'web-tree-sitter';

export interface SourceFile {
  path: string;
  text: string;
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
    readonly start: number,
    readonly end: number,
    /** 0-based row and column (UTF-16 code units, so a tab or a non-ASCII letter counts one). */
    readonly row: number,
    readonly col: number,
    readonly endRow: number,
    readonly endCol: number,
  ) {}

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

/** Copies a tree-sitter tree or subtree into AstNodes. Iterative: the input controls the depth. */
export function toAst(from: { walk(): TreeCursor }, file: SourceFile): AstNode {
  const cursor: TreeCursor = from.walk();
  const make = (inError: boolean): AstNode | null => {
    const type = cursor.nodeType;
    const named = cursor.nodeIsNamed;
    const field = cursor.currentFieldName;
    const missing = cursor.nodeIsMissing;
    if (!named && !field && !missing && !inError && !KEPT_TOKENS.has(type)) return null;
    const s = cursor.startPosition;
    const e = cursor.endPosition;
    return new AstNode(file, type, named, field, missing, cursor.startIndex, cursor.endIndex, s.row, s.column, e.row, e.column);
  };
  const root = make(false)!;
  const stack: { node: AstNode; inError: boolean }[] = [{ node: root, inError: root.type === 'ERROR' }];
  if (!cursor.gotoFirstChild()) return root;
  for (;;) {
    const top = stack[stack.length - 1];
    const node = make(top.inError);
    let descended = false;
    if (node) {
      node.parent = top.node;
      top.node.children.push(node);
      if (cursor.gotoFirstChild()) {
        stack.push({ node, inError: top.inError || node.type === 'ERROR' });
        descended = true;
      }
    }
    if (descended) continue;
    while (!cursor.gotoNextSibling()) {
      if (!cursor.gotoParent() || stack.length <= 1) {
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
