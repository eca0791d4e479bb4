#!/bin/sh
# Builds and installs prepush-auth (into cargo's bin directory, usually
# ~/.cargo/bin; compiling takes about 3 minutes on 2 cores), then offers
# `prepush-auth install` (the pre-push hook and the observe entry) for the
# repository you ran this from. Safe to run twice: it reinstalls the same binary and the hook
# install is idempotent.
set -eu
here=$(pwd)
src=$(cd "$(dirname "$0")" && pwd)

echo "prepush-auth: compiling with cargo install (about 3 minutes on 2 cores; nothing is printed until it is done) ..."
start=$(date +%s)
cargo install --quiet --locked --force --path "$src"
echo "prepush-auth: compiled in $(( $(date +%s) - start )) s"
bin=$(command -v prepush-auth || echo "${CARGO_HOME:-$HOME/.cargo}/bin/prepush-auth")
echo "prepush-auth: installed $bin"

cd "$here"
if git rev-parse --git-dir >/dev/null 2>&1 && [ "$(git rev-parse --show-toplevel)" != "$src" ]; then
  if [ -t 0 ]; then
    printf 'prepush-auth: check every push from %s? [y/N] ' "$(git rev-parse --show-toplevel)"
    read -r answer || answer=
    case "$answer" in
      y|Y|yes) "$bin" install ;;
      *) echo "prepush-auth: later, run: prepush-auth install" ;;
    esac
  else
    echo "prepush-auth: to check every push from this repository, run: prepush-auth install"
  fi
fi
