// A file's top level as the analysis reads it: its function definitions and brace-initialised
// declarations (through #if regions and error recovery), whether the -D/-U macros leave an item
// enabled, and the fields of a brace initializer.
import type { Node } from 'web-tree-sitter';
import { AstNode, toAst, type SourceFile } from './ast.js';
import { CONDITIONAL_DIRECTIVES, type PreprocessorEvaluator } from '../engine/preprocessor.js';

/** A conditional directive with just what deciding it needs (its name or condition), not its body. */
function shallowDirective(p: Node, file: SourceFile): AstNode {
  const node = new AstNode(file, p.type, true, null, false, p.startIndex, p.endIndex);
  const first = p.child(0);
  if (first) {
    node.children.push(new AstNode(file, first.type, false, null, false, first.startIndex, first.endIndex));
  }
  for (const field of ['name', 'condition']) {
    const c = p.childForFieldName(field);
    if (!c) continue;
    const copy = toAst(c, file);
    const withField = new AstNode(file, copy.type, copy.named, field, false, copy.start, copy.end);
    withField.children.push(...copy.children);
    node.children.push(withField);
  }
  return node;
}

/** Nodes that hold a file's top-level items: the file, #if/#ifdef regions, error recovery. */
const TOP_LEVEL_CONTAINERS = new Set(['translation_unit', 'preproc_if', 'preproc_ifdef', 'preproc_elif', 'preproc_elifdef', 'preproc_else', 'ERROR']);

/**
 * The file's top-level function definitions and declarations with a brace initializer
 * (`static const struct mm_walk_ops ops = { ... };`), in file order. One walk over the top
 * level: function bodies and other items are not entered (a one-argument macro and its block
 * inside a body, `for_each_process(p) { }`, parse as a nested definition: the CFG reads it).
 */
export function topLevelItems(root: Node): { definitions: Node[]; initialized: Node[] } {
  const definitions: Node[] = [];
  const initialized: Node[] = [];
  const cursor = root.walk();
  try {
    if (!cursor.gotoFirstChild()) return { definitions, initialized };
    for (;;) {
      const type = cursor.nodeType;
      if (type === 'function_definition') definitions.push(cursor.currentNode);
      else if (type === 'declaration') {
        const node = cursor.currentNode;
        if (node.childrenForFieldName('declarator').some((d) => d?.type === 'init_declarator' && d.childForFieldName('value')?.type === 'initializer_list')) initialized.push(node);
      }
      if (TOP_LEVEL_CONTAINERS.has(type) && cursor.gotoFirstChild()) continue;
      while (!cursor.gotoNextSibling()) {
        if (!cursor.gotoParent() || cursor.nodeType === 'translation_unit') return { definitions, initialized };
      }
    }
  } finally {
    cursor.delete();
  }
}

/** Is a top-level node inside #if regions that -D/-U (and the default defines) leave enabled? */
export function inEnabledRegion(node: Node, pre: PreprocessorEvaluator, file: SourceFile): boolean {
  let child: Node = node;
  let p = node.parent;
  while (p) {
    if (CONDITIONAL_DIRECTIVES.has(p.type)) {
      const verdict = pre.decide(shallowDirective(p, file));
      const alt = p.childForFieldName('alternative');
      if (alt && alt.id === child.id) {
        if (verdict === true) return false;
      } else if (verdict === false) {
        return false;
      }
    }
    child = p;
    p = p.parent;
  }
  return true;
}

/**
 * `.field = value` pairs of a brace initializer. A pair under `#ifdef` inside the braces, which
 * the grammar cannot read there, comes out as an assignment to a field of the directive's last
 * word (`CONFIG_X .mmap = m`): its field and value count all the same.
 */
export function initializerFields(list: AstNode): Map<string, string> {
  const out = new Map<string, string>();
  for (const pair of list.namedChildren) {
    if (pair.type === 'assignment_expression' && pair.child('left')?.type === 'field_expression') {
      const field = pair.child('left')!.child('field')?.text;
      const value = pair.child('right');
      if (field && value && !out.has(field)) out.set(field, value.text.replace(/\s+/g, ' ').trim());
      continue;
    }
    if (pair.type !== 'initializer_pair') continue;
    const designator = pair.namedChildren.find((c) => c.type === 'field_designator');
    const value = pair.child('value');
    const field = designator?.namedChildren[0]?.text;
    if (field && value) out.set(field, value.text.replace(/\s+/g, ' ').trim());
  }
  return out;
}

