/**
 * Signals for a process that runs a Manager: the first SIGTERM or SIGINT stops it gracefully
 * (in-flight reconciles finish, the lease is released); a second one exits at once. This lives
 * in the program, not in the runtime: a library never exits the process.
 */
import type { Manager } from "../../runtime/index.ts";

/** Stops `manager` on the first SIGTERM/SIGINT and exits with code 1 on a second; returns a function that removes the handlers. */
export function stopOnSignals(manager: Manager, exit: (code: number) => never = process.exit): () => void {
  let received = false;
  const onSignal = (signal: NodeJS.Signals): void => {
    if (received) {
      manager.log.warn("second signal: exiting now", { signal });
      return exit(1);
    }
    received = true;
    manager.log.info("signal received: shutting down", { signal });
    manager.stop().catch(() => undefined);
  };
  process.on("SIGTERM", onSignal);
  process.on("SIGINT", onSignal);
  return () => {
    process.off("SIGTERM", onSignal);
    process.off("SIGINT", onSignal);
  };
}
