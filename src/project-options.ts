// What a run analyses with, from the project's configuration (.vmalint.json) and the choices of
// the command line (rules, macros), the command line winning: the rules' metadata (with the
// severity the project gives them), the rules to run, and the analysis options. The command line
// and the language server both start from here.

import type { AnalyzeOptions, RunResult } from './types.js';
import type { RuleMeta } from './rules/rule.js';
import { allRules } from './rules/index.js';
import type { ProjectConfig } from './kb/config.js';
import { UsageError } from './usage-error.js';

/** What the command line chose (the language server chooses nothing). */
export interface RuleAndMacroChoices {
  ruleIds: readonly string[];
  disabledRuleIds: readonly string[];
  defines: readonly string[];
  undefines: readonly string[];
}

export const NO_CHOICES: RuleAndMacroChoices = { ruleIds: [], disabledRuleIds: [], defines: [], undefines: [] };

const MACRO_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** The rules' metadata, with the severity a project configuration gives a rule. */
export function ruleMetadata(project: ProjectConfig | null = null): RuleMeta[] {
  return allRules().map((rule) => {
    const state = project?.rules[rule.meta.id];
    return state === 'error' || state === 'warning' || state === 'note' ? { ...rule.meta, severity: state } : rule.meta;
  });
}

export function requireKnownRule(ruleId: string, rules: readonly RuleMeta[]): RuleMeta {
  const rule = rules.find((candidate) => candidate.id === ruleId);
  if (rule) return rule;
  const known = rules.length > 0 ? rules.map((candidate) => candidate.id).join(', ') : '(none registered)';
  throw new UsageError(`unknown rule '${ruleId}'; known rules: ${known}`);
}

/** The rule ids to run (undefined: all), from --rule and --disable, then the project's "off" rules (--rule wins over them). */
function selectRules(args: RuleAndMacroChoices, rules: readonly RuleMeta[], project: ProjectConfig | null = null): string[] | undefined {
  for (const ruleId of [...args.ruleIds, ...args.disabledRuleIds]) requireKnownRule(ruleId, rules);
  const off = args.ruleIds.length > 0 ? [] : Object.entries(project?.rules ?? {}).filter(([, state]) => state === 'off').map(([id]) => id);
  if (args.ruleIds.length === 0 && args.disabledRuleIds.length === 0 && off.length === 0) return undefined;
  const chosen = args.ruleIds.length > 0 ? unique(args.ruleIds) : rules.map((rule) => rule.id);
  const selected = chosen.filter((ruleId) => !args.disabledRuleIds.includes(ruleId) && !off.includes(ruleId));
  if (selected.length === 0) throw new UsageError('no rule left to run after --rule, --disable and the configuration');
  return selected;
}

function unique(values: readonly string[]): string[] {
  return [...new Set(values)];
}

/** -D NAME[=VALUE] (VALUE defaults to 1, as with a compiler) and -U NAME, as AnalyzeOptions. */
export function macroOptions(
  definitions: readonly string[],
  undefinitions: readonly string[],
): Required<Pick<AnalyzeOptions, 'defines' | 'undefines'>> {
  const defines = new Map<string, string>();
  for (const definition of definitions) {
    const separator = definition.indexOf('=');
    const name = separator < 0 ? definition : definition.slice(0, separator);
    const value = separator < 0 ? '1' : definition.slice(separator + 1);
    defines.set(requireMacroName(name, '-D'), value);
  }
  const undefines = new Set(undefinitions.map((name) => requireMacroName(name, '-U')));
  return { defines, undefines };
}

function requireMacroName(name: string, option: string): string {
  if (!MACRO_NAME.test(name)) throw new UsageError(`${option}: '${name}' is not a macro name`);
  return name;
}

/** The rules, the rules to run (undefined: all) and the analysis options for a project and the command line's choices. */
export function analysisSetup(project: ProjectConfig | null, choices: RuleAndMacroChoices): { rules: RuleMeta[]; selected: string[] | undefined; options: AnalyzeOptions } {
  const rules = ruleMetadata(project);
  const selected = selectRules(choices, rules, project);
  // The project's macros, then the command line's (which win).
  const macroName = (definition: string): string => definition.replace(/=.*$/, '');
  const defines = [...(project?.defines ?? []).filter((d) => !choices.undefines.includes(macroName(d))), ...choices.defines];
  const undefines = [...(project?.undefines ?? []).filter((u) => !choices.defines.some((d) => macroName(d) === u)), ...choices.undefines];
  const options: AnalyzeOptions = { ...macroOptions(defines, undefines) };
  if (project?.functions.length) options.config = project.functions;
  if (selected) options.rules = selected;
  return { rules, selected, options };
}

/** The run's findings with the severity the project gives their rules. */
export function withConfiguredSeverity(result: RunResult, rules: readonly RuleMeta[]): RunResult {
  const severity = new Map(rules.map((rule) => [rule.id, rule.severity]));
  return { ...result, findings: result.findings.map((f) => (severity.get(f.ruleId) === f.severity ? f : { ...f, severity: severity.get(f.ruleId) ?? f.severity })) };
}

