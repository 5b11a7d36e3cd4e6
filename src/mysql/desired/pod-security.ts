/**
 * How every pod the operator makes runs: the Pod Security Standards' `restricted` profile (never as root, no privilege
 * escalation, every capability dropped, the runtime's default seccomp profile), as the images' own `mysql` user, with
 * no ServiceAccount token (nothing in them talks to the API server), and with the resources the spec gives. The
 * server's Deployment and every Job are built on {@link hardenedPodSpec}, so no pod can miss a part of it.
 *
 * One exception, and only where the operator made hostPath volumes itself (no `storageClassName`): the kubelet creates
 * a hostPath directory owned by root, mode 0755, and ignores `fsGroup` for it, so the `mysql` user could not write
 * there. An init container running as root with the one capability `CHOWN` hands the directory to that user before
 * the main container starts, and does nothing once it belongs to it. The `baseline` profile admits it; `restricted`
 * does not, and with a `storageClassName` there is no such container.
 */
import type { V1Container, V1PodSecurityContext, V1PodSpec, V1ResourceRequirements, V1SecurityContext, V1VolumeMount } from "@kubernetes/client-node";
import type { MySQLSpec } from "../../../generated/mysql-models.ts";

/**
 * The `mysql` user and group of the official MySQL (`mysql`, 5.7 to 9.x) and MariaDB (`mariadb`) images: uid and gid
 * 999 in each of them, so that the server owns its data directory as it does under the images' own entrypoint.
 */
export const MYSQL_USER = { uid: 999, gid: 999 } as const;

/** Name of the init container of hostPath mode (see the module comment). */
export const VOLUME_PERMISSIONS_CONTAINER = "volume-permissions";

/** CPU and memory of a container as the spec declares them (`spec.resources`, `spec.jobResources`). */
export type Resources = MySQLSpec["resources"];

/** The spec's resources as a container's: quantities as strings, empty lists left out. */
export function containerResources(resources: Resources | undefined): V1ResourceRequirements {
  const list = (values: Record<string, number | string | undefined> | undefined): Record<string, string> | undefined => {
    const entries = Object.entries(values ?? {}).filter((entry): entry is [string, number | string] => entry[1] !== undefined);
    return entries.length === 0 ? undefined : Object.fromEntries(entries.map(([name, value]) => [name, String(value)]));
  };
  const requests = list(resources?.requests);
  const limits = list(resources?.limits);
  return { ...(requests === undefined ? {} : { requests }), ...(limits === undefined ? {} : { limits }) };
}

/** The pod-level part of the `restricted` profile, as the `mysql` user; `fsGroup` makes volumes that support it (and Secret files) theirs. */
export function podSecurityContext(): V1PodSecurityContext {
  return {
    runAsNonRoot: true,
    runAsUser: MYSQL_USER.uid,
    runAsGroup: MYSQL_USER.gid,
    fsGroup: MYSQL_USER.gid,
    // A large data directory is walked only when its top does not belong to the group yet.
    fsGroupChangePolicy: "OnRootMismatch",
    seccompProfile: { type: "RuntimeDefault" },
  };
}

/** The container-level part: no privilege escalation, no capabilities. */
export function containerSecurityContext(): V1SecurityContext {
  return { allowPrivilegeEscalation: false, capabilities: { drop: ["ALL"] } };
}

/**
 * Hands each directory given as an argument to the `mysql` user, unless it belongs to it already (a fixed script;
 * the directories are the container's own mount paths).
 */
const CHOWN_SCRIPT = [
  `owner=${MYSQL_USER.uid}:${MYSQL_USER.gid}`,
  'for dir do [ "$(stat -c %u:%g "$dir")" = "$owner" ] || chown "$owner" "$dir" || exit 1; done',
].join("\n");

/** The init container of hostPath mode (see the module comment) for the directories `mounts` mount. */
export function volumePermissionsContainer(image: string, mounts: readonly V1VolumeMount[], resources: Resources | undefined): V1Container {
  return {
    name: VOLUME_PERMISSIONS_CONTAINER,
    image,
    command: ["sh", "-c", CHOWN_SCRIPT, VOLUME_PERMISSIONS_CONTAINER, ...mounts.map((m) => m.mountPath)],
    securityContext: {
      runAsNonRoot: false,
      runAsUser: 0,
      runAsGroup: 0,
      allowPrivilegeEscalation: false,
      capabilities: { drop: ["ALL"], add: ["CHOWN"] },
    },
    resources: containerResources(resources),
    volumeMounts: mounts.map((m) => ({ ...m, readOnly: false })),
  };
}

/** What {@link hardenedPodSpec} builds a pod from. */
export interface PodParts {
  /** The one container; its security context and resources are set here. */
  readonly container: V1Container;
  readonly volumes: NonNullable<V1PodSpec["volumes"]>;
  readonly restartPolicy?: "Always" | "Never";
  readonly resources: Resources | undefined;
  /** Mounts of the container on hostPath volumes it writes to: handed to the `mysql` user first by an init container. */
  readonly hostPathMounts?: readonly V1VolumeMount[];
}

/** A pod spec of the operator's: the container hardened and sized, the pod as the `mysql` user without a token. */
export function hardenedPodSpec(parts: PodParts): V1PodSpec {
  const { container, volumes, restartPolicy, resources } = parts;
  const hostPathMounts = parts.hostPathMounts ?? [];
  return {
    ...(restartPolicy === undefined ? {} : { restartPolicy }),
    automountServiceAccountToken: false,
    securityContext: podSecurityContext(),
    ...(hostPathMounts.length === 0 ? {} : { initContainers: [volumePermissionsContainer(container.image ?? "", hostPathMounts, resources)] }),
    containers: [{ ...container, securityContext: containerSecurityContext(), resources: containerResources(resources) }],
    volumes,
  };
}
