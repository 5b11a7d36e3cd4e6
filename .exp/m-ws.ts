import * as m from "ws"; globalThis.x = m;
