/**
 * A pod's volumes as directories of the node, ready to be bind-mounted at their mount paths: emptyDir,
 * ConfigMap, Secret, downward API and projected (those three sources) volumes are written into the pod's own
 * directory, with the modes the pod asks for and the group of `fsGroup`; a PersistentVolumeClaim resolves to its
 * bound PersistentVolume's `hostPath` (or `local`) path.
 *
 * hostPath paths live under the node's own directory (`<node>/host/<path>`), not on the machine: a sandbox or a
 * test never writes the machine's `/var/lib/...`, and the data go with the sandbox. Other volume types are
 * refused with a message naming the type.
 */
import { chmodSync, chownSync, existsSync, mkdirSync, rmSync, statSync, writeFileSync } from "node:fs";
import { dirname, isAbsolute, join, normalize, relative, sep } from "node:path";
import type {
  V1ConfigMapProjection,
  V1Container,
  V1DownwardAPIVolumeFile,
  V1KeyToPath,
  V1PersistentVolume,
  V1PersistentVolumeClaim,
  V1Pod,
  V1SecretProjection,
  V1Volume,
} from "@kubernetes/client-node";
import { ContainerConfigError, expandReferences, fieldValue, type ConfigLookup, type PodRuntimeFacts } from "./container-env.ts";
import type { SandboxMount } from "./container-process.ts";

/** A volume cannot be set up yet (an unbound claim, a missing Secret): the pod waits in `ContainerCreating`, and it is retried. */
export class VolumeNotReadyError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "VolumeNotReadyError";
  }
}

/** Reads what volumes refer to; `undefined` when it does not exist. */
export interface VolumeLookup extends ConfigLookup {
  claim(namespace: string, name: string): Promise<V1PersistentVolumeClaim | undefined>;
  persistentVolume(name: string): Promise<V1PersistentVolume | undefined>;
}

/** Where a pod's volumes go and what they may read. */
export interface VolumeContext {
  pod: V1Pod;
  /** The pod's own directory on the node. */
  podDir: string;
  /** The node's stand-in for the machine's `/`: hostPath `P` is `hostRoot/P`. */
  hostRoot: string;
  lookup: VolumeLookup;
  facts: PodRuntimeFacts;
}

/** One prepared volume: a directory (or file) of the node. */
export interface PreparedVolume {
  path: string;
  readOnly: boolean;
}

const DEFAULT_MODE = 0o644;

/** `path` inside `root`, refusing anything that would leave it (`..`, an absolute path where a relative one belongs). */
export function within(root: string, path: string, what: string): string {
  const full = normalize(join(root, path));
  const rel = relative(root, full);
  if (rel === ".." || rel.startsWith(`..${sep}`) || isAbsolute(rel)) throw new ContainerConfigError(`${what} ${JSON.stringify(path)} leaves its volume`);
  return full;
}

/** The node directory of hostPath `path`. */
export function hostPathOnNode(hostRoot: string, path: string): string {
  if (!isAbsolute(path)) throw new ContainerConfigError(`hostPath ${JSON.stringify(path)} is not absolute`);
  return within(hostRoot, path, "hostPath");
}

function applyFsGroup(path: string, fsGroup: number | undefined, readOnly: boolean): void {
  if (fsGroup === undefined) return;
  chownSync(path, 0, fsGroup);
  const mode = statSync(path).mode & 0o7777;
  const isDir = statSync(path).isDirectory();
  // As the kubelet's SetVolumeOwnership: group read (and write unless read-only); directories setgid.
  chmodSync(path, mode | (readOnly ? 0o440 : 0o660) | (isDir ? 0o2110 : 0));
}

/** Writes `files` (relative path → content, mode) into a fresh `dir`. */
function writeFiles(dir: string, files: { path: string; content: Buffer; mode: number }[], fsGroup: number | undefined): void {
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true, mode: 0o755 });
  applyFsGroup(dir, fsGroup, true);
  for (const file of files) {
    const target = within(dir, file.path, "item path");
    mkdirSync(dirname(target), { recursive: true, mode: 0o755 });
    writeFileSync(target, file.content, { mode: file.mode });
    chmodSync(target, file.mode);
    applyFsGroup(target, fsGroup, true);
  }
}

