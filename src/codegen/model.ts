/**
 * Stage 3 of the pipeline: turn a validated schema file into the model every emitter
 * reads. All naming decisions (file names, type names, hook names) are made here, once.
 */
import { posix } from "node:path";
import { RBAC_VERBS, type ChangePolicy } from "./file-format.ts";
import type { LoadedSchema } from "./load.ts";
import { outputDirs, RUNTIME_DIR, RUNTIME_MODULES, runtimeImportProblem, runtimeModuleSpecifier, type GenerateOptions } from "./options.ts";
import { hookNameOf } from "./validate.ts";

/** A JSON Schema node as plain data. */
export type SchemaNode = Record<string, unknown>;

/** One RBAC rule, normalized: verbs in canonical order. */
export interface RbacRule {
  readonly group: string;
  readonly resources: readonly string[];
  readonly verbs: readonly string[];
  /** Why the operator needs it; becomes a comment in rbac.yaml. */
  readonly why: string;
  /** The resource is cluster-scoped: only a ClusterRole can grant it, also to an operator that watches one namespace. */
  readonly clusterScoped: boolean;
}

/** The operator's own Deployment, defaults filled in. */
export interface OperatorDeploymentModel {
  /** The image reference in deploy/operator.yaml; a kustomize overlay's `images:` replaces it by its name. */
  readonly image: string;
  readonly replicas: number;
  /** Port of /healthz, /readyz and /metrics. */
  readonly probePort: number;
  readonly resources: { readonly requests: Readonly<Record<string, string>>; readonly limits: Readonly<Record<string, string>> };
}

/** Defaults of `operator.deployment`: two replicas with leader election, and room for the ~100 MB the bundled operator needs. */
export const OPERATOR_DEPLOYMENT_DEFAULTS = {
  replicas: 2,
  probePort: 8081,
  resources: { requests: { cpu: "50m", memory: "128Mi" }, limits: { memory: "256Mi" } },
} as const;

/** A kind the operator watches (a rule with `watch`): what its informer needs. */
export interface WatchedKind {
  readonly apiVersion: string;
  readonly kind: string;
  readonly plural: string;
  readonly namespaced: boolean;
}

/** One field of `spec`, with what the reconcile skeleton needs to know about it. */
export interface SpecField {
  readonly name: string;
  /** Change hook method, e.g. `onStorageSizeChange` (only fields whose policy is `hook` get one). */
  readonly hookName: string;
  /** What a change of the field means. */
  readonly onChange: ChangePolicy;
  readonly description: string;
  /**
   * Has a `title`: json-schema-to-typescript makes its type a named one and puts the description there, on the type,
   * not on the field of the spec's interface.
   */
  readonly documentedOnType: boolean;
  /** Present on every resource read from the API server (required, or defaulted). */
  readonly alwaysPresent: boolean;
  /** Marked `x-mysqlop-sensitive`: change detection keeps only a salted hash. */
  readonly sensitive: boolean;
}

/** One served version of the resource. */
export interface VersionModel {
  readonly name: string;
  readonly served: boolean;
  readonly storage: boolean;
  readonly deprecated: boolean;
  readonly printerColumns: readonly SchemaNode[];
  /** The schema exactly as written, with our `x-mysqlop-*` extensions. */
  readonly schema: SchemaNode;
}

/** Output file paths, relative to the project root, `/`-separated. */
export interface OutputPaths {
  readonly models: string;
  readonly constants: string;
  readonly validator: string;
  readonly reconcilerBase: string;
  readonly apiReference: string;
  readonly crd: string;
  /** RBAC for an operator that watches every namespace. */
  readonly rbac: string;
  readonly namespace: string;
  readonly operatorDeployment: string;
  readonly kustomization: string;
  /** The FlowSchema that gives the operator's Lease requests the `leader-election` priority level. */
  readonly flowSchema: string;
  /** RBAC for `--namespace` deployments: cluster-wide rights only for cluster-scoped resources, a Role per watched namespace. */
  readonly rbacNamespaced: {
    /** ServiceAccount, ClusterRole/Binding for cluster-scoped resources, the leader-election Role: applied once. */
    readonly operator: string;
    /** Role and RoleBinding without a namespace: applied in each watched namespace. */
    readonly watchedRole: string;
    /** A kustomization around `watchedRole` whose `namespace` an overlay sets. */
    readonly watchedKustomization: string;
  };
}

