const proc = process; const Err = Error;
for (const name of Object.getOwnPropertyNames(globalThis)) {
  const d = Object.getOwnPropertyDescriptor(globalThis, name);
  if (!d || !d.configurable || !d.get || name === "process") continue;
  Object.defineProperty(globalThis, name, { configurable: true, enumerable: d.enumerable, get() { const before = proc.moduleLoadList.length; const v = d.get.call(this); const added = proc.moduleLoadList.slice(before).filter(m => m.includes("undici")); if (added.length) proc._rawDebug(`ACCESS ${name} loads ${added}: ${new Err().stack.split("\n").slice(2, 4).join(" | ")}`); return v; }, set(v) { Object.defineProperty(globalThis, name, { value: v, writable: true, configurable: true }); } });
}
