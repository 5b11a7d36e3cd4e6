import * as m from "openid-client"; globalThis.x = m;
