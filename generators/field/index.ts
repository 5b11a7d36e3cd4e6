/**
 * `yo mysqlop:field`: adds a field to `spec` in the project's schema, then regenerates. With the change
 * policy `hook` (the default) the generated base class gains an abstract `on<Field>Change`, so the
 * handler subclass stops compiling and `npm run typecheck` names the hook to write.
 */
import Generator, { type BaseOptions } from "yeoman-generator";
import { addSpecField, CHANGE_POLICIES, FIELD_TYPES, fieldProblem, hookNameOf, type NewField } from "./schema-field.ts";

type FieldOptions = BaseOptions & {
  readonly name?: string;
  readonly type?: string;
  readonly description?: string;
  readonly "on-change"?: string;
  readonly onChange?: string;
  readonly required?: boolean;
  readonly default?: string;
  readonly "skip-generate"?: boolean;
  readonly skipGenerate?: boolean;
};

/** `yo mysqlop:field --name NAME [--type T] [--description TEXT] [--on-change P] [--required | --default V]`. */
export default class FieldGenerator extends Generator<Record<string, unknown>, FieldOptions> {
  #field: NewField | undefined;
  #schema: string | undefined;

  constructor(args: string[], options: FieldOptions) {
    super(args, options);
    this.description = "Adds a field to spec in the schema and regenerates";
    this.option("name", { type: String, description: "The field's name under spec, e.g. replicas" });
    this.option("type", { type: String, description: `Its type: ${FIELD_TYPES.join(", ")} (default string)` });
    this.option("description", { type: String, description: "What it means, for the CRD, the API reference and the hook's doc comment" });
    this.option("on-change", { type: String, description: `What a change of it means: ${CHANGE_POLICIES.join(", ")} (default hook)` });
    this.option("required", { type: Boolean, description: "Every resource must set it" });
    this.option("default", { type: String, description: "The value the API server fills in when it is left out" });
    this.option("skip-generate", { type: Boolean, description: "Only edit the schema; do not run npm run generate" });
  }

  /** The field from the options, checked; the schema from the project's answers (.yo-rc.json). */
  initializing(): void {
    const kind = this.config.get("kind");
    if (typeof kind !== "string") throw new Error("yo mysqlop:field: no .yo-rc.json with a kind here; run it in a project scaffolded by yo mysqlop");
    if (typeof this.options.name !== "string") throw new Error("yo mysqlop:field: --name is required (e.g. --name replicas --type integer)");
    const field: NewField = {
      name: this.options.name,
      type: (this.options.type ?? "string") as NewField["type"],
      description: this.options.description ?? `The ${this.options.name} of the ${kind}.`,
      onChange: (this.options["on-change"] ?? this.options.onChange ?? "hook") as NewField["onChange"],
      required: this.options.required === true,
      defaultValue: this.options.default === undefined ? undefined : String(this.options.default),
    };
    const problem = fieldProblem(field);
    if (problem !== undefined) throw new Error(`yo mysqlop:field: ${problem}`);
    this.#field = field;
    this.#schema = `schemas/${kind.toLowerCase()}.yaml`;
  }

  /** The schema with the field (Yeoman's conflicter shows the change before it is written). */
  writing(): void {
    const field = this.#field!;
    const schema = this.#schema!;
    const text = this.readDestination(schema, { defaults: null });
    if (text === null) throw new Error(`yo mysqlop:field: ${schema} is missing`);
    try {
      this.writeDestination(schema, addSpecField(text, field));
    } catch (error) {
      throw new Error(`yo mysqlop:field: ${schema}: ${(error as Error).message}`, { cause: error });
    }
  }

  /** Regenerates, and says what the handler needs now. */
  async end(): Promise<void> {
    const field = this.#field!;
    if (this.options["skip-generate"] !== true && this.options.skipGenerate !== true)
      await this.spawn("npm", ["run", "generate"], { cwd: this.destinationRoot(), stdio: "inherit" });
    this.log.info(
      field.onChange === "hook"
        ? `spec.${field.name} added. The base class now declares ${hookNameOf(field.name)}: implement it in your reconciler (npm run typecheck names it until you do).`
        : `spec.${field.name} added (on change: ${field.onChange}); no hook to write.`,
    );
  }
}
