import * as m from "hpagent"; globalThis.x = m;
