import { Registry, collectDefaultMetrics } from "prom-client";
globalThis.x = [Registry, collectDefaultMetrics];
