/** One HTTP server for probes and metrics: /healthz, /readyz, /metrics. */
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import type { Registry } from "prom-client";

/** A probe answers with the reasons it fails; an empty list means healthy. */
export type Probe = () => string[];

/** Options of {@link startHealthServer}. */
export interface HealthServerOptions {
  readonly port: number;
  readonly host?: string;
  readonly healthz: Probe;
  readonly readyz: Probe;
  readonly registry: Registry;
}

/** A running health server. */
export interface HealthServer {
  readonly port: number;
  close(): Promise<void>;
}

/** Starts the server; resolves once it listens (port 0 picks a free port). */
export async function startHealthServer(options: HealthServerOptions): Promise<HealthServer> {
  const server: Server = createServer((request, response) => {
    const path = (request.url ?? "/").split("?")[0];
    const probe = path === "/healthz" ? options.healthz : path === "/readyz" ? options.readyz : undefined;
    if (probe !== undefined) {
      const failures = probe();
      response.writeHead(failures.length === 0 ? 200 : 503, { "content-type": "text/plain; charset=utf-8" });
      response.end(failures.length === 0 ? "ok\n" : failures.map((f) => `[-] ${f}\n`).join(""));
      return;
    }
    if (path === "/metrics") {
      options.registry.metrics().then(
        (text) => {
          response.writeHead(200, { "content-type": options.registry.contentType });
          response.end(text);
        },
        (error: unknown) => {
          response.writeHead(500, { "content-type": "text/plain; charset=utf-8" });
          response.end(`metrics failed: ${String(error)}\n`);
        },
      );
      return;
    }
    response.writeHead(404, { "content-type": "text/plain; charset=utf-8" });
    response.end("not found\n");
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port, options.host ?? "0.0.0.0", () => {
      server.off("error", reject);
      resolve();
    });
  });
  return {
    port: (server.address() as AddressInfo).port,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
