import * as m from "debug"; globalThis.x = m;
