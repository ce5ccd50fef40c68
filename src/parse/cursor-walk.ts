// Walking a syntax tree for the copy into AstNodes (src/parse/ast.ts).
//
// web-tree-sitter's TreeCursor keeps its position in JavaScript and writes it into the WebAssembly
// module's transfer buffer before every property it is asked, and reads it back after every move
// (8 memory accesses through setValue/getValue beside each call: about 1.3 s of each worker's time
// on a whole tree). The module's cursor functions (lib/binding_web/lib/tree-sitter.c) read the
// cursor from that buffer, and only the moves write it back: a walk that loads the cursor into the
// buffer once, calls those functions directly and stores it back at the end asks the same
// questions of the same cursor without the copies. Nothing else may use the buffer meanwhile: the
// copy into AstNodes calls nothing else in the module.
//
// The functions come from the module object Parser.init() fills (Emscripten's moduleArg is the
// module itself). When they are not there (another web-tree-sitter), the cursor's own properties
// are used.

import type { TreeCursor } from 'web-tree-sitter';

/** What the copy asks of a walk over a tree: the current node's facts, and moves. */
export interface TreeWalk {
  typeId(): number;
  fieldId(): number;
  startIndex(): number;
  endIndex(): number;
  isMissing(): boolean;
  firstChild(): boolean;
  nextSibling(): boolean;
  parent(): boolean;
  /** The walk is over: the cursor's memory is freed. */
  end(): void;
}

/** The module's cursor functions (each takes the tree's address; the cursor is in the transfer buffer). */
interface CursorCalls {
  typeId: (tree: number) => number;
  fieldId: (tree: number) => number;
  startIndex: (tree: number) => number;
  endIndex: (tree: number) => number;
  isMissing: (tree: number) => number;
  firstChild: (tree: number) => number;
  nextSibling: (tree: number) => number;
  parent: (tree: number) => number;
  setValue: (address: number, value: number, type: string) => void;
  getValue: (address: number, type: string) => number;
  transferBuffer: number;
}

const WASM_NAMES = {
  typeId: '_ts_tree_cursor_current_node_type_id_wasm',
  fieldId: '_ts_tree_cursor_current_field_id_wasm',
  startIndex: '_ts_tree_cursor_start_index_wasm',
  endIndex: '_ts_tree_cursor_end_index_wasm',
  isMissing: '_ts_tree_cursor_current_node_is_missing_wasm',
  firstChild: '_ts_tree_cursor_goto_first_child_wasm',
  nextSibling: '_ts_tree_cursor_goto_next_sibling_wasm',
  parent: '_ts_tree_cursor_goto_parent_wasm',
} as const;

let calls: CursorCalls | null = null;
/** Direct walks are used (tests turn them off to compare both walks). */
let direct = true;

/**
 * Takes the cursor functions from the module object Parser.init() was given, when all are there;
 * `transferBuffer` is the buffer's address (the module's `_ts_init()`).
 */
export function takeCursorCalls(module: Record<string, unknown>): void {
  const fns = Object.values(WASM_NAMES).map((name) => module[name]);
  const { setValue, getValue, _ts_init: init } = module;
  if (fns.some((f) => typeof f !== 'function') || typeof setValue !== 'function' || typeof getValue !== 'function' || typeof init !== 'function') return;
  const transferBuffer = (init as () => number)();
  if (typeof transferBuffer !== 'number' || !transferBuffer) return;
  const bound = Object.fromEntries(Object.entries(WASM_NAMES).map(([key, name]) => [key, module[name]]));
  calls = { ...(bound as Pick<CursorCalls, keyof typeof WASM_NAMES>), setValue: setValue as CursorCalls['setValue'], getValue: getValue as CursorCalls['getValue'], transferBuffer };
}

/** Use the direct walk when it is available (true), or the cursor's own properties (false). */
export function useDirectWalk(on: boolean): void {
  direct = on;
}

/** Is the direct walk in use? */
export function directWalkInUse(): boolean {
  return direct && calls !== null;
}

/** The cursor's four words and its tree's address (web-tree-sitter's internal handles). */
type CursorHandles = TreeCursor & { [i: number]: number; tree: { [i: number]: number } };

/** A walk from the cursor's node. */
export function walkFrom(cursor: TreeCursor): TreeWalk {
  return direct && calls ? directWalk(cursor as CursorHandles, calls) : cursorWalk(cursor);
}

function cursorWalk(cursor: TreeCursor): TreeWalk {
  return {
    typeId: () => cursor.nodeTypeId,
    fieldId: () => cursor.currentFieldId,
    startIndex: () => cursor.startIndex,
    endIndex: () => cursor.endIndex,
    isMissing: () => cursor.nodeIsMissing,
    firstChild: () => cursor.gotoFirstChild(),
    nextSibling: () => cursor.gotoNextSibling(),
    parent: () => cursor.gotoParent(),
    end: () => cursor.delete(),
  };
}

function directWalk(cursor: CursorHandles, c: CursorCalls): TreeWalk {
  const tree = cursor.tree[0];
  const buffer = c.transferBuffer;
  for (let i = 0; i < 4; i++) c.setValue(buffer + 4 * i, cursor[i], 'i32');
  return {
    typeId: () => c.typeId(tree),
    fieldId: () => c.fieldId(tree),
    startIndex: () => c.startIndex(tree),
    endIndex: () => c.endIndex(tree),
    isMissing: () => c.isMissing(tree) === 1,
    firstChild: () => c.firstChild(tree) === 1,
    nextSibling: () => c.nextSibling(tree) === 1,
    parent: () => c.parent(tree) === 1,
    end: () => {
      // The moves may have grown the cursor's stack: its words are the buffer's now.
      for (let i = 0; i < 4; i++) cursor[i] = c.getValue(buffer + 4 * i, 'i32');
      cursor.delete();
    },
  };
}
