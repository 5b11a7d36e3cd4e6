#!/usr/bin/env node
// The `mysqlop` bin. The Node version check comes first, before any other module runs.
import "./node-check.js";
// A namespace import: a named one that an old Node lacks would fail to link before the check could speak.
import * as nodeModule from "node:module";

// V8 keeps the code it compiles on disk (the system's temporary folder) for the next run: a command loads prettier,
// the schema tools or the Kubernetes client, and compiling them again is a fifth of `generate`'s CPU time. The
// command modules are imported after this line so that they are compiled with the cache on; a cache that cannot be
// written (a read-only disk) only leaves it off.
nodeModule.enableCompileCache?.();
const { main } = await import("./cli.ts");
const { commands } = await import("./commands.ts");

process.exitCode = await main(process.argv.slice(2), commands);
