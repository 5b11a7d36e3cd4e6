/**
 * What `yo mysqlop` asks, how each answer is checked, and every name derived from the answers,
 * decided once here (pure: no Yeoman, no file system) so that templates only print them.
 */

/** The answers, each also a command-line option of the same name (`--kind MariaDB`). */
export interface ScaffoldAnswers {
  /** npm package name; also the operator's name, ServiceAccount and (with `-system`) namespace. */
  readonly name: string;
  /** API group, e.g. `db.example.com`. */
  readonly group: string;
  /** Kind, e.g. `MariaDB`. */
  readonly kind: string;
  /** Plural resource name, e.g. `mariadbs`. */
  readonly plural: string;
  /** API version, e.g. `v1`. */
  readonly apiVersion: string;
  /** Default server image of `spec.image`. */
  readonly image: string;
  /** `all`, or the one namespace the operator watches. */
  readonly namespaces: string;
}

/** One question: its option name on the command line, prompt, default (from the answers so far) and check. */
export interface Question {
  readonly name: keyof ScaffoldAnswers;
  /** The command-line option, e.g. `api-version` for `--api-version`. */
  readonly option: string;
  readonly message: string;
  defaultFor(earlier: Partial<ScaffoldAnswers>): string;
  /** A sentence naming the problem and the fix, or `undefined` when the answer is usable. */
  problem(answer: string): string | undefined;
}

const DNS_LABEL = /^[a-z]([-a-z0-9]*[a-z0-9])?$/;
const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

/**
 * An image reference as registries define it (`[host[:port]/]path[:tag][@digest]`, path in lower case): the same
 * pattern the scaffolded schema puts on `spec.image`, so the default the CRD declares passes its own check.
 */
export const IMAGE_PATTERN =
  "^((([a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])(\\.([a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9]))*|\\[[a-fA-F0-9:]+\\])(:[0-9]+)?/)?[a-z0-9]+(([._]|__|-+)[a-z0-9]+)*(/[a-z0-9]+(([._]|__|-+)[a-z0-9]+)*)*(:[a-zA-Z0-9_][a-zA-Z0-9_.-]{0,127})?(@[A-Za-z][A-Za-z0-9]*([-_+.][A-Za-z][A-Za-z0-9]*)*:[0-9a-fA-F]{32,})?$";

/**
 * Identifiers the scaffolded sources import beside the kind's own types: a kind of one of these names
 * would clash with an import in the same file.
 */
const RESERVED_KINDS = new Set([
  "KubernetesObject",
  "V1Deployment",
  "V1PersistentVolume",
  "V1PersistentVolumeClaim",
  "V1Service",
  "Manager",
  "ReconcileContext",
  "HookResult",
  "KubeConfig",
  "ControlPlane",
]);

