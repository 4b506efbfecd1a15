#!/usr/bin/env bash
# Installs the e2e tools (code-server 4.99.4 = VS Code 1.99.3, playwright-core, Debian's Chromium) into .e2e/tools,
# outside the project's dependencies. Offline-friendly: only the npm registry and Debian's archive are used.
# Recipe and pitfalls: ../shared/e2e.md. Re-running is cheap: an existing install of the same version is kept.
# usage: test/extension/setup.sh [--no-apt]      env: CS_VERSION (default 4.99.4, the last release for Node 20)
set -euo pipefail
cd "$(dirname "$0")/../.."
ROOT=$PWD; TOOLS="$ROOT/.e2e/tools"; CS_VERSION=${CS_VERSION:-4.99.4}
log() { echo "[e2e-setup $(date +%T)] $*"; }

if [ "${1:-}" != "--no-apt" ]; then
  if ! command -v chromium >/dev/null || ! command -v rg >/dev/null || [ ! -f /usr/include/gssapi/gssapi.h ]; then
    log "apt: chromium, libkrb5-dev (kerberos addon build), ripgrep (replaces @vscode/ripgrep's GitHub download)"
    apt-get update -q >/dev/null
    # keep Recommends: they bring the fonts Chromium needs
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q chromium libkrb5-dev ripgrep >/dev/null
  fi
fi

installed=$(node -p "try{require('$TOOLS/node_modules/code-server/package.json').version}catch{''}" 2>/dev/null || true)
if [ "$installed" = "$CS_VERSION" ] && [ -d "$TOOLS/node_modules/playwright-core" ]; then
  log "code-server $CS_VERSION already installed in $TOOLS"; exit 0
fi

mkdir -p "$TOOLS/tmp"
cd "$TOOLS"
log "seed @vscode/ripgrep's download cache with Debian's rg"
npm pack --silent "code-server@$CS_VERSION" --pack-destination tmp >/dev/null
RG_PKG=$(tar xzOf "tmp/code-server-$CS_VERSION.tgz" package/lib/vscode/npm-shrinkwrap.json \
  | node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>console.log(JSON.parse(s).packages["node_modules/@vscode/ripgrep"].version))')
npm pack --silent "@vscode/ripgrep@$RG_PKG" --pack-destination tmp >/dev/null
RG_TAG=$(tar xzOf "tmp/vscode-ripgrep-$RG_PKG.tgz" package/lib/postinstall.js | sed -n "s/^const VERSION = '\(.*\)';/\1/p")
mkdir -p "tmp/vscode-ripgrep-cache-$RG_PKG" tmp/rg
cp "$(command -v rg)" tmp/rg/rg
tar czf "tmp/vscode-ripgrep-cache-$RG_PKG/ripgrep-$RG_TAG-x86_64-unknown-linux-musl.tar.gz" -C tmp/rg rg

log "npm install code-server@$CS_VERSION playwright-core@1 (lib/vscode postinstall builds native addons)"
[ -f package.json ] || echo '{ "name": "sd-studio-e2e-tools", "private": true }' > package.json
# unsafe_perm: the postinstall refuses root without it · yes: node-pty runs `npx node-gyp` without a TTY ·
# TMPDIR: where @vscode/ripgrep looks for the seeded cache
TMPDIR="$TOOLS/tmp" npm_config_unsafe_perm=true npm_config_yes=true \
  npm install --no-audit --no-fund "code-server@$CS_VERSION" playwright-core@1 mocha@10 > "$TOOLS/npm-install.log" 2>&1 \
  || { tail -60 "$TOOLS/npm-install.log"; exit 1; }
# every code-server invocation writes config/log files: keep them out of $HOME
XDG_CONFIG_HOME="$TOOLS/tmp/xdg" XDG_DATA_HOME="$TOOLS/tmp/xdg" "$TOOLS/node_modules/.bin/code-server" --version 2>/dev/null | tail -1
log "done: $(du -sh "$TOOLS/node_modules" | cut -f1)"
