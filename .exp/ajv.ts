import { Ajv } from "ajv";
import { parse } from "@marcbachmann/cel-js";
globalThis.x = [Ajv, parse];