/** The questions in the order they are asked; defaults follow the answers before them. */
export const QUESTIONS: readonly Question[] = [
  {
    name: "kind",
    option: "kind",
    message: "Kind of the custom resource",
    defaultFor: () => "MySQL",
    problem: (kind) => {
      if (!/^[A-Z][A-Za-z0-9]{0,62}$/.test(kind))
        return `kind "${kind}" must be a CamelCase name of letters and digits starting with an upper-case letter, such as MariaDB`;
      // json-schema-to-typescript capitalises a letter after a digit in the names of the models (mysqlop generate refuses such a kind).
      if (/[0-9][a-z]/.test(kind))
        return `kind "${kind}" must not have a small letter right after a digit (the generated models would be named ${kind.replaceAll(/([0-9])([a-z])/g, (_m, d: string, l: string) => d + l.toUpperCase())}): use that, or another name`;
      if (RESERVED_KINDS.has(kind)) return `kind "${kind}" would clash with a name the scaffolded code imports; choose another, such as ${kind}Server`;
      return undefined;
    },
  },
  {
    name: "group",
    option: "group",
    message: "API group",
    defaultFor: () => "otus.homework",
    problem: (group) => {
      if (group.length > 253 || !DNS_SUBDOMAIN.test(group) || !group.includes("."))
        return `group "${group}" must be a DNS subdomain with at least one dot (lower-case letters, digits, "-" and "."), such as db.example.com`;
      if (/(^|\.)(k8s\.io|kubernetes\.io)$/.test(group))
        return `group "${group}" is reserved for Kubernetes' own APIs; use a domain of your own, such as db.example.com`;
      return undefined;
    },
  },
  {
    name: "plural",
    option: "plural",
    message: "Plural resource name",
    defaultFor: (earlier) => `${(earlier.kind ?? "MySQL").toLowerCase()}s`,
    problem: (plural) =>
      plural.length <= 63 && DNS_LABEL.test(plural)
        ? undefined
        : `plural "${plural}" must be a lower-case DNS label (letters, digits and "-", starting with a letter, at most 63 characters), such as mariadbs`,
  },
  {
    name: "apiVersion",
    option: "api-version",
    message: "API version",
    defaultFor: () => "v1",
    problem: (version) =>
      /^v[1-9][0-9]*((alpha|beta)[1-9][0-9]*)?$/.test(version) ? undefined : `API version "${version}" must look like v1, v2beta1 or v1alpha2`,
  },
  {
    name: "image",
    option: "image",
    message: "Default server image",
    defaultFor: () => "mysql:8.4",
    problem: (image) =>
      image.length <= 1024 && new RegExp(IMAGE_PATTERN).test(image)
        ? undefined
        : `image "${image}" must be a container image reference such as mysql:8.4 or registry.example.com/db/mariadb:11.4 (repository path in lower case, no spaces or quotes)`,
  },
  {
    name: "namespaces",
    option: "namespaces",
    message: 'Namespace the operator watches ("all", or one namespace)',
    defaultFor: () => "all",
    problem: (answer) => {
      if (answer === "all") return undefined;
      const list = namespaceList(answer);
      const bad = list.filter((ns) => ns.length > 63 || !DNS_LABEL.test(ns));
      if (list.length === 0 || bad.length > 0)
        return `namespaces "${answer}" must be "all" or a namespace name (a lower-case DNS label, such as team-a)${bad.length > 0 ? `; not one: ${bad.join(", ")}` : ""}`;
      if (list.length > 1)
        return `namespaces "${answer}" names ${list.length} namespaces, but the runtime watches all namespaces or one: answer "all", or scaffold one operator per namespace`;
      return undefined;
    },
  },
  {
    name: "name",
    option: "name",
    message: "Project name (npm package; also the operator's ServiceAccount and, with -system, its namespace)",
    defaultFor: (earlier) => `${(earlier.kind ?? "MySQL").toLowerCase()}-operator`,
    problem: (name) =>
      name.length <= 48 && DNS_LABEL.test(name)
        ? undefined
        : `project name "${name}" must be a lower-case DNS label of at most 48 characters (letters, digits and "-", starting with a letter), such as mariadb-operator: it names the operator's ServiceAccount and namespace`,
  },
];

/** The namespaces of a comma-separated answer, trimmed, empty entries dropped. */
export function namespaceList(answer: string): string[] {
  return answer
    .split(",")
    .map((ns) => ns.trim())
    .filter((ns) => ns !== "");
}

/** Every name the templates print, derived from the answers. */
export interface ScaffoldNames extends ScaffoldAnswers {
  /** Lower-case kind: the schema's `singular`, and the prefix of the generated files (`generated/<singular>-models.ts`). */
  readonly singular: string;
  /** Prefix of the generated constants, e.g. `MARIADB` in `MARIADB_RESOURCE_TYPE`. */
  readonly constantPrefix: string;
  /** The operator's namespace (`<name>-system`). */
  readonly operatorNamespace: string;
  /** The finalizer the resource carries (`<group>/cleanup`). */
  readonly finalizer: string;
  /** The watched namespaces, or `undefined` for all. */
  readonly watchNamespaces: readonly string[] | undefined;
  /** Project-relative paths of the files whose names derive from the answers. */
  readonly files: { readonly schema: string; readonly reconciler: string; readonly sample: string };
}

/** Derives the names; the answers must have passed their checks. */
export function scaffoldNames(answers: ScaffoldAnswers): ScaffoldNames {
  const singular = answers.kind.toLowerCase();
  return {
    ...answers,
    singular,
    constantPrefix: singular.toUpperCase(),
    operatorNamespace: `${answers.name}-system`,
    finalizer: `${answers.group}/cleanup`,
    watchNamespaces: answers.namespaces === "all" ? undefined : namespaceList(answers.namespaces),
    files: { schema: `schemas/${singular}.yaml`, reconciler: `src/${singular}-reconciler.ts`, sample: `deploy/samples/${singular}.yaml` },
  };
}

/** Fills in the defaults of everything not answered, in question order; checks nothing. */
export function withDefaults(given: Partial<ScaffoldAnswers>): ScaffoldAnswers {
  const answers: Partial<Record<keyof ScaffoldAnswers, string>> = {};
  for (const question of QUESTIONS) answers[question.name] = given[question.name] ?? question.defaultFor(answers);
  return answers as ScaffoldAnswers;
}

/** Every problem of a set of answers, one sentence each, in question order. */
export function answerProblems(answers: ScaffoldAnswers): string[] {
  return QUESTIONS.map((q) => q.problem(answers[q.name])).filter((p): p is string => p !== undefined);
}
