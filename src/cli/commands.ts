/** The table of `mysqlop` sub-commands: `main.ts` lists them for `--help` and loads one only when it runs. */
import type { CommandEntry } from "./command.ts";

/** Every `mysqlop` sub-command, in the order `mysqlop --help` shows them. Add one line per command folder. */
export const commands: CommandEntry[] = [
  {
    name: "generate",
    summary: "generate models, CRD, RBAC and the reconcile skeleton from schemas/ (--check: fail when stale)",
    load: () => import("./generate/index.ts"),
  },
  { name: "validate", summary: "validate MySQL resource YAML files offline against the schema", load: () => import("./validate/index.ts") },
  { name: "run", summary: "run the MySQL operator against the current kubeconfig (like kopf run)", load: () => import("./run/index.ts") },
  {
    name: "sandbox",
    summary: "start a local control plane with the CRD and RBAC installed (--workloads process: real pods as local processes)",
    load: () => import("./sandbox/index.ts"),
  },
];
