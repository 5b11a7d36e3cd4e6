// The harness's bounded wait, which scaffolded projects import from `generator-mysqlop/envtest` too.
export { eventually } from "../../src/envtest/eventually.ts";
