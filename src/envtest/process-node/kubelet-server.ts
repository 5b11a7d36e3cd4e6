/**
 * The process node's kubelet endpoint, just enough for `kubectl logs`: the API server proxies
 * `GET /containerLogs/NS/POD/CONTAINER` here (address and port from the Node's status). HTTPS with a certificate
 * of the control plane's CA, and only clients with a certificate of the same CA (the API server's kubelet client
 * certificate, or an admin's) get in. `tailLines`, `limitBytes`, `previous` and `follow` work; `timestamps` and
 * `sinceSeconds` are ignored (the log files keep no per-line time). Exec, attach and port-forward are not served.
 */
import { createReadStream, readFileSync, statSync } from "node:fs";
import type { ServerResponse } from "node:http";
import { createServer, type Server } from "node:https";
import type { AddressInfo } from "node:net";
import { setTimeout as sleep } from "node:timers/promises";

/** A container's log as the node knows it. */
export type LogLookup =
  | { kind: "found"; file: string; /** True while the run writing it may still add lines. */ live: () => boolean }
  | { kind: "error"; status: number; message: string };

/** Options of {@link startKubeletServer}. */
export interface KubeletServerOptions {
  certFile: string;
  keyFile: string;
  caFile: string;
  host: string;
  findLog(namespace: string, pod: string, container: string, previous: boolean): LogLookup;
}

/** The last `count` lines of `text` (a final newline does not count as an empty line). */
export function tailLines(text: string, count: number): string {
  if (count <= 0) return "";
  const body = text.endsWith("\n") ? text.slice(0, -1) : text;
  const lines = body.split("\n");
  return lines.length <= count ? text : `${lines.slice(-count).join("\n")}\n`;
}

/** Serves `/containerLogs`; resolves once listening, with the port. */
export async function startKubeletServer(opts: KubeletServerOptions): Promise<{ port: number; close: () => Promise<void> }> {
  const server: Server = createServer(
    { cert: readFileSync(opts.certFile), key: readFileSync(opts.keyFile), ca: readFileSync(opts.caFile), requestCert: true, rejectUnauthorized: true },
    (req, res) => {
      const url = new URL(req.url ?? "/", "https://node");
      if (req.method !== "GET") {
        res.writeHead(405).end("method not allowed\n");
        return;
      }
      if (url.pathname === "/healthz") {
        res.writeHead(200, { "Content-Type": "text/plain" }).end("ok");
        return;
      }
      const match = /^\/containerLogs\/([^/]+)\/([^/]+)\/([^/]+)$/.exec(url.pathname);
      if (match === null) {
        res.writeHead(404, { "Content-Type": "text/plain" }).end(`${url.pathname} is not served by the process node (only /containerLogs)\n`);
        return;
      }
      const [namespace, pod, container] = match.slice(1).map(decodeURIComponent) as [string, string, string];
      const found = opts.findLog(namespace, pod, container, url.searchParams.get("previous") === "true");
      if (found.kind === "error") {
        res.writeHead(found.status, { "Content-Type": "text/plain" }).end(`${found.message}\n`);
        return;
      }
      void sendLog(found.file, found.live, url.searchParams, res).catch(() => res.destroy());
    },
  );
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen({ host: opts.host, port: 0 }, () => resolve());
  });
  return {
    port: (server.address() as AddressInfo).port,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** Writes the log (or its tail, or its first `limitBytes`), then with `follow` what the run adds until it ends. */
async function sendLog(file: string, live: () => boolean, query: URLSearchParams, res: ServerResponse): Promise<void> {
  const tail = query.get("tailLines");
  const limit = query.get("limitBytes");
  res.writeHead(200, { "Content-Type": "text/plain" });
  let sent = statSync(file).size;
  if (tail !== null) {
    const text = tailLines(readFileSync(file, "utf8"), Number(tail));
    res.write(limit === null ? text : text.slice(0, Number(limit)));
  } else {
    await streamRange(file, 0, limit === null ? sent : Math.min(sent, Number(limit)), res);
  }
  if (query.get("follow") === "true" && limit === null) {
    while (!res.destroyed) {
      const size = statSync(file).size;
      if (size > sent) {
        await streamRange(file, sent, size, res);
        sent = size;
      } else if (!live()) break;
      await sleep(250);
    }
  }
  res.end();
}

function streamRange(file: string, start: number, end: number, res: NodeJS.WritableStream): Promise<void> {
  if (end <= start) return Promise.resolve();
  return new Promise((resolve, reject) => {
    const stream = createReadStream(file, { start, end: end - 1 });
    stream.on("error", reject);
    stream.on("end", () => resolve());
    stream.pipe(res, { end: false });
  });
}
