/**
 * The generation record: beside the outputs, what the last run generated, and from what. Generating
 * means loading the TypeScript compiler (ts-morph), prettier and the schema tools, which costs far more
 * than the run itself; with the record, a run whose inputs are what they were when it was written only
 * compares the files on disk with the recorded hashes, loading none of that. Inputs are everything the
 * output depends on: the schema's text, the options, every file of the generator's own code (this
 * folder, or the bundle this module is part of) and the versions of the libraries it formats with.
 * The record is a cache, not an output: a record that does not match only makes the run take the
 * long way, never changes its verdict.
 */
import { createHash } from "node:crypto";
import { readdir, readFile } from "node:fs/promises";
import { createRequire } from "node:module";
import { dirname, join, posix, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { isGeneratedFrom } from "./emit/header.ts";
import { outputDirs, schemaDisplayPath, type GenerateOptions } from "./options.ts";
import { findOrphans, type FileState } from "./write.ts";

/** Libraries whose output goes into the generated files: their versions are inputs. */
const FORMATTING_LIBRARIES = ["prettier", "json-schema-to-typescript", "ts-morph", "yaml", "ajv", "@marcbachmann/cel-js"] as const;

/** What a record holds. */
export interface GenerationRecord {
  /** Hash of every input (see the module comment). */
  readonly inputs: string;
  /** Every output, relative to the project root, with the sha256 of its content. */
  readonly outputs: readonly RecordedOutput[];
}

/** One output in a record. */
export interface RecordedOutput {
  readonly path: string;
  /** sha256 of the file's content as written. */
  readonly sha256: string;
  /** For an output made from a declared part of the model (`emit/inputs.ts`): the hash of that part ({@link partHash}). */
  readonly madeFrom?: string;
}

/** The options that decide what a run generates and where (paths relative to the root; the schema as displayed). */
export interface RecordedOptions {
  readonly schemaPath: string;
  readonly outDir: string;
  readonly deployDir: string;
  readonly runtimeImport: string | undefined;
}

/** The {@link RecordedOptions} of a run. */
export function recordedOptions(options: GenerateOptions): RecordedOptions {
  return { schemaPath: schemaDisplayPath(options.root, options.schemaPath).display, ...outputDirs(options), runtimeImport: options.runtimeImport };
}

const RECORD_NOTE = "# What the last run generated, and from what: a run with the same inputs compares these hashes instead of generating.";

/** Where the record of a schema's outputs lives: `<outDir>/<schema file name>.generated.sha256`. */
export function recordPath(options: RecordedOptions): string {
  const base = posix.basename(options.schemaPath.split("\\").join("/")).replace(/\.ya?ml$/, "");
  return posix.join(options.outDir, `${base}.generated.sha256`);
}

/** sha256 of a text, hex. */
export function sha256(text: string | Buffer): string {
  return createHash("sha256").update(text).digest("hex");
}

/** The hash of every input of a run over `schemaText` with `options`. */
export async function inputsHash(schemaText: string, options: RecordedOptions): Promise<string> {
  return hashParts([
    ["schema", schemaText],
    ["generator", await generatorHash(options)],
  ]);
}

/**
 * The hash of every input except the schema: the options, the generator's code and the libraries' versions. An
 * output's part of the model is hashed with it ({@link partHash}), so new code or a new library remakes every output.
 */
export async function generatorHash(options: RecordedOptions): Promise<string> {
  return hashParts([
    ["options", JSON.stringify([options.schemaPath, options.outDir, options.deployDir, options.runtimeImport ?? null])],
    ["code", await codeAndLibrariesHash()],
  ]);
}

/** The hash an output made from a declared part of the model is recorded with: the generator's hash, its path, the part. */
export function partHash(generator: string, path: string, part: string): string {
  return hashParts([
    ["generator", generator],
    ["path", path],
    ["part", part],
  ]);
}

function hashParts(parts: readonly (readonly [string, string | Buffer])[]): string {
  const hash = createHash("sha256");
  for (const [name, value] of parts) hash.update(`${name}\0${value.length}\0`).update(value);
  return `sha256:${hash.digest("hex")}`;
}

let codeAndLibraries: Promise<string> | undefined;

/** The hash of this folder's files (or the bundle this module is part of) and the libraries' versions; one per process. */
function codeAndLibrariesHash(): Promise<string> {
  codeAndLibraries ??= (async () => {
    const parts: [string, string | Buffer][] = [];
    const codeDir = dirname(fileURLToPath(import.meta.url));
    for (const file of await filesUnder(codeDir)) parts.push([`code:${relative(codeDir, file).split("\\").join("/")}`, await readFile(file)]);
    for (const library of FORMATTING_LIBRARIES) parts.push([`library:${library}`, (await libraryVersion(library)) ?? "bundled"]);
    return hashParts(parts);
  })();
  return codeAndLibraries;
}

/** Every file under `dir`, sorted. */
async function filesUnder(dir: string): Promise<string[]> {
  const found: string[] = [];
  for (const entry of await readdir(dir, { withFileTypes: true, recursive: true })) {
    if (entry.isFile()) found.push(join(entry.parentPath, entry.name));
  }
  return found.sort();
}

/** The installed version of a library, from its package.json beside its entry point; `undefined` when bundled. */
async function libraryVersion(name: string): Promise<string | undefined> {
  let entry: string;
  try {
    entry = createRequire(import.meta.url).resolve(name);
  } catch {
    try {
      entry = fileURLToPath(import.meta.resolve(name));
    } catch {
      return undefined;
    }
  }
  for (let dir = dirname(entry); dir !== dirname(dir); dir = dirname(dir)) {
    try {
      const manifest = JSON.parse(await readFile(join(dir, "package.json"), "utf8")) as { name?: string; version?: string };
      if (manifest.name === name) return manifest.version;
    } catch {
      // Not the package's root yet.
    }
  }
  return undefined;
}

/**
 * The record's text: the generated-file header, the inputs hash, then `sha256  path` per output (as sha256sum prints
 * it), each output made from a declared part of the model preceded by `# made-from sha256:…  path`.
 */
export function renderRecord(header: string, record: GenerationRecord): string {
  const lines = [header, RECORD_NOTE, `# inputs ${record.inputs}`];
  for (const output of [...record.outputs].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0))) {
    if (output.madeFrom !== undefined) lines.push(`# made-from ${output.madeFrom}  ${output.path}`);
    lines.push(`${output.sha256}  ${output.path}`);
  }
  return lines.join("\n") + "\n";
}

