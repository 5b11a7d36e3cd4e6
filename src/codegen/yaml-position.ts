/**
 * Where in a YAML text a value lives: shared by the schema loader (problems in a schema file) and
 * `mysqlop validate` (problems in a resource), so both point at the same place for the same path.
 */
import { isMap, isPair, isScalar, isSeq, type Document } from "yaml";

/**
 * The offset of the node `path` names in `doc` (for a field, its key), or of the nearest parent
 * that exists; `undefined` for an empty document.
 */
export function locateInYaml(doc: Document, path: readonly (string | number)[]): number | undefined {
  let node: unknown = doc.contents;
  let offset = rangeStart(node);
  for (const segment of path) {
    if (isMap(node)) {
      const pair = node.items.find((p) => isPair(p) && isScalar(p.key) && String(p.key.value) === String(segment));
      if (pair === undefined) break;
      offset = rangeStart(pair.key) ?? offset;
      node = pair.value;
    } else if (isSeq(node) && Number.isInteger(Number(segment))) {
      node = node.items[Number(segment)];
      if (node === undefined) break;
      offset = rangeStart(node) ?? offset;
    } else {
      break;
    }
  }
  return offset;
}

function rangeStart(node: unknown): number | undefined {
  return (node as { range?: [number] } | null | undefined)?.range?.[0];
}
