// The protocol's method list, snapshotted: renaming or removing a method breaks every client (the extension, the
// CLI, scripts driving the daemon), so it must be a deliberate edit of protocol.snapshot.json beside this file,
// with PROTOCOL_VERSION raised when an existing method changes. Adding a method is an edit of the snapshot too.
// The types protocol.ts repeats from the daemon's internals are checked at compile time in protocolMirrors.ts.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import ts from 'typescript';
import { sourceFiles } from './imports';

const root = process.cwd();
const SNAPSHOT = 'test/unit/house/protocol.snapshot.json';

interface MethodList {
  version: number;
  requests: string[];
  notifications: string[];
}

function parse(file: string, text = readFileSync(`${root}/${file}`, 'utf8')): ts.SourceFile {
  return ts.createSourceFile(file, text, ts.ScriptTarget.ES2022, true, ts.ScriptKind.TS);
}

/** The method names of protocol.ts's RequestTypes and NotificationTypes, and PROTOCOL_VERSION. */
function protocolMethods(): MethodList {
  const sf = parse('daemon/protocol.ts');
  const list: MethodList = { version: NaN, requests: [], notifications: [] };
  for (const st of sf.statements) {
    if (ts.isInterfaceDeclaration(st) && (st.name.text === 'RequestTypes' || st.name.text === 'NotificationTypes')) {
      const names = st.members.map((m) => (m.name && (ts.isStringLiteral(m.name) || ts.isIdentifier(m.name)) ? m.name.text : '?'));
      list[st.name.text === 'RequestTypes' ? 'requests' : 'notifications'] = names.sort();
    }
    if (ts.isVariableStatement(st)) {
      for (const d of st.declarationList.declarations) {
        if (ts.isIdentifier(d.name) && d.name.text === 'PROTOCOL_VERSION' && d.initializer && ts.isNumericLiteral(d.initializer)) list.version = Number(d.initializer.text);
      }
    }
  }
  return list;
}

/** Every `server.onRequest('method', …)` / `server.onJobRequest('method', …)` in daemon/: method → where. */
function servedMethods(): Map<string, string[]> {
  const served = new Map<string, string[]>();
  for (const file of sourceFiles(root, ['daemon'])) {
    const text = readFileSync(`${root}/${file}`, 'utf8');
    if (!/\bon(Job)?Request\(/.test(text)) continue; // parse only the files that can bind a method
    const sf = parse(file, text);
    const visit = (n: ts.Node): void => {
      if (ts.isCallExpression(n) && ts.isPropertyAccessExpression(n.expression) && ['onRequest', 'onJobRequest'].includes(n.expression.name.text)) {
        const first = n.arguments[0];
        if (first && ts.isStringLiteral(first)) {
          const line = sf.getLineAndCharacterOfPosition(n.getStart(sf)).line + 1;
          served.set(first.text, [...(served.get(first.text) ?? []), `${file}:${line}`]);
        }
      }
      ts.forEachChild(n, visit);
    };
    visit(sf);
  }
  return served;
}

test('the protocol method list matches its snapshot (a rename or removal is deliberate)', () => {
  const now = protocolMethods();
  const snapshot = JSON.parse(readFileSync(`${root}/${SNAPSHOT}`, 'utf8')) as MethodList;
  assert.ok(now.requests.length > 10 && !now.requests.includes('?'), `protocol.ts: RequestTypes read as ${now.requests.join(', ')}`);
  assert.deepEqual(now, snapshot,
    `daemon/protocol.ts changed its methods. If that is meant, write this into ${SNAPSHOT} (and raise PROTOCOL_VERSION when an existing method was renamed or removed):\n${JSON.stringify(now, null, 2)}`);
});

test('the daemon serves every request method of the protocol, each once', () => {
  const served = servedMethods();
  const { requests } = protocolMethods();
  assert.deepEqual(requests.filter((m) => !served.has(m)), [], 'declared in protocol.ts but never bound with server.onRequest/onJobRequest');
  assert.deepEqual([...served].filter(([, at]) => at.length > 1).map(([m, at]) => `${m}: ${at.join(', ')}`), [], 'bound twice');
});
