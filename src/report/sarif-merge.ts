// `vmalint merge`: the SARIF logs of the shards of one run (`--shard K/N`, as src/report/sarif.ts
// writes them) become one log with one run, as a single run over all the files would have
// written it: the first log's driver (with any rule only a later log has appended), every result
// in the order a run lists findings (src/report/order.ts), one invocation.
//
// The logs must be the N shards of one run, each once: every log records its shard K/N and its
// run's identity (src/report/sarif.ts, src/shard.ts), and a set with a shard missing, a shard
// twice, shards of different N or runs, or a log that is not a shard's is refused, so that a
// shard cannot go missing from the merged log unnoticed.
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { compareFindingOrder } from './order.js';
import type { FindingOrderKey } from './order.js';
import type { SarifArtifactLocation, SarifDriver, SarifInvocation, SarifLog, SarifReportingDescriptor, SarifResult } from './sarif.js';
import { jsonErrorText } from '../json-error.js';
import { shardOfText, type Shard } from '../shard.js';

/** An input that cannot be merged (not JSON, not SARIF 2.1.0, another tool...): the message names it. */
export class SarifMergeError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SarifMergeError';
  }
}

/** A log to merge and where it came from (a file name, for messages). */
export interface SarifInput {
  source: string;
  log: SarifLog;
}

/**
 * Parses one log and checks that it is what vmalint writes: SARIF 2.1.0 with exactly one run,
 * a named and versioned driver, rules with ids, results with a rule id and a location, and one
 * invocation. Throws SarifMergeError naming `source` otherwise.
 */
export function parseSarifLog(text: string, source: string): SarifLog {
  let parsed: unknown;
  const json = text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
  try {
    parsed = JSON.parse(json);
  } catch (error) {
    throw new SarifMergeError(`${source}: not valid JSON: ${jsonErrorText(error, json)}`);
  }
  const fail = (what: string): never => {
    throw new SarifMergeError(`${source}: ${what}`);
  };
  if (!isObject(parsed)) return fail('not a SARIF log (not a JSON object)');
  if (parsed['version'] !== '2.1.0') return fail(`not a SARIF 2.1.0 log (version: ${JSON.stringify(parsed['version']) ?? 'missing'})`);
  const runs = parsed['runs'];
  if (!Array.isArray(runs)) return fail('not a SARIF log: runs is not a list');
  if (runs.length !== 1) return fail(`has ${runs.length} runs; merge takes logs of one run each, as vmalint writes them`);
  const run: unknown = runs[0];
  if (!isObject(run)) return fail('runs[0] is not an object');

  const driver = isObject(run['tool']) ? run['tool']['driver'] : undefined;
  if (!isObject(driver) || typeof driver['name'] !== 'string' || typeof driver['version'] !== 'string') {
    return fail('runs[0].tool.driver has no name and version');
  }
  const rules = driver['rules'] ?? [];
  if (!Array.isArray(rules) || !rules.every((rule) => isObject(rule) && typeof rule['id'] === 'string')) {
    return fail('runs[0].tool.driver.rules is not a list of rules with ids');
  }
  const results = run['results'];
  if (!Array.isArray(results)) return fail('runs[0].results is not a list');
  results.forEach((result: unknown, index) => {
    if (!isObject(result) || typeof result['ruleId'] !== 'string') fail(`runs[0].results[${index}] has no ruleId`);
    const locations = (result as Record<string, unknown>)['locations'];
    if (!Array.isArray(locations) || artifactOf(locations[0]) === undefined) fail(`runs[0].results[${index}] has no file location`);
  });
  const invocations = run['invocations'];
  if (!Array.isArray(invocations) || invocations.length !== 1) return fail('runs[0] does not have exactly one invocation');
  const invocation: unknown = invocations[0];
  if (!isObject(invocation) || typeof invocation['executionSuccessful'] !== 'boolean') {
    return fail('runs[0].invocations[0] has no executionSuccessful');
  }
  if (!Array.isArray(invocation['toolExecutionNotifications'] ?? [])) {
    return fail('runs[0].invocations[0].toolExecutionNotifications is not a list');
  }
  const scope = logScope(run);
  if (typeof scope === 'string') return fail(scope);
  return parsed as unknown as SarifLog;
}

/** The logs named on the command line, read and parsed (paths relative to `cwd`); SarifMergeError names a bad one. */
export async function readSarifInputs(files: readonly string[], cwd: string): Promise<SarifInput[]> {
  const inputs: SarifInput[] = [];
  for (const file of files) {
    let text: string;
    try {
      text = await readFile(path.resolve(cwd, file), 'utf8');
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      const reason = code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'is a directory' : code ?? String(error);
      throw new SarifMergeError(`${file}: cannot read: ${reason}`);
    }
    inputs.push({ source: file, log: parseSarifLog(text, file) });
  }
  return inputs;
}

/**
 * What a log says of its run: a shard (`runs[0].automationDetails.properties.vmalint`: shard `K/N`
 * and the run's identity), not a shard (`runs[0].properties.vmalint.shard` null: a whole run, or
 * a merged log with the run and its number of shards), or nothing (another tool, or a vmalint
 * that did not record it). A string says what is malformed.
 */
