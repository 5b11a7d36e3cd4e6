/**
 * Part of `npm run build`: copies the shell scripts under src/ into dist/src/ at the same paths, so
 * that the compiled code finds them beside itself as the sources do (the backup/restore scripts, the
 * process node's sandbox and image scripts, the control-plane build script).
 */
import { copyFile, mkdir, readdir } from "node:fs/promises";
import { dirname, join, relative } from "node:path";
import { fileURLToPath } from "node:url";

const root = fileURLToPath(new URL("../../", import.meta.url));
const from = join(root, "src");
const to = join(root, "dist", "src");

const scripts = (await readdir(from, { recursive: true, withFileTypes: true })).filter((d) => d.isFile() && d.name.endsWith(".sh"));
for (const script of scripts) {
  const path = relative(from, join(script.parentPath, script.name));
  await mkdir(dirname(join(to, path)), { recursive: true });
  await copyFile(join(from, path), join(to, path));
}
console.log(`build: copied ${scripts.length} scripts into ${relative(root, to)}/`);
