// Model files and images are hostile input. Each crafted file (test/fixtures/hostileFiles.ts) must end in a clear
// error naming the file and the problem (or, for images, a problem entry and whatever could be read), within 10 s
// and 800 MB of memory. Each case runs in its own process so its peak RSS is its own; a case that hangs is
// killed. Before the readers were bounded, every one of these froze, crashed or blew past the limits.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { convertToSafetensors } from '../../../models/convert';
import { openWeights } from '../../../models/formats/open';
import { hashFile } from '../../../models/hash';
import { readGenerationInfoFile } from '../../../daemon/infotext/readInfo';
import { writeNewFileSync } from '../../../models/formats/atomicFile';
import { HOSTILE_FILES } from '../../fixtures/hostileFiles';

const TIME_LIMIT_MS = 10_000;
const RSS_LIMIT_MB = 800;
/** A case still running after this is killed (and fails): the limit plus room for a slow, shared machine. */
const KILL_AFTER_MS = 30_000;

interface Case {
  /** What reading the file should end in: an error message (weights) or a summary of what was read (images). */
  expect: RegExp;
  run(file: string, dir: string): Promise<string>;
}

const open = async (file: string): Promise<string> => {
  await openWeights(file);
  return 'opened';
};
const convert = async (file: string, dir: string): Promise<string> => {
  await convertToSafetensors({ input: file, out: join(dir, 'out.safetensors'), hashCache: false });
  return 'converted';
};
const info = async (file: string): Promise<string> => {
  const i = readGenerationInfoFile(file);
  return JSON.stringify({ format: i.format, promptLength: i.prompt?.length ?? 0, comment: i.raw['JPEG:Comment'], problems: i.problems });
};