type LogScope = { kind: 'shard'; shard: Shard; run: string } | { kind: 'not a shard'; run?: string; mergedShards?: number } | { kind: 'unknown' };

function logScope(run: Record<string, unknown>): LogScope | string {
  const details = run['automationDetails'];
  const shardRecord = isObject(details) && isObject(details['properties']) ? details['properties']['vmalint'] : undefined;
  if (shardRecord !== undefined) {
    const shard = isObject(shardRecord) && typeof shardRecord['shard'] === 'string' ? shardOfText(shardRecord['shard']) : null;
    const identity = isObject(shardRecord) ? shardRecord['run'] : undefined;
    if (!shard || typeof identity !== 'string' || identity === '') return 'runs[0].automationDetails.properties.vmalint is not a shard K/N and a run';
    return { kind: 'shard', shard, run: identity };
  }
  const record = isObject(run['properties']) ? run['properties']['vmalint'] : undefined;
  if (record === undefined) return { kind: 'unknown' };
  if (!isObject(record) || record['shard'] !== null) return 'runs[0].properties.vmalint.shard is not null (and there is no shard in automationDetails)';
  const scope: LogScope = { kind: 'not a shard' };
  if (typeof record['run'] === 'string') scope.run = record['run'];
  if (typeof record['mergedShards'] === 'number') scope.mergedShards = record['mergedShards'];
  return scope;
}

/** A shard's log and what it records. */
interface ShardInput {
  source: string;
  shard: Shard;
  run: string;
}

/**
 * Checks that the logs are the N shards of one run, each once, and returns N and the run; throws
 * SarifMergeError naming the files otherwise: a log that is not a shard's (a whole run's, a merged
 * log, or one without shard information), shards of different N, of different runs, a shard given
 * twice, shards missing.
 */
export function requireShardSet(inputs: readonly SarifInput[]): { count: number; run: string } {
  const shards: ShardInput[] = inputs.map((input) => {
    const scope = logScope(input.log.runs[0] as unknown as Record<string, unknown>);
    if (typeof scope === 'string') throw new SarifMergeError(`${input.source}: ${scope}`);
    if (scope.kind === 'shard') return { source: input.source, shard: scope.shard, run: scope.run };
    throw new SarifMergeError(`${input.source}: ${notShardReason(scope)}: merge takes the logs of the N shards of one run (vmalint --shard K/N --format sarif)`);
  });
  const first = shards[0];
  if (first === undefined) throw new SarifMergeError('no SARIF log to merge');
  const count = first.shard.count;
  for (const other of shards) {
    if (other.shard.count !== count) {
      throw new SarifMergeError(`${other.source} is shard ${shardText(other.shard)}, ${first.source} is shard ${shardText(first.shard)}: the shards of one run have the same N`);
    }
    if (other.run !== first.run) {
      throw new SarifMergeError(
        `${other.source} is a shard of run ${other.run}, ${first.source} of run ${first.run}: ` +
          'they analysed another commit or other files, summaries, options or rules; merge the shards of one run',
      );
    }
  }
  const byIndex = new Map<number, ShardInput>();
  for (const input of shards) {
    const seen = byIndex.get(input.shard.index);
    if (seen) throw new SarifMergeError(`${seen.source} and ${input.source} are both shard ${shardText(input.shard)}`);
    byIndex.set(input.shard.index, input);
  }
  const missing = Array.from({ length: count }, (_, index) => index + 1).filter((index) => !byIndex.has(index));
  if (missing.length > 0) {
    const named = missing.slice(0, MISSING_NAMED).map((index) => `${index}/${count}`);
    const list = missing.length > MISSING_NAMED ? `${named.join(', ')} and ${missing.length - MISSING_NAMED} more` : joinWithAnd(named);
    throw new SarifMergeError(`${missing.length === 1 ? 'shard' : 'shards'} ${list} ${missing.length === 1 ? 'is' : 'are'} missing: merge needs the logs of all ${count} shards (got ${byIndex.size})`);
  }
  return { count, run: first.run };
}

/** How many missing shards a message lists by number. */
const MISSING_NAMED = 10;

function notShardReason(scope: Exclude<LogScope, { kind: 'shard' }>): string {
  if (scope.kind === 'unknown') return 'no shard information (runs[0].automationDetails), not a log of vmalint --shard K/N';
  if (scope.mergedShards !== undefined) return `already a merged log (of the ${scope.mergedShards} shards of run ${scope.run ?? 'unknown'}), not a shard's`;
  return "the log of a whole run (written without --shard), not a shard's";
}

function shardText(shard: Shard): string {
  return `${shard.index}/${shard.count}`;
}

function joinWithAnd(items: readonly string[]): string {
  return items.length <= 1 ? items.join('') : `${items.slice(0, -1).join(', ')} and ${items[items.length - 1]}`;
}