/** Everything the emitters need; built once per run. */
export interface GeneratorModel {
  readonly source: { readonly path: string; readonly sha256: string };
  readonly group: string;
  readonly kind: string;
  readonly listKind: string;
  readonly plural: string;
  readonly singular: string;
  readonly shortNames: readonly string[];
  readonly categories: readonly string[];
  readonly scope: "Namespaced" | "Cluster";
  readonly finalizer: string;
  readonly versions: readonly VersionModel[];
  readonly storageVersion: VersionModel;
  readonly specFields: readonly SpecField[];
  /** TypeScript names: the resource, its spec and status interfaces. */
  readonly typeNames: { readonly resource: string; readonly spec: string; readonly status: string };
  /** Prefix of generated constants, e.g. `MYSQL`. */
  readonly constantPrefix: string;
  readonly rbac: {
    readonly serviceAccount: string;
    readonly namespace: string;
    readonly clusterRules: readonly RbacRule[];
    readonly namespaceRules: readonly RbacRule[];
  };
  readonly operatorDeployment: OperatorDeploymentModel;
  /** Kinds the operator watches besides the resource itself (the rules with `watch`), in rule order. */
  readonly watchedKinds: readonly WatchedKind[];
  readonly outputs: OutputPaths;
  /** Import specifiers of the runtime modules, as written in generated files. */
  readonly runtimeImports: RuntimeImports;
}

/** Import specifiers of the runtime modules generated code uses (see {@link RUNTIME_MODULES}). */
export type RuntimeImports = { readonly [M in keyof typeof RUNTIME_MODULES]: string };

/** Joins every runtime module to the `runtimeImport` base (default: relative path from `outDir` to `src/runtime`). */
function runtimeImportsOf(options: GenerateOptions, outDir: string): RuntimeImports {
  const base = options.runtimeImport ?? relativeImport(outDir, RUNTIME_DIR);
  const problem = runtimeImportProblem(base);
  if (problem !== undefined) throw new Error(`runtimeImport ${problem}`);
  return Object.fromEntries(Object.entries(RUNTIME_MODULES).map(([key, module]) => [key, runtimeModuleSpecifier(base, module)])) as RuntimeImports;
}

function sortVerbs(verbs: readonly string[]): string[] {
  const order: readonly string[] = RBAC_VERBS;
  return [...new Set(verbs)].sort((a, b) => order.indexOf(a) - order.indexOf(b));
}

function compareRules(a: RbacRule, b: RbacRule): number {
  return a.group.localeCompare(b.group, "en") || a.resources.join().localeCompare(b.resources.join(), "en");
}

function asRecord(value: unknown): SchemaNode {
  return typeof value === "object" && value !== null && !Array.isArray(value) ? (value as SchemaNode) : {};
}

function toRecords(list: unknown): SchemaNode[] {
  return ((list as unknown[] | undefined) ?? []).map(asRecord);
}

function relativeImport(fromDir: string, target: string): string {
  const rel = posix.relative(fromDir, target);
  return rel.startsWith(".") ? rel : `./${rel}`;
}

function operatorDeploymentOf(raw: SchemaNode, serviceAccount: string): OperatorDeploymentModel {
  const resources = asRecord(raw.resources);
  const defaults = OPERATOR_DEPLOYMENT_DEFAULTS;
  return {
    image: typeof raw.image === "string" ? raw.image : `${serviceAccount}:latest`,
    replicas: typeof raw.replicas === "number" ? raw.replicas : defaults.replicas,
    probePort: typeof raw.probePort === "number" ? raw.probePort : defaults.probePort,
    resources: {
      requests: { ...(resources.requests === undefined ? defaults.resources.requests : (resources.requests as Record<string, string>)) },
      limits: { ...(resources.limits === undefined ? defaults.resources.limits : (resources.limits as Record<string, string>)) },
    },
  };
}

/** The name json-schema-to-typescript gives a node's type: its title, when it has a non-empty one (else none). */
function typeTitle(node: Record<string, unknown>): string | undefined {
  return typeof node.title === "string" && node.title !== "" ? node.title : undefined;
}

