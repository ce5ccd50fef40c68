// The SARIF 2.1.0 report, shaped for GitHub code scanning: one run, every rule in tool.driver,
// results with a primary location relative to the working directory (%SRCROOT%), the trace as a
// code flow, a line-shift-proof partial fingerprint, and one tool execution notification for
// every file that could not be analysed. A shard's run (--shard K/N) records which shard of which
// run it is in `automationDetails`; any other run records in its properties that it is not a
// shard (docs/ci-sharding.md, "What the logs record").
import { createHash } from 'node:crypto';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import type { RuleMeta } from '../rules/rule.js';
import type { FileNotification, Finding, RunResult, Severity, TraceStep } from '../types.js';
import { everyFileFailed } from './outcome.js';
import { shownPath } from '../discover.js';
import type { ToolInfo } from './tool-info.js';
import type { ShardRun } from '../shard.js';

export const SARIF_SCHEMA_URI = 'https://json.schemastore.org/sarif-2.1.0.json';
export const SRCROOT = '%SRCROOT%';

export interface SarifReportOptions {
  /** Absolute path that result locations are made relative to (the CLI passes process.cwd()). */
  workingDirectory: string;
  /** The run is this shard (--shard K/N) of this run; otherwise it is not a shard. */
  shard?: ShardRun;
}

// The subset of the SARIF 2.1.0 object model that vmalint writes.
export interface SarifLog {
  $schema: string;
  version: '2.1.0';
  runs: [SarifRun];
}

export interface SarifRun {
  tool: { driver: SarifDriver };
  /** A shard's run only: which shard of which run it is. */
  automationDetails?: SarifRunAutomationDetails;
  originalUriBaseIds: Record<string, { uri: string; description: SarifMessage }>;
  columnKind: 'utf16CodeUnits';
  results: SarifResult[];
  invocations: [SarifInvocation];
  /** Any run but a shard's: not a shard; for a merged log, of which run and how many shards. */
  properties?: { vmalint: NotShardProperties };
}

/** runAutomationDetails of a shard's run: `id` is `vmalint/shard-K-of-N/RUN`. */
export interface SarifRunAutomationDetails {
  id: string;
  description: SarifMessage;
  properties: { vmalint: ShardProperties };
}

/** A shard's record of itself: `shard` as --shard took it (`K/N`), `run` the run's identity. */
export interface ShardProperties {
  shard: string;
  run: string;
}

/** Not a shard (`shard: null`); a merged log adds the run and its number of shards. */
export interface NotShardProperties {
  shard: null;
  run?: string;
  mergedShards?: number;
}

export interface SarifDriver {
  name: string;
  version: string;
  semanticVersion: string;
  informationUri: string;
  rules: SarifReportingDescriptor[];
}

export interface SarifReportingDescriptor {
  id: string;
  name: string;
  shortDescription: SarifMessage;
  fullDescription: SarifMessage;
  help: { text: string; markdown: string };
  defaultConfiguration: { level: Severity };
  properties: { tags: string[] };
}

export interface SarifMessage {
  text: string;
}

export interface SarifArtifactLocation {
  uri: string;
  uriBaseId?: string;
}

export interface SarifRegion {
  startLine: number;
  startColumn: number;
  endLine?: number;
  endColumn?: number;
}

export interface SarifLocation {
  physicalLocation: { artifactLocation: SarifArtifactLocation; region?: SarifRegion };
  logicalLocations?: { name: string; kind: 'function' }[];
  message?: SarifMessage;
}

export interface SarifResult {
  ruleId: string;
  ruleIndex?: number;
  level: Severity;
  message: SarifMessage;
  locations: [SarifLocation];
  partialFingerprints: { primaryLocationLineHash: string };
  codeFlows?: { threadFlows: { locations: { location: SarifLocation }[] }[] }[];
}

export interface SarifInvocation {
  executionSuccessful: boolean;
  workingDirectory: { uri: string };
  toolExecutionNotifications: {
    level: FileNotification['level'];
    message: SarifMessage;
    locations: SarifLocation[];
  }[];
}

