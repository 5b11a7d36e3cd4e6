/**
 * Stage 6 of the pipeline, the only module that touches output files: compare with what
 * is on disk (`--check`) or write atomically. All files are prepared as temporaries
 * before any is renamed into place, so a failure leaves no half-written file.
 */
import { randomBytes } from "node:crypto";
import { mkdir, readFile, rename, rm, writeFile } from "node:fs/promises";
import { dirname, resolve } from "node:path";
import type { OutputFile } from "./format.ts";

/** Per file, whether it is up to date on disk. */
export interface FileState {
  readonly path: string;
  readonly state: "fresh" | "stale" | "missing";
}

async function readIfExists(path: string): Promise<string | undefined> {
  try {
    return await readFile(path, "utf8");
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === "ENOENT" || code === "ENOTDIR") return undefined;
    throw error;
  }
}

/** Compares every output with the file on disk; writes nothing. */
export async function compareOutputs(root: string, files: readonly OutputFile[]): Promise<FileState[]> {
  return Promise.all(
    files.map(async (f) => {
      const existing = await readIfExists(resolve(root, f.path));
      return { path: f.path, state: existing === undefined ? "missing" : existing === f.content ? "fresh" : "stale" } as const;
    }),
  );
}

/**
 * Writes the files that differ from disk; returns the paths written. Every temporary is
 * written (and flushed) first; only then are they renamed over the targets, each
 * rename being atomic on POSIX file systems.
 */
export async function writeOutputs(root: string, files: readonly OutputFile[]): Promise<string[]> {
  const states = await compareOutputs(root, files);
  const changed = files.filter((_, i) => states[i]!.state !== "fresh");
  const suffix = `.${process.pid}.${randomBytes(4).toString("hex")}.tmp`;
  const staged: { temp: string; target: string; path: string }[] = [];
  try {
    for (const f of changed) {
      const target = resolve(root, f.path);
      await mkdir(dirname(target), { recursive: true });
      const temp = target + suffix;
      staged.push({ temp, target, path: f.path });
      await writeFile(temp, f.content, { encoding: "utf8", flush: true });
    }
  } catch (error) {
    await Promise.all(staged.map((s) => rm(s.temp, { force: true })));
    throw error;
  }
  for (const s of staged) await rename(s.temp, s.target);
  return staged.map((s) => s.path);
}
