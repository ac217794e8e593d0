import { cpus, totalmem, platform, release } from 'node:os';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';

/** One benchmark's result: a markdown section for BENCHMARKS.md. */
export interface BenchSection {
  /** Stable key (`ingest`, `identity`, …): the section replaced on each run. */
  key: string;
  title: string;
  /** The command that reproduces it. */
  command: string;
  markdown: string;
}

const FILE = new URL('../../BENCHMARKS.md', import.meta.url);

export function machineDescription(): string {
  const cpu = cpus()[0]?.model ?? 'unknown CPU';
  return `${cpus().length} × ${cpu.trim()}, ${Math.round(totalmem() / 2 ** 30)} GiB RAM, ${platform()} ${release()}, Node.js ${process.version}`;
}

/** Writes (or replaces) `section` in BENCHMARKS.md, keeping the other sections. */
export function writeSection(section: BenchSection): void {
  const existing = existsSync(FILE) ? readFileSync(FILE, 'utf8') : '';
  const start = `<!-- bench:${section.key} -->`;
  const end = `<!-- /bench:${section.key} -->`;
  const body = `${start}\n## ${section.title}\n\nMeasured ${new Date().toISOString().slice(0, 10)} on ${machineDescription()}.\nCommand: \`${section.command}\`\n\n${section.markdown.trim()}\n${end}`;
  const header =
    '# Benchmarks\n\nFigures measured on this project’s development machine; each section says how to reproduce it.\n`npm run bench` runs them all and rewrites this file. Ratios compare against a baseline measured in the same run.\n';
  let text = existing || header;
  const from = text.indexOf(start);
  const to = text.indexOf(end);
  text =
    from >= 0 && to > from
      ? text.slice(0, from) + body + text.slice(to + end.length)
      : `${text.trimEnd()}\n\n${body}\n`;
  writeFileSync(FILE, text.endsWith('\n') ? text : `${text}\n`);
}

export function table(headers: string[], rows: (string | number)[][]): string {
  const line = (cells: (string | number)[]) => `| ${cells.join(' | ')} |`;
  return [line(headers), line(headers.map(() => '---')), ...rows.map(line)].join('\n');
}

export const fmt = (n: number, digits = 0) =>
  n.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits });
