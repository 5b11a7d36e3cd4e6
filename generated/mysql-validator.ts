// Generated from schemas/mysql.yaml (sha256 a65da0d63c901c047d26de3129cb2b70edfad7519cb6c23d5d3e45158fd62b86) by `mysqlop generate`. DO NOT EDIT.
/**
 * Offline validation of MySQL documents against the storage version's schema
 * (v1), with the rules the API server applies (types, required fields,
 * patterns, lengths, enums, one-of) and unknown fields rejected at every level, as strict
 * field validation does. CEL rules (x-kubernetes-validations), if any, are only checked by
 * the API server.
 * @packageDocumentation
 */
import { Ajv, type ErrorObject, type ValidateFunction } from "ajv";

/** One reason a document is not a valid MySQL. */
export interface ValidationIssue {
  /** Path of the offending field from the document root (keys and list indexes). */
  readonly path: readonly (string | number)[];
  /** The schema keyword that failed (`additionalProperties` for an unknown field). */
  readonly rule: string;
  /** A sentence for a person, starting with the field path. */
  readonly message: string;
}

/** The MySQL schema as checked offline (generated; unknown fields are forbidden). */
export const mysqlResourceSchema: Record<string, unknown> = {
  type: "object",
  title: "MySQL",
  description:
    "A single-instance MySQL server with its data volume, its Service and a backup that outlives it: deleting the resource first dumps the database into backup storage, and creating a resource of the same name restores that dump.",
  required: ["apiVersion", "kind", "metadata", "spec"],
  properties: {
    apiVersion: {
      type: "string",
      description: "APIVersion defines the versioned schema of this representation of an object.",
      enum: ["otus.homework/v1"],
    },
    kind: {
      type: "string",
      description: "Kind is a string value representing the REST resource this object represents.",
      enum: ["MySQL"],
    },
    metadata: {
      type: "object",
      properties: {
        name: {
          type: "string",
          description:
            "Name of the resource; it names the Service and the Deployment, and with prefixes and suffixes the volumes and Jobs, so it must be a DNS-1035 label of at most 52 characters.",
          maxLength: 52,
          pattern: "^[a-z]([-a-z0-9]*[a-z0-9])?$",
          "x-mysqlop-pattern-hint":
            'a DNS-1035 label (lower-case letters, digits and "-", starting with a letter) because it names the Service',
        },
      },
      required: ["name"],
    },
    spec: {
      type: "object",
      title: "MySQLSpec",
      description:
        "The desired MySQL server. Give the root password either inline (`password`, as in the original example) or, better, through `passwordSecretRef`; exactly one of the two.",
      required: ["database", "storage_size"],
      oneOf: [
        {
          required: ["password"],
        },
        {
          required: ["passwordSecretRef"],
        },
      ],
      properties: {
        image: {
          type: "string",
          minLength: 1,
          default: "mysql:5.7",
          description:
            "The MySQL container image. Changing it rolls the Deployment over to the new image (the data volume is kept).",
        },
        database: {
          type: "string",
          minLength: 1,
          maxLength: 64,
          pattern: "^[^/\\\\.\\x00𐀀-􏿿]*[^/\\\\.\\x00 𐀀-􏿿]$",
          "x-mysqlop-pattern-hint":
            'a MySQL database name: no "/", "\\", "." or NUL, no character beyond U+FFFF (such as emoji), and not ending in a space',
          description:
            'The database to create, backed up on delete and restored on create. Any name MySQL allows: 1 to 64 characters, without "/", "\\", "." or NUL, without characters beyond U+FFFF (such as emoji, which MySQL rejects in identifiers), not ending in a space. The operator quotes it everywhere, so hyphens (`otus-database`) and other special characters are fine. Changing it later is refused: the data lives in the old database.',
        },
        password: {
          type: "string",
          minLength: 1,
          description:
            "The MySQL root password, inline. Kept for compatibility with the original example; anyone who can read the resource can read it (`kubectl apply` also copies it into the last-applied-configuration annotation), so prefer `passwordSecretRef`. The operator keeps the server's current password in the Secret `NAME-credentials` and never logs it. Changing it changes the root password of the running server.",
        },
        passwordSecretRef: {
          type: "object",
          title: "SecretKeySelector",
          description:
            "Reads the MySQL root password from a key of an existing Secret in the resource's namespace. The value is read when the resource is created and whenever the reference changes, which changes the root password of the running server; to rotate, point it at a new Secret or key.",
          required: ["name", "key"],
          properties: {
            name: {
              type: "string",
              minLength: 1,
              maxLength: 253,
              pattern: "^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$",
              "x-mysqlop-pattern-hint": 'a Secret name (a DNS subdomain: lower-case letters, digits, "-" and ".")',
              description: "Name of the Secret, in the same namespace as the MySQL resource.",
            },
            key: {
              type: "string",
              minLength: 1,
              maxLength: 253,
              pattern: "^[-._a-zA-Z0-9]+$",
              "x-mysqlop-pattern-hint": 'a Secret key (letters, digits, "-", "_" and ".")',
              description: "The key within the Secret whose value is the password.",
            },
          },
          additionalProperties: false,
        },
        storage_size: {
          type: "string",
          pattern: "^\\+?([0-9]+(\\.[0-9]*)?|\\.[0-9]+)([eE][-+]?[0-9]+|Ki|Mi|Gi|Ti|Pi|Ei|m|k|M|G|T|P|E)?$",
          "x-mysqlop-pattern-hint": "a Kubernetes quantity such as 1Gi or 500Mi",
          description:
            "Size of the data volume, as a Kubernetes quantity (`1Gi`, `500Mi`). Growing it expands the PersistentVolumeClaim where the storage class allows expansion.",
        },
        storageClassName: {
          type: "string",
          minLength: 1,
          maxLength: 253,
          pattern: "^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$",
          "x-mysqlop-pattern-hint": 'a StorageClass name (a DNS subdomain: lower-case letters, digits, "-" and ".")',
          description:
            "StorageClass of the data and backup volumes, for clusters with dynamic provisioning. When omitted the operator creates hostPath PersistentVolumes itself (`NAME-pv`, `backup-NAME-pv`), as the original example did on minikube.",
        },
      },
      additionalProperties: false,
    },
    status: {
      type: "object",
      title: "MySQLStatus",
      description: "What the operator observed and did. Written by the operator only.",
      properties: {
        observedGeneration: {
          type: "integer",
          format: "int64",
          minimum: 0,
          description: "The `metadata.generation` the status describes.",
        },
        conditions: {
          type: "array",
          description:
            "Standard conditions: `Ready` (the server is available), `Progressing` (a restore, backup or change is under way) and `Degraded` (something needs a person).",
          items: {
            type: "object",
            title: "Condition",
            description: "One aspect of the resource's state (metav1.Condition).",
            required: ["type", "status", "reason", "message", "lastTransitionTime"],
            properties: {
              type: {
                type: "string",
                maxLength: 316,
                pattern:
                  "^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*/)?(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])$",
                description: "Type of the condition, in CamelCase (`Ready`).",
              },
              status: {
                type: "string",
                enum: ["True", "False", "Unknown"],
                description: "Whether the condition holds.",
              },
              reason: {
                type: "string",
                minLength: 1,
                maxLength: 1024,
                pattern: "^[A-Za-z]([A-Za-z0-9_,:]*[A-Za-z0-9_])?$",
                description: "Why the condition last changed, in CamelCase (`BackupSucceeded`).",
              },
              message: {
                type: "string",
                maxLength: 32768,
                description: "Details for a person.",
              },
              lastTransitionTime: {
                type: "string",
                format: "date-time",
                description: "When the condition's status last changed.",
              },
              observedGeneration: {
                type: "integer",
                format: "int64",
                minimum: 0,
                description: "The `metadata.generation` the condition was set for.",
              },
            },
            additionalProperties: false,
          },
        },
        message: {
          type: "string",
          description: "What the operator did last, in words (e.g. `mysql-instance created with restore-job`).",
        },
        appliedSpec: {
          type: "object",
          description:
            "Per spec field, a fingerprint of the value the last fully successful reconcile applied; the operator compares it to the spec to call change hooks. Secret fields appear only as salted hashes.",
          additionalProperties: {
            type: "string",
          },
        },
        backup: {
          type: "object",
          title: "BackupStatus",
          description: "The last backup that succeeded.",
          properties: {
            lastSucceeded: {
              type: "string",
              format: "date-time",
              description: "When the backup Job completed.",
            },
            job: {
              type: "string",
              description: "Name of the backup Job (`backup-NAME-job`).",
            },
            dumpFile: {
              type: "string",
              description:
                "Path of the dump inside the backup volume; its metadata file beside it holds the checksum the restore verifies.",
            },
          },
          additionalProperties: false,
        },
        restore: {
          type: "object",
          title: "RestoreStatus",
          description: "The restore performed when the resource was created, if any.",
          properties: {
            restoredAt: {
              type: "string",
              format: "date-time",
              description: "When the restore Job completed.",
            },
            job: {
              type: "string",
              description: "Name of the restore Job (`restore-NAME-job`).",
            },
            fromDump: {
              type: "string",
              description: "Path of the dump that was restored.",
            },
          },
          additionalProperties: false,
        },
      },
      additionalProperties: false,
    },
  },
  additionalProperties: false,
};

