// The parse step of a file's analysis: the file parsed (only the functions the demand keeps, the
// rest blanked), its function definitions, comments and file-scope initializers copied out of the
// syntax tree, and the needed functions the parser could not read.

import type { RunStats } from '../types.js';
import { CParser, query } from '../parse/parser.js';
import { AstNode, lineAt, toAst, type SourceFile } from '../parse/ast.js';
import { unparsedEnds } from '../parse/unparsed-functions.js';
import { initializerFields, inEnabledRegion, topLevelItems } from '../parse/top-level.js';
import type { PreprocessorEvaluator } from '../engine/preprocessor.js';
import { declaredName } from '../engine/transfer.js';
import { keepOnly } from '../engine/prescan.js';
import { includedRanges } from '../parse/included-ranges.js';
import type { CommentInfo } from '../engine/events.js';
import { KeptParses } from './kept-parses.js';

/**
 * The functions of a file to analyse (the demand): their end offsets, the text ranges the parser
 * is given (the functions with the comments above them, and the file-scope initializers), and the
 * end offsets of every function the prescan delimited.
 */
export interface OnlyFunctions {
  ends: number[];
  ranges: { start: number; end: number }[];
  prescanned: number[];
}

/** A file-scope variable's brace initializer. */
export interface FileInitializer {
  fields: Map<string, string>;
  isStatic: boolean;
  type: string;
  /** Line of the declaration (1-based). */
  line: number;
}

/** What the analysis reads of a parsed file. */
export interface ParsedFile {
  /** The function definitions to analyse, in source order. */
  functions: AstNode[];
  /** The comments the rules read (none unless `readComments`). */
  comments: CommentInfo[];
  /** File-scope initializers by variable (the first of a name). */
  initializers: Map<string, FileInitializer>;
  /** Notes on needed functions no parsed definition holds, one per distinct message. */
  unparsed: string[];
}

type Tree = ReturnType<CParser['parse']>;

/** Parses files with one parser of its own, counting the parses in `stats`. */
export class FileParser {
  private readonly parser = new CParser();

  /** Parses kept for the same file and functions asked again (none: every parse is made). */
  private kept: KeptParses | null = null;

  constructor(
    private readonly pre: PreprocessorEvaluator,
    private readonly stats: RunStats,
  ) {}

  /** From now on, keeps parses (up to `bytes` of source) for the same file and functions asked again; 0: no more (those kept are let go). */
  keepParses(bytes: number): void {
    this.kept = bytes > 0 ? (this.kept ?? new KeptParses(bytes)) : null;
  }

  /** A new parser for the next file (after a failure, whatever state the old one was left in). */
  reset(): void {
    this.parser.reset();
  }

  /**
   * Parses `file` (only the functions of `only` when given); `readComments`: the rules read its
   * comments; `noteUnparsed`: say which needed functions the parser could not read.
   */
  parse(file: SourceFile, only: OnlyFunctions | null | undefined, readComments: boolean, noteUnparsed: boolean): ParsedFile {
    const kept = this.kept?.get(file, only, readComments, noteUnparsed);
    if (kept) {
      this.stats.parsesReused++;
      return kept;
    }
    const parsed = this.parseNow(file, only, readComments, noteUnparsed);
    this.kept?.keep(file, only, readComments, noteUnparsed, parsed);
    return parsed;
  }

  private parseNow(file: SourceFile, only: OnlyFunctions | null | undefined, readComments: boolean, noteUnparsed: boolean): ParsedFile {
    const { tree, analyzed, definitions, initialized } = this.parseSelected(file, only);
    // A needed function no parsed definition holds (src/parse/unparsed-functions.ts): said.
    const unparsed: string[] = [];
    if (only && noteUnparsed) {
      for (const end of unparsedEnds(only.ends, definitions)) {
        const message = `the function ending at line ${lineAt(file, end)} was not analysed: the parser could not read it as a function`;
        if (!unparsed.includes(message)) unparsed.push(message);
      }
    }
    try {
      const functions = definitions
        .filter((n) => analyzed(n.endIndex))
        .filter((n) => inEnabledRegion(n, this.pre, file))
        .map((n) => toAst(n, file));
      const comments = readComments ? commentsOf(tree, file) : [];
      return { functions, comments, initializers: initializersOf(initialized, file), unparsed };
    } finally {
      tree.delete();
    }
  }

  /**
   * The file parsed with only the functions of `only` (the parser sees them alone, the rest
   * blanked), or whole; and which of its definitions to analyse, by end offset.
   */
  private parseSelected(file: SourceFile, only: OnlyFunctions | null | undefined): { tree: Tree; analyzed: (end: number) => boolean } & ReturnType<typeof topLevelItems> {
    this.stats.filesParsed++;
    const blanked = only ? keepOnly(file.text, only.ranges) : null;
    const tree = blanked !== null ? this.parser.parse(blanked, includedRanges(blanked, only!.ranges)) : this.parser.parse(file.text);
    const items = topLevelItems(tree.rootNode);
    if (!only) return { tree, analyzed: () => true, ...items };
    const needed = new Set(only.ends);
    // The prescan delimited a function otherwise than the parser (a brace an #ifdef left
    // unbalanced): the whole file is parsed, and what the prescan did not see is analysed.
    const ends = items.definitions.map((n) => n.endIndex);
    if (!ends.some((e) => !needed.has(e)) && new Set(ends).size >= needed.size) return { tree, analyzed: (end) => needed.has(end), ...items };
    tree.delete();
    this.stats.filesParsed++;
    const whole = this.parser.parse(file.text);
    const prescanned = new Set(only.prescanned);
    return { tree: whole, analyzed: (end) => needed.has(end) || !prescanned.has(end), ...topLevelItems(whole.rootNode) };
  }
}

function commentsOf(tree: Tree, file: SourceFile): CommentInfo[] {
  return query('comments')
    .captures(tree.rootNode)
    .map((capture) => {
      const n = capture.node;
      const node = new AstNode(file, 'comment', true, null, false, n.startIndex, n.endIndex);
      return { node, text: node.text };
    });
}

function initializersOf(declarations: ReturnType<typeof topLevelItems>['initialized'], file: SourceFile): Map<string, FileInitializer> {
  const initializers = new Map<string, FileInitializer>();
  for (const declaration of declarations) {
    const decl = toAst(declaration, file);
    const init = decl.child('declarator');
    const name = declaredName(init?.child('declarator') ?? null);
    const value = init?.child('value');
    if (!name || !value) continue;
    const isStatic = decl.namedChildren.some((x) => x.type === 'storage_class_specifier' && x.text === 'static');
    const type = decl.child('type')?.text.replace(/\s+/g, ' ') ?? '';
    if (!initializers.has(name)) initializers.set(name, { fields: initializerFields(value), isStatic, type, line: decl.row + 1 });
  }
  return initializers;
}
