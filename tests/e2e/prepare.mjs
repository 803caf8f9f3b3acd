// Runs before `playwright test`: the browser and the builds the browser tests need, or a clear failure.
import { execSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const CHROMIUM = '/usr/bin/chromium';

if (!existsSync(CHROMIUM)) {
  if (process.getuid?.() === 0) {
    console.log(`e2e: ${CHROMIUM} is missing; installing Debian's chromium (apt-get install -y chromium)...`);
    execSync('apt-get update -qq && apt-get install -y -qq chromium', { stdio: 'inherit' });
  } else {
    console.error(
      `e2e: ${CHROMIUM} is missing and this user cannot install it. Run as root: apt-get install -y chromium`
    );
    process.exit(1);
  }
}

function newest(dir) {
  let t = 0;
  for (const f of readdirSync(dir)) {
    const p = join(dir, f);
    const s = statSync(p);
    t = Math.max(t, s.isDirectory() ? newest(p) : s.mtimeMs);
  }
  return t;
}

const moduleJs = join(ROOT, 'dist/module.js');
const sourcesTime = Math.max(newest(join(ROOT, 'src')), statSync(join(ROOT, 'plugin.json')).mtimeMs);
if (!existsSync(moduleJs) || statSync(moduleJs).mtimeMs < sourcesTime) {
  console.log('e2e: building the plugin (dist/ is missing or older than src/)...');
  execSync('npm run build:plugin --silent', { cwd: ROOT, stdio: 'inherit' });
}
const mainJs = join(ROOT, 'backend-ts/dist/main.js');
const backendTime = Math.max(newest(join(ROOT, 'backend-ts/src')), newest(join(ROOT, 'backend-ts/proto')));
if (!existsSync(mainJs) || statSync(mainJs).mtimeMs < backendTime) {
  console.log('e2e: building backend-ts (dist/ is missing or older than src/)...');
  execSync('npm run build -w backend-ts --silent', { cwd: ROOT, stdio: 'inherit' });
}
