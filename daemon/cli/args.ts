import { parseArgs } from 'node:util';

/** A bad command line: the CLI prints the message and the command's usage, and exits 2. */
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

/** 'seed': an integer of any size (seeds go to 2^64 − 1): a number while exact, else its decimal string. */
export type FlagKind = 'string' | 'int' | 'number' | 'seed' | 'boolean' | 'strings';

export interface FlagSpec {
  kind: FlagKind;
  short?: string;
  help: string;
}

export type FlagValues = Record<string, string | number | boolean | string[] | undefined>;

export interface ParseOptions {
  allowPositionals?: boolean;
  /**
   * Numbers that do not parse are passed on as strings for the daemon to reject with a field-named error
   * (a bad value is bad input, exit 1; only a malformed command line is a usage error, exit 2).
   */
  numbersCheckedByDaemon?: boolean;
}

/** `--seed -1` must mean the value -1, not an unknown flag "-1": glue negative numbers to their flag. */
function glueNegativeNumbers(argv: string[], spec: Record<string, FlagSpec>): string[] {
  const out: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    const name = a.startsWith('--') ? a.slice(2) : a.startsWith('-') && a.length === 2 ? Object.keys(spec).find((k) => spec[k]!.short === a.slice(1)) : undefined;
    const next = argv[i + 1];
    if (name && spec[name] && spec[name]!.kind !== 'boolean' && next !== undefined && /^-\d/.test(next)) {
      out.push(`${a.startsWith('--') ? a : `--${name}`}=${next}`);
      i++;
    } else {
      out.push(a);
    }
  }
  return out;
}

/** Parse `argv` against a flag table; numbers are checked here so errors name the flag. */
export function parseFlags(argvIn: string[], spec: Record<string, FlagSpec>, opts: ParseOptions | boolean = {}): { flags: FlagValues; positionals: string[] } {
  const { allowPositionals = false, numbersCheckedByDaemon = false } = typeof opts === 'boolean' ? { allowPositionals: opts } : opts;
  const argv = glueNegativeNumbers(argvIn, spec);
  const options: Record<string, { type: 'string' | 'boolean'; short?: string; multiple?: boolean }> = {};
  for (const [name, s] of Object.entries(spec)) {
    options[name] = { type: s.kind === 'boolean' ? 'boolean' : 'string', ...(s.short ? { short: s.short } : {}), ...(s.kind === 'strings' ? { multiple: true } : {}) };
  }
  let parsed;
  try {
    parsed = parseArgs({ args: argv, options, allowPositionals: true, strict: true });
  } catch (e) {
    throw new UsageError((e as Error).message.replace(/^TypeError \[[A-Z_]+\]: /, ''));
  }
  if (!allowPositionals && parsed.positionals.length) throw new UsageError(`unexpected argument "${parsed.positionals[0]}"`);
  const flags: FlagValues = {};
  for (const [name, raw] of Object.entries(parsed.values)) {
    const kind = spec[name]!.kind;
    if (kind === 'seed') {
      const text = String(raw).trim();
      if (/^-?\d+$/.test(text)) flags[name] = Number.isSafeInteger(Number(text)) ? Number(text) : BigInt(text).toString();
      else if (numbersCheckedByDaemon) flags[name] = String(raw);
      else throw new UsageError(`--${name}: expected an integer, got "${String(raw)}"`);
    } else if (kind === 'int' || kind === 'number') {
      const v = Number(raw);
      const ok = typeof raw === 'string' && raw.trim() !== '' && Number.isFinite(v);
      if (numbersCheckedByDaemon) {
        flags[name] = ok ? v : (raw as string);
        continue;
      }
      if (!ok || (kind === 'int' && !Number.isInteger(v))) {
        throw new UsageError(`--${name}: expected ${kind === 'int' ? 'an integer' : 'a number'}, got "${String(raw)}"`);
      }
      flags[name] = v;
    } else {
      flags[name] = raw as string | boolean | string[];
    }
  }
  return { flags, positionals: parsed.positionals };
}

export function usageText(command: string, synopsis: string, spec: Record<string, FlagSpec>): string {
  const rows = Object.entries(spec).map(([name, s]) => {
    const arg = s.kind === 'boolean' ? '' : s.kind === 'int' || s.kind === 'number' || s.kind === 'seed' ? ' N' : ' VALUE';
    return `  ${s.short ? `-${s.short}, ` : ''}--${name}${arg}`.padEnd(34) + s.help;
  });
  return `usage: sd-studio ${command} ${synopsis}\n\n${rows.join('\n')}\n`;
}
