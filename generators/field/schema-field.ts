/**
 * What `yo mysqlop:field` does to a schema file, as a pure function of its text: one more property of
 * `spec` in the storage version, comments and layout of the rest kept as they are.
 */
import { isDeepStrictEqual } from "node:util";
import { Document, isMap, isNode, isSeq, parseDocument, YAMLMap } from "yaml";

/** The JSON Schema types a field may have. */
export const FIELD_TYPES = ["string", "integer", "number", "boolean"] as const;
/** What a change of the field means (`x-mysqlop-on-change`). */
export const CHANGE_POLICIES = ["hook", "rollout", "immutable"] as const;

/** Words CEL reserves, which an immutable field's transition rule (`self.NAME`) cannot address: the code generator's list. */
export const CEL_KEYWORDS: ReadonlySet<string> = new Set(
  "true false null in as break const continue else for function if import let loop package namespace return var".split(" "),
);

/** The field to add. */
export interface NewField {
  readonly name: string;
  readonly type: (typeof FIELD_TYPES)[number];
  readonly description: string;
  readonly onChange: (typeof CHANGE_POLICIES)[number];
  readonly required: boolean;
  /** The default value as typed on the command line; converted to the field's type. */
  readonly defaultValue?: string;
}

/** The change-hook method a `hook` field gets in the generated base class: `storage_size` → `onStorageSizeChange`. */
export function hookNameOf(field: string): string {
  const words = field.split(/[_$]+|(?<=[a-z0-9])(?=[A-Z])/).filter((w) => w.length > 0);
  return "on" + words.map((w) => w[0]!.toUpperCase() + w.slice(1)).join("") + "Change";
}

/** A sentence naming what is wrong with the field (and the fix), or `undefined`. */
export function fieldProblem(field: NewField): string | undefined {
  if (!/^[a-z][A-Za-z0-9_]{0,62}$/.test(field.name))
    return `field name "${field.name}" must start with a lower-case letter and hold only letters, digits and "_" (such as replicas or backup_schedule)`;
  if (!FIELD_TYPES.includes(field.type)) return `--type "${field.type}" must be one of ${FIELD_TYPES.join(", ")}`;
  if (!CHANGE_POLICIES.includes(field.onChange)) return `--on-change "${field.onChange}" must be one of ${CHANGE_POLICIES.join(", ")}`;
  if (field.defaultValue !== undefined && typedDefault(field) === undefined) return `--default "${field.defaultValue}" is not of type ${field.type}`;
  if (field.required && field.defaultValue !== undefined) return "a field with a default is never missing: give --required or --default, not both";
  if (field.onChange === "immutable" && (CEL_KEYWORDS.has(field.name) || field.name.includes("__")))
    return `an immutable field needs a name its CEL rule can address: "${field.name}" is ${field.name.includes("__") ? 'written with "__"' : "a CEL keyword"}; choose another name`;
  return undefined;
}

function typedDefault(field: NewField): string | number | boolean | undefined {
  const text = field.defaultValue;
  if (text === undefined) return undefined;
  if (field.type === "string") return text;
  if (field.type === "boolean") return text === "true" ? true : text === "false" ? false : undefined;
  const value = Number(text);
  if (text.trim() === "" || !Number.isFinite(value) || (field.type === "integer" && !Number.isInteger(value))) return undefined;
  return value;
}

/**
 * The schema text with the field added to `spec` of the storage version. Throws, naming the file's problem,
 * when the field exists already or the schema has no such place.
 */
