// Generated from schemas/mysql.yaml (sha256 4ff9b5afa563c197c86cf5b275d30f91c3086b535c873e1ab181b13a7ad3b4bb) by `mysqlop generate`. DO NOT EDIT.
/**
 * Offline validation of MySQL documents against the storage version's schema
 * (v1), with the rules the API server applies (types, required fields,
 * patterns, lengths, enums, one-of) and unknown fields rejected at every level, as strict
 * field validation does, and CEL rules (x-kubernetes-validations) as on create; rules that
 * read `oldSelf` apply to updates only and are left to the API server.
 * @packageDocumentation
 */
import { createSchemaValidator, type ValidationIssue } from "../src/runtime/schema-validation.ts";

export type { ValidationIssue };

/** The MySQL schema as checked offline (generated; unknown fields are forbidden). */
export const mysqlResourceSchema: Record<string, unknown> = {
  type: "object",
  title: "MySQL",
  required: ["apiVersion", "kind", "metadata", "spec"],
  "x-kubernetes-validations": [
    {
      rule: "!has(self.spec.backup) || !has(self.spec.backup.schedule) || size(self.metadata.name) <= 36",
      fieldPath: ".spec.backup.schedule",
      reason: "FieldValueForbidden",
      message:
        "needs a resource name (metadata.name) of at most 36 characters: the CronJob that runs the schedule is named NAME-backup-schedule, and Kubernetes allows a CronJob 52 characters; choose a shorter name, or remove spec.backup.schedule",
    },
  ],
  properties: {
    apiVersion: {
      type: "string",
      enum: ["otus.homework/v1"],
    },
    kind: {
      type: "string",
      enum: ["MySQL"],
    },
    metadata: {
      type: "object",
      properties: {
        name: {
          type: "string",
          maxLength: 51,
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
      required: ["database", "storage_size"],
      oneOf: [
        {
          required: ["password"],
        },
        {
          required: ["passwordSecretRef"],
        },
      ],
      "x-kubernetes-validations": [
        {
          rule: "!(has(self.hostPath) && has(self.storageClassName))",
          fieldPath: ".hostPath",
          message:
            "set storageClassName (volumes from that StorageClass) or hostPath (volumes the operator makes on one node), not both",
        },
      ],
      properties: {
        image: {
          type: "string",
          minLength: 1,
          maxLength: 1024,
          default: "mysql:8.4",
          pattern:
            "^((([a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])(\\.([a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9]))*|\\[[a-fA-F0-9:]+\\])(:[0-9]+)?/)?[a-z0-9]+(([._]|__|-+)[a-z0-9]+)*(/[a-z0-9]+(([._]|__|-+)[a-z0-9]+)*)*(:[a-zA-Z0-9_][a-zA-Z0-9_.-]{0,127})?(@[A-Za-z][A-Za-z0-9]*([-_+.][A-Za-z][A-Za-z0-9]*)*:[0-9a-fA-F]{32,})?$",
          "x-mysqlop-pattern-hint":
            "a container image reference such as mysql:8.4, registry.example.com:5000/db/mysql:8.4 or mysql@sha256:<64 hex digits> (repository path in lower case; no spaces, quotes or other shell characters)",
        },
        database: {
          type: "string",
          minLength: 1,
          maxLength: 64,
          pattern: "^[^/\\\\.\\x00-\\x1f\\x7f-\\x9f𐀀-􏿿]*[^/\\\\.\\x00-\\x1f\\x7f-\\x9f 𐀀-􏿿]$",
          "x-mysqlop-pattern-hint":
            'a MySQL database name: no "/", "\\", "." or control character (such as a newline or a terminal escape), no character beyond U+FFFF (such as emoji), and not ending in a space',
          "x-kubernetes-validations": [
            {
              rule: "!(self.lowerAscii() in ['mysql', 'sys', 'performance_schema', 'information_schema'])",
              reason: "FieldValueForbidden",
              message:
                "must not be one of MySQL's own schemas (mysql, sys, performance_schema, information_schema, in any letter case): the operator would back up the server's accounts and password hashes",
            },
          ],
        },
        password: {
          type: "string",
          minLength: 1,
          maxLength: 256,
          "x-kubernetes-validations": [
            {
              rule: "size(bytes(self)) <= 256",
              message:
                "must be at most 256 bytes in UTF-8 (MySQL 8's caching_sha2_password refuses longer passwords; a character outside ASCII takes 2 to 4 bytes)",
            },
          ],
        },
        passwordSecretRef: {
          type: "object",
          title: "SecretKeySelector",
          required: ["name", "key"],
          properties: {
            name: {
              type: "string",
              minLength: 1,
              maxLength: 253,
              pattern: "^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$",
              "x-mysqlop-pattern-hint": 'a Secret name (a DNS subdomain: lower-case letters, digits, "-" and ".")',
            },
            key: {
              type: "string",
              minLength: 1,
              maxLength: 253,
              pattern: "^[-._a-zA-Z0-9]+$",
              "x-mysqlop-pattern-hint": 'a Secret key (letters, digits, "-", "_" and ".")',
            },
          },
          additionalProperties: false,
        },
        storage_size: {
          type: "string",
          pattern: "^\\+?([0-9]+(\\.[0-9]*)?|\\.[0-9]+)([eE][-+]?[0-9]+|Ki|Mi|Gi|Ti|Pi|Ei|m|k|M|G|T|P|E)?$",
          "x-mysqlop-pattern-hint": "a Kubernetes quantity such as 1Gi or 500Mi",
        },
        storageClassName: {
          type: "string",
          minLength: 1,
          maxLength: 253,
          pattern: "^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$",
          "x-mysqlop-pattern-hint": 'a StorageClass name (a DNS subdomain: lower-case letters, digits, "-" and ".")',
        },
        backup: {
          type: "object",
          title: "BackupSpec",
          properties: {
            keep: {
              type: "integer",
              format: "int32",
              minimum: 1,
              maximum: 1000,
              default: 5,
            },
            schedule: {
              type: "string",
              minLength: 1,
              maxLength: 256,
              pattern:
                "^(@(yearly|annually|monthly|weekly|daily|midnight|hourly)|(\\*|\\?|([0-5]?[0-9])(-([0-5]?[0-9]))?)(/[0-9]+)?(,(\\*|\\?|([0-5]?[0-9])(-([0-5]?[0-9]))?)(/[0-9]+)?)* +(\\*|\\?|([01]?[0-9]|2[0-3])(-([01]?[0-9]|2[0-3]))?)(/[0-9]+)?(,(\\*|\\?|([01]?[0-9]|2[0-3])(-([01]?[0-9]|2[0-3]))?)(/[0-9]+)?)* +(\\*|\\?|(0?[1-9]|[12][0-9]|3[01])(-(0?[1-9]|[12][0-9]|3[01]))?)(/[0-9]+)?(,(\\*|\\?|(0?[1-9]|[12][0-9]|3[01])(-(0?[1-9]|[12][0-9]|3[01]))?)(/[0-9]+)?)* +(\\*|\\?|(0?[1-9]|1[0-2]|JAN|FEB|MAR|APR|MAY|JUN|JUL|AUG|SEP|OCT|NOV|DEC|Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec|jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)(-(0?[1-9]|1[0-2]|JAN|FEB|MAR|APR|MAY|JUN|JUL|AUG|SEP|OCT|NOV|DEC|Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec|jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec))?)(/[0-9]+)?(,(\\*|\\?|(0?[1-9]|1[0-2]|JAN|FEB|MAR|APR|MAY|JUN|JUL|AUG|SEP|OCT|NOV|DEC|Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec|jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)(-(0?[1-9]|1[0-2]|JAN|FEB|MAR|APR|MAY|JUN|JUL|AUG|SEP|OCT|NOV|DEC|Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec|jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec))?)(/[0-9]+)?)* +(\\*|\\?|(0?[0-7]|SUN|MON|TUE|WED|THU|FRI|SAT|Sun|Mon|Tue|Wed|Thu|Fri|Sat|sun|mon|tue|wed|thu|fri|sat)(-(0?[0-7]|SUN|MON|TUE|WED|THU|FRI|SAT|Sun|Mon|Tue|Wed|Thu|Fri|Sat|sun|mon|tue|wed|thu|fri|sat))?)(/[0-9]+)?(,(\\*|\\?|(0?[0-7]|SUN|MON|TUE|WED|THU|FRI|SAT|Sun|Mon|Tue|Wed|Thu|Fri|Sat|sun|mon|tue|wed|thu|fri|sat)(-(0?[0-7]|SUN|MON|TUE|WED|THU|FRI|SAT|Sun|Mon|Tue|Wed|Thu|Fri|Sat|sun|mon|tue|wed|thu|fri|sat))?)(/[0-9]+)?)*)$",
              "x-mysqlop-pattern-hint":
                'a cron schedule of 5 fields separated by spaces (minute 0-59, hour 0-23, day of month 1-31, month 1-12 or JAN-DEC, day of week 0-7 or SUN-SAT) such as "0 3 * * *" or "*/30 * * * *", or a macro such as @daily',
            },
          },
          additionalProperties: false,
        },
        restore: {
          type: "object",
          title: "RestoreSpec",
          properties: {
            fromDatabase: {
              type: "string",
              minLength: 1,
              maxLength: 64,
              pattern: "^[^/\\\\.\\x00-\\x1f\\x7f-\\x9f𐀀-􏿿]*[^/\\\\.\\x00-\\x1f\\x7f-\\x9f 𐀀-􏿿]$",
              "x-mysqlop-pattern-hint":
                'a MySQL database name: no "/", "\\", "." or control character (such as a newline or a terminal escape), no character beyond U+FFFF (such as emoji), and not ending in a space',
            },
          },
          additionalProperties: false,
        },
        hostPath: {
          type: "object",
          title: "HostPathStorage",
          properties: {
            node: {
              type: "string",
              minLength: 1,
              maxLength: 253,
              pattern: "^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$",
              "x-mysqlop-pattern-hint": 'a Node name (a DNS subdomain: lower-case letters, digits, "-" and ".")',
            },
          },
          additionalProperties: false,
        },
        resources: {
          type: "object",
          title: "ServerResources",
          "x-kubernetes-validations": [
            {
              rule: "!has(self.requests) || !has(self.limits) || !has(self.requests.memory) || !has(self.limits.memory) || quantity(string(self.requests.memory)).compareTo(quantity(string(self.limits.memory))) <= 0",
              fieldPath: ".requests.memory",
              message:
                "must not exceed resources.limits.memory: Kubernetes refuses a container whose request is above its limit. Raise limits.memory as well, or lower the request (an edit that gives requests.memory alone keeps the limit the resource has, the default included)",
            },
            {
              rule: "!has(self.requests) || !has(self.limits) || !has(self.requests.cpu) || !has(self.limits.cpu) || quantity(string(self.requests.cpu)).compareTo(quantity(string(self.limits.cpu))) <= 0",
              fieldPath: ".requests.cpu",
              message:
                "must not exceed resources.limits.cpu: Kubernetes refuses a container whose request is above its limit. Raise limits.cpu as well, or lower the request (an edit that gives requests.cpu alone keeps the limit the resource has, the default included)",
            },
          ],
          default: {
            requests: {
              cpu: "250m",
              memory: "1Gi",
            },
            limits: {
              memory: "1Gi",
            },
          },
          properties: {
            requests: {
              type: "object",
              properties: {
                cpu: {
                  anyOf: [
                    {
                      type: "integer",
                    },
                    {
                      type: "string",
                    },
                  ],
                  pattern: "^\\+?([0-9]+(\\.[0-9]*)?|\\.[0-9]+)([eE][-+]?[0-9]+|Ki|Mi|Gi|Ti|Pi|Ei|m|k|M|G|T|P|E)?$",
                  "x-mysqlop-pattern-hint": "a Kubernetes quantity such as 500m, 2 or 1Gi",
                },
                memory: {
                  anyOf: [
                    {
                      type: "integer",
                    },
                    {
                      type: "string",
                    },
                  ],
                  pattern: "^\\+?([0-9]+(\\.[0-9]*)?|\\.[0-9]+)([eE][-+]?[0-9]+|Ki|Mi|Gi|Ti|Pi|Ei|m|k|M|G|T|P|E)?$",
                  "x-mysqlop-pattern-hint": "a Kubernetes quantity such as 500m, 2 or 1Gi",
                },
              },
              additionalProperties: false,
            },
            limits: {
              type: "object",
              properties: {
                cpu: {
                  anyOf: [
                    {
                      type: "integer",
                    },
                    {
                      type: "string",
                    },
                  ],
                  pattern: "^\\+?([0-9]+(\\.[0-9]*)?|\\.[0-9]+)([eE][-+]?[0-9]+|Ki|Mi|Gi|Ti|Pi|Ei|m|k|M|G|T|P|E)?$",
                  "x-mysqlop-pattern-hint": "a Kubernetes quantity such as 500m, 2 or 1Gi",
                },
                memory: {
                  anyOf: [
                    {
                      type: "integer",
                    },
                    {
                      type: "string",
                    },
                  ],
                  pattern: "^\\+?([0-9]+(\\.[0-9]*)?|\\.[0-9]+)([eE][-+]?[0-9]+|Ki|Mi|Gi|Ti|Pi|Ei|m|k|M|G|T|P|E)?$",
                  "x-mysqlop-pattern-hint": "a Kubernetes quantity such as 500m, 2 or 1Gi",
                },
              },
              additionalProperties: false,
            },
          },
          additionalProperties: false,
        },
        jobResources: {
          type: "object",
          title: "JobResources",
          "x-kubernetes-validations": [
            {
              rule: "!has(self.requests) || !has(self.limits) || !has(self.requests.memory) || !has(self.limits.memory) || quantity(string(self.requests.memory)).compareTo(quantity(string(self.limits.memory))) <= 0",
              fieldPath: ".requests.memory",
              message:
                "must not exceed jobResources.limits.memory: Kubernetes refuses a Job's container whose request is above its limit. Raise limits.memory as well, or lower the request (an edit that gives requests.memory alone keeps the limit the resource has, the default included)",
            },
            {
              rule: "!has(self.requests) || !has(self.limits) || !has(self.requests.cpu) || !has(self.limits.cpu) || quantity(string(self.requests.cpu)).compareTo(quantity(string(self.limits.cpu))) <= 0",
              fieldPath: ".requests.cpu",
              message:
                "must not exceed jobResources.limits.cpu: Kubernetes refuses a Job's container whose request is above its limit. Raise limits.cpu as well, or lower the request (an edit that gives requests.cpu alone keeps the limit the resource has, the default included)",
            },
          ],
          default: {
            requests: {
              cpu: "100m",
              memory: "256Mi",
            },
            limits: {
              memory: "256Mi",
            },
          },
          properties: {
            requests: {
              type: "object",
              properties: {
                cpu: {
                  anyOf: [
                    {
                      type: "integer",
                    },
                    {
                      type: "string",
                    },
                  ],
                  pattern: "^\\+?([0-9]+(\\.[0-9]*)?|\\.[0-9]+)([eE][-+]?[0-9]+|Ki|Mi|Gi|Ti|Pi|Ei|m|k|M|G|T|P|E)?$",
                  "x-mysqlop-pattern-hint": "a Kubernetes quantity such as 500m, 2 or 1Gi",
                },
                memory: {
                  anyOf: [
                    {
                      type: "integer",
                    },
                    {
                      type: "string",
                    },
                  ],
                  pattern: "^\\+?([0-9]+(\\.[0-9]*)?|\\.[0-9]+)([eE][-+]?[0-9]+|Ki|Mi|Gi|Ti|Pi|Ei|m|k|M|G|T|P|E)?$",
                  "x-mysqlop-pattern-hint": "a Kubernetes quantity such as 500m, 2 or 1Gi",
                },
              },
              additionalProperties: false,
            },
            limits: {
              type: "object",
              properties: {
                cpu: {
                  anyOf: [
                    {
                      type: "integer",
                    },
                    {
                      type: "string",
                    },
                  ],
                  pattern: "^\\+?([0-9]+(\\.[0-9]*)?|\\.[0-9]+)([eE][-+]?[0-9]+|Ki|Mi|Gi|Ti|Pi|Ei|m|k|M|G|T|P|E)?$",
                  "x-mysqlop-pattern-hint": "a Kubernetes quantity such as 500m, 2 or 1Gi",
                },
                memory: {
                  anyOf: [
                    {
                      type: "integer",
                    },
                    {
                      type: "string",
                    },
                  ],
                  pattern: "^\\+?([0-9]+(\\.[0-9]*)?|\\.[0-9]+)([eE][-+]?[0-9]+|Ki|Mi|Gi|Ti|Pi|Ei|m|k|M|G|T|P|E)?$",
                  "x-mysqlop-pattern-hint": "a Kubernetes quantity such as 500m, 2 or 1Gi",
                },
              },
              additionalProperties: false,
            },
          },
          additionalProperties: false,
        },
      },
      additionalProperties: false,
    },
    status: {
      type: "object",
      title: "MySQLStatus",
      properties: {
        observedGeneration: {
          type: "integer",
          format: "int64",
          minimum: 0,
        },
        conditions: {
          type: "array",
          items: {
            type: "object",
            title: "Condition",
            required: ["type", "status", "reason", "message", "lastTransitionTime"],
            properties: {
              type: {
                type: "string",
                maxLength: 316,
                pattern:
                  "^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*/)?(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])$",
              },
              status: {
                type: "string",
                enum: ["True", "False", "Unknown"],
              },
              reason: {
                type: "string",
                minLength: 1,
                maxLength: 1024,
                pattern: "^[A-Za-z]([A-Za-z0-9_,:]*[A-Za-z0-9_])?$",
              },
              message: {
                type: "string",
                maxLength: 32768,
              },
              lastTransitionTime: {
                type: "string",
                format: "date-time",
              },
              observedGeneration: {
                type: "integer",
                format: "int64",
                minimum: 0,
              },
            },
            additionalProperties: false,
          },
        },
        message: {
          type: "string",
        },
        appliedSpec: {
          type: "object",
          additionalProperties: {
            type: "string",
          },
        },
        serverStarted: {
          type: "string",
          format: "date-time",
        },
        storage: {
          type: "object",
          title: "StorageStatus",
          properties: {
            mode: {
              type: "string",
              enum: ["StorageClass", "DefaultStorageClass", "HostPath"],
            },
            storageClassName: {
              type: "string",
            },
            node: {
              type: "string",
            },
            reason: {
              type: "string",
            },
          },
          additionalProperties: false,
        },
        backup: {
          type: "object",
          title: "BackupStatus",
          properties: {
            lastSucceeded: {
              type: "string",
              format: "date-time",
            },
            job: {
              type: "string",
            },
            dumpFile: {
              type: "string",
            },
            sizeBytes: {
              type: "integer",
              format: "int64",
            },
            sha256: {
              type: "string",
            },
            created: {
              type: "string",
              format: "date-time",
            },
            scheduled: {
              type: "object",
              title: "ScheduledBackupStatus",
              properties: {
                job: {
                  type: "string",
                },
                outcome: {
                  type: "string",
                  enum: ["Succeeded", "Failed"],
                },
                startedAt: {
                  type: "string",
                  format: "date-time",
                },
                finishedAt: {
                  type: "string",
                  format: "date-time",
                },
                reason: {
                  type: "string",
                },
                message: {
                  type: "string",
                },
                dumpFile: {
                  type: "string",
                },
                sizeBytes: {
                  type: "integer",
                  format: "int64",
                },
                sha256: {
                  type: "string",
                },
              },
              additionalProperties: false,
            },
          },
          additionalProperties: false,
        },
        restore: {
          type: "object",
          title: "RestoreStatus",
          properties: {
            restoredAt: {
              type: "string",
              format: "date-time",
            },
            job: {
              type: "string",
            },
            fromDump: {
              type: "string",
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

const schemaValidator = createSchemaValidator(mysqlResourceSchema, { patternHintKeyword: "x-mysqlop-pattern-hint" });

/**
 * Validates one parsed document (e.g. from YAML) as a MySQL; returns every issue
 * found, or an empty list when the document is valid.
 */
export function validateMySQL(document: unknown): ValidationIssue[] {
  return schemaValidator(document);
}
