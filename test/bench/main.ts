// `npm run bench [-- NAME...]`: benchmarks, not timed tests. Each entry prints its own figures.
import { benches } from './registry';

async function main(): Promise<void> {
  const wanted = process.argv.slice(2);
  const names = wanted.length ? wanted : Object.keys(benches).filter((n) => benches[n]!.default);
  for (const name of names) {
    const bench = benches[name];
    if (!bench) {
      console.error(`unknown benchmark "${name}"; known: ${Object.keys(benches).join(', ')}`);
      process.exit(2);
    }
    console.log(`\n== bench ${name}: ${bench.summary}`);
    await bench.run();
  }
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
