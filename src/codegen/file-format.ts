/**
 * The shape of a schema file under `schemas/` (everything except the inside of
 * `openAPIV3Schema`, which the structural rules in `validate.ts` check), as a JSON Schema
 * so that problems come back with a JSON pointer and the keyword that failed.
 */

/** Verbs an RBAC rule may grant; never `*`. Order is the canonical order in generated RBAC. */
export const RBAC_VERBS = ["get", "list", "watch", "create", "update", "patch", "delete", "deletecollection"] as const;

/** What a change of a spec field means (`x-mysqlop-on-change`, default `hook`); the runtime's `ChangePolicy`. */
export type ChangePolicy = "hook" | "rollout" | "immutable";

/** The values `x-mysqlop-on-change` accepts. */
export const CHANGE_POLICIES: readonly ChangePolicy[] = ["hook", "rollout", "immutable"];

const dnsLabel = "^[a-z]([-a-z0-9]*[a-z0-9])?$";
const dnsSubdomain = "^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$";
const verbs = { type: "array", minItems: 1, uniqueItems: true, items: { enum: [...RBAC_VERBS] } };

const rule = {
  type: "object",
  additionalProperties: false,
  required: ["group", "resource", "verbs", "why"],
  properties: {
    group: { type: "string", pattern: "^(|[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*)$" },
    resource: { type: "string", pattern: "^[a-z][a-z0-9]*(/[a-z][a-z0-9]*)?$" },
    // A rule with `watch` is a kind the operator caches: its informer needs the kind, version and scope.
    kind: { type: "string", pattern: "^[A-Z][A-Za-z0-9]*$" },
    version: { type: "string", pattern: "^v[1-9][0-9]*((alpha|beta)[1-9][0-9]*)?$" },
    // Cluster: the resource is cluster-scoped (its informer lists across namespaces; a ClusterRole even in the
    // namespaced RBAC variant).
    scope: { enum: ["Namespaced", "Cluster"] },
    verbs,
    why: { type: "string", minLength: 1 },
  },
};

/** A quantity as Kubernetes writes it (`50m`, `128Mi`, `1`). */
const quantity = { type: "string", pattern: "^[0-9]+(\\.[0-9]+)?(m|k|M|G|T|Ki|Mi|Gi|Ti)?$" };
const resourceList = { type: "object", additionalProperties: false, properties: { cpu: quantity, memory: quantity } };

/** The operator's own Deployment (`deploy/operator.yaml`); every field has a default. */
const operatorDeployment = {
  type: "object",
  additionalProperties: false,
  properties: {
    image: { type: "string", pattern: "^[a-z0-9][^\\s]*$" },
    replicas: { type: "integer", minimum: 1, maximum: 10 },
    probePort: { type: "integer", minimum: 1024, maximum: 65535 },
    resources: { type: "object", additionalProperties: false, properties: { requests: resourceList, limits: resourceList } },
  },
};

const printerColumn = {
  type: "object",
  additionalProperties: false,
  required: ["name", "type", "jsonPath"],
  properties: {
    name: { type: "string", minLength: 1 },
    type: { enum: ["integer", "number", "string", "boolean", "date"] },
    format: { enum: ["int32", "int64", "float", "double", "byte", "date", "date-time", "password"] },
    jsonPath: { type: "string", pattern: "^\\." },
    description: { type: "string" },
    priority: { type: "integer", minimum: 0 },
  },
};

/**
 * Options of the Ajv that compiles the file format's check (at build time: `npm run generate:file-format` writes it as
 * Ajv standalone code, so a run does not compile it). The format schema is ours and fixed, checked against the JSON
 * Schema meta-schema by a unit test, so the compile does not check it again (that compiles the meta-schema first).
 * Without Ajv's code optimiser: the check it writes differs only in length, and the tests that compile it at run time
 * with these options (the staleness check, the bad-schema cases) stay quick. Here, not beside the check's use, so that
 * the build step that writes the check does not import the file it writes.
 */
export const FILE_FORMAT_AJV_OPTIONS = { allErrors: true, strict: true, validateSchema: false, code: { optimize: false } } as const;

/** JSON Schema of a schema file; `openAPIV3Schema` is only required to be an object here. */
export const schemaFileFormat = {
  type: "object",
  additionalProperties: false,
  required: ["group", "names", "scope", "finalizer", "versions", "operator"],
  properties: {
    group: { type: "string", pattern: dnsSubdomain },
    names: {
      type: "object",
      additionalProperties: false,
      required: ["kind", "plural", "singular"],
      properties: {
        kind: { type: "string", pattern: "^[A-Z][A-Za-z0-9]*$" },
        listKind: { type: "string", pattern: "^[A-Z][A-Za-z0-9]*$" },
        plural: { type: "string", pattern: dnsLabel },
        singular: { type: "string", pattern: dnsLabel },
        shortNames: { type: "array", uniqueItems: true, items: { type: "string", pattern: dnsLabel } },
        categories: { type: "array", uniqueItems: true, items: { type: "string", pattern: dnsLabel } },
      },
    },
    scope: { enum: ["Namespaced", "Cluster"] },
    finalizer: { type: "string", pattern: "^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*/[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$" },
    versions: {
      type: "array",
      minItems: 1,
      items: {
        type: "object",
        additionalProperties: false,
        required: ["name", "served", "storage", "schema"],
        properties: {
          name: { type: "string", pattern: "^v[1-9][0-9]*((alpha|beta)[1-9][0-9]*)?$" },
          served: { type: "boolean" },
          storage: { type: "boolean" },
          deprecated: { type: "boolean" },
          additionalPrinterColumns: { type: "array", items: printerColumn },
          schema: {
            type: "object",
            additionalProperties: false,
            required: ["openAPIV3Schema"],
            properties: { openAPIV3Schema: { type: "object" } },
          },
        },
      },
    },
    operator: {
      type: "object",
      additionalProperties: false,
      required: ["serviceAccount", "namespace", "resource"],
      properties: {
        serviceAccount: { type: "string", pattern: dnsSubdomain },
        namespace: { type: "string", pattern: dnsLabel },
        resource: {
          type: "object",
          additionalProperties: false,
          required: ["verbs"],
          properties: { verbs, status: verbs, finalizers: verbs },
        },
        clusterRules: { type: "array", items: rule },
        namespaceRules: { type: "array", items: rule },
        deployment: operatorDeployment,
      },
    },
  },
} as const;
