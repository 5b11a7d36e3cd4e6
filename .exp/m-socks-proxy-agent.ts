import * as m from "socks-proxy-agent"; globalThis.x = m;