let compiled: ValidateFunction | undefined;

/**
 * Validates one parsed document (e.g. from YAML) as a MySQL; returns every issue
 * found, or an empty list when the document is valid.
 */
export function validateMySQL(document: unknown): ValidationIssue[] {
  compiled ??= compileSchema(mysqlResourceSchema);
  if (compiled(document)) return [];
  return describeErrors(compiled.errors ?? [], document);
}

const RFC3339 = /^\d{4}-\d{2}-\d{2}[Tt]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$/;

function compileSchema(schema: Record<string, unknown>): ValidateFunction {
  const ajv = new Ajv({
    allErrors: true,
    verbose: true,
    strict: true,
    strictTypes: false,
    strictRequired: false,
    strictTuples: false,
    allowUnionTypes: true,
  });
  ajv.addKeyword({ keyword: "x-mysqlop-pattern-hint", schemaType: "string" });
  ajv.addKeyword({ keyword: "x-kubernetes-validations" });
  ajv.addFormat("date-time", {
    type: "string",
    validate: (s: string) => RFC3339.test(s) && !Number.isNaN(Date.parse(s)),
  });
  ajv.addFormat("int32", {
    type: "number",
    validate: (n: number) => Number.isInteger(n) && n >= -2147483648 && n <= 2147483647,
  });
  ajv.addFormat("int64", { type: "number", validate: (n: number) => Number.isInteger(n) });
  for (const format of [
    "float",
    "double",
    "byte",
    "password",
    "date",
    "duration",
    "uri",
    "email",
    "hostname",
    "ipv4",
    "ipv6",
    "uuid",
    "cidr",
    "mac",
  ])
    ajv.addFormat(format, true);
  return ajv.compile(schema);
}

