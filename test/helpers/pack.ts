/**
 * `npm pack` of this repository for the tests that install the package as a user would, one pack at a time across
 * test processes: `prepack` rebuilds dist/ and the compiled generators in place (rm -rf, then tsc), so two packs at
 * once (node --test runs test files in parallel where there are cores for it) could tar a half-built tree.
 */
import { execFile } from "node:child_process";
import { mkdir, open, readFile, unlink } from "node:fs/promises";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { fileURLToPath } from "node:url";

const repo = fileURLToPath(new URL("../../", import.meta.url));
/** Holds the pid of the process packing now; gitignored. */
const LOCK = join(repo, ".tmp", "npm-pack.lock");

/** The packed tarball and the paths it holds. */
export interface Packed {
  readonly tarball: string;
  readonly files: readonly string[];
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}

/** Takes the lock, waiting (up to 20 minutes) while a live process holds it; a dead holder's lock is taken over. */
async function lock(): Promise<void> {
  await mkdir(join(repo, ".tmp"), { recursive: true });
  for (const deadline = Date.now() + 1_200_000; ;) {
    try {
      const file = await open(LOCK, "wx");
      await file.writeFile(String(process.pid));
      await file.close();
      return;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
    }
    const holder = Number(await readFile(LOCK, "utf8").catch(() => ""));
    // An empty file is a holder between open and write: wait for it like a live one.
    if (holder > 0 && !alive(holder)) await unlink(LOCK).catch(() => undefined);
    else if (Date.now() > deadline) throw new Error(`npm pack: ${LOCK} held by pid ${holder} for 20 minutes`);
    else await sleep(500);
  }
}

/** Runs `npm pack` in the repository (building dist/ first) into `destination`, with `env` (default: this process's). */
export async function packRepository(destination: string, env: NodeJS.ProcessEnv = process.env): Promise<Packed> {
  await lock();
  let stdout: string;
  try {
    stdout = await new Promise((resolve, reject) => {
      execFile("npm", ["pack", "--json", "--pack-destination", destination], { cwd: repo, env, timeout: 600_000, maxBuffer: 16 << 20 }, (error, out, err) => {
        if (error === null) resolve(out);
        else reject(new Error(`npm pack failed: ${String(error)}\n${out}\n${err}`));
      });
    });
  } finally {
    await unlink(LOCK).catch(() => undefined);
  }
  const [info] = JSON.parse(stdout.slice(stdout.indexOf("["))) as { filename: string; files: { path: string }[] }[];
  return { tarball: join(destination, info!.filename), files: info!.files.map((f) => f.path) };
}
