#!/usr/bin/env node
// The `mysqlop` bin. The Node version check comes first, before any other module runs.
import "./node-check.js";
import { main } from "./cli.ts";
import { commands } from "./commands.ts";

process.exitCode = await main(process.argv.slice(2), commands);
