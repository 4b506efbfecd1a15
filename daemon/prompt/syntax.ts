/**
 * The prompt-editing grammar of A1111 (`schedule_parser`, a lark Earley grammar in modules/prompt_parser.py),
 * as a hand-written parser that keeps source offsets for every node:
 *
 *   !start: (prompt | /[][():]/+)*
 *   prompt: (emphasized | scheduled | alternate | plain | WHITESPACE)*
 *   !emphasized: "(" prompt ")" | "(" prompt ":" prompt ")" | "[" prompt "]"
 *   scheduled: "[" [prompt ":"] prompt ":" [WHITESPACE] NUMBER [WHITESPACE] "]"
 *   alternate: "[" prompt ("|" [prompt])+ "]"
 *   plain: /([^\\\[\]():|]|\\.)+/        NUMBER: lark's SIGNED_NUMBER
 *
 * Inside brackets the grammar is deterministic (the character after an inner prompt decides the rule). Only
 * the top level is ambiguous, because any `[ ] ( ) :` may also be a single stray character; lark prefers the
 * bracket rules, so we try a construct first and fall back to one stray character. Checked against lark
 * 1.1.5 by a differential fuzz (43k short prompts + 4.5k random ones): every difference left was a prompt
 * where lark's own answer changes with Python's hash seed (e.g. ")11[a: 1]]"); we always take the construct.
 * Where lark fails (a `|` outside an alternation, a `\` at the end or before a newline), A1111 uses the prompt verbatim; we still return a tree (recovering), plus `failure`.
 */

export interface Span {
  start: number;
  end: number;
}

export type SyntaxNode =
  /** plain text or whitespace, escapes kept raw (`\(`): the attention parser reads them later. */
  | (Span & { kind: 'text'; text: string })
  /** a top-level `[ ] ( ) :` that is not part of a construct: literal text for the schedule. */
  | (Span & { kind: 'stray'; text: string })
  /** `(a)`, `(a:w)` (`second` is what follows the colon), `[a]`. */
  | (Span & { kind: 'emphasis'; bracket: '(' | '['; body: SyntaxNode[]; second: SyntaxNode[] | null })
  /** `[from:to:when]`, `[to:when]` (from = null), `[from::when]` (to = []). */
  | (Span & { kind: 'scheduled'; from: SyntaxNode[] | null; to: SyntaxNode[]; when: Span & { raw: string } })
  /** `[a|b|c]`; an empty option is null. */
  | (Span & { kind: 'alternate'; options: (SyntaxNode[] | null)[] });

export interface SyntaxTree {
  nodes: SyntaxNode[];
  /** Where lark would reject the prompt (A1111 then ignores all editing syntax), or null. */
  failure: { offset: number; message: string } | null;
}

/** lark's SIGNED_NUMBER: ordered alternatives FLOAT (INT EXP | DECIMAL EXP?) then INT, as its regex matches. */
const SIGNED_NUMBER = /[+-]?(?:\d+[eE][+-]?\d+|(?:\d+\.\d*|\.\d+)(?:[eE][+-]?\d+)?|\d+)/y;
const WHITESPACE = /\s+/y;

/** Thrown inside the parser to abandon one construct attempt (never escapes this module). */
class NoMatch {
  constructor(readonly offset: number, readonly message: string) {}
}

class Parser {
  /** First hard failure met while recovering at top level. */
  failure: { offset: number; message: string } | null = null;

  constructor(private readonly s: string) {}

  /** `start`: constructs where they parse, else single stray characters; never throws. */
  parseStart(): SyntaxNode[] {
    const s = this.s;
    const nodes: SyntaxNode[] = [];
    let pos = 0;
    while (pos < s.length) {
      const c = s[pos]!;
      if (c === '(' || c === '[') {
        try {
          const node = this.parseConstruct(pos);
          nodes.push(node);
          pos = node.end;
          continue;
        } catch (e) {
          if (!(e instanceof NoMatch)) throw e;
        }
      }
      if (c === '(' || c === '[' || c === ')' || c === ']' || c === ':') {
        nodes.push({ kind: 'stray', start: pos, end: pos + 1, text: c });
        pos++;
        continue;
      }
      // plain text (or a hard failure, recovered as text so the tree stays useful)
      const end = this.scanPlain(pos, true);
      pushText(nodes, s, pos, end);
      pos = end;
    }
    return nodes;
  }

  /**
   * Plain characters from `pos`: anything but `\ [ ] ( ) : |`, or `\` + a non-newline character.
   * Inside constructs a bad character throws; at top level (`recover`) it is recorded and taken as text.
   */
  private scanPlain(pos: number, recover: boolean): number {
    const s = this.s;
    let p = pos;
    while (p < s.length) {
      const c = s[p]!;
      if (c === '\\') {
        // Python's `.` matches anything but "\n" (so "\\\r" is a valid escape)
        if (p + 1 < s.length && s[p + 1] !== '\n') {
          p += 2;
          continue;
        }
        const msg = p + 1 >= s.length ? 'a "\\" at the end escapes nothing' : 'a "\\" before a line break escapes nothing';
        if (!recover) throw new NoMatch(p, msg);
        this.fail(p, msg);
        p++;
        continue;
      }
      if (c === '|') {
        const msg = '"|" outside [a|b] alternation';
        if (!recover) return p; // the construct's caller decides (alternation separator or failure)
        this.fail(p, msg);
        p++;
        continue;
      }
      if (c === '[' || c === ']' || c === '(' || c === ')' || c === ':') break;
      p++;
    }
    if (p === pos && recover) throw new Error('unreachable: empty plain run at top level');
    return p;
  }

