#!/usr/bin/env node
// Runs the prepush-auth binary from the platform package npm installed next
// to this one: each platform is an optionalDependency whose `os`/`cpu` (and
// `libc`) fields let npm pick the one that fits, the way biome and lefthook
// ship. No postinstall script, no download.
//
// Fails open: as a git hook or helper (pre-push, credential, ssh) a binary
// that is missing, cannot be spawned, or is refused by the dynamic loader
// (e.g. "version `GLIBC_2.28' not found" on a glibc older than the binary's
// floor) must not stop git, since prepush-auth never blocks a push because
// of its own failure. It says so in one line and exits 0; any other command
// (`check`, ...) exits 2. The loader's refusal is told apart from
// prepush-auth's own exit codes (0, 1, 2) by a `--version` probe before the
// real run: it must print "prepush-auth VERSION" and exit 0.
"use strict";

const { spawnSync } = require("node:child_process");
const fs = require("node:fs");

const exe = process.platform === "win32" ? "prepush-auth.exe" : "prepush-auth";
const pkg = `prepush-auth-${process.platform}-${process.arch}`;
// On Linux there are two packages: the glibc one (glibc 2.17 or newer) and
// the static musl one, which runs on any Linux. npm installs the one whose
// `libc` fits (an older npm may install both: the glibc one is tried first,
// and where it cannot start, on musl or an older glibc, the musl one).
const packages = process.platform === "linux" ? [pkg, `${pkg}-musl`] : [pkg];
const args = process.argv.slice(2);
const gitEntry = ["pre-push", "credential", "ssh"].includes(args[0]);
const otherWays = "install it another way: pipx install prepush-auth, or cargo install --locked prepush-auth";

// The binaries to try, in order: PREPUSH_AUTH_BINARY alone when set.
function binaries() {
  if (process.env.PREPUSH_AUTH_BINARY) return [process.env.PREPUSH_AUTH_BINARY];
  const found = [];
  for (const name of packages) {
    try {
      found.push(require.resolve(`${name}/bin/${exe}`));
    } catch {}
  }
  return found;
}

// One line on stderr (stdout may be git's credential protocol), then out.
function cannotRun(why) {
  const line = `prepush-auth: ${why}; ${otherWays}${gitEntry ? " (this git command goes on without it)" : ""}`;
  console.error(line.replace(/\s+/g, " ").trim());
  process.exit(gitEntry ? 0 : 2);
}

// The CPU an ELF file was built for (e_machine), as node names CPUs, or
// null when it is not ELF or cannot be read.
function elfCpu(file) {
  try {
    const fd = fs.openSync(file, "r");
    const head = Buffer.alloc(20);
    fs.readSync(fd, head, 0, 20, 0);
    fs.closeSync(fd);
    if (head.readUInt32BE(0) !== 0x7f454c46) return null;
    const machine = head[5] === 2 ? head.readUInt16BE(18) : head.readUInt16LE(18);
    const names = { 3: "ia32", 8: "mips", 20: "ppc", 21: "ppc64", 22: "s390x", 40: "arm", 62: "x64", 183: "arm64", 243: "riscv64", 258: "loong64" };
    return names[machine] || `machine ${machine}`;
  } catch {
    return null;
  }
}

// Why the probe did not answer, in words a user can act on (one line: no
// control bytes, even when a shell echoed part of a binary back).
function probeFailure(bin, probe) {
  const cpu = elfCpu(bin);
  if (cpu && cpu !== process.arch) return `${bin} is built for ${cpu}, this machine is ${process.arch}`;
  if (probe.error) {
    const code = probe.error.code;
    if (code === "ENOENT") {
      return fs.existsSync(bin)
        ? `${bin} cannot start: its dynamic loader is missing here (a binary for another libc?)`
        : `${bin} is missing`;
    }
    if (code === "EACCES") return `${bin} is not executable`;
    if (code === "ENOEXEC") return `${bin} is not a program for this machine (${process.platform} ${process.arch})`;
    return `cannot run ${bin}: ${probe.error.message}`;
  }
  const err = String(probe.stderr || "");
  const version = /version [`'"]?(GLIBC_[0-9.]+)['"`]? not found/.exec(err);
  if (version) {
    return `the prebuilt binary needs ${version[1]}, newer than this system's glibc (ldd --version)`;
  }
  if (probe.signal) return `${bin} was killed by ${probe.signal} when started`;
  const said = err
    .replace(/[\u0000-\u0008\u000b-\u001f\u007f-\u009f\ufffd]/g, "")
    .split("\n")
    .map((l) => l.trim())
    .find((l) => l !== "");
  const status = `exit ${probe.status}`;
  return `the prebuilt binary cannot start here (${said ? `${said.slice(0, 200)}, ` : ""}${status})`;
}

const candidates = binaries();
if (candidates.length === 0) {
  cannotRun(`no prebuilt binary for ${process.platform} ${process.arch} (npm did not install ${packages.join(" or ")})`);
}
// The first that answers `--version` as prepush-auth; else the first's reason.
let bin = null;
let refusal = null;
for (const candidate of candidates) {
  const probe = spawnSync(candidate, ["--version"], {
    stdio: ["ignore", "pipe", "pipe"],
    encoding: "utf8",
    timeout: 10000,
    windowsHide: true,
  });
  if (!probe.error && probe.status === 0 && String(probe.stdout).startsWith("prepush-auth ")) {
    bin = candidate;
    break;
  }
  refusal = refusal || probeFailure(candidate, probe);
}
if (bin === null) cannotRun(refusal);

const run = spawnSync(bin, args, { stdio: "inherit", windowsHide: true });
if (run.error) cannotRun(`cannot run ${bin}: ${run.error.message}`);
if (run.signal) process.kill(process.pid, run.signal);
process.exit(run.status ?? 2);
