#!/usr/bin/env node
// Runs the prepush-auth binary from the platform package npm installed next
// to this one: each platform is an optionalDependency whose `os`/`cpu` (and
// `libc`) fields let npm pick the one that fits, the way biome and lefthook
// ship. No postinstall script, no download.
"use strict";

const { spawnSync } = require("node:child_process");
const path = require("node:path");

const exe = process.platform === "win32" ? "prepush-auth.exe" : "prepush-auth";
const pkg = `prepush-auth-${process.platform}-${process.arch}`;
const args = process.argv.slice(2);

function binary() {
  if (process.env.PREPUSH_AUTH_BINARY) return process.env.PREPUSH_AUTH_BINARY;
  try {
    return require.resolve(`${pkg}/bin/${exe}`);
  } catch {
    return null;
  }
}

const bin = binary();
if (bin === null) {
  console.error(
    `prepush-auth: no prebuilt binary for ${process.platform} ${process.arch} ` +
      `(npm did not install ${pkg}); install it with: cargo install prepush-auth`,
  );
  // As a git hook or credential helper, a missing binary must not stop git
  // (prepush-auth never blocks a push because of its own failure).
  const gitEntry = args[0] === "pre-push" || args[0] === "credential";
  process.exit(gitEntry ? 0 : 2);
}

const run = spawnSync(bin, args, { stdio: "inherit", windowsHide: true });
if (run.error) {
  console.error(`prepush-auth: cannot run ${path.basename(bin)}: ${run.error.message}`);
  process.exit(args[0] === "pre-push" || args[0] === "credential" ? 0 : 2);
}
if (run.signal) process.kill(process.pid, run.signal);
process.exit(run.status ?? 2);
