/** The table of `mysqlop` sub-commands: `main.ts` lists them for `--help` and loads one only when it runs. */
import type { CommandEntry } from "./command.ts";

/** `mysqlop generate`. */
export const generateCommand: CommandEntry = {
  name: "generate",
  summary: "generate models, CRD, RBAC and the reconcile skeleton from schemas/ (--check: fail when stale)",
  load: () => import("./generate/index.ts"),
};

/** `mysqlop validate`. */
export const validateCommand: CommandEntry = {
  name: "validate",
  summary: "validate MySQL resource YAML files offline against the schema",
  load: () => import("./validate/index.ts"),
};

/** `mysqlop run`: also the only command of the bundled operator in the image. */
export const runCommand: CommandEntry = {
  name: "run",
  summary: "run the MySQL operator against the current kubeconfig (like kopf run)",
  load: () => import("./run/index.ts"),
};

/** `mysqlop sandbox`. */
export const sandboxCommand: CommandEntry = {
  name: "sandbox",
  summary: "start a local control plane with the CRD and RBAC installed (--workloads process: real pods as local processes)",
  load: () => import("./sandbox/index.ts"),
};

/** `mysqlop demo` (`npm start`). */
export const demoCommand: CommandEntry = {
  name: "demo",
  summary: "the original scenario in one command: sandbox with workloads, operator, cr.yaml, what happens (npm start)",
  load: () => import("./demo/index.ts"),
};

/** Every `mysqlop` sub-command, in the order `mysqlop --help` shows them. Add one entry per command folder. */
export const commands: readonly CommandEntry[] = [generateCommand, validateCommand, runCommand, sandboxCommand, demoCommand];
