import { readFileSync } from 'node:fs';
import { isAbsolute, join } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { ConfigSchema, type EngineConfig } from './schema.js';
import { projectRoot } from './projectRoot.js';

/** Every problem found in a configuration, one line each: `path: what is wrong (got VALUE)`. */
export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`invalid configuration:\n  ${problems.join('\n  ')}`);
    this.name = 'ConfigError';
  }
}

type Tree = Record<string, unknown>;
const isObj = (v: unknown): v is Tree => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Objects merge key by key; arrays and scalars replace (a symbol list is replaced, not appended to). */
export function deepMerge(base: unknown, over: unknown): unknown {
  if (!isObj(base) || !isObj(over)) return over === undefined ? base : over;
  const out: Tree = { ...base };
  for (const [k, v] of Object.entries(over)) out[k] = deepMerge(base[k], v);
  return out;
}

function readYaml(file: string, what: string): unknown {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    throw new ConfigError([`${what}: cannot read ${file}: ${(e as Error).message}`]);
  }
  try {
    return parseYaml(text) ?? {};
  } catch (e) {
    throw new ConfigError([`${what}: ${file} is not valid YAML: ${(e as Error).message.split('\n')[0]}`]);
  }
}

const toEnvName = (path: string[]): string =>
  'ALPHATRADER_' + path.map((p) => p.replace(/([a-z0-9])([A-Z])/g, '$1_$2').toUpperCase()).join('_');

/** Environment names for every scalar leaf of the tree (arrays are not addressable from the environment). */
function envLeaves(tree: unknown, path: string[] = [], out = new Map<string, string[]>()): Map<string, string[]> {
  if (isObj(tree)) for (const [k, v] of Object.entries(tree)) envLeaves(v, [...path, k], out);
  else if (!Array.isArray(tree) && path.length) out.set(toEnvName(path), path);
  return out;
}

/** Variables that are secrets or CLI settings, not configuration paths. */
const NON_CONFIG_ENV = new Set([
  'ALPHATRADER_REDIS_PASSWORD', 'ALPHATRADER_DASHBOARD_TOKEN', 'ALPHATRADER_ALPHAVANTAGE_API_KEY',
  'ALPHATRADER_ALPACA_KEY_ID', 'ALPHATRADER_ALPACA_SECRET', 'ALPHATRADER_CONFIG', 'ALPHATRADER_LOG_FILE',
  'ALPHATRADER_DASHBOARD_VIEW_TOKEN', 'ALPHATRADER_FAULT_CRASH',
  'ALPHATRADER_ALERTS_WEBHOOK_URL', 'ALPHATRADER_ALERTS_SLACK_URL', 'ALPHATRADER_ALERTS_DISCORD_URL', 'ALPHATRADER_ALERTS_TELEGRAM_TOKEN',
]);

function applyEnv(tree: unknown, env: NodeJS.ProcessEnv, warnings: string[]): unknown {
  const leaves = envLeaves(tree);
  let out = tree;
  for (const [name, raw] of Object.entries(env)) {
    if (!name.startsWith('ALPHATRADER_') || raw === undefined || NON_CONFIG_ENV.has(name)) continue;
    const path = leaves.get(name);
    if (!path) {
      warnings.push(`environment variable ${name} does not name a configuration value; ignored`);
      continue;
    }
    // YAML scalar parsing: "5000" → 5000, "true" → true, "redis://x" → string.
    let value: unknown;
    try {
      value = parseYaml(raw);
    } catch {
      value = raw;
    }
    let patch: unknown = value;
    for (let i = path.length - 1; i >= 0; i--) patch = { [path[i]]: patch };
    out = deepMerge(out, patch);
  }
  if (env.REDIS_URL) out = deepMerge(out, { redis: { url: env.REDIS_URL } });
  return out;
}

function valueAt(tree: unknown, path: PropertyKey[]): unknown {
  let v: unknown = tree;
  for (const p of path) v = isObj(v) || Array.isArray(v) ? (v as Record<PropertyKey, unknown>)[p] : undefined;
  return v;
}

const show = (v: unknown): string => (v === undefined ? 'nothing' : JSON.stringify(v));

