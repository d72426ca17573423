// Compile the Python in a zip to bytecode inside the same Pyodide the browser runs: the trimmed
// standard library (stdlib.py) and the browser's runbook_core wheel (wheel.py). Python compiles
// what it imports from source on every visit, inside wasm; shipping .pyc files removes that
// work. Every `x.py` becomes a sourceless `x.pyc` (hash-based, unchecked: there is no source to
// compare with), every other file is copied, and the zip is stored uncompressed: the web server
// compresses the whole file better than zip does file by file.
//
// The bytecode is built for size as much as for speed, with nothing the page could show:
// - no docstrings and no asserts (`-OO`; nothing we ship reads __doc__), except a dataclass's:
//   with no __doc__, Python's dataclasses writes one from inspect.signature(cls), 10-19 ms of
//   the engine's first import (47 classes). Each keeps its docstring's first line (or
//   its name) as a plain `__doc__ = "..."` assignment, which -OO keeps and which is no field
//   (it has no annotation). Other classes' docstrings are not kept: nothing reads them, and all
//   of them would add 9 KB (brotli) to the standard library;
// - no column positions (`-X no_debug_ranges`): tracebacks keep their file and line numbers,
//   without the ^^^ under the expression. Column offsets are incompressible: dropping them
//   takes a quarter off the compressed standard library.
// The result depends only on the input zip and this Pyodide (no timestamps: members keep the
// source's date_time, and .pyc files carry the source's hash).
//
//   node sitebuild/compile_pyc.mjs SOURCE.zip TARGET.zip [--dataclass-code PACKAGE]
//
// With --dataclass-code (the browser's wheel), the compiled PACKAGE is imported here, every
// module of it, and the code of the methods Python's dataclasses writes for its classes goes into
// the zip too, as PACKAGE.dataclass_code (its CODE_FILE, its format) writes it: compiling them
// was most of the engine's first import.
import { loadPyodide } from "pyodide";
import { readFileSync, writeFileSync } from "node:fs";

const [source, target, ...options] = process.argv.slice(2);
const dataclassPackage = options[0] === "--dataclass-code" ? options[1] : "";
const quiet = () => {};
const py = await loadPyodide({ env: { PYTHONNODEBUGRANGES: "1" }, stdout: quiet, stderr: quiet });
py.FS.writeFile("/tmp/source.zip", readFileSync(source));
py.globals.set("dataclass_package", dataclassPackage);
py.runPython(`
import ast, importlib.util, io, marshal, zipfile

# PYTHONNODEBUGRANGES is read when Python starts: make sure this Pyodide still honours it.
if next(compile("x", "<check>", "eval").co_positions())[2] is not None:
    raise SystemExit("this Pyodide ignores PYTHONNODEBUGRANGES: the bytecode would keep columns")

def is_dataclass(decorator):
    named = decorator.func if isinstance(decorator, ast.Call) else decorator
    return getattr(named, "id", getattr(named, "attr", None)) == "dataclass"

class DataclassDocs(ast.NodeTransformer):
    """A dataclass's docstring becomes __doc__ = "its first line" (its name if it has none)."""

    def visit_ClassDef(self, node):
        self.generic_visit(node)
        if not any(is_dataclass(d) for d in node.decorator_list):
            return node
        doc = ast.get_docstring(node)
        line = (doc or "").strip().split("\\n")[0].strip() or node.name
        where = node.body[0] if doc is not None else node
        keep = ast.copy_location(ast.Assign([ast.Name("__doc__", ast.Store())], ast.Constant(line)), where)
        if doc is None:
            node.body.insert(0, keep)
        else:
            node.body[0] = keep
        return ast.fix_missing_locations(node)

def pyc(source, filename):
    tree = DataclassDocs().visit(ast.parse(source, filename))
    code = compile(tree, filename, "exec", dont_inherit=True, optimize=2)
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

if dataclass_package:
    import importlib, sys
    with open("/tmp/compiled.zip", "wb") as f:  # imported from, as the engine imports it
        f.write(out.getvalue())
    sys.path.insert(0, "/tmp/compiled.zip")
    prefix = dataclass_package + "/"
    with zipfile.ZipFile(out) as compiled:
        members = compiled.infolist()
    modules = sorted(m.filename[:-len(".pyc")].replace("/", ".") for m in members
                     if m.filename.startswith(prefix) and m.filename.count("/") == 1 and m.filename.endswith(".pyc")
                     and not m.filename.endswith(("/__init__.pyc", "/__main__.pyc")))
    last = members[-1]
    kept = importlib.import_module(dataclass_package + ".dataclass_code")
    code = kept.collect([m for m in modules if m not in sys.modules])
    with zipfile.ZipFile(out, "a", zipfile.ZIP_STORED) as dst:
        dst.writestr(zipfile.ZipInfo(prefix + kept.CODE_FILE, date_time=last.date_time), code)

with open("/tmp/target.zip", "wb") as f:
    f.write(out.getvalue())
`);
writeFileSync(target, py.FS.readFile("/tmp/target.zip"));
