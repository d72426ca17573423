// Precompile a (trimmed) python_stdlib.zip to bytecode inside the same Pyodide the browser runs.
// Python's start-up in the browser is dominated by compiling the standard library's source on
// every visit; shipping .pyc files (hash-based, unchecked: no source to compare with) removes
// that work. The zip is stored uncompressed: the web server compresses the whole file better
// than zip does file by file, and Python reads stored members without inflating them.
//
//   node sitebuild/compile_stdlib.mjs SOURCE.zip TARGET.zip
import { loadPyodide } from "pyodide";
import { readFileSync, writeFileSync } from "node:fs";

const [source, target] = process.argv.slice(2);
const quiet = () => {};
const py = await loadPyodide({ stdout: quiet, stderr: quiet });
py.FS.writeFile("/tmp/source.zip", readFileSync(source));
py.runPython(`
import importlib.util, io, marshal, zipfile

# Pyodide's own packages read docstrings at run time; the rest of the stdlib runs under -OO.
KEEP_DOCSTRINGS = ("pyodide/", "_pyodide/")

def pyc(source, filename):
    optimize = 0 if filename.startswith(KEEP_DOCSTRINGS) else 2
    code = compile(source, filename, "exec", dont_inherit=True, optimize=optimize)
    flags = (0b01).to_bytes(4, "little")  # hash-based, not checked against a source
    return importlib.util.MAGIC_NUMBER + flags + importlib.util.source_hash(source) + marshal.dumps(code)

out = io.BytesIO()
with zipfile.ZipFile("/tmp/source.zip") as src, zipfile.ZipFile(out, "w", zipfile.ZIP_STORED) as dst:
    for info in src.infolist():
        data = src.read(info.filename)
        if info.filename.endswith(".py"):
            member = zipfile.ZipInfo(info.filename + "c", date_time=info.date_time)
            dst.writestr(member, pyc(data, info.filename))
        elif not info.is_dir():
            dst.writestr(zipfile.ZipInfo(info.filename, date_time=info.date_time), data)
with open("/tmp/target.zip", "wb") as f:
    f.write(out.getvalue())
`);
writeFileSync(target, py.FS.readFile("/tmp/target.zip"));