/** Relations zod cannot express per field: names resolve, are unique, and the topology is whole. */
function crossCheck(c: EngineConfig): string[] {
  const problems: string[] = [];
  const dup = <T>(xs: T[]) => xs.filter((x, i) => xs.indexOf(x) !== i);
  for (const s of dup(c.symbols.map((s) => s.symbol))) problems.push(`symbols: ${show(s)} is listed twice`);
  const actors = c.actors.map((a) => a.name);
  for (const a of dup(actors)) problems.push(`actors: name ${show(a)} is used twice`);
  for (const r of dup(c.rings.map((r) => r.name))) problems.push(`rings: name ${show(r)} is used twice`);
  c.rings.forEach((r, i) => {
    if (!actors.includes(r.producer)) {
      problems.push(`rings[${i}].producer: ${show(r.producer)} is not an actor (allowed: ${actors.join(', ')})`);
    }
    r.readers.forEach((rd, j) => {
      if (!actors.includes(rd.actor)) {
        problems.push(`rings[${i}].readers[${j}].actor: ${show(rd.actor)} is not an actor (allowed: ${actors.join(', ')})`);
      }
    });
    for (const a of dup(r.readers.map((x) => x.actor))) problems.push(`rings[${i}].readers: ${show(a)} reads twice`);
  });
  if (c.supervisor.restart.backoffMaxMs < c.supervisor.restart.backoffInitialMs) {
    problems.push(`supervisor.restart.backoffMaxMs: ${c.supervisor.restart.backoffMaxMs} is below backoffInitialMs (${c.supervisor.restart.backoffInitialMs})`);
  }
  if (c.supervisor.heartbeatTimeoutMs <= c.supervisor.heartbeatMs * 2) {
    problems.push(`supervisor.heartbeatTimeoutMs: ${c.supervisor.heartbeatTimeoutMs} must exceed twice heartbeatMs (${c.supervisor.heartbeatMs})`);
  }
  if (c.venues.alphaVantage.safetyMargin >= c.venues.alphaVantage.plan) {
    problems.push(`venues.alphaVantage.safetyMargin: ${c.venues.alphaVantage.safetyMargin} must be below the plan (${c.venues.alphaVantage.plan} calls/min)`);
  }
  if (c.symbols.length > 65535) problems.push('symbols: at most 65535 (symbol ids are 16-bit)');
  const known = new Set(c.symbols.map((s) => s.symbol));
  c.options.symbols.forEach((s, i) => {
    if (!known.has(s)) problems.push(`options.symbols[${i}]: ${show(s)} is not a configured symbol`);
  });
  for (const s of Object.keys(c.analytics.vpin.bucketVolume)) {
    if (!known.has(s)) problems.push(`analytics.vpin.bucketVolume.${s}: not a configured symbol`);
  }
  const rp = c.market.replay;
  if (c.market.source === 'replay' && !rp.file && !(rp.lobsterMessage && rp.lobsterOrderbook)) {
    problems.push('market.replay: market.source is replay but neither replay.file nor both lobsterMessage and lobsterOrderbook are set');
  }
  if (rp.lobsterSymbol && !c.symbols.some((s) => s.symbol === rp.lobsterSymbol)) {
    problems.push(`market.replay.lobsterSymbol: ${show(rp.lobsterSymbol)} is not a configured symbol`);
  }
  return problems;
}

export function validateConfig(tree: unknown): EngineConfig {
  const r = ConfigSchema.safeParse(tree);
  if (!r.success) {
    throw new ConfigError(r.error.issues.map((i) => {
      const path = i.path.map((p) => (typeof p === 'number' ? `[${p}]` : `.${String(p)}`)).join('').replace(/^\./, '') || '(root)';
      if (i.code === 'unrecognized_keys') return `${path}: unknown key(s) ${i.keys.map((k) => show(k)).join(', ')}`;
      const got = valueAt(tree, i.path);
      const msg = i.code === 'invalid_type' && got === undefined ? `missing (expected ${i.expected})` : i.message.replace(/^Invalid input: /, '');
      return `${path}: ${msg} (got ${show(got)})`;
    }));
  }
  const problems = crossCheck(r.data);
  if (problems.length) throw new ConfigError(problems);
  return r.data;
}

export interface LoadedConfig { config: EngineConfig; warnings: string[]; sources: string[] }

/** default.yaml ← --config FILE ← environment, validated as one document. */
export function loadConfig(opts: { file?: string; env?: NodeJS.ProcessEnv } = {}): LoadedConfig {
  const root = projectRoot();
  const env = opts.env ?? process.env;
  const warnings: string[] = [];
  const sources = [join(root, 'config', 'default.yaml')];
  let tree = readYaml(sources[0], 'default configuration');
  const file = opts.file ?? env.ALPHATRADER_CONFIG;
  if (file) {
    const p = isAbsolute(file) ? file : join(process.cwd(), file);
    const over = readYaml(p, '--config');
    if (!isObj(over)) throw new ConfigError([`--config: ${p} must hold a YAML mapping at the top level`]);
    tree = deepMerge(tree, over);
    sources.push(p);
  }
  tree = applyEnv(tree, env, warnings);
  return { config: validateConfig(tree), warnings, sources };
}
