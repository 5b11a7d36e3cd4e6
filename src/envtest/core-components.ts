/**
 * etcd and kube-apiserver: their flags (the envtest set: RBAC on, service-account tokens, loopback only) and how
 * to tell that each is ready. The kubelet flags let the API server reach a node agent that serves
 * `/containerLogs` (`kubectl logs`), verified against the control plane's own CA.
 */
import { join } from "node:path";
import type { ControlPlaneCertificates } from "./certificates.ts";
import type { ComponentProcess } from "./component-process.ts";
import { probeOrError, type ProbeTls } from "./http-probe.ts";

/** The loopback ports of etcd and kube-apiserver. */
export interface CorePorts {
  etcdClient: number;
  etcdPeer: number;
  apiServer: number;
}

/** etcd's flags: one member on loopback, data in `dataDir`, no fsync (a test's data is thrown away). */
export function etcdArgs(dataDir: string, ports: CorePorts): string[] {
  const clientUrl = `http://127.0.0.1:${ports.etcdClient}`;
  const peerUrl = `http://127.0.0.1:${ports.etcdPeer}`;
  return [
    `--data-dir=${dataDir}`,
    `--listen-client-urls=${clientUrl}`,
    `--advertise-client-urls=${clientUrl}`,
    `--listen-peer-urls=${peerUrl}`,
    `--initial-advertise-peer-urls=${peerUrl}`,
    `--initial-cluster=default=${peerUrl}`,
    "--unsafe-no-fsync",
  ];
}

/** kube-apiserver's flags. */
export function apiServerArgs(tempDir: string, certs: ControlPlaneCertificates, ports: CorePorts): string[] {
  const server = `https://127.0.0.1:${ports.apiServer}`;
  return [
    `--etcd-servers=http://127.0.0.1:${ports.etcdClient}`,
    `--cert-dir=${join(tempDir, "apiserver-certs")}`,
    `--tls-cert-file=${certs.servingCertFile}`,
    `--tls-private-key-file=${certs.servingKeyFile}`,
    `--client-ca-file=${certs.caCertFile}`,
    `--secure-port=${ports.apiServer}`,
    "--bind-address=127.0.0.1",
    "--advertise-address=127.0.0.1",
    // Room for 4 094 Services (bench:operator makes one per MySQL resource, up to 1 000); 10.0.0.1 stays the API's own.
    "--service-cluster-ip-range=10.0.0.0/20",
    "--allow-privileged=true",
    "--authorization-mode=RBAC",
    `--service-account-issuer=${server}/`,
    `--service-account-key-file=${certs.serviceAccountPublicKeyFile}`,
    `--service-account-signing-key-file=${certs.serviceAccountKeyFile}`,
    "--disable-admission-plugins=ServiceAccount",
    // `kubectl logs` is proxied to the node's kubelet endpoint: a node agent serving it (the process node) has a
    // certificate of this CA for 127.0.0.1, and lets in clients with a certificate of the same CA.
    `--kubelet-client-certificate=${certs.kubeletClientCertFile}`,
    `--kubelet-client-key=${certs.kubeletClientKeyFile}`,
    `--kubelet-certificate-authority=${certs.caCertFile}`,
    "--kubelet-preferred-address-types=InternalIP",
  ];
}

/** Waits until etcd answers `/health` with `"health":"true"`. */
export async function waitEtcdReady(etcd: ComponentProcess, ports: CorePorts, timeoutMs: number): Promise<void> {
  const url = `http://127.0.0.1:${ports.etcdClient}/health`;
  let last = "no answer yet";
  await etcd.waitReady(
    async () => {
      const res = await probeOrError(url);
      last = `${url}: ${res.status} ${res.body.trim()}`;
      return res.status === 200 && res.body.includes('"true"');
    },
    timeoutMs,
    () => last,
  );
}

/** Waits until kube-apiserver answers `/readyz` with 200; the error names the checks that failed last. */
export async function waitApiServerReady(apiServer: ComponentProcess, server: string, tls: ProbeTls, timeoutMs: number): Promise<void> {
  let last = "no answer yet";
  await apiServer.waitReady(
    async () => {
      const res = await probeOrError(`${server}/readyz`, tls);
      const body = res.body.trim();
      const failing = body
        .split("\n")
        .filter((l) => l.includes("failed"))
        .join("; ");
      last = `/readyz: ${res.status} ${failing || body.slice(0, 200)}`;
      return res.status === 200;
    },
    timeoutMs,
    () => last,
  );
}