/** Tags GitHub shows and filters on; vmalint's rules are all about locking correctness. */
const RULE_TAGS = ['correctness', 'concurrency', 'locking', 'linux-kernel'];

export function buildSarifLog(
  result: RunResult,
  rules: readonly RuleMeta[],
  tool: ToolInfo,
  options: SarifReportOptions,
): SarifLog {
  const locate = (file: string): SarifArtifactLocation => artifactLocation(file, options.workingDirectory);
  const ruleIndexById = new Map(rules.map((rule, index) => [rule.id, index]));
  const fingerprints = primaryLocationLineHashes(result.findings, locate);
  const shard = options.shard;
  return {
    $schema: SARIF_SCHEMA_URI,
    version: '2.1.0',
    runs: [
      {
        tool: {
          driver: {
            name: tool.name,
            version: tool.version,
            semanticVersion: tool.version,
            informationUri: tool.informationUri,
            rules: rules.map(reportingDescriptor),
          },
        },
        ...(shard ? { automationDetails: shardAutomationDetails(shard, tool.name) } : {}),
        originalUriBaseIds: {
          [SRCROOT]: {
            uri: directoryUri(options.workingDirectory),
            description: { text: 'The directory vmalint was run from.' },
          },
        },
        columnKind: 'utf16CodeUnits',
        results: result.findings.map((finding, index) =>
          sarifResult(finding, ruleIndexById.get(finding.ruleId), fingerprints[index] ?? '', locate),
        ),
        invocations: [
          {
            executionSuccessful: !everyFileFailed(result.stats),
            workingDirectory: { uri: directoryUri(options.workingDirectory) },
            toolExecutionNotifications: result.notifications.map((notification) => ({
              level: notification.level,
              message: { text: notification.message },
              locations: [{ physicalLocation: { artifactLocation: locate(notification.file) } }],
            })),
          },
        ],
        ...(shard ? {} : { properties: { vmalint: { shard: null } } }),
      },
    ],
  };
}

/**
 * A shard's automationDetails. The id is SARIF's `category/instance`: the category
 * `vmalint/shard-K-of-N` is the same in every run, the instance is the run's identity (code scanning
 * keys analyses on the category, were a shard's log uploaded by itself).
 */
function shardAutomationDetails(shard: ShardRun, toolName: string): SarifRunAutomationDetails {
  const { index, count } = shard.shard;
  return {
    id: `${toolName}/shard-${index}-of-${count}/${shard.run}`,
    description: { text: `Shard ${index} of ${count} of ${toolName} run ${shard.run}: \`${toolName} merge\` joins the logs of its ${count} shards into one.` },
    properties: { vmalint: { shard: `${index}/${count}`, run: shard.run } },
  };
}

export function formatSarif(
  result: RunResult,
  rules: readonly RuleMeta[],
  tool: ToolInfo,
  options: SarifReportOptions,
): string {
  return serializeSarifLog(buildSarifLog(result, rules, tool, options));
}

/** The text of a log as vmalint writes it (indented JSON, one trailing newline). */
export function serializeSarifLog(log: SarifLog): string {
  return `${JSON.stringify(log, null, 2)}\n`;
}

function reportingDescriptor(rule: RuleMeta): SarifReportingDescriptor {
  return {
    id: rule.id,
    name: pascalCase(rule.id),
    shortDescription: { text: rule.shortDescription },
    fullDescription: { text: rule.fullDescription },
    help: { text: helpText(rule), markdown: helpMarkdown(rule) },
    defaultConfiguration: { level: rule.severity },
    properties: { tags: [...RULE_TAGS] },
  };
}

/** `fault-under-mmap-lock` -> `FaultUnderMmapLock` (SARIF's rule name is an identifier). */
export function pascalCase(ruleId: string): string {
  return ruleId
    .split(/[^A-Za-z0-9]+/)
    .filter((word) => word.length > 0)
    .map((word) => word[0]!.toUpperCase() + word.slice(1))
    .join('');
}

function helpText(rule: RuleMeta): string {
  return [
    rule.docs.what,
    `Why: ${rule.docs.why}`,
    `Wrong:\n${rule.docs.wrong.trimEnd()}`,
    `Right:\n${rule.docs.right.trimEnd()}`,
  ].join('\n\n');
}