export function addSpecField(text: string, field: NewField): string {
  const problem = fieldProblem(field);
  if (problem !== undefined) throw new Error(problem);
  const doc = parseDocument(text);
  const versions = doc.get("versions");
  if (!isSeq(versions)) throw new Error("the schema has no versions list");
  const storage = versions.items.find((v) => isMap(v) && v.get("storage") === true);
  if (!isMap(storage)) throw new Error("the schema has no version with storage: true");
  const spec = storage.getIn(["schema", "openAPIV3Schema", "properties", "spec"], true);
  if (!isMap(spec)) throw new Error("the storage version has no spec object (schema.openAPIV3Schema.properties.spec)");
  const found: unknown = spec.get("properties", true);
  const properties: YAMLMap = isMap(found) ? found : new YAMLMap();
  if (!isMap(found)) spec.set("properties", properties);
  if (properties.has(field.name)) throw new Error(`spec.${field.name} exists already in the schema; edit it there`);
  const node: Record<string, unknown> = { type: field.type, "x-mysqlop-on-change": field.onChange };
  const value = typedDefault(field);
  if (value !== undefined) node["default"] = value;
  node["description"] = field.description;
  const eol = lineEndOf(text);
  // A last line without a line end (where the new lines may go) is given one while editing, and loses it again at the
  // end, on either path: the file ends as it did.
  const ended = text.endsWith("\n");
  const spliced = spliceField(ended ? text : text + eol, eol, properties, spec.get("required", true), field.name, node, field.required);
  properties.set(field.name, doc.createNode(node));
  if (field.required) {
    const required = spec.get("required", true);
    if (isSeq(required)) required.add(doc.createNode(field.name));
    else spec.set("required", doc.createNode([field.name]));
  }
  // The text as it was, with the new lines put in, when that reads as the edited document does; else the document
  // written out again (its folded descriptions and flow lists rewritten), with the file's line ends.
  let out = spliced;
  if (out === undefined || !isDeepStrictEqual(parseDocument(out).toJS(), doc.toJS())) {
    const written = doc.toString({ lineWidth: 0 });
    out = eol === "\n" ? written : written.replaceAll("\n", eol);
  }
  return ended ? out : out.slice(0, -eol.length);
}

/** The line end a file is written with: CRLF when most of its lines end so (an editor on Windows), else LF. */
function lineEndOf(text: string): "\r\n" | "\n" {
  const crlf = text.split("\r\n").length - 1;
  const all = text.split("\n").length - 1;
  return crlf > all - crlf ? "\r\n" : "\n";
}

/** Where `offset` is on its line: the number of characters before it. */
function columnOf(text: string, offset: number): number {
  return offset - (text.lastIndexOf("\n", offset - 1) + 1);
}

/** The offset just after the line that holds `node`'s last character. */
function afterLineOf(text: string, node: unknown): number | undefined {
  const end = isNode(node) ? node.range?.[1] : undefined;
  if (end === undefined) return undefined;
  if (end > 0 && text[end - 1] === "\n") return end;
  const newline = text.indexOf("\n", end);
  return newline === -1 ? undefined : newline + 1;
}

/**
 * The schema text with the field's lines inserted after the last property of a block `properties` map (and its name
 * after the last entry of a block `required` list, when it is required), the rest byte for byte; `undefined` where the
 * layout is not one of those (a flow map, no `required` yet), and the caller writes the document out again. The added
 * lines end in `eol`, the file's line end; `text` ends with one (the caller adds it where the file has none).
 */
function spliceField(
  text: string,
  eol: "\r\n" | "\n",
  properties: YAMLMap,
  required: unknown,
  name: string,
  node: Record<string, unknown>,
  isRequired: boolean,
): string | undefined {
  const first = properties.items[0];
  const last = properties.items.at(-1);
  if (properties.flow === true || first === undefined || last === undefined || !isNode(first.key) || first.key.range == null) return undefined;
  const indent = " ".repeat(columnOf(text, first.key.range[0]));
  const fieldText = new Document({ [name]: node })
    .toString({ lineWidth: 0 })
    .trimEnd()
    .split("\n")
    .map((line) => indent + line)
    .join(eol);
  const edits: { at: number; text: string }[] = [];
  const afterProperties = afterLineOf(text, last.value);
  if (afterProperties === undefined) return undefined;
  edits.push({ at: afterProperties, text: `${fieldText}${eol}` });
  if (isRequired) {
    if (!isSeq(required) || required.flow === true || required.items.length === 0) return undefined;
    const lastName = required.items.at(-1);
    const afterRequired = afterLineOf(text, lastName);
    if (!isNode(lastName) || lastName.range == null || afterRequired === undefined) return undefined;
    // The dash sits two columns before the entry in a block list written `- name`.
    const dash = text.lastIndexOf("-", lastName.range[0]);
    edits.push({ at: afterRequired, text: `${" ".repeat(columnOf(text, dash))}- ${name}${eol}` });
  }
  let result = text;
  for (const edit of edits.sort((a, b) => b.at - a.at)) result = result.slice(0, edit.at) + edit.text + result.slice(edit.at);
  return result;
}