function pathOf(instancePath: string): (string | number)[] {
  if (instancePath === "") return [];
  return instancePath
    .slice(1)
    .split("/")
    .map((s) => s.replaceAll("~1", "/").replaceAll("~0", "~"))
    .map((s) => (/^(0|[1-9][0-9]*)$/.test(s) ? Number(s) : s));
}

/** Renders a path as people write it: spec.storage_size, status.conditions[0].type. */
function fieldName(path: readonly (string | number)[]): string {
  let out = "";
  for (const segment of path) {
    if (typeof segment === "number") out += "[" + segment + "]";
    else if (/^[A-Za-z_$][A-Za-z0-9_$]*$/.test(segment)) out += (out === "" ? "" : ".") + segment;
    else out += "[" + JSON.stringify(segment) + "]";
  }
  return out;
}

function describeValue(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "a list";
  if (typeof value === "object") return "an object";
  if (typeof value === "string") return JSON.stringify(value.length > 80 ? value.slice(0, 77) + "..." : value);
  return String(value);
}

function valueAt(document: unknown, path: readonly (string | number)[]): unknown {
  let value = document;
  for (const segment of path) {
    if (typeof value !== "object" || value === null) return undefined;
    value = (value as Record<string | number, unknown>)[segment];
  }
  return value;
}

const A_TYPE: Record<string, string> = {
  string: "a string",
  integer: "an integer",
  number: "a number",
  boolean: "true or false",
  object: "an object (a mapping of fields)",
  array: "a list",
  null: "null",
};

