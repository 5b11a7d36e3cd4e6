/**
 * Emits `generated/api-reference.md` from the schema's descriptions and validations, in its final form: tables are
 * aligned here, as prettier's Markdown printer aligns them, so the file needs no prettier pass (loading prettier's
 * Markdown parser cost more than the rest of a generate).
 */
import type { GeneratorModel, SchemaNode } from "../model.ts";
import { generatedHeader } from "./header.ts";
import { getStringWidth } from "./string-width.ts";

/** A Markdown table with its columns padded to the widest cell, as prettier prints one. */
export function markdownTable(header: readonly string[], rows: readonly (readonly string[])[]): string[] {
  const widths = header.map((h, i) => Math.max(3, getStringWidth(h), ...rows.map((r) => getStringWidth(r[i] ?? ""))));
  const line = (cells: readonly string[]): string =>
    `| ${widths.map((w, i) => (cells[i] ?? "") + " ".repeat(w - getStringWidth(cells[i] ?? ""))).join(" | ")} |`;
  return [line(header), `| ${widths.map((w) => "-".repeat(w)).join(" | ")} |`, ...rows.map(line)];
}

interface Section {
  readonly title: string;
  readonly path: string;
  readonly node: SchemaNode;
}

function anchor(title: string): string {
  return title.toLowerCase().replaceAll(/[^a-z0-9]+/g, "-");
}

/**
 * Escapes prose for Markdown while keeping `code spans` as written: outside them the
 * characters that start emphasis, links or HTML are escaped.
 */
export function markdownText(text: string): string {
  return text
    .split(/(`+[^`]*`+)/)
    .map((part, i) => (i % 2 === 1 ? part : part.replaceAll(/([\\*_[\]<>#~])/g, "\\$1")))
    .join("");
}

/** Escapes text for one Markdown table cell: prose escaping, pipes (also inside code), one line. */
export function tableCell(text: string): string {
  return markdownText(text)
    .replaceAll("|", "\\|")
    .replaceAll(/\s*\r?\n\s*/g, " ")
    .trim();
}

function code(text: string): string {
  const ticks = text.includes("`") ? "`` " : "`";
  return ticks + text + (ticks === "`" ? "`" : " ``");
}

function isObjectWithFields(node: SchemaNode): boolean {
  return typeof node.properties === "object" && node.properties !== null;
}

function typeOf(node: SchemaNode, sectionTitle: (n: SchemaNode, path: string) => string, path: string): string {
  if (node["x-kubernetes-int-or-string"] === true) return "integer or string";
  if (node["x-kubernetes-preserve-unknown-fields"] === true && !isObjectWithFields(node)) return "object (any fields)";
  if (node.type === "array") {
    const items = (node.items ?? {}) as SchemaNode;
    return `list of ${typeOf(items, sectionTitle, `${path}[]`)}`;
  }
  if (node.type === "object") {
    if (isObjectWithFields(node)) {
      const title = sectionTitle(node, path);
      return `[${title}](#${anchor(title)})`;
    }
    const values = node.additionalProperties as SchemaNode | undefined;
    return values && typeof values === "object" ? `map of ${typeOf(values, sectionTitle, `${path}{}`)}` : "object";
  }
  return String(node.type ?? "any") + (typeof node.format === "string" ? ` (${node.format})` : "");
}

function rulesOf(node: SchemaNode): string[] {
  const rules: string[] = [];
  if (node.default !== undefined) rules.push(`default ${code(JSON.stringify(node.default))}`);
  if (Array.isArray(node.enum)) rules.push(`one of ${node.enum.map((v) => code(JSON.stringify(v))).join(", ")}`);
  if (typeof node["x-mysqlop-pattern-hint"] === "string") rules.push(`must be ${node["x-mysqlop-pattern-hint"]}`);
  else if (typeof node.pattern === "string") rules.push(`pattern ${code(node.pattern)}`);
  if (node.maxLength !== undefined) rules.push(`${String(node.minLength ?? 0)} to ${String(node.maxLength)} characters`);
  else if (node.minLength !== undefined) rules.push(`at least ${String(node.minLength)} character(s)`);
  if (node.minimum !== undefined) rules.push(`≥ ${String(node.minimum)}`);
  if (node.maximum !== undefined) rules.push(`≤ ${String(node.maximum)}`);
  if (Array.isArray(node["x-kubernetes-validations"])) {
    for (const rule of node["x-kubernetes-validations"] as { rule: string; message?: string }[]) rules.push(rule.message ?? `must satisfy ${code(rule.rule)}`);
  }
  if (node["x-mysqlop-sensitive"] === true) rules.push("sensitive: never logged; change detection keeps only a salted hash");
  return rules;
}

