#!/usr/bin/env node
// The `mysqlop` bin. The Node version check comes first, before any other module runs.
import "./node-check.js";
// The compile cache next, before the command modules are imported (dynamically, below) and compiled: see the file.
import "./compile-cache.js";

const { main } = await import("./cli.ts");
const { commands } = await import("./commands.ts");

process.exitCode = await main(process.argv.slice(2), commands);
