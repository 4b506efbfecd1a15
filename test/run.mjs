// `npm test`: build the product and the tests, then run every test file with node's test runner
// (its closing summary is what CI reads). Extra args are passed as a name filter: npm test -- tokenizer
import { spawnSync } from 'node:child_process';
import { readdirSync, statSync, rmSync } from 'node:fs';
import { join } from 'node:path';

// A private output folder per run, so two runs at once (developers, helpers) never delete each other's build.
const outDir = `out/test-${process.pid}`;
const build = spawnSync(process.execPath, ['esbuild.mjs', `--tests-out=${outDir}`], { stdio: 'inherit' });
if (build.status !== 0) process.exit(build.status ?? 1);

function find(dir) {
  const out = [];
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) out.push(...find(p));
    else if (name.endsWith('.test.js')) out.push(p);
  }
  return out.sort();
}
const filters = process.argv.slice(2);
const files = find(outDir).filter((f) => filters.length === 0 || filters.some((x) => f.includes(x)));
// Bounded: a test file that hangs fails after 15 min (naming itself) instead of holding up CI; --test-force-exit
// ends a file whose tests are done even if a leaked handle (a child's pipe, a timer) would keep it alive.
const res = spawnSync(process.execPath, ['--test', '--test-reporter=spec', '--test-timeout=900000', '--test-force-exit', ...files], { stdio: 'inherit' });
rmSync(outDir, { recursive: true, force: true });
process.exit(res.status ?? 1);
