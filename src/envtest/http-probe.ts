/**
 * One HTTP(S) GET with a short timeout, for readiness checks of control-plane components (etcd's `/health`,
 * kube-apiserver's `/readyz`): node's own clients, so that a probe needs no kubeconfig and no connection pool.
 */
import { request as httpRequest } from "node:http";
import { request as httpsRequest } from "node:https";

/** What one probe saw. */
export interface HttpProbe {
  status: number;
  body: string;
}

/** Client certificate and CA for an HTTPS probe (PEM). */
export interface ProbeTls {
  ca: string;
  cert: string;
  key: string;
}

/** GETs `url` (2 s timeout, no keep-alive); rejects on a connection error or timeout. */
export function probe(url: string, tls?: ProbeTls): Promise<HttpProbe> {
  return new Promise((resolve, reject) => {
    const request = url.startsWith("https:") ? httpsRequest : httpRequest;
    const req = request(url, { timeout: 2_000, agent: false, ...(tls ?? {}) }, (res) => {
      let body = "";
      res.setEncoding("utf8");
      res.on("data", (chunk: string) => (body += chunk));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on("timeout", () => req.destroy(new Error("timed out")));
    req.on("error", reject);
    req.end();
  });
}

/** Like {@link probe}, but a connection error becomes status 0 with the error text as body. */
export function probeOrError(url: string, tls?: ProbeTls): Promise<HttpProbe> {
  return probe(url, tls).catch((e: Error) => ({ status: 0, body: e.message }));
}
