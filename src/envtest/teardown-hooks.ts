/** Something that must be torn down before the process goes: a running control plane. */
export interface Teardown {
  /** Orderly, asynchronous teardown (SIGTERM, grace, SIGKILL, wait, remove files). */
  stop(): Promise<void>;
  /** Last-resort synchronous teardown for the `exit` hook, where nothing asynchronous runs any more. */
  killNow(): void;
  /**
   * True once its caller stops it itself on a stop signal (the sandbox, in its own order: the demo's operator
   * releases its lease first): a signal that another listener owns then leaves it running for that listener.
   */
  readonly callerStopsOnSignal?: boolean;
}

const live = new Set<Teardown>();
const SIGNALS = ["SIGINT", "SIGTERM", "SIGHUP"] as const;
const SIGNAL_NUMBERS: Record<(typeof SIGNALS)[number], number> = { SIGHUP: 1, SIGINT: 2, SIGTERM: 15 };
let installed = false;
let signalled = false;
/** A signal left teardowns to their caller: until they are gone, a second signal still kills at once. */
let leftToCaller = false;

function onExit(): void {
  for (const t of live) t.killNow();
  live.clear();
}

function onSignal(signal: (typeof SIGNALS)[number]): void {
  if (signalled) {
    // A second signal while the orderly teardown runs: the user wants out now.
    onExit();
    process.exit(128 + SIGNAL_NUMBERS[signal]);
  }
  signalled = true;
  // Decided now, not after teardown: a listener that was there when the signal came owns the exit (the sandbox).
  const someoneElseListens = process.listenerCount(signal) > 1;
  // That listener also stops, in its own order, what its caller said it stops; the rest is torn down here.
  const ours = [...live].filter((t) => !(someoneElseListens && t.callerStopsOnSignal === true));
  leftToCaller = ours.length < live.size;
  void Promise.allSettled(ours.map((t) => t.stop())).then(() => {
    if (leftToCaller) return;
    signalled = false;
    uninstall();
    // Nobody else listens: do what the signal would have done without us, so the exit status stays honest.
    if (!someoneElseListens) {
      process.removeListener(signal, handlers.get(signal) ?? (() => {}));
      process.kill(process.pid, signal);
    }
  });
}

const handlers = new Map(SIGNALS.map((s) => [s, () => onSignal(s)] as const));

function install(): void {
  if (installed) return;
  installed = true;
  process.on("exit", onExit);
  for (const [signal, handler] of handlers) process.on(signal, handler);
}

function uninstall(): void {
  // While a signal's teardown runs, keep the hooks: a second signal must still find them.
  if (!installed || live.size > 0 || signalled) return;
  installed = false;
  process.removeListener("exit", onExit);
  for (const [signal, handler] of handlers) process.removeListener(signal, handler);
}

/** Makes sure `t` is torn down on normal exit, uncaught errors (both reach `exit`), SIGINT, SIGTERM and SIGHUP. */
export function trackTeardown(t: Teardown): void {
  live.add(t);
  install();
}

/** Called once `t` has been torn down; removes the process hooks when nothing is left to tear down. */
export function untrackTeardown(t: Teardown): void {
  live.delete(t);
  if (leftToCaller && live.size === 0) {
    // The caller's own teardown is done, and so is any of ours (each is live until torn down).
    leftToCaller = false;
    signalled = false;
  }
  uninstall();
}
