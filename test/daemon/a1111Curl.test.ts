// The curl client (a1111-api-curl.sh) against `sd-studio serve --api`: A1111's API from a shell, as scripts use it.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { join, resolve } from 'node:path';
import { after, before, it } from 'node:test';
import { tempDir } from './harness';
import { startApiServer, tinyModelsRoot, type ApiProcess } from './apiServer';

const work = tempDir('sd-studio-curl-');
let server: ApiProcess;

before(async () => {
  const model = await tinyModelsRoot(work);
  server = await startApiServer(['--models-root', work, '--model', model, '--outdir', join(work, 'out')]);
});
after(async () => server?.stop());

it('curl + jq drive every endpoint', () => {
  for (const tool of ['curl', 'jq']) assert.equal(spawnSync('sh', ['-c', `command -v ${tool}`]).status, 0, `${tool} is needed (apt-get install ${tool}; .ci/run installs it)`);
  const r = spawnSync('bash', [resolve('test/daemon/a1111-api-curl.sh'), server.url, work], { encoding: 'utf8', timeout: 120_000 });
  assert.equal(r.status, 0, `${r.stdout}\n${r.stderr}`);
  assert.match(r.stdout, /every endpoint answered/);
});
