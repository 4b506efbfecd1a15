// A restricted unpickler for PyTorch checkpoints. It interprets pickle opcodes into plain data and NEVER calls
// anything: globals go through the allow-list (pickleGlobals.ts), values are plain data (pickleValues.ts).
// Every resource a file can make it spend is bounded, so a crafted file ends in an error naming the file within
// a second or so instead of freezing or killing the process: the pickle's size, the stack, the memo, MARK
// nesting, integer sizes and text-number lengths; lengths are checked before the read position moves.
import { build, findClass, instantiate, reduce } from './pickleGlobals';
import { PyDict, PyGlobal, PyObject, PyTuple, dictKey, type PyValue } from './pickleValues';
import { WeightsError } from './tensorRecord';

export { PyDict, PyGlobal, PyObject, PyTuple, TorchStorage, TorchTensor, MAX_NESTING, pyRepr, type PyKey, type PyValue } from './pickleValues';
export { parseStoragePid } from './pickleGlobals';

/**
 * The bounds. A real SD checkpoint's data.pkl is ~100 KB (a training checkpoint with optimizer state a few MB),
 * its stack holds a few thousand items, its memo tens of thousands, its MARKs nest a few deep.
 */
export const PICKLE_LIMITS = {
  /** Bytes of one pickle: a larger one is refused before it is parsed. */
  maxBytes: 64 << 20,
  /** Values pushed over the whole parse (each opcode makes at most one): bounds what a flood of pushes costs. */
  maxValues: 1 << 20,
  /** Items on the stack, counting those under MARKs. */
  maxStack: 1 << 19,
  maxMemo: 1 << 20,
  maxMarks: 4096,
  /** LONG1/LONG4 and text INT/LONG/FLOAT: integers past this many bytes (or digits) are refused. */
  maxIntBytes: 8192,
} as const;

export interface UnpickleOptions {
  /** Named in every error. */
  file: string;
  /** Resolves a persistent id (torch storages); absent → persistent ids are refused. */
  persistentLoad?: (pid: PyValue) => PyValue;
  /** Byte offset where the pickle starts (legacy files hold several in a row). */
  start?: number;
  /** Checked between slices of opcodes by `unpickleAsync` (a job's cancel). */
  signal?: AbortSignal;
  /**
   * A TorchScript archive's data.pkl (OpenAI's ViT-L-14.pt): module objects are pickled as instances of their
   * compiled classes (`__torch__.clip.model.CLIP`, NEWOBJ + BUILD with an attribute dict) and typed lists through
   * `torch.jit._pickle.*`. Those class names are accepted as symbols (their code, in the archive's code/ folder,
   * is never looked at, let alone run); the list builders give back the list they were handed.
   */
  torchScript?: boolean;
}

/** Thrown when the buffer ends before STOP; the legacy reader reads more and retries. */
export class PickleTruncated extends WeightsError {}

export interface Unpickled {
  value: PyValue;
  /** The offset just past STOP. */
  end: number;
}

/** Unpickles one pickle from `bytes`, synchronously. */
export function unpickle(bytes: Uint8Array, opts: UnpickleOptions): Unpickled {
  const m = new PickleMachine(bytes, opts);
  for (;;) {
    const r = m.run(Number.POSITIVE_INFINITY);
    if (r) return r;
  }
}

/** Opcodes run between two looks at the event loop (cancel requests arrive there). */
const SLICE = 1 << 18;

/** Unpickles in slices, yielding to the event loop between them, so a cancel (`opts.signal`) stops a long parse. */
export async function unpickleAsync(bytes: Uint8Array, opts: UnpickleOptions): Promise<Unpickled> {
  const m = new PickleMachine(bytes, opts);
  for (;;) {
    if (opts.signal?.aborted) throw opts.signal.reason ?? new Error('cancelled');
    const r = m.run(SLICE);
    if (r) return r;
    await new Promise((res) => setImmediate(res));
  }
}

const latin1 = new TextDecoder('latin1');
const utf8 = new TextDecoder('utf-8');

/** The opcode interpreter; `run(n)` executes up to n opcodes and returns the value once STOP is reached. */
class PickleMachine {
  private pos: number;
  private stack: PyValue[] = [];
  private readonly marks: PyValue[][] = [];
  /** Items on the stack and under every MARK. */
  private held = 0;
  private pushed = 0;
  private readonly memo = new Map<number, PyValue>();
  private readonly dv: DataView;

  constructor(
    private readonly bytes: Uint8Array,
    private readonly opts: UnpickleOptions,
  ) {
    this.pos = opts.start ?? 0;
    this.dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }

