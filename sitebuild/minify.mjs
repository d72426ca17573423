// Minify the site's own JavaScript with terser, each file with a source map that embeds its
// source (minify.py calls this and writes the files). Reads a JSON list on stdin,
// [{"name": "draw.js", "code": "...", "module": null | true | false}, ...], and writes one line
// of JSON, [{"name", "code", "map", "module"}, ...], in the same order. NAME is the file's own
// name, without its folder: the map sits beside it and names it as its "file" and "sources".
//
// "module": true minifies an ES module (top-level names mangled, strict mode), false a classic
// script (its top-level names are globals other scripts may read: kept), null decides from the
// code: a file with an import or export declaration can only be a module; any other is
// minified as a classic script, which is correct however it is loaded (it only mangles less).
// Strings, property names, exported names and `import.meta.url` are kept as they are.
// "json": true prints every object key quoted and every string in double quotes, so that a JSON
// literal in the file (sw.js's manifest, which other tools read) stays JSON.
// The same input gives the same bytes (terser has no randomness and writes no date).
//
// Exit 3: terser is not installed; exit 2: a file does not parse ("NAME:LINE:COL: message").
//
//   node sitebuild/minify.mjs < files.json > minified.json

let minify;
try {
  ({ minify } = await import("terser"));
} catch (error) {
  process.stderr.write(`terser: ${error?.code || ""} ${error?.message || error}\n`);
  process.exit(3);
}

const chunks = [];
for await (const chunk of process.stdin) chunks.push(chunk);
const files = JSON.parse(Buffer.concat(chunks).toString("utf-8"));

// An ES module declares imports or exports at its top level (dynamic import() proves nothing:
// classic scripts may call it).
async function isModule(name, code) {
  const parsed = await minify({ [name]: code }, {
    module: true, compress: false, mangle: false, format: { ast: true, code: false },
  });
  return parsed.ast.body.some((node) => node.TYPE === "Import" || node.TYPE.startsWith("Export"));
}

const out = [];
for (const { name, code, module, json } of files) {
  try {
    const asModule = module ?? (await isModule(name, code));
    const result = await minify({ [name]: code }, {
      module: asModule,
      // Browsers that run module workers (the engine needs them) have all of ES2020.
      ecma: 2020,
      compress: { passes: 2 },
      mangle: true,
      format: { comments: false, ...(json ? { quote_keys: true, quote_style: 2 } : {}) },
      sourceMap: { filename: name, url: `${name}.map`, includeSources: true },
    });
    out.push({ name, code: result.code, map: result.map, module: asModule });
  } catch (error) {
    const where = error.line ? `${error.filename || name}:${error.line}:${error.col + 1}` : name;
    process.stderr.write(`${where}: ${error.message}\n`);
    process.exit(2);
  }
}
process.stdout.write(JSON.stringify(out));
