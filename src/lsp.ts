// `vmalint lsp`: a Language Server over stdio (vscode-languageserver) that publishes vmalint's
// findings for C documents as diagnostics: on open and on change (debounced, from the editor's
// text, not the file on disk), with the trace as related information, cleared when the document
// closes. Each document is analysed alone, with the kernel tree's header summaries when it lies in
// one, the project's .vmalint.json (rules, severities, macros, knowledge-base entries) and the
// cache that command-line runs fill.

import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { createConnection, DiagnosticSeverity, ProposedFeatures, TextDocuments, TextDocumentSyncKind, type Connection, type Diagnostic } from 'vscode-languageserver/node';
import { TextDocument } from 'vscode-languageserver-textdocument';
import { analyzeSources, findKernelRoot } from './analyze.js';
import { cacheDirectory } from './cache.js';
import { ConfigError, findConfig, loadConfig } from './kb/config.js';
import { analysisSetup, NO_CHOICES, withConfiguredSeverity } from './project-options.js';
import { allRules } from './rules/index.js';
import type { AnalyzeOptions, Finding, Severity } from './types.js';
import type { RuleMeta } from './rules/rule.js';
import { toolInfo } from './report/tool-info.js';

/** How long a document must stay unchanged before it is analysed (ms). */
export const DEBOUNCE_MS = 250;

const SEVERITY: Record<Severity, DiagnosticSeverity> = { error: DiagnosticSeverity.Error, warning: DiagnosticSeverity.Warning, note: DiagnosticSeverity.Information };

const C_DOCUMENT = /\.[ch]$/;

/** A finding as an LSP diagnostic (lines and columns from 0), its trace as related information. */
export function findingDiagnostic(finding: Finding): Diagnostic {
  const at = (line: number, column: number) => ({ line: Math.max(0, line - 1), character: Math.max(0, column - 1) });
  const end = finding.endLine > finding.line || finding.endColumn > finding.column ? at(finding.endLine, finding.endColumn) : at(finding.line, finding.column + 1);
  return {
    range: { start: at(finding.line, finding.column), end },
    severity: SEVERITY[finding.severity],
    source: 'vmalint',
    code: finding.ruleId,
    message: finding.message,
    relatedInformation: finding.trace.map((step) => ({
      location: { uri: pathToFileURL(path.resolve(step.file)).href, range: { start: at(step.line, step.column), end: at(step.line, step.column + 1) } },
      message: step.message,
    })),
  };
}

/**
 * The diagnostic of a document vmalint could not analyse (a failure of its own, a configuration it
 * cannot read): an editor that shows nothing must mean that nothing was found.
 */
export function failureDiagnostic(reason: string): Diagnostic {
  return {
    range: { start: { line: 0, character: 0 }, end: { line: 0, character: 0 } },
    severity: DiagnosticSeverity.Warning,
    source: 'vmalint',
    code: 'not-analysed',
    message: `vmalint could not analyse this file: ${reason.replace(/^could not be analysed: /, "")}`,
  };
}

/** A part of the file vmalint did not analyse (a function, a rule that failed there): an information at the top. */
export function partialDiagnostic(reason: string): Diagnostic {
  return {
    range: { start: { line: 0, character: 0 }, end: { line: 0, character: 0 } },
    severity: DiagnosticSeverity.Information,
    source: 'vmalint',
    code: 'not-fully-analysed',
    message: `vmalint did not fully analyse this file: ${reason}`,
  };
}

/** Runs the server on stdin/stdout until the client says exit. */
export function runLanguageServer(env: Readonly<Record<string, string | undefined>>): void {
  const connection: Connection = createConnection(ProposedFeatures.all, process.stdin, process.stdout);
  const documents = new TextDocuments(TextDocument);
  const cacheDir = cacheDirectory(env);
  const pending = new Map<string, NodeJS.Timeout>();
  /** The version being analysed per document, and whether a newer one waits. */
  const running = new Map<string, { again: boolean }>();

  /** The analysis options and the rules' severities for a file, from the project's .vmalint.json found from it. */
  const setupFor = (file: string): { options: AnalyzeOptions; rules: RuleMeta[] } | { error: string } => {
    try {
      const configFile = findConfig(path.dirname(file));
      const project = configFile ? loadConfig(configFile, allRules().map((r) => r.meta.id)) : null;
      const { options, rules } = analysisSetup(project, NO_CHOICES);
      return { options: { ...options, kernelRoot: findKernelRoot([file]) ?? false, jobs: 1, ...(cacheDir ? { cacheDir } : {}) }, rules };
    } catch (error) {
      const message = error instanceof ConfigError ? error.message : String(error);
      void connection.window.showErrorMessage(`vmalint: ${message}`);
      return { error: message };
    }
  };

  const analyze = async (uri: string): Promise<void> => {
    const document = documents.get(uri);
    if (!document) return;
    const current = running.get(uri);
    if (current) {
      current.again = true;
      return;
    }
    const state = { again: false };
    running.set(uri, state);
    const publish = async (diagnostics: Diagnostic[]): Promise<void> => {
      // Closed meanwhile: nothing to show.
      if (documents.get(uri)) await connection.sendDiagnostics({ uri, version: document.version, diagnostics });
    };
    try {
      const file = fileURLToPath(uri);
      const setup = setupFor(file);
      if ('error' in setup) return await publish([failureDiagnostic(setup.error)]);
      const result = withConfiguredSeverity(await analyzeSources([{ path: file, text: document.getText() }], setup.options), setup.rules);
      const own = result.notifications.filter((n) => path.resolve(n.file) === file);
      const failures = own.filter((n) => n.level === 'error');
      // Part of the file not analysed (a function, a rule that failed): said too.
      const partial = own.filter((n) => n.level === 'warning' || (n.level === 'note' && /not (fully )?analysed/.test(n.message)));
      await publish([
        ...failures.map((n) => failureDiagnostic(n.message)),
        ...partial.map((n) => partialDiagnostic(n.message)),
        ...result.findings.filter((f) => path.resolve(f.file) === file).map(findingDiagnostic),
      ]);
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      connection.console.error(`vmalint: ${uri}: ${message}`);
      await publish([failureDiagnostic(message)]).catch(() => undefined);
    } finally {
      running.delete(uri);
      if (state.again) schedule(uri, 0);
    }
  };

  const schedule = (uri: string, delay = DEBOUNCE_MS): void => {
    if (!C_DOCUMENT.test(uri) || !uri.startsWith('file:')) return;
    clearTimeout(pending.get(uri));
    pending.set(uri, setTimeout(() => {
      pending.delete(uri);
      void analyze(uri);
    }, delay));
  };

  connection.onInitialize(() => ({
    capabilities: { textDocumentSync: { openClose: true, change: TextDocumentSyncKind.Incremental } },
    serverInfo: { name: 'vmalint', version: toolInfo().version },
  }));
  /** Documents analysed since they were opened: an opened one is analysed at once, a changed one once typing pauses. */
  const seen = new Set<string>();
  documents.onDidChangeContent((e) => {
    schedule(e.document.uri, seen.has(e.document.uri) ? DEBOUNCE_MS : 0);
    seen.add(e.document.uri);
  });
  documents.onDidClose((e) => {
    seen.delete(e.document.uri);
    clearTimeout(pending.get(e.document.uri));
    pending.delete(e.document.uri);
    void connection.sendDiagnostics({ uri: e.document.uri, diagnostics: [] });
  });
  documents.listen(connection);
  connection.listen();
}
