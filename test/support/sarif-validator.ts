// Validates a SARIF file with Microsoft's SARIF Multitool (the @microsoft/sarif-multitool
// devDependency, whose platform package ships a self-contained validator binary and the official
// 2.1.0 JSON schema): `validate --rule-kind "Sarif;Ghas"` checks the schema, the SARIF spec's
// rules and GitHub code scanning's ingestion rules. The multitool exits 0 whatever it finds, so
// the verdict is read from the SARIF log it writes.
import { spawnSync } from 'node:child_process';
import { constants } from 'node:fs';
import { access, chmod, copyFile, mkdir, mkdtemp, readFile, stat, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { supportModuleOnly } from './support-module.js';

supportModuleOnly(import.meta.url);

export interface SarifValidation {
  /** Error-level results and notifications, one line each (`RULE: arguments`). */
  errors: string[];
  /** Warning-level results, for information. */
  warnings: string[];
  /** The validator's console output, for assertion messages. */
  console: string;
}

/** Why the validator cannot run on this machine, or null when it can. */
export function validatorUnavailableReason(): string | null {
  if (process.platform === 'linux' && process.arch !== 'x64') {
    return `the SARIF Multitool's Linux binary is x86-64 only (this machine is ${process.arch})`;
  }
  if (!['linux', 'darwin', 'win32'].includes(process.platform)) {
    return `the SARIF Multitool has no binary for ${process.platform}`;
  }
  return null;
}

// SARIF2006 fetches every URI in the log over HTTP; tests make no network requests.
const VALIDATOR_POLICY = `<?xml version="1.0" encoding="utf-8"?>
<Properties>
  <Properties Key="SARIF2006.UrisShouldBeReachable.Options">
    <Property Key="RuleEnabled" Value="Disabled" Type="Driver.RuleEnabledState" />
  </Properties>
</Properties>
`;

export async function validateSarifFile(sarifPath: string): Promise<SarifValidation> {
  const binary = await executableMultitool();
  const workDirectory = await mkdtemp(path.join(tmpdir(), 'vmalint-sarif-validate-'));
  const policyPath = path.join(workDirectory, 'policy.xml');
  const outputPath = path.join(workDirectory, 'validation.sarif');
  await writeFile(policyPath, VALIDATOR_POLICY);
  const args = [
    'validate',
    '--rule-kind', 'Sarif;Ghas',
    '--json-schema', path.join(path.dirname(binary), 'sarif-2.1.0.json'),
    '--config', policyPath,
    '--log', 'ForceOverwrite',
    '--output', outputPath,
    sarifPath,
  ];
  const run = spawnSync(binary, args, { encoding: 'utf8', timeout: 180_000 });
  const consoleText = `${run.stdout ?? ''}${run.stderr ?? ''}`;
  if (run.error) throw new Error(`could not run the SARIF Multitool: ${run.error.message}`);
  if (run.status !== 0) throw new Error(`the SARIF Multitool exited with ${run.status}:\n${consoleText}`);
  const log = JSON.parse(await readFile(outputPath, 'utf8')) as ValidationLog;
  return { ...collectVerdict(log), console: consoleText };
}

/** Where the multitool's binary is, made executable (npm's ignore-scripts skipped its chmod). */
async function executableMultitool(): Promise<string> {
  const require = createRequire(import.meta.url);
  const binary: unknown = require('@microsoft/sarif-multitool');
  if (typeof binary !== 'string') throw new Error('@microsoft/sarif-multitool did not give the path of its binary');
  if (await isExecutable(binary)) return binary;
  try {
    // What the package's own postinstall script (`chmod u+x Sarif.Multitool`) would have done.
    await chmod(binary, (await stat(binary)).mode | 0o100);
    return binary;
  } catch {
    // node_modules is read-only: run a copy beside the schema we pass explicitly.
    const copyDirectory = path.join(tmpdir(), 'vmalint-sarif-multitool');
    await mkdir(copyDirectory, { recursive: true });
    const copy = path.join(copyDirectory, path.basename(binary));
    await copyFile(binary, copy);
    await chmod(copy, 0o755);
    return copy;
  }
}

async function isExecutable(file: string): Promise<boolean> {
  try {
    await access(file, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

interface ValidationMessage {
  text?: string;
  id?: string;
  arguments?: string[];
}

interface ValidationEntry {
  ruleId?: string;
  level?: string;
  message?: ValidationMessage;
  descriptor?: { id?: string };
}

interface ValidationLog {
  runs?: {
    results?: ValidationEntry[];
    invocations?: {
      executionSuccessful?: boolean;
      toolExecutionNotifications?: ValidationEntry[];
      toolConfigurationNotifications?: ValidationEntry[];
    }[];
  }[];
}

function collectVerdict(log: ValidationLog): Pick<SarifValidation, 'errors' | 'warnings'> {
  const errors: string[] = [];
  const warnings: string[] = [];
  for (const run of log.runs ?? []) {
    for (const result of run.results ?? []) {
      // SARIF's default level for a result is 'warning'.
      const level = result.level ?? 'warning';
      if (level === 'error') errors.push(describe(result));
      else if (level === 'warning') warnings.push(describe(result));
    }
    for (const invocation of run.invocations ?? []) {
      if (invocation.executionSuccessful === false) errors.push('the validator reports that its run failed');
      for (const notification of [
        ...(invocation.toolExecutionNotifications ?? []),
        ...(invocation.toolConfigurationNotifications ?? []),
      ]) {
        if (notification.level === 'error') errors.push(describe(notification));
      }
    }
  }
  return { errors, warnings };
}

function describe(entry: ValidationEntry): string {
  const id = entry.ruleId ?? entry.descriptor?.id ?? 'validator';
  const message = entry.message?.text ?? (entry.message?.arguments ?? []).join(' | ');
  return `${id}: ${message}`;
}
