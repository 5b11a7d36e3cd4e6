/**
 * Who a container's processes run as: the pod's and the container's `securityContext` merged as Kubernetes
 * merges them (the container's fields win). With no image to name a user, a container that asks for none runs as
 * root (uid 0, gid 0), with the capability set container runtimes give root by default; `runAsNonRoot` then
 * refuses to start it, as a kubelet does for an image whose user is root.
 */
import type { V1Container, V1Pod } from "@kubernetes/client-node";
import { ContainerConfigError } from "./container-env.ts";
import type { ProcessIdentity } from "./container-process.ts";

/** The capabilities containerd and Docker give a container by default (lower case, without `CAP_`). */
export const DEFAULT_CAPABILITIES: readonly string[] = [
  "audit_write",
  "chown",
  "dac_override",
  "fowner",
  "fsetid",
  "kill",
  "mknod",
  "net_bind_service",
  "net_raw",
  "setfcap",
  "setgid",
  "setpcap",
  "setuid",
  "sys_chroot",
];

function capabilityName(name: string): string {
  return name.toLowerCase().replace(/^cap_/, "");
}

/** The identity and privileges of `container`'s processes. */
export function processIdentity(pod: V1Pod, container: V1Container): ProcessIdentity {
  const podContext = pod.spec?.securityContext ?? {};
  const own = container.securityContext ?? {};
  const uid = own.runAsUser ?? podContext.runAsUser ?? 0;
  const gid = own.runAsGroup ?? podContext.runAsGroup ?? 0;
  const runAsNonRoot = own.runAsNonRoot ?? podContext.runAsNonRoot ?? false;
  if (runAsNonRoot && uid === 0) {
    throw new ContainerConfigError(
      own.runAsUser === undefined && podContext.runAsUser === undefined
        ? "container has runAsNonRoot and image will run as root (the process node runs a container without runAsUser as uid 0)"
        : "container's runAsUser breaks non-root policy",
    );
  }
  const groups = [...(podContext.supplementalGroups ?? []), ...(podContext.fsGroup === undefined ? [] : [podContext.fsGroup])].filter(
    (g, i, all) => all.indexOf(g) === i,
  );
  let capabilities: string[] | "all" = "all";
  if (own.privileged !== true) {
    const drop = (own.capabilities?.drop ?? []).map(capabilityName);
    const add = (own.capabilities?.add ?? []).map(capabilityName);
    const base = drop.includes("all") ? [] : DEFAULT_CAPABILITIES.filter((c) => !drop.includes(c));
    capabilities = add.includes("all") ? "all" : [...new Set([...base, ...add])].sort();
  }
  // Kubernetes' default is to allow escalation; privileged containers always may.
  const noNewPrivileges = own.allowPrivilegeEscalation === false && own.privileged !== true;
  return { uid, gid, groups, noNewPrivileges, capabilities };
}
