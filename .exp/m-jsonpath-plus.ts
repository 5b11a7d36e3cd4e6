import * as m from "jsonpath-plus"; globalThis.x = m;