  readonly fail = (problem: string): never => {
    throw new WeightsError(this.opts.file, `pickle: ${problem}`);
  };

  run(budget: number): Unpickled | undefined {
    try {
      for (let n = 0; n < budget; n++) {
        const done = this.step();
        if (done) return done;
      }
      return undefined;
    } catch (e) {
      // A RangeError here is V8 running out of something (call stack, array length): still this file's fault.
      if (e instanceof RangeError) this.fail(`${e.message} at byte ${this.pos}`);
      throw e;
    }
  }

  private need(n: number): void {
    if (n < 0) this.fail(`negative length ${n} at byte ${this.pos}`);
    if (this.pos + n > this.bytes.length) {
      throw new PickleTruncated(this.opts.file, `pickle: truncated at byte ${this.bytes.length} (needed ${n} more at ${this.pos})`);
    }
  }
  private take(n: number): Uint8Array {
    this.need(n);
    this.pos += n;
    return this.bytes.subarray(this.pos - n, this.pos);
  }
  private u8(): number {
    this.need(1);
    return this.bytes[this.pos++]!;
  }
  private u16(): number {
    this.need(2);
    this.pos += 2;
    return this.dv.getUint16(this.pos - 2, true);
  }
  private u32(): number {
    this.need(4);
    this.pos += 4;
    return this.dv.getUint32(this.pos - 4, true);
  }
  private i32(): number {
    this.need(4);
    this.pos += 4;
    return this.dv.getInt32(this.pos - 4, true);
  }
  /** A signed 32-bit length (BINSTRING, LONG4): negative ones are refused before anything is read. */
  private len32(what: string): number {
    const n = this.i32();
    if (n < 0) this.fail(`negative ${what} length ${n} at byte ${this.pos - 4}`);
    return n;
  }
  private u64(): number {
    this.need(8);
    const v = this.dv.getBigUint64(this.pos, true);
    this.pos += 8;
    if (v > BigInt(this.bytes.length)) this.fail(`length ${v} at byte ${this.pos - 8} exceeds the data`);
    return Number(v);
  }
  private line(): string {
    const nl = this.bytes.indexOf(0x0a, this.pos);
    if (nl < 0) throw new PickleTruncated(this.opts.file, `pickle: truncated in a text line at byte ${this.pos}`);
    const s = latin1.decode(this.bytes.subarray(this.pos, nl));
    this.pos = nl + 1;
    return s;
  }
  /** A text-form number (INT, LONG, FLOAT, GET, PUT): short, or refused (BigInt of a huge decimal is slow). */
  private numberLine(): string {
    const s = this.line();
    if (s.length > PICKLE_LIMITS.maxIntBytes) this.fail(`a ${s.length}-digit number at byte ${this.pos - s.length - 1} (over ${PICKLE_LIMITS.maxIntBytes})`);
    return s;
  }
  private push(v: PyValue): void {
    if (++this.pushed > PICKLE_LIMITS.maxValues) this.fail(`more than ${PICKLE_LIMITS.maxValues} values at byte ${this.pos}: not a weights file`);
    if (++this.held > PICKLE_LIMITS.maxStack) this.fail(`more than ${PICKLE_LIMITS.maxStack} values on the stack at byte ${this.pos}`);
    this.stack.push(v);
  }
  private pop(): PyValue {
    if (!this.stack.length) return this.fail(`stack underflow at byte ${this.pos}`);
    this.held--;
    return this.stack.pop()!;
  }
  private top(): PyValue {
    return this.stack.length ? this.stack[this.stack.length - 1]! : this.fail(`stack underflow at byte ${this.pos}`);
  }
  private mark(): void {
    if (this.marks.length >= PICKLE_LIMITS.maxMarks) this.fail(`MARKs nested more than ${PICKLE_LIMITS.maxMarks} deep at byte ${this.pos}`);
    this.marks.push(this.stack);
    this.stack = [];
  }
  private popMark(): PyValue[] {
    const items = this.stack;
    const prev = this.marks.pop();
    if (!prev) return this.fail(`MARK missing at byte ${this.pos}`);
    this.stack = prev;
    this.held -= items.length;
    return items;
  }
  private memoPut(key: number, v: PyValue): void {
    if (!this.memo.has(key) && this.memo.size >= PICKLE_LIMITS.maxMemo) this.fail(`more than ${PICKLE_LIMITS.maxMemo} memo entries at byte ${this.pos}`);
    this.memo.set(key, v);
  }
  private memoGet(key: number): PyValue {
    if (!this.memo.has(key)) this.fail(`memo key ${key} read before it was written`);
    return this.memo.get(key)!;
  }
  private setItem(d: PyValue, k: PyValue, v: PyValue): void {
    const target = d instanceof PyObject && d.state instanceof PyDict ? d.state : d;
    if (!(target instanceof PyDict)) return this.fail(`SETITEM on a non-dict at byte ${this.pos}`);
    target.map.set(dictKey(k), v);
  }
  private append(l: PyValue, v: PyValue): void {
    if (!Array.isArray(l)) return this.fail(`APPEND on a non-list at byte ${this.pos}`);
    l.push(v);
  }
  private int(v: bigint): number | bigint {
    return v >= BigInt(Number.MIN_SAFE_INTEGER) && v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : v;
  }
  /** LONG1/LONG4: little-endian two's complement, converted through hex (linear; byte-by-byte BigInt is quadratic). */
  private long(n: number, at: number): number | bigint {
    if (n > PICKLE_LIMITS.maxIntBytes) this.fail(`a ${n}-byte integer at byte ${at} (over ${PICKLE_LIMITS.maxIntBytes})`);
    const b = this.take(n);
    if (n === 0) return 0;
    let hex = '';
    for (let i = n - 1; i >= 0; i--) hex += b[i]! < 16 ? `0${b[i]!.toString(16)}` : b[i]!.toString(16);
    let v = BigInt(`0x${hex}`);
    if (b[n - 1]! & 0x80) v -= 1n << BigInt(8 * n);
    return this.int(v);
  }