const CASES: Record<string, Case> = {
  'pickle-negative-length': { run: open, expect: /negative\.pt: pickle: negative BINSTRING length -5/ },
  'pickle-deep-nesting': { run: open, expect: /deep\.ckpt: the object tree nests deeper than 1000 levels/ },
  'pickle-huge-long': { run: open, expect: /long\.ckpt: pickle: a 1048576-byte integer/ },
  'pickle-push-flood': { run: open, expect: /flood\.ckpt: data\.pkl is 200000003 bytes, over the 67108864-byte limit/ },
  'pickle-stack-cap': { run: open, expect: /stack\.ckpt: pickle: more than 524288 values on the stack/ },
  'pickle-memo-cap': { run: open, expect: /memo\.ckpt: pickle: more than 1048576 memo entries/ },
  'pickle-mark-cap': { run: open, expect: /marks\.ckpt: pickle: MARKs nested more than 4096 deep/ },
  'pickle-values-cap': { run: open, expect: /values\.ckpt: pickle: more than 1048576 values/ },
  'zip-inflate-budget': { run: open, expect: /bomb\.ckpt: compressed storages would inflate to 900000000 bytes, over the 536870912-byte budget/ },
  'zip-stride0-view': { run: convert, expect: /expand\.ckpt: tensor 'w': a view of 1000000000 elements .* over a storage of 1/ },
  'zip-storage-refs': { run: convert, expect: /refs\.ckpt: 2000 tensor views would materialise 8388608000 bytes from 4194304 bytes of storage/ },
  'png-ztxt-bomb': { run: info, expect: /zTXt chunk \\"parameters\\": compressed text inflates past 8 MiB: not read/ },
  'png-infotext-no-colon': { run: info, expect: /^\{"format":"a1111","promptLength":200000,/ },
  'png-pixels-bomb': { run: info, expect: /^\{"format":"none","promptLength":0,/ },
  'png-a1111like-unclosed-json': { run: info, expect: /^\{"format":"comfyui",/ },
  'jpeg-fill-bytes': { run: info, expect: /"comment":"hi","problems":\["no generation parameters/ },
  'convert-fifo': { run: convert, expect: /model\.ckpt: not a regular file \(a device, pipe or socket\)/ },
  'hash-dev-zero': { run: (f) => hashFile(f, { cache: false }).then(() => 'hashed'), expect: /\/dev\/zero: not a regular file/ },
};

interface Measured {
  ms: number;
  /** Peak RSS of the process minus its RSS before the case ran. */
  growthMB: number;
  outcome: string;
}

const MARK = 'HOSTILE-RESULT ';

/** In the child: run one case and print what it cost. */
async function runChild(name: string, file: string, dir: string): Promise<void> {
  const before = process.memoryUsage.rss();
  const t0 = performance.now();
  let outcome: string;
  try {
    outcome = await CASES[name]!.run(file, dir);
  } catch (e) {
    outcome = (e as Error).message;
  }
  const ms = performance.now() - t0;
  const growthMB = (process.resourceUsage().maxRSS * 1024 - before) / 2 ** 20;
  process.stdout.write(`${MARK}${JSON.stringify({ ms, growthMB, outcome } satisfies Measured)}\n`);
}

function measure(name: string, file: string, dir: string): Measured {
  const r = spawnSync(process.execPath, [__filename], {
    env: { ...process.env, SD_HOSTILE_CASE: name, SD_HOSTILE_FILE: file, SD_HOSTILE_DIR: dir },
    encoding: 'utf8',
    timeout: KILL_AFTER_MS,
    maxBuffer: 1 << 20,
  });
  const line = r.stdout?.split('\n').find((l) => l.startsWith(MARK));
  if (!line) {
    const how = r.error ? String(r.error) : r.signal ? `killed by ${r.signal}` : `exit ${r.status}`;
    assert.fail(`${name}: no result (${how}): ${(r.stderr ?? '').slice(-600)}`);
  }
  return JSON.parse(line.slice(MARK.length)) as Measured;
}

/** A write into SD_WRITE_FAIL_DIR, in a child whose file size limit makes it fail. */
function writeUnderLimit(dir: string): void {
  try {
    writeNewFileSync(join(dir, 'image.png'), new Uint8Array(64 << 10));
    process.stdout.write('write succeeded\n');
  } catch (e) {
    process.stdout.write(`write failed: ${(e as NodeJS.ErrnoException).code}\n`);
  }
}

// This file is also the children's entry point: the environment says which part runs.
if (process.env.SD_HOSTILE_CASE) {
  void runChild(process.env.SD_HOSTILE_CASE, process.env.SD_HOSTILE_FILE!, process.env.SD_HOSTILE_DIR!);
} else if (process.env.SD_WRITE_FAIL_DIR) {
  writeUnderLimit(process.env.SD_WRITE_FAIL_DIR);
} else {
  const root = mkdtempSync(join(tmpdir(), 'sd-studio-hostile-'));
  after(() => rmSync(root, { recursive: true, force: true }));
  const table: string[] = [];
  after(() => {
    // The figures for the closing note: `npm test -- hostile` prints them.
    process.stdout.write(`\n| hostile class | time (ms) | peak RSS growth (MB) |\n|---|---:|---:|\n${table.join('\n')}\n`);
  });

  describe('hostile files end in a clear error, within 10 s and 800 MB', () => {
    for (const [name, c] of Object.entries(CASES)) {
      it(name, () => {
        const dir = mkdtempSync(join(root, `${name}-`));
        const file = HOSTILE_FILES[name]!(dir);
        const m = measure(name, file, dir);
        table.push(`| ${name} | ${m.ms.toFixed(0)} | ${m.growthMB.toFixed(0)} |`);
        assert.match(m.outcome, c.expect);
        assert.ok(m.ms < TIME_LIMIT_MS, `${name} took ${m.ms.toFixed(0)} ms`);
        assert.ok(m.growthMB < RSS_LIMIT_MB, `${name} grew RSS by ${m.growthMB.toFixed(0)} MB`);
        // Nothing was written next to the inputs (no converted output, no temp file).
        assert.deepEqual(readdirSync(dir).filter((f) => f.endsWith('.safetensors') || f.endsWith('.tmp')), []);
      });
    }
  });

  it('a write that fails (file size limit: EFBIG, as ENOSPC would) leaves no temp file behind', () => {
    const dir = mkdtempSync(join(root, 'efbig-'));
    // `ulimit -f` makes writes past 4 KiB fail; SIGXFSZ is ignored so the write returns an error instead.
    const r = spawnSync('sh', ['-c', `trap '' XFSZ; ulimit -f 8; exec "$0" "$1"`, process.execPath, __filename], {
      env: { ...process.env, SD_WRITE_FAIL_DIR: dir }, encoding: 'utf8', timeout: KILL_AFTER_MS,
    });
    assert.match(r.stdout, /write failed: EFBIG/, r.stderr);
    assert.deepEqual(readdirSync(dir), []);
  });
}
