// Runs the command line in-process with captured streams (the tests' way to call vmalint).
import { main, type CliEnvironment } from '../../src/cli.js';
import { supportModuleOnly } from './support-module.js';

supportModuleOnly(import.meta.url);

export interface CapturedRun {
  status: number;
  stdout: string;
  stderr: string;
}

export async function runCli(argv: string[], options: { cwd?: string; env?: Record<string, string | undefined>; isTTY?: boolean } = {}): Promise<CapturedRun> {
  let stdout = '';
  let stderr = '';
  const environment: CliEnvironment = {
    stdout: { write: (text: string) => (stdout += text), isTTY: options.isTTY ?? false },
    stderr: { write: (text: string) => (stderr += text), isTTY: false },
    env: options.env ?? {},
    cwd: options.cwd ?? process.cwd(),
  };
  const status = await main(argv, environment);
  return { status, stdout, stderr };
}