  /** One opcode; the value when it was STOP. */
  private step(): Unpickled | undefined {
    const at = this.pos;
    const op = this.u8();
    const fail = this.fail;
    switch (op) {
      case 0x80: this.u8(); break; // PROTO
      case 0x95: this.take(8); break; // FRAME: framing is only a read hint
      case 0x2e: return { value: this.pop(), end: this.pos }; // STOP
      case 0x28: this.mark(); break; // MARK
      case 0x30: this.pop(); break; // POP
      case 0x31: this.popMark(); break; // POP_MARK
      case 0x32: this.push(this.top()); break; // DUP
      case 0x4e: this.push(null); break; // NONE
      case 0x88: this.push(true); break;
      case 0x89: this.push(false); break;
      case 0x49: { // INT (text; "01"/"00" are bools)
        const s = this.numberLine();
        this.push(s === '01' ? true : s === '00' ? false : this.int(BigInt(s)));
        break;
      }
      case 0x4a: this.push(this.i32()); break; // BININT
      case 0x4b: this.push(this.u8()); break; // BININT1
      case 0x4d: this.push(this.u16()); break; // BININT2
      case 0x4c: this.push(this.int(BigInt(this.numberLine().replace(/L$/, '')))); break; // LONG
      case 0x8a: this.push(this.long(this.u8(), at)); break; // LONG1
      case 0x8b: this.push(this.long(this.len32('LONG4'), at)); break; // LONG4
      case 0x46: this.push(parseFloat(this.numberLine())); break; // FLOAT
      case 0x47: this.need(8); this.push(this.dv.getFloat64(this.pos, false)); this.pos += 8; break; // BINFLOAT (big-endian)
      case 0x53: this.push(unquote(this.line())); break; // STRING
      case 0x54: this.push(latin1.decode(this.take(this.len32('BINSTRING')))); break; // BINSTRING
      case 0x55: this.push(latin1.decode(this.take(this.u8()))); break; // SHORT_BINSTRING
      case 0x56: this.push(this.line()); break; // UNICODE (raw-unicode-escape; ASCII in practice)
      case 0x58: this.push(utf8.decode(this.take(this.u32()))); break; // BINUNICODE
      case 0x8c: this.push(utf8.decode(this.take(this.u8()))); break; // SHORT_BINUNICODE
      case 0x8d: this.push(utf8.decode(this.take(this.u64()))); break; // BINUNICODE8
      case 0x42: this.push(this.take(this.u32()).slice()); break; // BINBYTES
      case 0x43: this.push(this.take(this.u8()).slice()); break; // SHORT_BINBYTES
      case 0x8e: case 0x96: this.push(this.take(this.u64()).slice()); break; // BINBYTES8, BYTEARRAY8
      case 0x29: this.push(new PyTuple([])); break; // EMPTY_TUPLE
      case 0x74: { const items = this.popMark(); this.push(new PyTuple(items)); break; } // TUPLE
      case 0x85: { const a = this.pop(); this.push(new PyTuple([a])); break; }
      case 0x86: { const b = this.pop(); const a = this.pop(); this.push(new PyTuple([a, b])); break; }
      case 0x87: { const c = this.pop(); const b = this.pop(); const a = this.pop(); this.push(new PyTuple([a, b, c])); break; }
      case 0x5d: this.push([]); break; // EMPTY_LIST
      case 0x6c: { const items = this.popMark(); this.push(items); break; } // LIST
      case 0x61: { const v = this.pop(); this.append(this.top(), v); break; } // APPEND
      case 0x65: case 0x90: { const items = this.popMark(); const l = this.top(); for (const v of items) this.append(l, v); break; } // APPENDS, ADDITEMS
      case 0x7d: this.push(new PyDict()); break; // EMPTY_DICT
      case 0x64: { // DICT
        const items = this.popMark();
        const d = new PyDict();
        for (let i = 0; i + 1 < items.length; i += 2) this.setItem(d, items[i]!, items[i + 1]!);
        this.push(d);
        break;
      }
      case 0x73: { const v = this.pop(); const k = this.pop(); this.setItem(this.top(), k, v); break; } // SETITEM
      case 0x75: { // SETITEMS
        const items = this.popMark();
        if (items.length % 2) fail(`SETITEMS with an odd item count at byte ${at}`);
        const d = this.top();
        for (let i = 0; i < items.length; i += 2) this.setItem(d, items[i]!, items[i + 1]!);
        break;
      }
      case 0x8f: this.push([]); break; // EMPTY_SET (sets become lists)
      case 0x91: { const items = this.popMark(); this.push(items); break; } // FROZENSET
      case 0x67: this.push(this.memoGet(Number(this.numberLine()))); break; // GET
      case 0x68: this.push(this.memoGet(this.u8())); break; // BINGET
      case 0x6a: this.push(this.memoGet(this.u32())); break; // LONG_BINGET
      case 0x70: this.memoPut(Number(this.numberLine()), this.top()); break; // PUT
      case 0x71: this.memoPut(this.u8(), this.top()); break; // BINPUT
      case 0x72: this.memoPut(this.u32(), this.top()); break; // LONG_BINPUT
      case 0x94: this.memoPut(this.memo.size, this.top()); break; // MEMOIZE
      case 0x63: { const module = this.line(); this.push(findClass(module, this.line(), fail, this.opts.torchScript)); break; } // GLOBAL
      case 0x93: { // STACK_GLOBAL
        const name = this.pop();
        const module = this.pop();
        if (typeof module !== 'string' || typeof name !== 'string') return fail(`STACK_GLOBAL without strings at byte ${at}`);
        this.push(findClass(module, name, fail, this.opts.torchScript));
        break;
      }
      case 0x69: { // INST
        const module = this.line();
        const cls = findClass(module, this.line(), fail, this.opts.torchScript);
        this.push(new PyObject(cls, this.popMark()));
        break;
      }
      case 0x6f: { // OBJ
        const [cls, ...args] = this.popMark();
        if (!(cls instanceof PyGlobal)) return fail(`OBJ without a class at byte ${at}`);
        this.push(new PyObject(cls, args));
        break;
      }
      case 0x81: case 0x92: { // NEWOBJ, NEWOBJ_EX: cls.__new__(cls, *args) — recorded, not run
        if (op === 0x92) this.pop();
        const args = this.pop();
        const cls = this.pop();
        this.push(instantiate(cls, args instanceof PyTuple ? args.items : [], at, fail));
        break;
      }
      case 0x52: { // REDUCE
        const args = this.pop();
        const fn = this.pop();
        if (!(args instanceof PyTuple)) return fail(`REDUCE without an argument tuple at byte ${at}`);
        this.push(reduce(fn, args.items, at, fail));
        break;
      }
      case 0x62: { // BUILD
        const state = this.pop();
        build(this.top(), state, at, fail);
        break;
      }
      case 0x50: case 0x51: { // PERSID, BINPERSID
        const pid = op === 0x50 ? this.line() : this.pop();
        if (!this.opts.persistentLoad) return fail(`persistent id at byte ${at}, but this file has no storages`);
        this.push(this.opts.persistentLoad(pid));
        break;
      }
      case 0x82: case 0x83: case 0x84:
        return fail(`extension-registry opcode 0x${op.toString(16)} at byte ${at} is not supported in weights files`);
      default:
        return fail(`unknown opcode 0x${op.toString(16).padStart(2, '0')} at byte ${at}`);
    }
    return undefined;
  }
}

function unquote(s: string): string {
  const q = s[0];
  return (q === "'" || q === '"') && s.endsWith(q) ? s.slice(1, -1) : s;
}
