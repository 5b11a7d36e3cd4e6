// Lint rules for mysqlop, and the layering rules that keep the architecture true (docs/architecture.md):
//   runtime ← generated ← mysql ← cli; codegen and envtest stand apart.
// The layers are folders, so each rule forbids import specifiers that leave a folder the wrong way;
// test/lint/layering.test.ts shows every rule failing on a wrong-way import. The codegen pipeline's
// own stage order is checked by test/codegen/layering.test.ts.
import js from "@eslint/js";
import tseslint from "typescript-eslint";

/** The runtime's public entry points: its index, and schema validation (light enough for `mysqlop validate`). */
const RUNTIME_INTERNALS = "(^|/)runtime/(?!(index|schema-validation)\\.ts$)";

/** One layer: the files it covers and the import specifiers (regular expressions) it may not use, with why. */
const layers = [
  {
    files: ["src/runtime/**/*.ts"],
    forbid: [["^\\.\\./", "src/runtime is the bottom layer: it imports only its own modules and packages"]],
  },
  {
    files: ["src/codegen/**/*.ts"],
    forbid: [["(^|/)(runtime|mysql|cli|envtest|generated)/", "src/codegen generates code for the runtime but never imports it (or anything above it)"]],
  },
  {
    files: ["generated/**/*.ts"],
    forbid: [["^\\.\\./src/(?!runtime/(index|schema-validation)\\.ts$)", "generated code imports only the runtime, through its public entry points"]],
  },
  {
    files: ["src/mysql/**/*.ts"],
    forbid: [
      [RUNTIME_INTERNALS, "src/mysql imports the runtime through its public index (src/runtime/index.ts)"],
      ["(^|/)(cli|envtest|codegen)/", "src/mysql sits below the CLI and apart from envtest and codegen"],
    ],
  },
  {
    files: ["src/cli/**/*.ts"],
    forbid: [[RUNTIME_INTERNALS, "src/cli imports the runtime through its public index (src/runtime/index.ts)"]],
  },
  {
    files: ["src/envtest/**/*.ts"],
    ignores: ["src/envtest/process-node/**"],
    forbid: [["(^|/)(runtime|mysql|cli|codegen|generated)/", "src/envtest is a harness of its own: it imports nothing of the operator"]],
  },
  {
    // The process node is a kubelet of its own, a controller built on the runtime like the operator.
    files: ["src/envtest/process-node/**/*.ts"],
    forbid: [
      [RUNTIME_INTERNALS, "the process node imports the runtime through its public index (src/runtime/index.ts)"],
      ["(^|/)(mysql|cli|codegen|generated)/", "the process node imports nothing of the operator"],
    ],
  },
  {
    files: ["generators/**/*.ts"],
    forbid: [
      ["^\\.\\./\\.\\./(src|generated)/", "the generators ship as compiled JS on their own: they import packages, never the toolkit's TypeScript sources"],
    ],
  },
];

export default tseslint.config(
  // The generators' compiled JS is build output; their templates are a scaffolded project's files, checked by that project.
  // The file-format check is Ajv's standalone code (npm run generate:file-format).
  {
    ignores: [
      "node_modules/",
      "dist/",
      ".tmp/",
      "test/**/fixtures/**/expected/",
      "generators/**/*.js",
      "generators/*/templates/",
      "src/codegen/file-format-validator.generated.js",
    ],
  },
  {
    files: ["**/*.ts", "**/*.js"],
    ignores: ["generated/**"],
    extends: [js.configs.recommended, ...tseslint.configs.recommended],
    languageOptions: {
      globals: {
        process: "readonly",
        console: "readonly",
        setTimeout: "readonly",
        clearTimeout: "readonly",
        setInterval: "readonly",
        clearInterval: "readonly",
        URL: "readonly",
        Buffer: "readonly",
      },
    },
    rules: {
      "@typescript-eslint/no-unused-vars": ["error", { argsIgnorePattern: "^_", varsIgnorePattern: "^_" }],
    },
  },
  // Generated files are linted for their imports only (their style is the generator's).
  { files: ["generated/**/*.ts"], languageOptions: { parser: tseslint.parser } },
  ...layers.map(({ files, ignores, forbid }) => ({
    files,
    ...(ignores === undefined ? {} : { ignores }),
    rules: { "no-restricted-imports": ["error", { patterns: forbid.map(([regex, message]) => ({ regex, message })) }] },
  })),
);
