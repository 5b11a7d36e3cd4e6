// Generated from schemas/mysql.yaml (sha256 a24771cf68ff50adcd84657f0afc39699260b21fd78e5018509a7ba84040b42d) by `mysqlop generate`. DO NOT EDIT.
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
  description:
    "A single-instance MySQL server with its data volume, its Service and a backup that outlives it: deleting the resource first dumps the database into backup storage, and creating a resource of the same name restores that dump.",
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
            "Name of the resource; it names the Service and the Deployment, and with prefixes and suffixes the volumes and Jobs (`restore-NAME-job` must fit the 63 characters of a label value), so it must be a DNS-1035 label of at most 51 characters.",
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
          description:
            "The MySQL container image, a reference such as `mysql:8.4` (the default: MySQL 8.4 LTS) or `registry.example.com/db/mysql@sha256:…`. The original example's `mysql:5.7` still works but is end of life. Changing it rolls the Deployment over to the new image (the data volume is kept).",
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
          description:
            'The database to create, backed up on delete and restored on create. Any name MySQL allows: 1 to 64 characters, without "/", "\\", "." or control characters, without characters beyond U+FFFF (such as emoji, which MySQL rejects in identifiers), not ending in a space, and none of MySQL\'s own schemas (`mysql`, `sys`, `performance_schema`, `information_schema`, in any letter case). The operator quotes it everywhere, so hyphens (`otus-database`) and other special characters are fine. Changing it later is refused: the data lives in the old database.',
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
          description:
            "The MySQL root password, inline. Kept for compatibility with the original example; anyone who can read the resource can read it (`kubectl apply` also copies it into the last-applied-configuration annotation), so prefer `passwordSecretRef`. The operator keeps the server's current password in the Secret `NAME-credentials` and never logs it. Changing it changes the root password of the running server. At most 256 bytes in UTF-8, the limit of MySQL 8's default authentication.",
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
            "StorageClass of the data and backup volumes, for clusters with dynamic provisioning. When omitted, the claims name no class, so the cluster's default StorageClass provisions them (as the original example's claim did on minikube); only where the cluster has no default StorageClass, or `hostPath` asks for it, the operator creates hostPath PersistentVolumes itself, pinned to one node. It cannot be set, changed or removed later (a volume keeps its class): to move, delete the resource (a backup is taken) and create it again with the new class.",
        },
        backup: {
          type: "object",
          title: "BackupSpec",
          description:
            "How backups are taken and kept. Every backup (the final one on deletion, and those of `schedule`) is a new dump in `history/` of the backup volume, named by its time, with its size and sha256; a new resource of the same name restores the newest. A change applies from the next backup on.",
          properties: {
            keep: {
              type: "integer",
              format: "int32",
              minimum: 1,
              maximum: 1000,
              default: 5,
              description:
                "How many of the newest dumps are always kept. An older dump is removed once a restore loaded it, or once a newer dump of the same server (this resource, by its uid) exists: of each server the newest dump that was never restored is kept, so an earlier resource's last dump outlives any number of this one's backups.",
            },
            schedule: {
              type: "string",
              minLength: 1,
              maxLength: 256,
              pattern:
                "^(@(yearly|annually|monthly|weekly|daily|midnight|hourly)|(\\*|\\?|([0-5]?[0-9])(-([0-5]?[0-9]))?)(/[0-9]+)?(,(\\*|\\?|([0-5]?[0-9])(-([0-5]?[0-9]))?)(/[0-9]+)?)* +(\\*|\\?|([01]?[0-9]|2[0-3])(-([01]?[0-9]|2[0-3]))?)(/[0-9]+)?(,(\\*|\\?|([01]?[0-9]|2[0-3])(-([01]?[0-9]|2[0-3]))?)(/[0-9]+)?)* +(\\*|\\?|(0?[1-9]|[12][0-9]|3[01])(-(0?[1-9]|[12][0-9]|3[01]))?)(/[0-9]+)?(,(\\*|\\?|(0?[1-9]|[12][0-9]|3[01])(-(0?[1-9]|[12][0-9]|3[01]))?)(/[0-9]+)?)* +(\\*|\\?|(0?[1-9]|1[0-2]|JAN|FEB|MAR|APR|MAY|JUN|JUL|AUG|SEP|OCT|NOV|DEC|Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec|jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)(-(0?[1-9]|1[0-2]|JAN|FEB|MAR|APR|MAY|JUN|JUL|AUG|SEP|OCT|NOV|DEC|Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec|jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec))?)(/[0-9]+)?(,(\\*|\\?|(0?[1-9]|1[0-2]|JAN|FEB|MAR|APR|MAY|JUN|JUL|AUG|SEP|OCT|NOV|DEC|Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec|jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)(-(0?[1-9]|1[0-2]|JAN|FEB|MAR|APR|MAY|JUN|JUL|AUG|SEP|OCT|NOV|DEC|Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec|jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec))?)(/[0-9]+)?)* +(\\*|\\?|(0?[0-7]|SUN|MON|TUE|WED|THU|FRI|SAT|Sun|Mon|Tue|Wed|Thu|Fri|Sat|sun|mon|tue|wed|thu|fri|sat)(-(0?[0-7]|SUN|MON|TUE|WED|THU|FRI|SAT|Sun|Mon|Tue|Wed|Thu|Fri|Sat|sun|mon|tue|wed|thu|fri|sat))?)(/[0-9]+)?(,(\\*|\\?|(0?[0-7]|SUN|MON|TUE|WED|THU|FRI|SAT|Sun|Mon|Tue|Wed|Thu|Fri|Sat|sun|mon|tue|wed|thu|fri|sat)(-(0?[0-7]|SUN|MON|TUE|WED|THU|FRI|SAT|Sun|Mon|Tue|Wed|Thu|Fri|Sat|sun|mon|tue|wed|thu|fri|sat))?)(/[0-9]+)?)*)$",
              "x-mysqlop-pattern-hint":
                'a cron schedule of 5 fields separated by spaces (minute 0-59, hour 0-23, day of month 1-31, month 1-12 or JAN-DEC, day of week 0-7 or SUN-SAT) such as "0 3 * * *" or "*/30 * * * *", or a macro such as @daily',
              description:
                "When to take a backup while the resource lives, in cron syntax (`0 3 * * *`: every day at 03:00 in the time zone of kube-controller-manager; `@daily` and the other macros work too). The operator owns a CronJob `NAME-backup-schedule` that runs the same backup as the final one into the same history, under the same `keep`; it is made once the resource is created (never during a restore), one backup at a time (`concurrencyPolicy: Forbid`), and on deletion it is suspended and its running backup awaited before the final backup starts. `status.backup.scheduled` shows the last scheduled backup and its outcome, and a new resource of this name restores the newest dump, scheduled or final. Removing the field deletes the CronJob. The resource's name must then be at most 36 characters (a CronJob's name has 52).",
            },
          },
          additionalProperties: false,
        },
        restore: {
          type: "object",
          title: "RestoreSpec",
          description:
            "How the restore on creation treats the backup it finds. Read when the restore Job is made: on creation, and again after a failed `restore-NAME-job` is deleted to retry; a change once the resource is created does nothing.",
          properties: {
            fromDatabase: {
              type: "string",
              minLength: 1,
              maxLength: 64,
              pattern: "^[^/\\\\.\\x00-\\x1f\\x7f-\\x9f𐀀-􏿿]*[^/\\\\.\\x00-\\x1f\\x7f-\\x9f 𐀀-􏿿]$",
              "x-mysqlop-pattern-hint":
                'a MySQL database name: no "/", "\\", "." or control character (such as a newline or a terminal escape), no character beyond U+FFFF (such as emoji), and not ending in a space',
              description:
                "A dump is restored only into the database it was taken from: a backup of another `spec.database` (the resource was re-created with a new name for its database) is refused with reason `RestoreFailed`, and kept. Set this to the database the dump was taken from (the error names it) to load it into `spec.database` anyway, then delete the failed `restore-NAME-job`. A dump of `spec.database` itself is always accepted.",
            },
          },
          additionalProperties: false,
        },
        hostPath: {
          type: "object",
          title: "HostPathStorage",
          description:
            "Asks for hostPath volumes made by the operator (`NAME-pv`, `backup-NAME-pv`) even where the cluster has a default StorageClass. Both are pinned to one node with `nodeAffinity`, as local volumes are, so the server and every Job that mounts them run there; without a node, the operator chooses one (the node of an existing backup volume of this name first). Without `storageClassName` and without this field, hostPath volumes are used only where the cluster has no default StorageClass. It cannot be set, changed or removed later.",
          properties: {
            node: {
              type: "string",
              minLength: 1,
              maxLength: 253,
              pattern: "^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$",
              "x-mysqlop-pattern-hint": 'a Node name (a DNS subdomain: lower-case letters, digits, "-" and ".")',
              description: "The node whose disk holds the volumes (`kubectl get nodes`).",
            },
          },
          additionalProperties: false,
        },
        resources: {
          type: "object",
          title: "ServerResources",
          description:
            "CPU and memory of the MySQL server's container, as in a pod spec: `requests` is what the scheduler reserves, `limits` the most it may use (a container above its memory limit is killed). A request must not exceed its limit. Leaving the field out gives the default: 250m CPU and 1Gi memory requested, 1Gi memory at most, and no CPU limit (a CPU limit throttles a busy server; add one where a quota asks for it). Set at least the memory to what InnoDB's buffer pool and the connections need. Giving the field replaces the whole default. Changing it restarts the server (the Deployment rolls over).",
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
              description: "CPU (cores, `500m` or `2`) and memory (bytes, `512Mi` or `4Gi`).",
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
                  description: "CPU in cores (`500m` is half a core).",
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
                  description: "Memory in bytes (`512Mi`, `4Gi`).",
                },
              },
              additionalProperties: false,
            },
            limits: {
              type: "object",
              description: "CPU (cores, `500m` or `2`) and memory (bytes, `512Mi` or `4Gi`).",
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
                  description: "CPU in cores (`500m` is half a core).",
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
                  description: "Memory in bytes (`512Mi`, `4Gi`).",
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
          description:
            "CPU and memory of the containers of the backup, restore and password-change Jobs, as in a pod spec (see `resources`). The default, when the field is left out: 100m CPU and 256Mi memory requested, 256Mi memory at most. A Job takes the value in force when it is created.",
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
              description: "CPU (cores, `500m` or `2`) and memory (bytes, `512Mi` or `4Gi`).",
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
                  description: "CPU in cores (`500m` is half a core).",
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
                  description: "Memory in bytes (`512Mi`, `4Gi`).",
                },
              },
              additionalProperties: false,
            },
            limits: {
              type: "object",
              description: "CPU (cores, `500m` or `2`) and memory (bytes, `512Mi` or `4Gi`).",
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
                  description: "CPU in cores (`500m` is half a core).",
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
                  description: "Memory in bytes (`512Mi`, `4Gi`).",
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
        serverStarted: {
          type: "string",
          format: "date-time",
          description:
            "When the operator first saw this resource's server available. From then on a deletion waits for a backup (or the `otus.homework/final-backup: skip` annotation), even when creation never finished and the server is down at that moment.",
        },
        storage: {
          type: "object",
          title: "StorageStatus",
          description:
            "Where the volumes come from, decided once when the resource is created and kept for its life (a live resource never changes mode).",
          properties: {
            mode: {
              type: "string",
              enum: ["StorageClass", "DefaultStorageClass", "HostPath"],
              description:
                "`StorageClass`: the class `spec.storageClassName` names. `DefaultStorageClass`: the claims name no class and the cluster's default StorageClass provisions them. `HostPath`: volumes the operator made, pinned to `node` (the cluster had no default StorageClass, or `spec.hostPath` asked for it).",
            },
            storageClassName: {
              type: "string",
              description:
                "The StorageClass of the claims (the cluster's default at creation, for `DefaultStorageClass`).",
            },
            node: {
              type: "string",
              description:
                "`HostPath`: the node the volumes are pinned to (its `kubernetes.io/hostname`), where the server and its Jobs run.",
            },
            reason: {
              type: "string",
              description: "Why this mode (and node) was chosen, in words.",
            },
          },
          additionalProperties: false,
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
                "Path of the dump in the backup Job's mount of the backup volume (`/backup/history/mysqlop-dump-YYYYMMDDTHHMMSSZ.sql`); its metadata file beside it holds the checksum the restore verifies.",
            },
            sizeBytes: {
              type: "integer",
              format: "int64",
              description: "Size of the dump in bytes.",
            },
            sha256: {
              type: "string",
              description: "SHA-256 of the dump (hex); a restore loads exactly the dump with this checksum.",
            },
            created: {
              type: "string",
              format: "date-time",
              description: "When the dump started (the consistent snapshot's time).",
            },
            scheduled: {
              type: "object",
              title: "ScheduledBackupStatus",
              description:
                "The last backup of `spec.backup.schedule` that ended (a Job of the CronJob `NAME-backup-schedule`), succeeded or failed.",
              properties: {
                job: {
                  type: "string",
                  description: "Name of the Job the CronJob made.",
                },
                outcome: {
                  type: "string",
                  enum: ["Succeeded", "Failed"],
                  description: "How it ended.",
                },
                startedAt: {
                  type: "string",
                  format: "date-time",
                  description: "When the Job started.",
                },
                finishedAt: {
                  type: "string",
                  format: "date-time",
                  description: "When it completed or failed.",
                },
                reason: {
                  type: "string",
                  description: "`Failed`: why, as the Job says (`BackoffLimitExceeded`, `DeadlineExceeded`, …).",
                },
                message: {
                  type: "string",
                  description: "`Failed`: the Job's message and the script's last error line.",
                },
                dumpFile: {
                  type: "string",
                  description:
                    "`Succeeded`: path of the dump it added to the history (as the Jobs mount the backup volume).",
                },
                sizeBytes: {
                  type: "integer",
                  format: "int64",
                  description: "`Succeeded`: size of the dump in bytes.",
                },
                sha256: {
                  type: "string",
                  description: "`Succeeded`: SHA-256 of the dump (hex).",
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

const schemaValidator = createSchemaValidator(mysqlResourceSchema, { patternHintKeyword: "x-mysqlop-pattern-hint" });

/**
 * Validates one parsed document (e.g. from YAML) as a MySQL; returns every issue
 * found, or an empty list when the document is valid.
 */
export function validateMySQL(document: unknown): ValidationIssue[] {
  return schemaValidator(document);
}
