#!/usr/bin/env node
// Lays out the npm packages for one release, ready for `npm pack`:
//   node packaging/npm/stage.js VERSION RUST_TARGET BINARY OUT_DIR
// OUT_DIR/prepush-auth: the launcher, naming every platform package as an
// optionalDependency at exactly VERSION; OUT_DIR/prepush-auth-OS-CPU: the
// binary built for RUST_TARGET. The version comes from Cargo.toml (the
// caller reads it there); the checked-in package.json says 0.0.0.
"use strict";

const fs = require("node:fs");
const path = require("node:path");

const [version, target, binary, out] = process.argv.slice(2);
if (!out) {
  console.error("usage: stage.js VERSION RUST_TARGET BINARY OUT_DIR");
  process.exit(2);
}
const here = __dirname;
const root = path.resolve(here, "..", "..");
const platforms = JSON.parse(fs.readFileSync(path.join(here, "platforms.json"), "utf8"));
delete platforms["//"];
const platform = platforms[target];
if (!platform) {
  console.error(`stage.js: no npm platform for ${target} (see packaging/npm/platforms.json)`);
  process.exit(2);
}
// The launcher looks for these names (bin/prepush-auth.js): keep them in step.
const nameOf = (p) => `prepush-auth-${p.os}-${p.cpu}${p.libc === "musl" ? "-musl" : ""}`;
const write = (file, text) => {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, text);
};
const licences = (dir) => {
  for (const f of ["LICENSE-MIT", "LICENSE-APACHE"]) fs.copyFileSync(path.join(root, f), path.join(dir, f));
};

// The main package: launcher + every platform as an optional dependency.
const main = JSON.parse(fs.readFileSync(path.join(here, "prepush-auth", "package.json"), "utf8"));
main.version = version;
main.optionalDependencies = Object.fromEntries(Object.values(platforms).map((p) => [nameOf(p), version]));
const mainDir = path.join(out, "prepush-auth");
write(path.join(mainDir, "package.json"), JSON.stringify(main, null, 2) + "\n");
write(path.join(mainDir, "bin", "prepush-auth.js"), fs.readFileSync(path.join(here, "prepush-auth", "bin", "prepush-auth.js")));
fs.chmodSync(path.join(mainDir, "bin", "prepush-auth.js"), 0o755);
fs.copyFileSync(path.join(root, "README.md"), path.join(mainDir, "README.md"));
licences(mainDir);

// The platform package: the binary alone, chosen by npm through os/cpu/libc.
const name = nameOf(platform);
const exe = platform.os === "win32" ? "prepush-auth.exe" : "prepush-auth";
const platDir = path.join(out, name);
const pkg = {
  name,
  version,
  description:
    `The prepush-auth binary for ${platform.os} ${platform.cpu} (${target})` +
    (platform.needs ? `; needs ${platform.needs}` : "") +
    (platform.libc === "musl" ? "; static, runs on any Linux; npm picks it where the C library is musl (Alpine)" : "") +
    "; install prepush-auth instead",
  license: main.license,
  repository: main.repository,
  os: [platform.os],
  cpu: [platform.cpu],
  ...(platform.libc ? { libc: [platform.libc] } : {}),
  files: [`bin/${exe}`, "README.md", "LICENSE-MIT", "LICENSE-APACHE"],
  preferUnplugged: true,
};
write(path.join(platDir, "package.json"), JSON.stringify(pkg, null, 2) + "\n");
write(path.join(platDir, "bin", exe), fs.readFileSync(binary));
fs.chmodSync(path.join(platDir, "bin", exe), 0o755);
write(
  path.join(platDir, "README.md"),
  `# ${name}\n\nThe \`prepush-auth\` ${version} binary for ${target}${platform.needs ? ` (needs ${platform.needs})` : ""}. Install \`prepush-auth\`, which picks this package for you: \`npm install --save-dev prepush-auth\`.\n`,
);
licences(platDir);
console.log(`${mainDir}\n${platDir}`);