/** The files of a ConfigMap or Secret source: all keys, or the listed items. */
function keyFiles(
  data: Record<string, string>,
  items: V1KeyToPath[] | undefined,
  defaultMode: number,
  what: string,
  optional: boolean,
): { path: string; content: Buffer; mode: number }[] {
  if (items === undefined) return Object.entries(data).map(([key, value]) => ({ path: key, content: Buffer.from(value, "utf8"), mode: defaultMode }));
  const files: { path: string; content: Buffer; mode: number }[] = [];
  for (const item of items) {
    const value = data[item.key];
    if (value === undefined) {
      if (optional) continue;
      throw new VolumeNotReadyError(`couldn't find key ${item.key} in ${what}`);
    }
    files.push({ path: item.path, content: Buffer.from(value, "utf8"), mode: item.mode ?? defaultMode });
  }
  return files;
}

function downwardFiles(ctx: VolumeContext, items: V1DownwardAPIVolumeFile[], defaultMode: number): { path: string; content: Buffer; mode: number }[] {
  return items.map((item) => {
    if (item.fieldRef === undefined) throw new ContainerConfigError(`downwardAPI item ${item.path}: only fieldRef is supported by the process node`);
    return { path: item.path, content: Buffer.from(fieldValue(ctx.pod, ctx.facts, item.fieldRef), "utf8"), mode: item.mode ?? defaultMode };
  });
}

async function sourceFiles(
  ctx: VolumeContext,
  kind: "ConfigMap" | "Secret",
  source: V1ConfigMapProjection | V1SecretProjection | { name?: string; items?: V1KeyToPath[]; optional?: boolean },
  name: string,
  defaultMode: number,
): Promise<{ path: string; content: Buffer; mode: number }[]> {
  const namespace = ctx.pod.metadata?.namespace ?? "default";
  const data = kind === "Secret" ? await ctx.lookup.secret(namespace, name) : await ctx.lookup.configMap(namespace, name);
  const optional = source.optional === true;
  if (data === undefined) {
    if (optional) return [];
    throw new VolumeNotReadyError(`${kind.toLowerCase()} "${name}" not found`);
  }
  return keyFiles(data, source.items, defaultMode, `${kind} ${namespace}/${name}`, optional);
}

async function claimPath(ctx: VolumeContext, claimName: string): Promise<string> {
  const namespace = ctx.pod.metadata?.namespace ?? "default";
  const claim = await ctx.lookup.claim(namespace, claimName);
  if (claim === undefined) throw new VolumeNotReadyError(`persistentvolumeclaim "${claimName}" not found`);
  const volumeName = claim.spec?.volumeName;
  if (claim.status?.phase !== "Bound" || volumeName === undefined || volumeName === "") {
    throw new VolumeNotReadyError(`persistentvolumeclaim "${claimName}" is not bound`);
  }
  const volume = await ctx.lookup.persistentVolume(volumeName);
  if (volume === undefined) throw new VolumeNotReadyError(`persistentvolume "${volumeName}" of claim "${claimName}" not found`);
  const hostPath = volume.spec?.hostPath;
  if (hostPath !== undefined) return hostPathDir(ctx, hostPath.path, hostPath.type);
  const local = volume.spec?.local;
  if (local !== undefined) return hostPathDir(ctx, local.path, "Directory");
  throw new ContainerConfigError(`persistentvolume "${volumeName}": only hostPath and local volumes are supported by the process node`);
}

function hostPathDir(ctx: VolumeContext, path: string, type: string | undefined): string {
  const dir = hostPathOnNode(ctx.hostRoot, path);
  switch (type ?? "") {
    case "DirectoryOrCreate":
      mkdirSync(dir, { recursive: true, mode: 0o755 });
      break;
    case "FileOrCreate":
      mkdirSync(dirname(dir), { recursive: true, mode: 0o755 });
      if (!existsSync(dir)) writeFileSync(dir, "", { mode: 0o644 });
      break;
    case "":
      break;
    default:
      if (!existsSync(dir)) throw new VolumeNotReadyError(`hostPath ${path} (type ${type}) does not exist on the node (under ${ctx.hostRoot})`);
  }
  return dir;
}

