#!/usr/bin/env bash
# Builds every release artifact for the given Rust targets into dist/:
#   prepush_auth-VERSION-py3-none-PLATFORM.whl      (pip / pipx / uv; maturin)
#   prepush_auth-VERSION.tar.gz                     (sdist: pip compiles it where no wheel fits)
#   prepush-auth-VERSION.tgz                        (npm launcher)
#   prepush-auth-OS-CPU[-musl]-VERSION.tgz          (npm platform package, the binary)
#   prepush-auth-VERSION-TARGET.tar.gz              (binary, README, licences, man pages,
#                                                    completions; what cargo binstall fetches)
#   pre-commit-mirror/                              (files for the pre-commit mirror repository)
#   SHA256SUMS
#
#   packaging/build-all.sh [--dev] [TARGET...]
#
# TARGETs default to this machine's (`rustc -vV` host) and, on Linux, the
# same CPU's musl target when it is installed (`rustup target add
# x86_64-unknown-linux-musl`). Each target's release binary is compiled once
# (by maturin, with the release profile of Cargo.toml) and reused by every
# other artifact of that target. Linux targets are linked by zig (`python3
# -m pip install ziglang`): `*-linux-gnu` against glibc 2.17 (manylinux2014:
# RHEL/CentOS 7+, Ubuntu 14.04+, Debian 8+, Amazon Linux 2), `*-linux-musl`
# statically (musllinux_1_2: Alpine and any Linux). A target of another CPU
# is cross-built the same way (its Rust standard library must be installed).
# `--dev` packs an unoptimized build instead, to try the packaging itself
# without waiting for the release compile.
# Needs: cargo, python3 with maturin and ziglang (`python3 -m pip install
# maturin ziglang`), node/npm, GNU tar, sha256sum, objdump (binutils).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"

version=$(cargo metadata --no-deps --format-version 1 --locked |
  python3 -c 'import json,sys; print(next(p["version"] for p in json.load(sys.stdin)["packages"] if p["name"]=="prepush-auth"))')
host=$(rustc -vV | sed -n 's/^host: //p')
target_dir=${CARGO_TARGET_DIR:-$root/target}
profile=(--release) profile_dir=release
[ "${1:-}" = --dev ] && { profile=() profile_dir=debug; shift; }
targets=("$@")
if [ ${#targets[@]} -eq 0 ]; then
  targets=("$host")
  case $host in
  *-unknown-linux-gnu)
    musl=${host%-gnu}-musl
    if rustup target list --installed 2>/dev/null | grep -qx "$musl"; then
      targets+=("$musl")
    else
      echo "note: $musl is not installed (rustup target add $musl): no static musl artifacts" >&2
    fi
    ;;
  esac
fi
dist=$root/dist
echo "prepush-auth $version for ${targets[*]} -> $dist"

# The pre-commit mirror pins the wheel; a release that forgot to bump it
# would install the previous version.
grep -q "prepush-auth==$version\"" packaging/pre-commit-mirror/.pre-commit-hooks.yaml || {
  echo "packaging/pre-commit-mirror pins another version than Cargo.toml ($version): run packaging/set-version.sh $version" >&2
  exit 1
}

rm -rf "$dist"
mkdir -p "$dist/stage/docs/completions" "$dist/stage/docs/man"
maturin sdist --out "$dist" >/dev/null
mtime=$(git log -1 --format=%ct 2>/dev/null || echo 0)

# The newest GLIBC_x.y symbol version a binary needs (0.0: none).
newest_glibc() {
  objdump -T "$1" 2>/dev/null | grep -o 'GLIBC_[0-9][0-9.]*' | sed 's/GLIBC_//' | sort -V | tail -1 || true
}

docs_done= archives=()
for target in "${targets[@]}"; do
  # 1. The wheel; it compiles the binary on the way (into target/TARGET/PROFILE
  # when maturin is given --target).
  build=(--target "$target")
  case $target in
  *-linux-gnu) build+=(--zig --compatibility manylinux2014) ;;
  *-linux-musl) build+=(--zig --compatibility musllinux_1_2) ;;
  esac
  if [[ $target == *-linux-* ]]; then
    python3 -m ziglang version >/dev/null 2>&1 ||
      { echo "zig links the Linux binaries: python3 -m pip install ziglang" >&2; exit 1; }
  fi
  maturin build "${profile[@]}" "${build[@]}" --locked --out "$dist" --quiet
  bin=$target_dir/$target/$profile_dir/prepush-auth
  [ -f "$bin.exe" ] && bin=$bin.exe

  # What the binary needs of the system, checked as the tests check it.
  case $target in
  *-linux-gnu)
    newest=$(newest_glibc "$bin")
    [ -n "$newest" ] && [ "$(printf '%s\n2.17\n' "$newest" | sort -V | tail -1)" = 2.17 ] ||
      { echo "$bin needs GLIBC_$newest, newer than the 2.17 floor" >&2; exit 1; }
    ;;
  *-linux-musl)
    ! objdump -p "$bin" | grep -qE '^ *(INTERP|NEEDED)' ||
      { echo "$bin is not static" >&2; exit 1; }
    ;;
  esac

  # A binary this machine runs is checked, and writes the completions; a
  # cross-built one is not run (the completions are the same for all).
  if "$bin" --version >/dev/null 2>&1; then
    [ "$("$bin" --version)" = "prepush-auth $version" ] || { echo "unexpected binary: $bin" >&2; exit 1; }
    if [ -z "$docs_done" ]; then
      for shell in bash:prepush-auth.bash zsh:_prepush-auth fish:prepush-auth.fish powershell:_prepush-auth.ps1; do
        "$bin" completions "${shell%%:*}" >"$dist/stage/docs/completions/${shell#*:}"
      done
      # The man pages come from the CLI definition through an example, so
      # the shipped binary carries no roff writer (a debug build: it only
      # prints, and after `cargo test` it is already built).
      cargo run --locked --quiet --example manpage -- "$dist/stage/docs/man"
      docs_done=1
    fi
  fi

  # 2. The archive: binary, README, licences, man pages, completions.
  name=prepush-auth-$version-$target
  stage=$dist/stage/$name
  mkdir -p "$stage"
  cp "$bin" README.md LICENSE-MIT LICENSE-APACHE "$stage/"
  archives+=("$name")

  # 3. npm: the launcher and this target's binary package.
  node packaging/npm/stage.js "$version" "$target" "$bin" "$dist/stage/npm" >/dev/null
done
[ -n "$docs_done" ] || { echo "no binary built here runs on this machine: no completions" >&2; exit 1; }

for name in "${archives[@]}"; do
  cp -r "$dist/stage/docs/completions" "$dist/stage/docs/man" "$dist/stage/$name/"
  # Reproducible: same inputs, same bytes (sorted names, no owner, commit time).
  tar --sort=name --owner=0 --group=0 --numeric-owner --mtime="@$mtime" \
    -C "$dist/stage" -cf - "$name" | gzip -n -9 >"$dist/$name.tar.gz"
done
for pkg in "$dist"/stage/npm/*/; do
  (cd "$pkg" && npm pack --silent --pack-destination "$dist" >/dev/null)
done

# 4. The pre-commit mirror's files, to copy into that repository.
cp -r packaging/pre-commit-mirror "$dist/pre-commit-mirror"

rm -rf "$dist/stage"
(cd "$dist" && sha256sum -- *.whl *.tgz *.tar.gz >SHA256SUMS)
echo "built:"
(cd "$dist" && ls -l -- *.whl *.tgz *.tar.gz SHA256SUMS | awk '{printf "  %-80s %9d bytes\n", $NF, $5}')
