import { readFileSync } from 'node:fs';
import type { z } from 'zod';
import { configSchema, ENVIRONMENT, SECRET_PATHS, type Config } from './config-schema.ts';

/** Start-up stops with this error; its message is one line naming the key and what is allowed. */
export class ConfigError extends Error {
  override readonly name = 'ConfigError';
}

export interface LoadConfigOptions {
  /** Path of the JSON config file; falls back to `RECLAIM_CONFIG`. */
  file?: string;
  /** The environment to read; defaults to `process.env`. Tests pass their own. */
  env?: Record<string, string | undefined>;
  /** Values that win over both file and environment (used by commands such as `demo`). */
  overrides?: Record<string, unknown>;
}

/**
 * Reads the config file and the environment once, validates them against `configSchema` and returns a
 * frozen `Config`. No other module reads `process.env`.
 */
export function loadConfig(options: LoadConfigOptions = {}): Config {
  const env = options.env ?? process.env;
  const file = options.file ?? env.RECLAIM_CONFIG;
  const fromFile = file ? readConfigFile(file) : {};
  const merged = structuredClone(fromFile);
  for (const variable of ENVIRONMENT) {
    const value = envValue(env, variable.name);
    if (value !== undefined && value !== '') setPath(merged, variable.path, value);
  }
  for (const [key, value] of Object.entries(options.overrides ?? {})) setPath(merged, key.split('.'), value);
  const parsed = configSchema.safeParse(merged);
  if (!parsed.success) throw new ConfigError(describeIssue(parsed.error.issues[0]!, env, file));
  return deepFreeze(parsed.data);
}

/** Prefixes of the variables Reclaim reads; any other variable with one of them is probably a typo. */
const OWN_PREFIXES = ['RECLAIM_', 'KLAVIYO_', 'SHOPIFY_', 'META_', 'GA4_'] as const;

/** Variables read outside `ENVIRONMENT`: the config file's path, and the tests' and benchmarks' own settings. */
const OTHER_KNOWN = [
  'RECLAIM_CONFIG',
  'RECLAIM_TEST_POSTGRES_URL',
  'RECLAIM_FUZZ_RUNS',
  'RECLAIM_BENCH_POSTGRES_URL',
] as const;

/**
 * One warning line for each variable that looks like Reclaim's (`RECLAIM_*`, `KLAVIYO_*`, `SHOPIFY_*`,
 * `META_*`, `GA4_*`) but is not one it reads, naming the known variable nearest in spelling. A misspelt
 * variable would otherwise be ignored without a word and its default used. The value is never shown:
 * it may be a secret.
 */
export function misspeltVariableWarnings(env: Record<string, string | undefined> = process.env): string[] {
  const known = [...ENVIRONMENT.map((v) => v.name), ...OTHER_KNOWN];
  const warnings: string[] = [];
  for (const name of Object.keys(env).sort()) {
    if (!OWN_PREFIXES.some((prefix) => name.startsWith(prefix)) || known.includes(name)) continue;
    // `RECLAIM_PORT` means `PORT`: the name without its prefix is compared too.
    const bare = name.slice(name.indexOf('_') + 1);
    let nearest = known[0]!;
    let best = Number.POSITIVE_INFINITY;
    for (const candidate of known) {
      const distance = Math.min(editDistance(name, candidate), editDistance(bare, candidate));
      if (distance < best) [nearest, best] = [candidate, distance];
    }
    warnings.push(
      `reclaim: warning: ${name} is not a variable Reclaim reads and is ignored; did you mean ${nearest}?`,
    );
  }
  return warnings;
}

/** Levenshtein distance: the fewest single-character insertions, deletions and substitutions from a to b. */
function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      current[j] = Math.min(
        previous[j]! + 1,
        current[j - 1]! + 1,
        previous[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1),
      );
    }
    previous = current;
  }
  return previous[b.length]!;
}

function readConfigFile(file: string): Record<string, unknown> {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    throw new ConfigError(
      `config file ${file} cannot be read: ${(error as NodeJS.ErrnoException).code ?? 'error'}`,
    );
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new ConfigError(`config file ${file} is not valid JSON: ${(error as Error).message}`);
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new ConfigError(`config file ${file} must hold a JSON object`);
  }
  return value as Record<string, unknown>;
}

/** A variable the environment holds itself (`toString` is no variable). */
function envValue(env: Record<string, string | undefined>, name: string): string | undefined {
  return Object.hasOwn(env, name) ? env[name] : undefined;
}

function setPath(target: Record<string, unknown>, path: readonly string[], value: unknown): void {
  let node = target;
  for (const key of path.slice(0, -1)) {
    const next = Object.hasOwn(node, key) ? node[key] : undefined;
    const child =
      typeof next === 'object' && next !== null && !Array.isArray(next)
        ? (next as Record<string, unknown>)
        : {};
    node[key] = child;
    node = child;
  }
  node[path.at(-1)!] = value;
}

function describeIssue(
  issue: z.core.$ZodIssue,
  env: Record<string, string | undefined>,
  file?: string,
): string {
  if (issue.code === 'unrecognized_keys') {
    const prefix = issue.path.length ? `${issue.path.join('.')}.` : '';
    const keys = issue.keys.map((k) => `"${prefix}${k}"`).join(', ');
    return `invalid configuration: unknown key ${keys}${file ? ` in ${file}` : ''}`;
  }
  const key = issue.path.join('.');
  const variable = ENVIRONMENT.find((v) => v.path.join('.') === key);
  const given = variable && envValue(env, variable.name);
  const fromEnv = variable && given !== undefined && given !== '';
  const where = fromEnv ? `${variable.name} (${key})` : key;
  const shown = fromEnv && !variable.secret ? `; got "${given}"` : '';
  const message =
    issue.code === 'invalid_value' ? `must be one of ${issue.values.join(', ')}` : issue.message;
  return `invalid configuration: ${where} ${message}${shown}`;
}

function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null) {
    for (const child of Object.values(value)) deepFreeze(child);
    Object.freeze(value);
  }
  return value;
}

/** The config with every secret masked, for `reclaim config print` and start-up logs. */
export function maskSecrets(config: Config): unknown {
  const copy = structuredClone(config) as unknown as Record<string, unknown>;
  for (const path of SECRET_PATHS) {
    let node: Record<string, unknown> | undefined = copy;
    for (const key of path.slice(0, -1))
      node = node && Object.hasOwn(node, key) ? (node[key] as Record<string, unknown>) : undefined;
    const last = path.at(-1)!;
    const value = node && Object.hasOwn(node, last) ? node[last] : undefined;
    if (node === undefined || value === undefined) continue;
    node[last] = Array.isArray(value)
      ? value.map(() => '********')
      : maskValue(last, typeof value === 'string' ? value : '');
  }
  return copy;
}

function maskValue(key: string, value: string): string {
  if (key === 'databaseUrl') return value.replace(/\/\/([^:@/]+):([^@/]*)@/, '//$1:********@');
  return '********';
}
