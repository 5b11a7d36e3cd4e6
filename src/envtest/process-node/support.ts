/**
 * What the process node needs from the machine, checked before it starts so that a missing piece is one clear
 * message instead of a failed pod: Linux, root (it makes mount, UTS and PID namespaces and mounts), overlayfs,
 * and util-linux's `unshare`, `nsenter` and `setpriv`.
 */
import { spawnSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import type { NodeKind } from "../binaries.ts";
import type { NodeTools } from "./container-process.ts";
import { LOCAL_IMAGES, missingPrograms } from "./local-images.ts";

function which(program: string): string | undefined {
  const found = spawnSync("sh", ["-c", 'command -v "$1"', "sh", program], { encoding: "utf8" });
  const path = found.stdout.trim();
  return found.status === 0 && path.startsWith("/") ? path : undefined;
}

/** Why the process node cannot run here (empty when it can). */
export function processNodeProblems(): string[] {
  const problems: string[] = [];
  if (process.platform !== "linux") return [`it needs Linux (namespaces, overlayfs), not ${process.platform}`];
  if (process.getuid?.() !== 0) problems.push("it needs root: it makes a mount, UTS and PID namespace per container (run as root, or use the kwok node)");
  const missing = ["unshare", "nsenter", "setpriv", "chroot", "mount", "realpath", "hostname"].filter((p) => which(p) === undefined);
  if (missing.length > 0) problems.push(`it needs ${missing.join(", ")} (Debian: apt-get install util-linux mount coreutils hostname)`);
  let filesystems = "";
  try {
    filesystems = readFileSync("/proc/filesystems", "utf8");
  } catch {
    // Unknown: reported below.
  }
  if (!/\boverlay\b/.test(filesystems)) problems.push("it needs overlayfs (the overlay kernel module) for each container's copy-on-write root");
  return problems;
}

/** The machine's programs the node runs containers with; throws naming what is missing. */
export function findNodeTools(): NodeTools {
  const problems = processNodeProblems();
  if (problems.length > 0) throw new Error(`the process node cannot run here: ${problems.join("; ")}`);
  const sandboxScript = fileURLToPath(new URL("./sandbox.sh", import.meta.url));
  if (!existsSync(sandboxScript)) throw new Error(`${sandboxScript} is missing`);
  const path = (program: string): string => which(program) ?? program;
  return { unshare: path("unshare"), nsenter: path("nsenter"), setpriv: path("setpriv"), sh: path("sh"), sandboxScript };
}

/**
 * The node a sandbox should run when the user leaves it open: the process node where it can run and the local
 * programs of its image table are installed (so a mysql image gets a real server), else kwok; with the reason.
 */
export function preferredNodeKind(): { kind: NodeKind; why: string } {
  const problems = processNodeProblems();
  if (problems.length > 0) return { kind: "kwok", why: `the process node cannot run here: ${problems.join("; ")}` };
  const missing = [...new Set(LOCAL_IMAGES.flatMap((row) => missingPrograms(row)))];
  if (missing.length > 0) return { kind: "kwok", why: `${missing.join(", ")} not installed (.ci/setup installs them), so a server image would not run` };
  return { kind: "process", why: "root, util-linux, overlayfs and the MariaDB server are here" };
}
