// `npm start`: build when the compiled app is missing or older than its sources, then run it.
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';

const root = resolve(dirname(new URL(import.meta.url).pathname), '..');
const buildOnly = process.argv[2] === '--build-only';
const target = resolve(root, buildOnly ? 'dist/main.js' : (process.argv[2] ?? 'dist/main.js'));

function newest(dir) {
  let t = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, entry.name);
    t = Math.max(t, entry.isDirectory() ? newest(p) : statSync(p).mtimeMs);
  }
  return t;
}

const stamp = join(root, 'dist', '.built');
const stale = !existsSync(target) || !existsSync(stamp) ||
  statSync(stamp).mtimeMs < Math.max(newest(join(root, 'src')), statSync(join(root, 'package-lock.json')).mtimeMs);
if (stale) {
  process.stderr.write('Building Policy Inbox (first start or changed sources)...\n');
  const result = spawnSync(process.execPath, [join(root, 'node_modules', '@nestjs', 'cli', 'bin', 'nest.js'), 'build'], {
    cwd: root, stdio: 'inherit',
  });
  if (result.status !== 0) process.exit(result.status ?? 1);
  writeFileSync(stamp, '');
}
if (!buildOnly) await import(pathToFileURL(target).href);
