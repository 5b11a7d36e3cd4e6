/**
 * Pod addresses and name resolution of the process node, without touching the machine's network set-up.
 *
 * Every address in 127.0.0.0/8 is local on `lo`, so each pod gets one of its own as pod IP (no interface, no
 * route to add). A node takes a /24 block, `127.X.Y.0/24`, chosen at random and held with a lock file under
 * `<cache>/run/`, so that process nodes of parallel test runs on one machine never hand out the same address.
 *
 * Service names resolve through a per-pod `/etc/hosts` (bind-mounted over the real one inside the container's
 * private mount namespace, rewritten in place when endpoints change): `NAME`, `NAME.NS`, `NAME.NS.svc` and
 * `NAME.NS.svc.cluster.local` map to the ready endpoints' pod IPs, or to an address where nothing listens while
 * there are none (a connection is refused, as to a ClusterIP without endpoints). There is no proxy: a client reaches the endpoint's own port, so a Service whose port differs
 * from its target port is not served, and a ClusterIP (10.0.0.x) is not routable here.
 */
import { closeSync, openSync, writeSync } from "node:fs";
import { pidRecordDir, releaseRunLock, tryRunLock } from "../pid-records.ts";

const LOCK_PREFIX = "pod-addresses-";
const POD_HOST_MIN = 2;
const POD_HOST_MAX = 254;

/** A /24 block of loopback addresses held by this process, and the pod IPs handed out from it. */
export class PodAddressBlock {
  /** `127.X.Y` */
  readonly prefix: string;
  readonly #lock: string;
  readonly #inUse = new Set<number>();
  #next = POD_HOST_MIN;

  private constructor(prefix: string, lock: string) {
    this.prefix = prefix;
    this.#lock = lock;
  }

  /**
   * Takes a free block: a random `127.X.Y` (X 1–254, so never 127.0.0.0/16, where 127.0.0.1 serves the control
   * plane) that no live process holds (a lock under `<cache>/run/`).
   */
  static acquire(random: () => number = Math.random): PodAddressBlock {
    for (let attempt = 0; attempt < 1000; attempt++) {
      const prefix = `127.${1 + Math.floor(random() * 254)}.${Math.floor(random() * 256)}`;
      const lock = `${LOCK_PREFIX}${prefix}`;
      if (tryRunLock(lock)) return new PodAddressBlock(prefix, lock);
    }
    throw new Error(`no free loopback address block: ${pidRecordDir()} holds a lock for every one tried`);
  }

  /**
   * The address a Service without ready endpoints resolves to: never a pod's, so nothing listens there and a
   * connection is refused at once, as it is to a ClusterIP without endpoints.
   */
  get unservedAddress(): string {
    return `${this.prefix}.1`;
  }

  /** A pod IP not handed out now (after a wrap, the lowest free one). */
  allocate(): string {
    for (let i = 0; i <= POD_HOST_MAX - POD_HOST_MIN; i++) {
      const host = this.#next;
      this.#next = host >= POD_HOST_MAX ? POD_HOST_MIN : host + 1;
      if (!this.#inUse.has(host)) {
        this.#inUse.add(host);
        return `${this.prefix}.${host}`;
      }
    }
    throw new Error(`all ${POD_HOST_MAX - POD_HOST_MIN + 1} pod addresses of ${this.prefix}.0/24 are in use`);
  }

  /** Gives an address back once its pod's processes are gone. */
  release(ip: string): void {
    if (!ip.startsWith(`${this.prefix}.`)) return;
    this.#inUse.delete(Number(ip.slice(this.prefix.length + 1)));
  }

  /** Drops the lock (the node is gone). */
  close(): void {
    releaseRunLock(this.#lock);
  }
}

/** One Service as the hosts file needs it. */
export interface ServiceAddresses {
  namespace: string;
  name: string;
  /** Pod IPs of the ready endpoints. */
  addresses: string[];
}

/** What one pod's hosts file says about the pod itself. */
export interface PodIdentity {
  namespace: string;
  hostname: string;
  podIP: string;
  /** `spec.subdomain`: adds `HOSTNAME.SUBDOMAIN.NS.svc.cluster.local`. */
  subdomain?: string;
}

/** The cluster's DNS domain, as on a default cluster. */
export const CLUSTER_DOMAIN = "cluster.local";

/**
 * The `/etc/hosts` of one pod: localhost, the pod's own name, and every Service by its full names and (in the
 * pod's own namespace only) by its short name, as a pod's DNS search path would: to its ready endpoints, or to
 * `unserved` when it has none.
 */
export function renderHostsFile(pod: PodIdentity, services: ServiceAddresses[], unserved: string): string {
  const lines = [
    "# Kubernetes-managed hosts file (mysqlop process node): the pod, then Service names -> ready endpoint pod IPs.",
    "127.0.0.1\tlocalhost",
    "::1\tlocalhost ip6-localhost ip6-loopback",
  ];
  const own = [pod.hostname];
  if (pod.subdomain !== undefined && pod.subdomain !== "") own.unshift(`${pod.hostname}.${pod.subdomain}.${pod.namespace}.svc.${CLUSTER_DOMAIN}`);
  lines.push(`${pod.podIP}\t${own.join(" ")}`);
  const sorted = [...services].sort((a, b) => `${a.namespace}/${a.name}`.localeCompare(`${b.namespace}/${b.name}`));
  for (const svc of sorted) {
    const names = [`${svc.name}.${svc.namespace}.svc.${CLUSTER_DOMAIN}`, `${svc.name}.${svc.namespace}.svc`, `${svc.name}.${svc.namespace}`];
    if (svc.namespace === pod.namespace) names.push(svc.name);
    const addresses = svc.addresses.length > 0 ? [...svc.addresses].sort() : [unserved];
    for (const address of addresses) lines.push(`${address}\t${names.join(" ")}`);
  }
  return `${lines.join("\n")}\n`;
}

/**
 * A pod's hosts file, rewritten in place: it is bind-mounted, which pins its inode, so a new file renamed over it
 * would not be seen. A resolver in the pod may read it at any moment, and a truncate-then-write would let it find
 * the file empty (a name not found: a client in the pod fails to connect). So unchanged text is not written at all,
 * and a change is one write at offset 0 without truncation, padded with a comment line to the old length when the
 * text got shorter (the file never shrinks; it is a few hundred bytes).
 */
export class HostsFile {
  readonly path: string;
  #text: string | undefined;
  #size = 0;

  constructor(path: string) {
    this.path = path;
  }

  /** Writes `text` (lines ending in a newline) unless it is what the file holds already; true when it wrote. */
  update(text: string): boolean {
    if (text === this.#text) return false;
    const missing = this.#size - Buffer.byteLength(text);
    const padding = missing <= 0 ? "" : missing === 1 ? "\n" : `#${" ".repeat(missing - 2)}\n`;
    const bytes = Buffer.from(text + padding);
    const fd = openSync(this.path, this.#text === undefined ? "w" : "r+");
    try {
      for (let done = 0; done < bytes.length;) done += writeSync(fd, bytes, done, bytes.length - done, done);
    } finally {
      closeSync(fd);
    }
    this.#text = text;
    this.#size = bytes.length;
    return true;
  }
}
