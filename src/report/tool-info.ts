// Name, version and home of the tool, read once from the package's package.json so that the
// version printed by --version, written in JSON and in SARIF is the one that was released.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { installRoot } from '../install-root.js';

export interface ToolInfo {
  name: string;
  version: string;
  /** Absolute URI of the tool's documentation (package.json `homepage`, else its npm page). */
  informationUri: string;
}

interface PackageJson {
  name?: unknown;
  version?: unknown;
  homepage?: unknown;
}


let cached: ToolInfo | undefined;

export function toolInfo(): ToolInfo {
  cached ??= readToolInfo();
  return cached;
}

function readToolInfo(): ToolInfo {
  const manifest = JSON.parse(readFileSync(path.join(installRoot(), 'package.json'), 'utf8')) as PackageJson;
  const name = typeof manifest.name === 'string' ? manifest.name : 'vmalint';
  const version = typeof manifest.version === 'string' ? manifest.version : '0.0.0';
  const informationUri =
    typeof manifest.homepage === 'string' && /^https?:\/\//.test(manifest.homepage)
      ? manifest.homepage
      : `https://www.npmjs.com/package/${name}`;
  return { name, version, informationUri };
}