function collectSections(node: SchemaNode, path: string, title: string, out: Section[], titleFor: (n: SchemaNode, p: string) => string): void {
  out.push({ title, path, node });
  for (const [name, raw] of Object.entries((node.properties ?? {}) as Record<string, SchemaNode>)) {
    if (path === "" && name === "metadata") continue;
    let child = raw;
    let childPath = path === "" ? name : `${path}.${name}`;
    while (child.type === "array" && child.items) {
      child = child.items as SchemaNode;
      childPath += "[]";
    }
    if (child.type === "object" && isObjectWithFields(child)) collectSections(child, childPath, titleFor(child, childPath), out, titleFor);
  }
}

/** Renders the API reference (final Markdown: prettier would leave it as it is). */
export function emitApiReference(model: GeneratorModel): string {
  const titleFor = (n: SchemaNode, p: string): string =>
    typeof n.title === "string"
      ? n.title
      : p === ""
        ? model.kind
        : model.kind +
          p
            .split(/[.[\]]+/)
            .filter(Boolean)
            .map((w) => w[0]!.toUpperCase() + w.slice(1))
            .join("");
  const lines: string[] = [generatedHeader(model, "html"), "", `# ${model.kind} API reference`, ""];
  lines.push(
    `\`apiVersion: ${model.group}/${model.storageVersion.name}\`, \`kind: ${model.kind}\` — ${model.scope === "Namespaced" ? "namespaced" : "cluster-scoped"}; ` +
      `\`kubectl get ${[model.plural, model.singular, ...model.shortNames].join("|")}\`. Served versions: ${model.versions
        .filter((v) => v.served)
        .map((v) => `\`${v.name}\``)
        .join(", ")}.`,
    "",
  );
  const sections: Section[] = [];
  collectSections(model.storageVersion.schema, "", titleFor(model.storageVersion.schema, ""), sections, titleFor);
  for (const section of sections) {
    lines.push(`## ${section.title}`, "");
    if (section.path !== "") lines.push(`At \`${section.path}\`.`, "");
    if (typeof section.node.description === "string") lines.push(markdownText(section.node.description.trim()), "");
    const oneOf = section.node.oneOf as SchemaNode[] | undefined;
    if (Array.isArray(oneOf) && oneOf.every((b) => Array.isArray(b.required) && b.required.length === 1)) {
      lines.push(`Exactly one of ${oneOf.map((b) => `\`${String((b.required as string[])[0])}\``).join(", ")} must be set.`, "");
    }
    const required = new Set((section.node.required as string[] | undefined) ?? []);
    const rows: string[][] = [];
    for (const [name, raw] of Object.entries((section.node.properties ?? {}) as Record<string, SchemaNode>)) {
      if (section.path === "" && name === "metadata") {
        rows.push([
          "`metadata`",
          "[ObjectMeta](https://kubernetes.io/docs/reference/kubernetes-api/common-definitions/object-meta/)",
          "yes",
          "Standard object metadata.",
        ]);
        continue;
      }
      const childPath = section.path === "" ? name : `${section.path}.${name}`;
      const description = [
        typeof raw.description === "string" ? raw.description.trim() : "",
        ...rulesOf(raw).map((r) => `${r[0]!.toUpperCase()}${r.slice(1)}.`),
      ]
        .filter(Boolean)
        .join(" ");
      rows.push([`\`${name}\``, typeOf(raw, titleFor, childPath), required.has(name) ? "yes" : "no", tableCell(description)]);
    }
    lines.push(...markdownTable(["Field", "Type", "Required", "Description"], rows), "");
  }
  const columns = model.storageVersion.printerColumns;
  if (columns.length > 0) {
    const rows = columns.map((c) => [
      tableCell(String(c.name)),
      tableCell(code(String(c.jsonPath))),
      Number(c.priority ?? 0) > 0 ? "with `-o wide`" : "always",
    ]);
    lines.push("## kubectl columns", "", ...markdownTable(["Column", "From", "Shown"], rows), "");
  }
  lines.push(
    "## Operator permissions",
    "",
    `ServiceAccount \`${model.rbac.namespace}/${model.rbac.serviceAccount}\`; generated into \`${model.outputs.rbac}\`.`,
    "",
  );
  const rows: string[][] = [];
  for (const [scope, rules] of [
    ["cluster", model.rbac.clusterRules],
    [`namespace \`${model.rbac.namespace}\``, model.rbac.namespaceRules],
  ] as const) {
    for (const r of rules)
      rows.push([scope, `\`${r.group === "" ? "core" : r.group}\``, r.resources.map((x) => `\`${x}\``).join(", "), r.verbs.join(", "), tableCell(r.why)]);
  }
  lines.push(...markdownTable(["Scope", "API group", "Resource", "Verbs", "Why"], rows), "");
  return lines.join("\n");
}
