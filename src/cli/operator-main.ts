#!/usr/bin/env node
// Entry point of the bundled operator (`npm run bundle`, the container image): `mysqlop run` and
// `--version` only, so that the bundle holds the operator and none of the generator's toolchain.
import "./node-check.js";
import { main } from "./cli.ts";
import { runCommand } from "./commands.ts";

process.exitCode = await main(process.argv.slice(2), [runCommand]);