/** Builds the generator model from a schema file that passed validation. */
export function buildModel(loaded: LoadedSchema, options: GenerateOptions): GeneratorModel {
  const doc = asRecord(loaded.document);
  const names = asRecord(doc.names);
  const kind = String(names.kind);
  const singular = String(names.singular);
  const versions: VersionModel[] = (doc.versions as unknown[]).map((raw) => {
    const v = asRecord(raw);
    return {
      name: String(v.name),
      served: v.served === true,
      storage: v.storage === true,
      deprecated: v.deprecated === true,
      printerColumns: ((v.additionalPrinterColumns as unknown[] | undefined) ?? []).map(asRecord),
      schema: asRecord(asRecord(v.schema).openAPIV3Schema),
    };
  });
  const storageVersion = versions.find((v) => v.storage);
  if (storageVersion === undefined) throw new Error("buildModel: no storage version (validateSchema should have caught this)");
  const rootProps = asRecord(storageVersion.schema.properties);
  const spec = asRecord(rootProps.spec);
  const status = asRecord(rootProps.status);
  const specRequired = new Set((spec.required as string[] | undefined) ?? []);
  const specFields: SpecField[] = Object.entries(asRecord(spec.properties)).map(([name, raw]) => {
    const node = asRecord(raw);
    return {
      name,
      hookName: hookNameOf(name),
      onChange: (node["x-mysqlop-on-change"] as ChangePolicy | undefined) ?? "hook",
      description: typeof node.description === "string" ? node.description : "",
      documentedOnType: typeTitle(node) !== undefined,
      alwaysPresent: specRequired.has(name) || node.default !== undefined,
      sensitive: node["x-mysqlop-sensitive"] === true,
    };
  });

  const group = String(doc.group);
  const plural = String(names.plural);
  const operator = asRecord(doc.operator);
  const own = asRecord(operator.resource);
  const scope = doc.scope === "Cluster" ? "Cluster" : "Namespaced";
  const ownScoped = scope === "Cluster";
  const ownRules: RbacRule[] = [
    { group, resources: [plural], verbs: sortVerbs(own.verbs as string[]), why: `the ${kind} resources themselves`, clusterScoped: ownScoped },
  ];
  if (Array.isArray(own.status))
    ownRules.push({
      group,
      resources: [`${plural}/status`],
      verbs: sortVerbs(own.status as string[]),
      why: `the status subresource of ${kind}`,
      clusterScoped: ownScoped,
    });
  if (Array.isArray(own.finalizers))
    ownRules.push({
      group,
      resources: [`${plural}/finalizers`],
      verbs: sortVerbs(own.finalizers as string[]),
      why: `the finalizers of ${kind} (owner references with blockOwnerDeletion)`,
      clusterScoped: ownScoped,
    });
  const toRules = (list: unknown): RbacRule[] =>
    ((list as unknown[] | undefined) ?? []).map((raw) => {
      const r = asRecord(raw);
      return {
        group: String(r.group),
        resources: [String(r.resource)],
        verbs: sortVerbs(r.verbs as string[]),
        why: String(r.why),
        clusterScoped: r.scope === "Cluster",
      };
    });

  const watchedKinds: WatchedKind[] = [...toRecords(operator.clusterRules), ...toRecords(operator.namespaceRules)]
    .filter((r) => Array.isArray(r.verbs) && r.verbs.includes("watch"))
    .map((r) => ({
      apiVersion: r.group === "" ? String(r.version) : `${String(r.group)}/${String(r.version)}`,
      kind: String(r.kind),
      plural: String(r.resource),
      namespaced: r.scope !== "Cluster",
    }));

  const { outDir, deployDir } = outputDirs(options);
  const filePrefix = singular;
  return {
    source: { path: loaded.displayPath, sha256: loaded.sha256 },
    group,
    kind,
    listKind: typeof names.listKind === "string" ? names.listKind : `${kind}List`,
    plural,
    singular,
    shortNames: (names.shortNames as string[] | undefined) ?? [],
    categories: (names.categories as string[] | undefined) ?? [],
    scope,
    finalizer: String(doc.finalizer),
    versions,
    storageVersion,
    specFields,
    typeNames: {
      resource: kind,
      spec: typeTitle(spec) ?? `${kind}Spec`,
      status: typeTitle(status) ?? `${kind}Status`,
    },
    constantPrefix: singular.toUpperCase().replaceAll(/[^A-Z0-9]/g, "_"),
    rbac: {
      serviceAccount: String(operator.serviceAccount),
      namespace: String(operator.namespace),
      clusterRules: [...ownRules, ...toRules(operator.clusterRules)].sort(compareRules),
      namespaceRules: toRules(operator.namespaceRules).sort(compareRules),
    },
    operatorDeployment: operatorDeploymentOf(asRecord(operator.deployment), String(operator.serviceAccount)),
    watchedKinds,
    outputs: {
      models: `${outDir}/${filePrefix}-models.ts`,
      constants: `${outDir}/${filePrefix}-constants.ts`,
      validator: `${outDir}/${filePrefix}-validator.ts`,
      reconcilerBase: `${outDir}/${filePrefix}-reconciler-base.ts`,
      apiReference: `${outDir}/api-reference.md`,
      crd: `${deployDir}/crd.yaml`,
      rbac: `${deployDir}/rbac.yaml`,
      namespace: `${deployDir}/namespace.yaml`,
      operatorDeployment: `${deployDir}/operator.yaml`,
      kustomization: `${deployDir}/kustomization.yaml`,
      flowSchema: `${deployDir}/flowschema.yaml`,
      rbacNamespaced: {
        operator: `${deployDir}/rbac-namespaced/operator.yaml`,
        watchedRole: `${deployDir}/rbac-namespaced/watched-namespace/role.yaml`,
        watchedKustomization: `${deployDir}/rbac-namespaced/watched-namespace/kustomization.yaml`,
      },
    },
    runtimeImports: runtimeImportsOf(options, outDir),
  };
}
