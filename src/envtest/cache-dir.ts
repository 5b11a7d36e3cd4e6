/**
 * The root of mysqlop's cache outside the checkout (`MYSQLOP_CACHE`, else `~/.cache/mysqlop`): binaries, pid
 * records, sandbox kubeconfigs.
 */
import { homedir } from "node:os";
import { join } from "node:path";

/** Root of mysqlop's machine-wide cache: `MYSQLOP_CACHE`, else `~/.cache/mysqlop`. Shared with `build-binaries.sh`. */
export function mysqlopCacheDir(): string {
  const fromEnv = process.env["MYSQLOP_CACHE"];
  return fromEnv !== undefined && fromEnv !== "" ? fromEnv : join(homedir(), ".cache", "mysqlop");
}
