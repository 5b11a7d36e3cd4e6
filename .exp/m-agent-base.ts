import * as m from "agent-base"; globalThis.x = m;
