import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

/**
 * The folders of `src/`, bottom to top (docs/architecture.md draws them). A file may import its own
 * folder, its layer's other folders, and anything below; never above.
 */
const LAYERS: readonly (readonly string[])[] = [
  ['runtime', 'config', 'store'],
  ['event-log'],
  ['pipeline'],
  ['http'],
  ['identity'],
  ['consent'],
  ['journeys'],
  ['destinations/kit'],
  ['destinations'],
  ['delivery'],
  ['ingest'],
  ['reports'],
  ['shopify', 'scanner', 'storefront', 'klaviyo', 'web'],
  ['app'],
  ['simulation', 'stand-ins'],
  ['cli'],
];

const SRC = path.resolve(import.meta.dirname, '../../src');
const FOLDERS = LAYERS.flat().sort((a, b) => b.length - a.length);

/** The folder a file belongs to: the longest folder of `LAYERS` that holds it. */
function folderOf(file: string): string | undefined {
  const relative = path.relative(SRC, file).split(path.sep).join('/');
  return FOLDERS.find((folder) => relative.startsWith(`${folder}/`));
}

const layerOf = (folder: string) => LAYERS.findIndex((layer) => layer.includes(folder));

function sourceFiles(): string[] {
  return readdirSync(SRC, { recursive: true, encoding: 'utf8' })
    .filter((name) => /\.tsx?$/.test(name))
    .map((name) => path.join(SRC, name));
}

/** Relative imports, `import()` calls and worker entries (`new URL('./x.ts', import.meta.url)`). */
function importsOf(file: string): string[] {
  const text = readFileSync(file, 'utf8');
  const specs = [
    ...text.matchAll(/(?:\bfrom\s*|\bimport\s*\(?\s*|new URL\(\s*)['"](\.{1,2}\/[^'"]+)['"]/g),
  ].map((m) => m[1]!);
  return specs.map((spec) => path.resolve(path.dirname(file), spec));
}

describe('layers of src/', () => {
  it('places every source folder in a layer', () => {
    const unplaced = sourceFiles()
      .filter((file) => folderOf(file) === undefined)
      .map((file) => path.relative(SRC, file));
    expect(unplaced).toEqual([]);
  });

  it('has no import from a lower layer into a higher one', () => {
    const against: string[] = [];
    for (const file of sourceFiles()) {
      const from = folderOf(file);
      if (from === undefined) continue;
      for (const target of importsOf(file)) {
        const to = folderOf(target);
        if (to === undefined || layerOf(to) <= layerOf(from)) continue;
        against.push(`${path.relative(SRC, file)} -> ${path.relative(SRC, target)} (${from} below ${to})`);
      }
    }
    expect(against).toEqual([]);
  });

  it('leaves every table to its module: the wiring and the command line run no query of their own', () => {
    const querying = sourceFiles()
      .filter((file) => ['app', 'cli'].includes(folderOf(file) ?? ''))
      .filter((file) => /\.(selectFrom|insertInto|updateTable|deleteFrom)\(/.test(readFileSync(file, 'utf8')))
      .map((file) => path.relative(SRC, file));
    expect(querying).toEqual([]);
  });

  it('reads the imports it judges', () => {
    const engine = path.join(SRC, 'app/engine.ts');
    const folders = new Set(importsOf(engine).map(folderOf));
    expect(folders).toEqual(
      new Set([
        'config',
        'identity',
        'ingest',
        'pipeline',
        'journeys',
        'consent',
        'delivery',
        'destinations',
        'runtime',
        'store',
      ]),
    );
  });
});
