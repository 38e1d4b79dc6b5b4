// `npm run bench`: every benchmark in turn (bench:intake, bench:mail, bench:inbox), then one table.
// Each script writes var/bench/<name>.json with `rows: [{ benchmark, ours, baseline, ratio, target, pass }]`;
// a script that is missing is skipped with a line saying so.
import { spawn } from 'node:child_process';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT } from './support/harness.mjs';

const BENCHES = [
  { name: 'intake', script: 'bench:intake', file: 'bench/intake.mjs' },
  { name: 'mail', script: 'bench:mail', file: 'bench/mail.mjs' },
  { name: 'inbox', script: 'bench:inbox', file: 'bench/inbox.mjs' },
  { name: 'feedback', script: 'bench:feedback', file: 'bench/feedback.mjs' },
];

const scripts = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')).scripts ?? {};

function run(script) {
  return new Promise((resolve) => {
    const child = spawn('npm', ['run', '--silent', script], { cwd: ROOT, stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.on('data', (chunk) => {
      out += chunk;
      process.stdout.write(chunk);
    });
    child.once('exit', (code) => resolve({ code: code ?? 1, out }));
  });
}

/** Rows from a script's JSON; older shapes are adapted where they are recognisable. */
function rowsOf(json) {
  if (Array.isArray(json.rows)) return json.rows;
  if (json.ours !== undefined) return [{ benchmark: json.name, ...json }];
  return [];
}

const rows = [];
const missing = [];
const started = Date.now();
for (const bench of BENCHES) {
  if (!scripts[bench.script] || !existsSync(join(ROOT, bench.file))) {
    console.log(`bench: skipping ${bench.script}: ${scripts[bench.script] ? bench.file : 'no such npm script'} is not there yet`);
    missing.push(bench.script);
    continue;
  }
  const jsonFile = join(ROOT, 'var', 'bench', `${bench.name}.json`);
  rmSync(jsonFile, { force: true });
  console.log(`\nbench: npm run ${bench.script}`);
  const { code } = await run(bench.script);
  const json = existsSync(jsonFile) ? JSON.parse(readFileSync(jsonFile, 'utf8')) : null;
  const found = json ? rowsOf(json) : [];
  if (!found.length) {
    rows.push({ benchmark: bench.name, ours: null, baseline: null, ratio: null, target: '(see output above)', pass: code === 0 });
  } else {
    rows.push(...found);
  }
  if (code !== 0 && found.every((r) => r.pass)) rows.push({ benchmark: `${bench.name} (exit code ${code})`, ours: null, baseline: null, ratio: null, target: 'exit 0', pass: false });
}

const num = (v, d) =>
  v === null || v === undefined ? '-' : typeof v !== 'number' ? String(v) : Number.isInteger(v) || Math.abs(v) >= 100 ? v.toFixed(0) : v.toFixed(d);
const table = [
  ['benchmark', 'ours', 'baseline', 'ratio', 'target', 'result'],
  ...rows.map((r) => [r.benchmark, num(r.ours, 1), num(r.baseline, 1), num(r.ratio, 2), r.target ?? '-', r.pass ? 'pass' : 'MISS']),
];
const widths = table[0].map((_, i) => Math.max(...table.map((row) => String(row[i]).length)));
const line = (row) => `| ${row.map((c, i) => String(c).padEnd(widths[i])).join(' | ')} |`;
console.log(`\nbench: results (${new Date().toISOString()}, ${((Date.now() - started) / 1000).toFixed(0)} s)`);
console.log(line(table[0]));
console.log(`|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`);
for (const row of table.slice(1)) console.log(line(row));
if (missing.length) console.log(`(not run: ${missing.join(', ')})`);
process.exitCode = rows.every((r) => r.pass) && rows.length ? 0 : 1;