/** Reads a record; `undefined` when there is none or it cannot be read as one. */
export async function readRecord(root: string, path: string): Promise<GenerationRecord | undefined> {
  let text: string;
  try {
    text = await readFile(resolve(root, path), "utf8");
  } catch {
    return undefined;
  }
  const inputs = /^# inputs (sha256:[0-9a-f]{64})$/m.exec(text)?.[1];
  if (inputs === undefined) return undefined;
  const outputs: RecordedOutput[] = [];
  const madeFrom = new Map<string, string>();
  for (const line of text.split("\n")) {
    const part = /^# made-from (sha256:[0-9a-f]{64}) {2}(.+)$/.exec(line);
    if (part !== null) madeFrom.set(part[2] ?? "", part[1] ?? "");
    const match = /^([0-9a-f]{64}) {2}(.+)$/.exec(line);
    if (match !== null) outputs.push({ sha256: match[1] ?? "", path: match[2] ?? "", madeFrom: madeFrom.get(match[2] ?? "") });
  }
  return outputs.length === 0 ? undefined : { inputs, outputs };
}

/** Compares the files on disk with a record's hashes: fresh, stale or missing, per output. */
export async function compareWithRecord(root: string, record: GenerationRecord): Promise<FileState[]> {
  return Promise.all(
    record.outputs.map(async ({ path, sha256: recorded }) => {
      let content: Buffer;
      try {
        content = await readFile(resolve(root, path));
      } catch {
        return { path, state: "missing" } as const;
      }
      return { path, state: sha256(content) === recorded ? "fresh" : "stale" } as const;
    }),
  );
}

/**
 * The verdict of a run whose inputs are those of the record, without generating: each recorded output
 * fresh, stale or missing, and the orphans. `undefined` when there is no record or the inputs changed.
 */
export async function recordedStates(options: GenerateOptions): Promise<{ readonly outputs: readonly string[]; readonly states: FileState[] } | undefined> {
  const recorded = recordedOptions(options);
  let schemaText: string;
  try {
    schemaText = await readFile(schemaDisplayPath(options.root, options.schemaPath).absolute, "utf8");
  } catch {
    // The long way reports why it cannot be read.
    return undefined;
  }
  const record = await readRecord(options.root, recordPath(recorded));
  if (record === undefined || record.inputs !== (await inputsHash(schemaText, recorded))) return undefined;
  const outputs = record.outputs.map((o) => o.path);
  const orphans = await findOrphans(
    options.root,
    outputs.map((p) => posix.dirname(p)),
    [...outputs, recordPath(recorded)],
    (firstLine) => isGeneratedFrom(firstLine, recorded.schemaPath),
  );
  const states: FileState[] = [...(await compareWithRecord(options.root, record)), ...orphans.map((path) => ({ path, state: "orphaned" as const }))];
  return { outputs, states };
}
