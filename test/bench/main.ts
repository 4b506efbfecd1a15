// `npm run bench [-- NAME... [--option value...]]`: benchmarks, not timed tests. Each entry prints its own figures;
// options after the names go to each named benchmark.
import { benches } from './registry';

async function main(): Promise<void> {
  const argv = process.argv.slice(2);
  const firstFlag = argv.findIndex((a) => a.startsWith('--'));
  const wanted = firstFlag < 0 ? argv : argv.slice(0, firstFlag);
  const args = firstFlag < 0 ? [] : argv.slice(firstFlag);
  const names = wanted.length ? wanted : Object.keys(benches).filter((n) => benches[n]!.default);
  for (const name of names) {
    const bench = benches[name];
    if (!bench) {
      console.error(`unknown benchmark "${name}"; known: ${Object.keys(benches).join(', ')}`);
      process.exit(2);
    }
    console.log(`\n== bench ${name}: ${bench.summary}`);
    await bench.run(args);
  }
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
