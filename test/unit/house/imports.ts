// Every import of the project's source files, read with TypeScript's parser (no type checking): static imports
// and re-exports, `import()` and `require()`, whether each is type-only, and where a relative one lands.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { join, posix } from 'node:path';
import ts from 'typescript';

export interface ImportRef {
  /** The importing file, relative to the repository root with `/` separators (`daemon/cli/main.ts`). */
  file: string;
  line: number;
  specifier: string;
  /** `import type`, `export type`, or every named specifier marked `type`: erased from the bundle. */
  typeOnly: boolean;
  /** A relative specifier resolved against the file, without extension (`daemon/protocol`); undefined for packages. */
  target?: string;
  /** A Node built-in (`node:fs`, `fs`, `fs/promises`). */
  builtin: boolean;
}

export interface SourceFacts {
  file: string;
  imports: ImportRef[];
  /** Lines where the code (not a comment or a string) reads `Math.random`. */
  mathRandom: number[];
}

/** The .ts files under `dirs` (relative to `root`), sorted; `.d.ts` files declare, they import nothing at run time. */
export function sourceFiles(root: string, dirs: readonly string[]): string[] {
  const out: string[] = [];
  const walk = (rel: string): void => {
    for (const name of readdirSync(join(root, rel))) {
      const path = posix.join(rel, name);
      if (statSync(join(root, path)).isDirectory()) walk(path);
      else if (name.endsWith('.ts') && !name.endsWith('.d.ts')) out.push(path);
    }
  };
  for (const d of dirs) walk(d);
  return out.sort();
}

const builtins = new Set(builtinModules);
const isBuiltin = (s: string): boolean => s.startsWith('node:') || builtins.has(s) || builtins.has(s.split('/')[0] ?? s);

function typeOnlyClause(node: ts.ImportDeclaration | ts.ExportDeclaration): boolean {
  if (ts.isExportDeclaration(node)) {
    if (node.isTypeOnly) return true;
    const c = node.exportClause;
    return !!c && ts.isNamedExports(c) && c.elements.length > 0 && c.elements.every((e) => e.isTypeOnly);
  }
  const clause = node.importClause;
  if (!clause) return false; // `import './x'` runs the module
  if (clause.isTypeOnly) return true;
  const named = clause.namedBindings;
  return !clause.name && !!named && ts.isNamedImports(named) && named.elements.length > 0 && named.elements.every((e) => e.isTypeOnly);
}

/** One import of `file` (relative to the root, `/` separators) as the rules see it. */
export function importRef(file: string, line: number, specifier: string, typeOnly: boolean): ImportRef {
  const target = specifier.startsWith('.') ? posix.normalize(posix.join(posix.dirname(file), specifier)).replace(/\.(ts|js)$/, '') : undefined;
  return { file, line, specifier, typeOnly, ...(target !== undefined ? { target } : {}), builtin: !target && isBuiltin(specifier) };
}

/** The imports and `Math.random` reads of one file (path relative to `root`). */
export function readSource(root: string, file: string): SourceFacts {
  const sf = ts.createSourceFile(file, readFileSync(join(root, file), 'utf8'), ts.ScriptTarget.ES2022, true, ts.ScriptKind.TS);
  const facts: SourceFacts = { file, imports: [], mathRandom: [] };
  const lineOf = (n: ts.Node) => sf.getLineAndCharacterOfPosition(n.getStart(sf)).line + 1;
  const add = (node: ts.Node, spec: ts.Expression | undefined, typeOnly: boolean): void => {
    if (!spec || !ts.isStringLiteralLike(spec)) return;
    facts.imports.push(importRef(file, lineOf(node), spec.text, typeOnly));
  };
  const visit = (node: ts.Node): void => {
    if (ts.isImportDeclaration(node) || ts.isExportDeclaration(node)) add(node, node.moduleSpecifier, typeOnlyClause(node));
    else if (ts.isImportEqualsDeclaration(node) && ts.isExternalModuleReference(node.moduleReference)) add(node, node.moduleReference.expression, node.isTypeOnly);
    else if (ts.isImportTypeNode(node) && ts.isLiteralTypeNode(node.argument)) add(node, node.argument.literal, true);
    else if (ts.isCallExpression(node)) {
      const callee = node.expression;
      const dynamicImport = callee.kind === ts.SyntaxKind.ImportKeyword;
      if (dynamicImport || (ts.isIdentifier(callee) && callee.text === 'require')) add(node, node.arguments[0], false);
    } else if (ts.isPropertyAccessExpression(node) && ts.isIdentifier(node.expression) && node.expression.text === 'Math' && node.name.text === 'random') {
      facts.mathRandom.push(lineOf(node));
    }
    ts.forEachChild(node, visit);
  };
  visit(sf);
  return facts;
}

/** Is `target` (a resolved import, no extension) the module `path` or inside the folder `path/`? */
export const within = (target: string | undefined, path: string): boolean =>
  target !== undefined && (target === path || target === `${path}/index` || target.startsWith(`${path}/`));
