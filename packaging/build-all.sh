#!/usr/bin/env bash
# Builds every release artifact for this machine's platform into dist/:
#   prepush_auth-VERSION-py3-none-PLATFORM.whl      (pip / pipx / uv; maturin)
#   prepush_auth-VERSION.tar.gz                     (sdist: pip compiles it where no wheel fits)
#   prepush-auth-VERSION.tgz                        (npm launcher)
#   prepush-auth-OS-CPU-VERSION.tgz                 (npm platform package, the binary)
#   prepush-auth-VERSION-TARGET.tar.gz              (binary, README, licences, man pages,
#                                                    completions; what cargo binstall fetches)
#   pre-commit-mirror/                              (files for the pre-commit mirror repository)
#   SHA256SUMS
# The release binary is compiled once (by maturin, with the release profile of
# Cargo.toml) and reused by every other artifact.
# `--dev` packs an unoptimized build instead, to try the packaging itself
# without waiting for the release compile.
# Needs: cargo, python3 with maturin (`python3 -m pip install maturin`), node/npm,
# GNU tar, sha256sum.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"

version=$(cargo metadata --no-deps --format-version 1 --locked |
  python3 -c 'import json,sys; print(next(p["version"] for p in json.load(sys.stdin)["packages"] if p["name"]=="prepush-auth"))')
target=$(rustc -vV | sed -n 's/^host: //p')
target_dir=${CARGO_TARGET_DIR:-$root/target}
profile=(--release) profile_dir=release
[ "${1:-}" = --dev ] && profile=() profile_dir=debug
dist=$root/dist
echo "prepush-auth $version for $target -> $dist"

# The pre-commit mirror pins the wheel; a release that forgot to bump it
# would install the previous version.
grep -q "prepush-auth==$version\"" packaging/pre-commit-mirror/.pre-commit-hooks.yaml || {
  echo "packaging/pre-commit-mirror pins another version than Cargo.toml ($version): run packaging/set-version.sh $version" >&2
  exit 1
}

rm -rf "$dist"
mkdir -p "$dist"

# 1. The wheel; it compiles the binary on the way. On Linux with glibc the
# binary is linked by zig against glibc 2.17 (manylinux2014: Ubuntu 14.04+,
# Debian 8+, RHEL/CentOS 7+, Amazon Linux 2), not against this machine's
# glibc; every other artifact reuses it. maturin then builds for an explicit
# --target, so the binary lands in target/TRIPLE/PROFILE.
zig=()
if [ "$target" = x86_64-unknown-linux-gnu ] || [ "$target" = aarch64-unknown-linux-gnu ]; then
  python3 -m ziglang version >/dev/null 2>&1 ||
    { echo "zig is needed for the glibc 2.17 build: python3 -m pip install ziglang" >&2; exit 1; }
  zig=(--zig --compatibility manylinux2014 --target "$target")
fi
maturin build "${profile[@]}" "${zig[@]}" --locked --out "$dist" --quiet
maturin sdist --out "$dist" >/dev/null
bin=$target_dir/$profile_dir/prepush-auth
[ ${#zig[@]} -gt 0 ] && bin=$target_dir/$target/$profile_dir/prepush-auth
[ "$("$bin" --version)" = "prepush-auth $version" ] || { echo "unexpected binary: $bin" >&2; exit 1; }

# 2. The archive: binary, README, licences, man pages, completions.
name=prepush-auth-$version-$target
stage=$dist/stage/$name
mkdir -p "$stage/completions" "$stage/man"
cp "$bin" README.md LICENSE-MIT LICENSE-APACHE "$stage/"
"$bin" completions bash >"$stage/completions/prepush-auth.bash"
"$bin" completions zsh >"$stage/completions/_prepush-auth"
"$bin" completions fish >"$stage/completions/prepush-auth.fish"
"$bin" completions powershell >"$stage/completions/_prepush-auth.ps1"
# The man pages come from the CLI definition through an example, so the
# shipped binary carries no roff writer (a debug build: it only prints, and
# after `cargo test` it is already built).
cargo run --locked --quiet --example manpage -- "$stage/man"
# Reproducible: same inputs, same bytes (sorted names, no owner, commit time).
mtime=$(git log -1 --format=%ct 2>/dev/null || echo 0)
tar --sort=name --owner=0 --group=0 --numeric-owner --mtime="@$mtime" \
  -C "$dist/stage" -cf - "$name" | gzip -n -9 >"$dist/$name.tar.gz"

# 3. npm: the launcher and this platform's binary package.
node packaging/npm/stage.js "$version" "$target" "$bin" "$dist/stage/npm" >/dev/null
for pkg in "$dist"/stage/npm/*/; do
  (cd "$pkg" && npm pack --silent --pack-destination "$dist" >/dev/null)
done

# 4. The pre-commit mirror's files, to copy into that repository.
cp -r packaging/pre-commit-mirror "$dist/pre-commit-mirror"

rm -rf "$dist/stage"
(cd "$dist" && sha256sum -- *.whl *.tgz *.tar.gz >SHA256SUMS)
echo "built:"
(cd "$dist" && ls -l -- *.whl *.tgz *.tar.gz SHA256SUMS | awk '{printf "  %-60s %9d bytes\n", $NF, $5}')
