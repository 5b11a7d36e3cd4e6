import * as m from "socks"; globalThis.x = m;