/**
 * Merges the logs of the shards of one run into one log. All inputs must come from the same tool
 * and version and be the N shards of one run, each once (requireShardSet(); SarifMergeError
 * otherwise). The merged run has the first log's driver, base URIs and working directory; rules
 * only a later log lists are appended and every result's ruleIndex points into the merged list;
 * results and tool notifications are sorted as one run sorts them; executionSuccessful holds when
 * it holds in every input. It has no automationDetails (code scanning's category is then the
 * upload's, as for a whole run's log), and its properties say that it is not a shard, of which run
 * it is and of how many shards. The inputs are not modified.
 */
export function mergeSarifLogs(inputs: readonly SarifInput[]): SarifLog {
  const first = inputs[0];
  if (first === undefined) throw new SarifMergeError('no SARIF log to merge');
  const firstRun = first.log.runs[0];
  for (const input of inputs.slice(1)) requireSameTool(first, input);
  const set = requireShardSet(inputs);

  const driver = mergedDriver(inputs.map((input) => input.log.runs[0].tool.driver));
  const ruleIndexById = new Map(driver.rules.map((rule, index) => [rule.id, index]));
  const results = inputs
    .flatMap((input) => input.log.runs[0].results)
    .map((result) => withRuleIndex(structuredClone(result), ruleIndexById.get(result.ruleId)))
    .sort((a, b) => compareFindingOrder(resultOrderKey(a), resultOrderKey(b)));

  const invocations = inputs.map((input) => input.log.runs[0].invocations[0]);
  const notifications = invocations
    .flatMap((invocation) => invocation.toolExecutionNotifications ?? [])
    .map((notification) => structuredClone(notification))
    .sort((a, b) => compareStrings(notificationOrderKey(a), notificationOrderKey(b)));
  const invocation: SarifInvocation = {
    executionSuccessful: invocations.every((candidate) => candidate.executionSuccessful),
    workingDirectory: structuredClone(firstRun.invocations[0].workingDirectory),
    toolExecutionNotifications: notifications,
  };

  return {
    $schema: first.log.$schema,
    version: '2.1.0',
    runs: [
      {
        tool: { driver },
        originalUriBaseIds: structuredClone(firstRun.originalUriBaseIds),
        columnKind: firstRun.columnKind,
        results,
        invocations: [invocation],
        properties: { vmalint: { shard: null, run: set.run, mergedShards: set.count } },
      },
    ],
  };
}

function requireSameTool(first: SarifInput, other: SarifInput): void {
  const expected = first.log.runs[0].tool.driver;
  const actual = other.log.runs[0].tool.driver;
  if (expected.name === actual.name && expected.version === actual.version) return;
  throw new SarifMergeError(
    `${other.source} was written by ${actual.name} ${actual.version}, ${first.source} by ${expected.name} ${expected.version}: ` +
      'merge the logs of one run, written by the same tool and version',
  );
}

/** The first driver with the rules that only later drivers list appended, in their order. */
function mergedDriver(drivers: readonly SarifDriver[]): SarifDriver {
  const driver = structuredClone(drivers[0]!);
  driver.rules ??= [];
  const known = new Set(driver.rules.map((rule) => rule.id));
  for (const other of drivers.slice(1)) {
    for (const rule of other.rules ?? []) {
      if (known.has(rule.id)) continue;
      known.add(rule.id);
      driver.rules.push(structuredClone(rule) as SarifReportingDescriptor);
    }
  }
  return driver;
}

/** ruleIndex set to the rule's place in the merged driver, or left out when the driver lacks it. */
function withRuleIndex(result: SarifResult, ruleIndex: number | undefined): SarifResult {
  if (ruleIndex === undefined) delete result.ruleIndex;
  else result.ruleIndex = ruleIndex;
  return result;
}

function resultOrderKey(result: SarifResult): FindingOrderKey {
  const physical = result.locations[0].physicalLocation;
  return {
    file: locationOrderKey(physical.artifactLocation),
    line: physical.region?.startLine ?? 0,
    column: physical.region?.startColumn ?? 0,
    ruleId: result.ruleId,
    message: result.message?.text ?? '',
  };
}

/**
 * The file path a location was made from, for sorting as the analysis sorts paths: a relative
 * URI decoded (sarif.ts encodes each path segment), a file: URI as its absolute path.
 */
function locationOrderKey(location: SarifArtifactLocation | undefined): string {
  if (location === undefined) return '';
  try {
    if (location.uriBaseId === undefined && location.uri.startsWith('file:')) return fileURLToPath(location.uri);
    return decodeURIComponent(location.uri);
  } catch {
    return location.uri;
  }
}

/** Notifications are sorted by the file they are about (stably: one file's keep their order). */
function notificationOrderKey(notification: SarifInvocation['toolExecutionNotifications'][number]): string {
  return locationOrderKey(notification.locations?.[0]?.physicalLocation?.artifactLocation);
}

function artifactOf(location: unknown): SarifArtifactLocation | undefined {
  if (!isObject(location) || !isObject(location['physicalLocation'])) return undefined;
  const artifact = location['physicalLocation']['artifactLocation'];
  return isObject(artifact) && typeof artifact['uri'] === 'string' ? (artifact as unknown as SarifArtifactLocation) : undefined;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function compareStrings(a: string, b: string): number {
  if (a < b) return -1;
  if (a > b) return 1;
  return 0;
}
