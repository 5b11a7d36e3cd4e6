/**
 * Loopback ports for the components: a free one per start, and whether given ports are still listened on (the
 * next start must not race a dying kube-apiserver for its port).
 */
import { readFileSync } from "node:fs";
import { createServer } from "node:net";
import { setTimeout as sleep } from "node:timers/promises";

// Ports this process handed out recently: the kernel may return the same ephemeral port twice in a row
// once the probe socket is closed, and etcd's client and peer ports must differ.
const handedOut = new Set<number>();

function probePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.once("error", reject);
    server.listen({ host: "127.0.0.1", port: 0, exclusive: true }, () => {
      const address = server.address();
      const port = typeof address === "object" && address !== null ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

/** A loopback TCP port that nothing listens on now and that this process has not handed out before. */
export async function freeLoopbackPort(): Promise<number> {
  for (;;) {
    const port = await probePort();
    if (port > 0 && !handedOut.has(port)) {
      handedOut.add(port);
      return port;
    }
  }
}

function listeningPortsFromProc(): Set<number> | undefined {
  const ports = new Set<number>();
  let read = false;
  for (const file of ["/proc/net/tcp", "/proc/net/tcp6"]) {
    let text: string;
    try {
      text = readFileSync(file, "utf8");
    } catch {
      continue;
    }
    read = true;
    for (const line of text.split("\n").slice(1)) {
      const fields = line.trim().split(/\s+/);
      // fields: sl, local_address (HEXIP:HEXPORT), rem_address, st (0A = LISTEN), ...
      if (fields[3] !== "0A") continue;
      const port = Number.parseInt(fields[1]?.split(":")[1] ?? "", 16);
      if (Number.isFinite(port)) ports.add(port);
    }
  }
  return read ? ports : undefined;
}

async function canBind(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.unref();
    server.once("error", () => resolve(false));
    server.listen({ host: "127.0.0.1", port, exclusive: true }, () => server.close(() => resolve(true)));
  });
}

/** Which of `ports` have a listening socket, synchronously (for exit hooks); undefined where /proc/net/tcp is unavailable. */
export function listeningPortsSync(ports: number[]): number[] | undefined {
  const fromProc = listeningPortsFromProc();
  return fromProc === undefined ? undefined : ports.filter((p) => fromProc.has(p));
}

/** Which of `ports` have a listening socket (any address): from /proc/net/tcp{,6} on Linux, by trying to bind elsewhere. */
export async function listeningPorts(ports: number[]): Promise<number[]> {
  const fromProc = listeningPortsFromProc();
  if (fromProc !== undefined) return ports.filter((p) => fromProc.has(p));
  const busy: number[] = [];
  for (const port of ports) if (!(await canBind(port))) busy.push(port);
  return busy;
}

/** Waits until none of `ports` is listening; resolves to the ports still listening when `timeoutMs` ran out. */
export async function waitPortsFree(ports: number[], timeoutMs: number): Promise<number[]> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const busy = await listeningPorts(ports);
    if (busy.length === 0 || Date.now() >= deadline) return busy;
    await sleep(50);
  }
}
