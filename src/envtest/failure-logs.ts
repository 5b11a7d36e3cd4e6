/** Keeps the component logs of a control plane that failed to start, since its temp dir (where they are) is removed. */
import { copyFileSync, mkdirSync, readdirSync, rmSync } from "node:fs";
import { join } from "node:path";
import { mysqlopCacheDir } from "./cache-dir.ts";

const KEPT_FAILURE_LOGS = 10;
const PREFIX = "envtest-failed-";

/**
 * Copies every file of `logDir` to `<cache>/logs/envtest-failed-TIME-PID/` and returns that directory (undefined
 * when copying failed). Only the latest {@link KEPT_FAILURE_LOGS} copies are kept: a machine that keeps failing must
 * not fill its disk.
 */
export function keepFailureLogs(logDir: string): string | undefined {
  try {
    const logsRoot = join(mysqlopCacheDir(), "logs");
    const dest = join(logsRoot, `${PREFIX}${new Date().toISOString().replace(/[:.]/g, "-")}-${process.pid}`);
    mkdirSync(dest, { recursive: true });
    for (const file of readdirSync(logDir, { withFileTypes: true })) if (file.isFile()) copyFileSync(join(logDir, file.name), join(dest, file.name));
    const kept = readdirSync(logsRoot)
      .filter((d) => d.startsWith(PREFIX))
      .sort();
    for (const old of kept.slice(0, -KEPT_FAILURE_LOGS)) rmSync(join(logsRoot, old), { recursive: true, force: true });
    return dest;
  } catch {
    return undefined;
  }
}
