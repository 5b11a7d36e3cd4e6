/**
 * The process node agent as a process of its own (the harness starts it like kwok; `node agent-main.ts --help`).
 * SIGTERM or SIGINT stops its pods (SIGTERM, a grace period, SIGKILL) and exits 0; if its parent dies it stops at
 * once, so nothing outlives a killed test run or sandbox.
 */
import { parseArgs } from "node:util";
import { KubeConfig } from "@kubernetes/client-node";
import { createJsonLogger, KubeRest, parseLogLevel } from "../../runtime/index.ts";
import { NodeAgent } from "./node-agent.ts";
import { findNodeTools } from "./support.ts";

const USAGE = `usage: node agent-main.ts --kubeconfig FILE --node-name NAME --dir DIR --tls-cert FILE --tls-key FILE --client-ca FILE [--log-level LEVEL] [--stop-grace-seconds N]

Registers Node NAME and runs the pods bound to it as processes of this machine (needs root).`;

/** How long pods get to stop on SIGTERM, unless --stop-grace-seconds says otherwise (the harness waits longer). */
const DEFAULT_STOP_GRACE_SECONDS = 10;
const PARENT_CHECK_MS = 500;

async function main(argv: string[]): Promise<number> {
  let values: Record<string, string | boolean | undefined>;
  try {
    ({ values } = parseArgs({
      args: argv,
      options: {
        kubeconfig: { type: "string" },
        "node-name": { type: "string" },
        dir: { type: "string" },
        "tls-cert": { type: "string" },
        "tls-key": { type: "string" },
        "client-ca": { type: "string" },
        "log-level": { type: "string" },
        "stop-grace-seconds": { type: "string" },
        help: { type: "boolean", short: "h" },
      },
      strict: true,
    }));
  } catch (error) {
    console.error(`${(error as Error).message}\n${USAGE}`);
    return 2;
  }
  if (values["help"] === true) {
    console.log(USAGE);
    return 0;
  }
  const required = ["kubeconfig", "node-name", "dir", "tls-cert", "tls-key", "client-ca"] as const;
  const missing = required.filter((k) => typeof values[k] !== "string");
  if (missing.length > 0) {
    console.error(`missing ${missing.map((m) => `--${m}`).join(", ")}\n${USAGE}`);
    return 2;
  }
  const str = (key: (typeof required)[number]): string => values[key] as string;
  const log = createJsonLogger({ level: parseLogLevel((values["log-level"] as string | undefined) ?? "info"), fields: { component: "process-node" } });
  const graceMs = Number((values["stop-grace-seconds"] as string | undefined) ?? DEFAULT_STOP_GRACE_SECONDS) * 1000;
  const kubeConfig = new KubeConfig();
  kubeConfig.loadFromFile(str("kubeconfig"));
  const agent = new NodeAgent({
    rest: new KubeRest(kubeConfig),
    nodeName: str("node-name"),
    dir: str("dir"),
    tools: findNodeTools(),
    tls: { certFile: str("tls-cert"), keyFile: str("tls-key"), caFile: str("client-ca") },
    log,
  });
  const parent = process.ppid;
  const stopped = new Promise<number>((resolve) => {
    const stop = (why: string, grace: number): void => {
      log.info("stopping", { why });
      void agent.stop(grace).then(
        () => resolve(0),
        (error: unknown) => {
          log.error("stop failed", { error });
          resolve(1);
        },
      );
    };
    process.once("SIGTERM", () => stop("SIGTERM", graceMs));
    process.once("SIGINT", () => stop("SIGINT", graceMs));
    const watch = setInterval(() => {
      if (process.ppid !== parent) {
        clearInterval(watch);
        stop(`parent ${parent} is gone`, 0);
      }
    }, PARENT_CHECK_MS);
  });
  try {
    await agent.start();
  } catch (error) {
    await agent.stop(0);
    throw error;
  }
  return stopped;
}

process.exitCode = await main(process.argv.slice(2)).catch((error: unknown) => {
  console.error(`process node: ${(error as Error).stack ?? String(error)}`);
  return 1;
});
process.exit();
