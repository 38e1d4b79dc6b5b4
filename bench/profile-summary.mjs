// Reads a V8 .cpuprofile (e.g. from `APP_NODE_ARGS="--cpu-prof --cpu-prof-dir=var/bench/prof" npm run bench:intake`)
// and prints where the time went: self time by package (or our source file) and the top functions.
// Usage: node bench/profile-summary.mjs <file.cpuprofile> [top=25]
import { readFileSync } from 'node:fs';

const [file, topArg] = process.argv.slice(2);
if (!file) {
  console.error('usage: node bench/profile-summary.mjs <file.cpuprofile> [top]');
  process.exit(2);
}
const profile = JSON.parse(readFileSync(file, 'utf8'));
const top = Number(topArg ?? 25);
const byId = new Map(profile.nodes.map((n) => [n.id, n]));
const self = new Map();
const dt = profile.timeDeltas;
for (let i = 0; i < profile.samples.length; i++) self.set(profile.samples[i], (self.get(profile.samples[i]) ?? 0) + (dt[i] ?? 0));
const total = [...self.values()].reduce((a, b) => a + b, 0);

function area(url) {
  if (!url) return '(native/v8)';
  const nm = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
  if (nm) return nm[1];
  if (url.startsWith('node:')) return url;
  const d = /\/dist\/(.+)$/.exec(url);
  return d ? `app:${d[1]}` : url;
}

const byArea = new Map();
const byFn = new Map();
for (const [id, us] of self) {
  const n = byId.get(id);
  const { functionName, url, lineNumber } = n.callFrame;
  const a = functionName === '(garbage collector)' ? '(gc)' : functionName === '(idle)' ? '(idle)' : functionName === '(program)' ? '(program)' : area(url);
  byArea.set(a, (byArea.get(a) ?? 0) + us);
  const key = `${functionName || '(anonymous)'} ${area(url)}:${lineNumber + 1}`;
  byFn.set(key, (byFn.get(key) ?? 0) + us);
}
const pct = (us) => `${((100 * us) / total).toFixed(1).padStart(5)}%`;
console.log(`total ${(total / 1e6).toFixed(1)} s sampled`);
console.log('\nself time by area:');
for (const [a, us] of [...byArea].sort((x, y) => y[1] - x[1]).slice(0, top)) console.log(`  ${pct(us)}  ${a}`);
console.log('\ntop functions (self time):');
for (const [f, us] of [...byFn].sort((x, y) => y[1] - x[1]).slice(0, top)) console.log(`  ${pct(us)}  ${f}`);
