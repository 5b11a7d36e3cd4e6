import * as m from "ip-address"; globalThis.x = m;