function describeError(e: ErrorObject, document: unknown): ValidationIssue {
  const path = pathOf(e.instancePath);
  const where = fieldName(path);
  const prefix = where === "" ? "" : where + ": ";
  const got = describeValue(e.data);
  const schema = (e.parentSchema ?? {}) as Record<string, unknown>;
  switch (e.keyword) {
    case "additionalProperties": {
      const field = String(e.params.additionalProperty);
      const known = Object.keys((schema.properties as Record<string, unknown> | undefined) ?? {});
      return {
        path: [...path, field],
        rule: e.keyword,
        message:
          prefix +
          "unknown field " +
          JSON.stringify(field) +
          (known.length > 0 ? " (known fields: " + known.join(", ") + ")" : ""),
      };
    }
    case "required": {
      const field = String(e.params.missingProperty);
      return {
        path: [...path, field],
        rule: e.keyword,
        message: prefix + "missing required field " + JSON.stringify(field),
      };
    }
    case "type": {
      const types = ([] as string[]).concat(e.params.type as string | string[]).map((t) => A_TYPE[t] ?? t);
      return { path, rule: e.keyword, message: prefix + "must be " + types.join(" or ") + ", got " + got };
    }
    case "pattern": {
      const hint = schema["x-mysqlop-pattern-hint"];
      const expected = typeof hint === "string" ? hint : "text matching the pattern " + String(e.params.pattern);
      return { path, rule: e.keyword, message: prefix + "must be " + expected + ", got " + got };
    }
    case "minLength":
      return {
        path,
        rule: e.keyword,
        message: prefix + "must be at least " + String(e.params.limit) + " character(s) long, got " + got,
      };
    case "maxLength":
      return {
        path,
        rule: e.keyword,
        message:
          prefix + "must be at most " + String(e.params.limit) + " characters long, got " + [...String(e.data)].length,
      };
    case "enum": {
      const allowed = (e.params.allowedValues as unknown[]).map((v) => JSON.stringify(v));
      return {
        path,
        rule: e.keyword,
        message:
          prefix + "must be " + (allowed.length === 1 ? allowed[0] : "one of " + allowed.join(", ")) + ", got " + got,
      };
    }
    case "oneOf": {
      const branches = (schema.oneOf as Record<string, unknown>[] | undefined) ?? [];
      const fields = branches.map((b) =>
        Array.isArray(b.required) && b.required.length === 1 && Object.keys(b).length === 1
          ? String(b.required[0])
          : undefined,
      );
      if (fields.every((f) => f !== undefined)) {
        const value = valueAt(document, path) as Record<string, unknown>;
        const present = fields.filter((f) => value[f] !== undefined);
        return {
          path,
          rule: e.keyword,
          message:
            prefix +
            "set exactly one of " +
            fields.map((f) => JSON.stringify(f)).join(", ") +
            ", got " +
            (present.length === 0 ? "none" : present.map((f) => JSON.stringify(f)).join(" and ")),
        };
      }
      return {
        path,
        rule: e.keyword,
        message: prefix + "must match exactly one of " + branches.length + " alternatives",
      };
    }
    case "anyOf": {
      const branches = (schema.anyOf as Record<string, unknown>[] | undefined) ?? [];
      const types = branches.map((b) =>
        typeof b.type === "string" && Object.keys(b).length === 1 ? (A_TYPE[b.type] ?? b.type) : undefined,
      );
      if (types.every((t) => t !== undefined))
        return { path, rule: e.keyword, message: prefix + "must be " + types.join(" or ") + ", got " + got };
      return {
        path,
        rule: e.keyword,
        message: prefix + "must match at least one of " + branches.length + " alternatives, got " + got,
      };
    }
    case "format":
      return {
        path,
        rule: e.keyword,
        message:
          prefix +
          "must be in " +
          String(e.params.format) +
          " format" +
          (e.params.format === "date-time" ? " (RFC 3339, e.g. 2026-01-31T12:00:00Z)" : "") +
          ", got " +
          got,
      };
    case "minimum":
    case "maximum":
    case "exclusiveMinimum":
    case "exclusiveMaximum":
      return {
        path,
        rule: e.keyword,
        message: prefix + "must be " + String(e.params.comparison) + " " + String(e.params.limit) + ", got " + got,
      };
    default:
      return { path, rule: e.keyword, message: prefix + (e.message ?? "is invalid") + ", got " + got };
  }
}

function describeErrors(errors: readonly ErrorObject[], document: unknown): ValidationIssue[] {
  // A failed oneOf/anyOf reports its branches' errors too; the summary says it better.
  const junctions = errors.filter((e) => e.keyword === "oneOf" || e.keyword === "anyOf").map((e) => e.schemaPath + "/");
  const kept = errors.filter((e) => !junctions.some((j) => e.schemaPath.startsWith(j)));
  const seen = new Set<string>();
  const issues: ValidationIssue[] = [];
  for (const e of kept) {
    const issue = describeError(e, document);
    if (seen.has(issue.message)) continue;
    seen.add(issue.message);
    issues.push(issue);
  }
  return issues;
}