/** Sets up one volume; returns its node path. */
async function prepareVolume(ctx: VolumeContext, volume: V1Volume, fsGroup: number | undefined): Promise<PreparedVolume> {
  const dir = join(ctx.podDir, "volumes", volume.name);
  if (volume.emptyDir !== undefined) {
    if (!existsSync(dir)) {
      mkdirSync(dir, { recursive: true });
      chmodSync(dir, 0o777);
      applyFsGroup(dir, fsGroup, false);
    }
    return { path: dir, readOnly: false };
  }
  if (volume.configMap !== undefined || volume.secret !== undefined) {
    const kind = volume.secret !== undefined ? "Secret" : "ConfigMap";
    const source = volume.secret ?? volume.configMap ?? {};
    const name = volume.secret?.secretName ?? volume.configMap?.name ?? "";
    const mode = volume.secret?.defaultMode ?? volume.configMap?.defaultMode ?? DEFAULT_MODE;
    writeFiles(dir, await sourceFiles(ctx, kind, source, name, mode), fsGroup);
    return { path: dir, readOnly: true };
  }
  if (volume.downwardAPI !== undefined) {
    writeFiles(dir, downwardFiles(ctx, volume.downwardAPI.items ?? [], volume.downwardAPI.defaultMode ?? DEFAULT_MODE), fsGroup);
    return { path: dir, readOnly: true };
  }
  if (volume.projected !== undefined) {
    const mode = volume.projected.defaultMode ?? DEFAULT_MODE;
    const files: { path: string; content: Buffer; mode: number }[] = [];
    for (const source of volume.projected.sources ?? []) {
      if (source.configMap !== undefined) files.push(...(await sourceFiles(ctx, "ConfigMap", source.configMap, source.configMap.name ?? "", mode)));
      else if (source.secret !== undefined) files.push(...(await sourceFiles(ctx, "Secret", source.secret, source.secret.name ?? "", mode)));
      else if (source.downwardAPI !== undefined) files.push(...downwardFiles(ctx, source.downwardAPI.items ?? [], mode));
      else throw new ContainerConfigError(`projected volume ${volume.name}: only configMap, secret and downwardAPI sources are supported by the process node`);
    }
    writeFiles(dir, files, fsGroup);
    return { path: dir, readOnly: true };
  }
  if (volume.persistentVolumeClaim !== undefined) {
    const path = await claimPath(ctx, volume.persistentVolumeClaim.claimName);
    return { path, readOnly: volume.persistentVolumeClaim.readOnly === true };
  }
  if (volume.hostPath !== undefined) return { path: hostPathDir(ctx, volume.hostPath.path, volume.hostPath.type), readOnly: false };
  const type = Object.keys(volume).find((k) => k !== "name") ?? "(none)";
  throw new ContainerConfigError(`volume ${volume.name}: type ${type} is not supported by the process node`);
}

/** Sets up every volume of the pod (ConfigMaps and Secrets written afresh). */
export async function prepareVolumes(ctx: VolumeContext): Promise<Map<string, PreparedVolume>> {
  const fsGroup = ctx.pod.spec?.securityContext?.fsGroup;
  const prepared = new Map<string, PreparedVolume>();
  for (const volume of ctx.pod.spec?.volumes ?? []) prepared.set(volume.name, await prepareVolume(ctx, volume, fsGroup));
  return prepared;
}

/** The bind mounts of a container's `volumeMounts` (subPath directories created as the kubelet does). */
export function containerMounts(container: V1Container, volumes: ReadonlyMap<string, PreparedVolume>, env: ReadonlyMap<string, string>): SandboxMount[] {
  return (container.volumeMounts ?? []).map((mount) => {
    const volume = volumes.get(mount.name);
    if (volume === undefined) throw new ContainerConfigError(`volumeMount ${mount.name}: the pod has no such volume`);
    if (!isAbsolute(mount.mountPath) || /[\n\r]/.test(mount.mountPath))
      throw new ContainerConfigError(`volumeMount ${mount.name}: mountPath must be an absolute path`);
    const subPath = mount.subPathExpr !== undefined ? expandReferences(mount.subPathExpr, env) : mount.subPath;
    let source = volume.path;
    if (subPath !== undefined && subPath !== "") {
      if (isAbsolute(subPath)) throw new ContainerConfigError(`volumeMount ${mount.name}: subPath must be relative`);
      source = within(volume.path, subPath, "subPath");
      if (!existsSync(source)) mkdirSync(source, { recursive: true, mode: 0o755 });
    }
    return { source, target: mount.mountPath, readOnly: mount.readOnly === true || volume.readOnly };
  });
}
