/**
 * A container's environment and command line as a kubelet builds them: `envFrom` then `env` (later entries win),
 * values from ConfigMaps, Secrets and the downward API, and `$(VAR)` references expanded in values, command and
 * args (`$$` escapes). A missing Secret, ConfigMap or key that is not optional is a {@link ContainerConfigError},
 * reported as the container's `CreateContainerConfigError`, and retried.
 */
import type { V1Container, V1ObjectFieldSelector, V1Pod } from "@kubernetes/client-node";

/** A reason the container cannot be configured yet (a missing Secret, an unsupported field): `CreateContainerConfigError`. */
export class ContainerConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "ContainerConfigError";
  }
}

/** Reads ConfigMaps and Secrets of the pod's namespace; `undefined` when one does not exist. Secret values come decoded. */
export interface ConfigLookup {
  configMap(namespace: string, name: string): Promise<Record<string, string> | undefined>;
  secret(namespace: string, name: string): Promise<Record<string, string> | undefined>;
}

/** What the downward API reads besides the pod object. */
export interface PodRuntimeFacts {
  podIP: string;
  hostIP: string;
}

/**
 * `$(VAR)` → the value of VAR when defined, `$$` → `$`, anything else kept as written (Kubernetes'
 * `expansion.Expand`).
 */
export function expandReferences(text: string, vars: ReadonlyMap<string, string>): string {
  let out = "";
  for (let i = 0; i < text.length; i++) {
    const ch = text[i];
    if (ch !== "$" || i + 1 >= text.length) {
      out += ch;
      continue;
    }
    const next = text[i + 1];
    if (next === "$") {
      out += "$";
      i++;
    } else if (next === "(") {
      const close = text.indexOf(")", i + 2);
      if (close < 0) {
        out += text.slice(i);
        break;
      }
      const name = text.slice(i + 2, close);
      const value = vars.get(name);
      out += value ?? `$(${name})`;
      i = close;
    } else out += ch;
  }
  return out;
}

/** The value of a downward API field path (`metadata.name`, `metadata.labels['app']`, `status.podIP`, …). */
export function fieldValue(pod: V1Pod, facts: PodRuntimeFacts, ref: V1ObjectFieldSelector): string {
  const path = ref.fieldPath;
  const indexed = /^metadata\.(labels|annotations)\['(.+)'\]$/.exec(path);
  if (indexed !== null) {
    const map = indexed[1] === "labels" ? pod.metadata?.labels : pod.metadata?.annotations;
    return map?.[indexed[2] ?? ""] ?? "";
  }
  const meta = pod.metadata ?? {};
  const formatMap = (m: Record<string, string> | undefined): string =>
    Object.entries(m ?? {})
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([k, v]) => `${k}=${JSON.stringify(v)}`)
      .join("\n");
  switch (path) {
    case "metadata.name":
      return meta.name ?? "";
    case "metadata.namespace":
      return meta.namespace ?? "default";
    case "metadata.uid":
      return meta.uid ?? "";
    case "metadata.labels":
      return formatMap(meta.labels);
    case "metadata.annotations":
      return formatMap(meta.annotations);
    case "spec.nodeName":
      return pod.spec?.nodeName ?? "";
    case "spec.serviceAccountName":
      return pod.spec?.serviceAccountName ?? "";
    case "status.podIP":
    case "status.podIPs":
      return facts.podIP;
    case "status.hostIP":
    case "status.hostIPs":
      return facts.hostIP;
    default:
      throw new ContainerConfigError(`fieldRef ${path} is not supported by the process node`);
  }
}

/** The environment Kubernetes gives every container before the pod's own (no image ENV here: the machine's programs run). */
export function baseEnvironment(hostname: string, uid: number): Map<string, string> {
  return new Map([
    ["PATH", "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"],
    ["HOSTNAME", hostname],
    ["HOME", uid === 0 ? "/root" : "/"],
  ]);
}

/** The container's environment: the base, then `envFrom`, then `env`, each value expanded against what came before. */
export async function containerEnvironment(
  pod: V1Pod,
  container: V1Container,
  facts: PodRuntimeFacts,
  lookup: ConfigLookup,
  base: Map<string, string>,
): Promise<Map<string, string>> {
  const namespace = pod.metadata?.namespace ?? "default";
  const env = new Map(base);
  const cache = new Map<string, Promise<Record<string, string> | undefined>>();
  const source = (kind: "ConfigMap" | "Secret", name: string): Promise<Record<string, string> | undefined> => {
    const key = `${kind}/${name}`;
    let found = cache.get(key);
    if (found === undefined) {
      found = kind === "Secret" ? lookup.secret(namespace, name) : lookup.configMap(namespace, name);
      cache.set(key, found);
    }
    return found;
  };
  for (const from of container.envFrom ?? []) {
    const ref = from.configMapRef ?? from.secretRef;
    const kind = from.configMapRef !== undefined ? "ConfigMap" : "Secret";
    if (ref === undefined) continue;
    const data = await source(kind, ref.name ?? "");
    if (data === undefined) {
      if (ref.optional === true) continue;
      throw new ContainerConfigError(`${kind.toLowerCase()} "${ref.name}" not found`);
    }
    for (const [key, value] of Object.entries(data)) env.set(`${from.prefix ?? ""}${key}`, value);
  }
  for (const variable of container.env ?? []) {
    const from = variable.valueFrom;
    if (from === undefined) {
      env.set(variable.name, expandReferences(variable.value ?? "", env));
      continue;
    }
    const keyRef = from.secretKeyRef ?? from.configMapKeyRef;
    if (keyRef !== undefined) {
      const kind = from.secretKeyRef !== undefined ? "Secret" : "ConfigMap";
      const data = await source(kind, keyRef.name ?? "");
      const value = data?.[keyRef.key];
      if (value === undefined) {
        if (keyRef.optional === true) continue;
        throw new ContainerConfigError(
          data === undefined ? `${kind.toLowerCase()} "${keyRef.name}" not found` : `couldn't find key ${keyRef.key} in ${kind} ${namespace}/${keyRef.name}`,
        );
      }
      env.set(variable.name, value);
    } else if (from.fieldRef !== undefined) {
      env.set(variable.name, fieldValue(pod, facts, from.fieldRef));
    } else {
      throw new ContainerConfigError(`env ${variable.name}: resourceFieldRef is not supported by the process node`);
    }
  }
  return env;
}
