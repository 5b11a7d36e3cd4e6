import { KubeConfig } from "@kubernetes/client-node";
globalThis.x = KubeConfig;