function helpMarkdown(rule: RuleMeta): string {
  return [
    rule.docs.what,
    `**Why.** ${rule.docs.why}`,
    `**Wrong:**\n\n\`\`\`c\n${rule.docs.wrong.trimEnd()}\n\`\`\``,
    `**Right:**\n\n\`\`\`c\n${rule.docs.right.trimEnd()}\n\`\`\``,
  ].join('\n\n');
}

function sarifResult(
  finding: Finding,
  ruleIndex: number | undefined,
  fingerprint: string,
  locate: (file: string) => SarifArtifactLocation,
): SarifResult {
  const primary: SarifLocation = {
    physicalLocation: { artifactLocation: locate(finding.file), region: findingRegion(finding) },
  };
  if (finding.function !== null) primary.logicalLocations = [{ name: finding.function, kind: 'function' }];
  const sarif: SarifResult = {
    ruleId: finding.ruleId,
    level: finding.severity,
    message: { text: finding.message },
    locations: [primary],
    partialFingerprints: { primaryLocationLineHash: fingerprint },
  };
  if (ruleIndex !== undefined) sarif.ruleIndex = ruleIndex;
  if (finding.trace.length > 0) {
    sarif.codeFlows = [{ threadFlows: [{ locations: finding.trace.map((step) => ({ location: traceLocation(step, locate) })) }] }];
  }
  return sarif;
}

/** The finding's region; an end before the start (which SARIF rejects) collapses to the start. */
function findingRegion(finding: Finding): SarifRegion {
  const endsBeforeStart =
    finding.endLine < finding.line || (finding.endLine === finding.line && finding.endColumn < finding.column);
  return {
    startLine: finding.line,
    startColumn: finding.column,
    endLine: endsBeforeStart ? finding.line : finding.endLine,
    endColumn: endsBeforeStart ? finding.column : finding.endColumn,
  };
}

function traceLocation(step: TraceStep, locate: (file: string) => SarifArtifactLocation): SarifLocation {
  return {
    physicalLocation: {
      artifactLocation: locate(step.file),
      region: { startLine: step.line, startColumn: step.column },
    },
    message: { text: step.message },
  };
}

/**
 * A file's location: relative to %SRCROOT% (the working directory), with `..` when it lies outside
 * it (shownPath()); an absolute file: URI only where no relative path leads (another drive).
 */
export function artifactLocation(file: string, workingDirectory: string): SarifArtifactLocation {
  const relative = shownPath(workingDirectory, file);
  if (path.isAbsolute(relative)) return { uri: pathToFileURL(relative).href };
  return { uri: relative.split(path.sep).map(encodeURIComponent).join('/'), uriBaseId: SRCROOT };
}

function directoryUri(directory: string): string {
  const href = pathToFileURL(path.resolve(directory)).href;
  return href.endsWith('/') ? href : `${href}/`;
}

/**
 * `primaryLocationLineHash` for every finding: a hash of what the finding is about (rule, function,
 * the primary line's text with white space folded), not where it is, so that lines added or removed
 * elsewhere in the file keep the fingerprint; `:N` counts identical keys within one file in report
 * order so that two identical findings stay distinct.
 */
export function primaryLocationLineHashes(
  findings: readonly Finding[],
  locate: (file: string) => SarifArtifactLocation,
): string[] {
  const occurrences = new Map<string, number>();
  return findings.map((finding) => {
    const hash = fingerprintHash(finding);
    const location = locate(finding.file);
    const scope = `${location.uriBaseId ?? ''}\u0000${location.uri}\u0000${hash}`;
    const occurrence = (occurrences.get(scope) ?? 0) + 1;
    occurrences.set(scope, occurrence);
    return `${hash}:${occurrence}`;
  });
}

function fingerprintHash(finding: Finding): string {
  const key = [finding.ruleId, finding.function ?? '', foldWhiteSpace(finding.lineText)].join('\u0000');
  return createHash('sha256').update(key).digest('hex').slice(0, 16);
}

function foldWhiteSpace(text: string): string {
  return text.trim().replace(/\s+/g, ' ');
}