  private fail(offset: number, message: string): void {
    this.failure ??= { offset, message };
  }

  /** `prompt` inside brackets: stops at `) ] : |` or the end; nested constructs must parse. */
  private parsePrompt(pos: number): { nodes: SyntaxNode[]; end: number } {
    const s = this.s;
    const nodes: SyntaxNode[] = [];
    let p = pos;
    while (p < s.length) {
      const c = s[p]!;
      if (c === '(' || c === '[') {
        const node = this.parseConstruct(p);
        nodes.push(node);
        p = node.end;
      } else if (c === ')' || c === ']' || c === ':' || c === '|') break;
      else {
        const end = this.scanPlain(p, false);
        if (end === p) break;
        pushText(nodes, s, p, end);
        p = end;
      }
    }
    return { nodes, end: p };
  }

  private expect(p: number, c: string): void {
    if (this.s[p] !== c) throw new NoMatch(p, `expected "${c}"`);
  }

  /** `emphasized`, `scheduled` or `alternate` starting at `pos` (an opening bracket); throws NoMatch. */
  private parseConstruct(pos: number): SyntaxNode {
    const s = this.s;
    const first = this.parsePrompt(pos + 1);
    const next = s[first.end];
    if (s[pos] === '(') {
      if (next === ')') return { kind: 'emphasis', bracket: '(', start: pos, end: first.end + 1, body: first.nodes, second: null };
      this.expect(first.end, ':');
      const second = this.parsePrompt(first.end + 1);
      this.expect(second.end, ')');
      return { kind: 'emphasis', bracket: '(', start: pos, end: second.end + 1, body: first.nodes, second: second.nodes };
    }
    if (next === ']') return { kind: 'emphasis', bracket: '[', start: pos, end: first.end + 1, body: first.nodes, second: null };
    if (next === '|') {
      const options: (SyntaxNode[] | null)[] = [first.nodes];
      let p = first.end;
      while (s[p] === '|') {
        const opt = this.parsePrompt(p + 1);
        options.push(opt.nodes.length ? opt.nodes : null);
        p = opt.end;
      }
      this.expect(p, ']');
      return { kind: 'alternate', start: pos, end: p + 1, options };
    }
    this.expect(first.end, ':');
    // [to:when]: the number directly after the first colon
    const short = this.tryWhen(first.end + 1);
    if (short) return { kind: 'scheduled', start: pos, end: short.end, from: null, to: first.nodes, when: short.when };
    // [from:to:when]
    const second = this.parsePrompt(first.end + 1);
    this.expect(second.end, ':');
    const long = this.tryWhen(second.end + 1);
    if (!long) throw new NoMatch(second.end + 1, 'expected a step number and "]"');
    return { kind: 'scheduled', start: pos, end: long.end, from: first.nodes, to: second.nodes, when: long.when };
  }

  /** `[WHITESPACE] NUMBER [WHITESPACE] "]"` at `p`, or null. */
  private tryWhen(p: number): { when: Span & { raw: string }; end: number } | null {
    const s = this.s;
    p = skip(WHITESPACE, s, p);
    SIGNED_NUMBER.lastIndex = p;
    const m = SIGNED_NUMBER.exec(s);
    if (!m) return null;
    const when = { start: p, end: p + m[0].length, raw: m[0] };
    const q = skip(WHITESPACE, s, when.end);
    if (s[q] !== ']') return null;
    return { when, end: q + 1 };
  }
}

function skip(re: RegExp, s: string, p: number): number {
  re.lastIndex = p;
  const m = re.exec(s);
  return m ? p + m[0].length : p;
}

/** Adjacent text runs are merged so that positions stay simple for the language server. */
function pushText(nodes: SyntaxNode[], s: string, start: number, end: number): void {
  const last = nodes[nodes.length - 1];
  if (last && last.kind === 'text' && last.end === start) {
    last.end = end;
    last.text = s.slice(last.start, end);
  } else nodes.push({ kind: 'text', start, end, text: s.slice(start, end) });
}

/** Parse with A1111's prompt-editing grammar. Never throws. */
export function parseScheduleSyntax(text: string): SyntaxTree {
  const parser = new Parser(text);
  const nodes = parser.parseStart();
  return { nodes, failure: parser.failure };
}

/** Calls `visit` on every node, depth first, including options and both sides of schedules. */
export function walkSyntax(nodes: readonly SyntaxNode[], visit: (n: SyntaxNode) => void): void {
  for (const n of nodes) {
    visit(n);
    switch (n.kind) {
      case 'text':
      case 'stray':
        break;
      case 'emphasis':
        walkSyntax(n.body, visit);
        if (n.second) walkSyntax(n.second, visit);
        break;
      case 'scheduled':
        if (n.from) walkSyntax(n.from, visit);
        walkSyntax(n.to, visit);
        break;
      case 'alternate':
        for (const o of n.options) if (o) walkSyntax(o, visit);
        break;
    }
  }
}
