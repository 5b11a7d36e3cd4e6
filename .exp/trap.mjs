for (const name of ["fetch", "Headers", "Request", "Response", "FormData", "WebSocket", "EventSource", "MessageEvent", "CloseEvent", "CompressionStream", "ReadableStream", "WritableStream", "TransformStream", "TextDecoderStream", "Blob", "File", "crypto", "navigator"]) {
  const d = Object.getOwnPropertyDescriptor(globalThis, name);
  if (!d || !d.configurable) { continue; }
  Object.defineProperty(globalThis, name, { configurable: true, enumerable: d.enumerable, get() { const s = new Error().stack.split("\n").slice(2, 4).join(" | "); process._rawDebug(`ACCESS ${name}: ${s}`); return d.get ? d.get.call(this) : d.value; }, set(v) { Object.defineProperty(globalThis, name, { value: v, writable: true, configurable: true }); } });
}
