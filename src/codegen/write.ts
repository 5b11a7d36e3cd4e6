/**
 * Stage 6 of the pipeline, the only module that touches output files: compare with what
 * is on disk (`--check`) or write atomically. All files are prepared as temporaries
 * before any is renamed into place, so a failure leaves no half-written file.
 */
import { randomBytes } from "node:crypto";
import { mkdir, readdir, readFile, rename, rm, writeFile } from "node:fs/promises";
import { dirname, posix, resolve } from "node:path";
import type { OutputFile } from "./format.ts";

/** Per file, whether it is up to date on disk. */
export interface FileState {
  readonly path: string;
  /** `orphaned`: generated from this schema earlier, but no longer an output (e.g. after a rename). */
  readonly state: "fresh" | "stale" | "missing" | "orphaned";
}

/**
 * Files in `dirs` (not recursive) that `isGenerated` recognises by their first line but
 * that are not among `outputs`: left behind by an earlier run. Paths relative to `root`.
 */
export async function findOrphans(
  root: string,
  dirs: readonly string[],
  outputs: readonly string[],
  isGenerated: (firstLine: string) => boolean,
): Promise<string[]> {
  const orphans: string[] = [];
  for (const dir of [...new Set(dirs)]) {
    let entries;
    try {
      entries = await readdir(resolve(root, dir), { withFileTypes: true });
    } catch {
      continue;
    }
    for (const entry of entries) {
      const path = posix.join(dir, entry.name);
      if (!entry.isFile() || outputs.includes(path)) continue;
      const text = await readIfExists(resolve(root, path));
      if (text !== undefined && isGenerated(text.split("\n", 1)[0] ?? "")) orphans.push(path);
    }
  }
  return orphans.sort();
}

/** Removes orphaned generated files; returns the paths removed. */
export async function removeOrphans(root: string, orphans: readonly string[]): Promise<string[]> {
  for (const path of orphans) await rm(resolve(root, path), { force: true });
  return [...orphans];
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
