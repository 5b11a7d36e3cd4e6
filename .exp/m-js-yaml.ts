import * as m from "js-yaml"; globalThis.x = m;
