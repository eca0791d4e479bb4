#!/usr/bin/env bash
# Sets the release version everywhere it is written down:
#   packaging/set-version.sh 0.2.0
# Cargo.toml (the single source: the wheel and the npm packages read it at
# build time), Cargo.lock, and the pins the pre-commit mirror and README show.
set -euo pipefail
new=${1:?usage: packaging/set-version.sh X.Y.Z}
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
old=$(sed -n 's/^version = "\(.*\)"$/\1/p' Cargo.toml | head -1)
sed -i "0,/^version = \"$old\"/s//version = \"$new\"/" Cargo.toml
cargo update --quiet --offline -p prepush-auth 2>/dev/null || cargo update --quiet -p prepush-auth
sed -i "s/prepush-auth==$old\"/prepush-auth==$new\"/" packaging/pre-commit-mirror/.pre-commit-hooks.yaml
sed -i "s/rev: v$old\b/rev: v$new/" packaging/pre-commit-mirror/README.md README.md
echo "version $old -> $new"; git --no-pager diff --stat
