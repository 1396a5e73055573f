import { createHash } from 'node:crypto';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, extname, join, relative, sep } from 'node:path';
import { projectRoot } from '../../engine/config/projectRoot.js';

export interface Asset {
  body: Buffer;
  type: string;
  etag: string;
}

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.json': 'application/json',
};

/**
 * The page, held in memory: the sources under `actors/dashboard/web/` (served at `/` and `/assets/…`) and
 * the two libraries it needs, taken from node_modules at start-up (`/vendor/uPlot.esm.js`, its CSS,
 * msgpackr's unpacker). Nothing comes from a CDN; the machine a trader runs this on may have no internet.
 * Every asset carries a content hash as its ETag so a reload costs a 304.
 */
export class StaticAssets {
  readonly files = new Map<string, Asset>();

  constructor(webDir = StaticAssets.defaultWebDir()) {
    for (const file of walk(webDir)) {
      const rel = relative(webDir, file).split(sep).join('/');
      this.add(rel === 'index.html' ? '/' : `/assets/${rel}`, readFileSync(file), extname(file));
    }
    const uplot = packageRoot('uplot');
    const msgpackr = packageRoot('msgpackr');
    this.add('/vendor/uPlot.esm.js', readFileSync(join(uplot, 'dist', 'uPlot.esm.js')), '.js');
    this.add('/vendor/uPlot.min.css', readFileSync(join(uplot, 'dist', 'uPlot.min.css')), '.css');
    this.add('/vendor/msgpackr-unpack.js', readFileSync(join(msgpackr, 'unpack.js')), '.js');
  }

  static defaultWebDir(): string {
    return join(projectRoot(), 'actors', 'dashboard', 'web');
  }

  private add(path: string, body: Buffer, ext: string): void {
    const etag = `"${createHash('sha1').update(body).digest('base64url').slice(0, 20)}"`;
    this.files.set(path, { body, type: TYPES[ext] ?? 'application/octet-stream', etag });
  }

  get(path: string): Asset | undefined {
    return this.files.get(path === '/index.html' ? '/' : path);
  }
}

/** A dependency's folder, found from its entry point (packages with `exports` do not resolve their package.json). */
function packageRoot(name: string): string {
  let dir = dirname(createRequire(import.meta.url).resolve(name));
  for (;;) {
    try {
      if (JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')).name === name) return dir;
    } catch {
      /* not this folder */
    }
    const up = dirname(dir);
    if (up === dir) throw new Error(`dashboard: cannot find the ${name} package`);
    dir = up;
  }
}

function walk(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir)) {
    if (name.startsWith('.')) continue;
    const p = join(dir, name);
    if (statSync(p).isDirectory()) out.push(...walk(p));
    else out.push(p);
  }
  return out;
}
