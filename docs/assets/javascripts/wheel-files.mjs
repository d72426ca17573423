// The browser's wheel, installed from JavaScript: its files read straight out of the zip and
// written into site-packages, without starting Python's zipfile (45-55 ms of the engine's start,
// on every visit: files do not survive in a memory snapshot). The build stores every member
// uncompressed (sitebuild/wheel.py), so reading one is finding where its bytes are.
//
// wheelFiles(bytes) reads only the zips the build makes: every member stored, no zip64, no
// encryption, relative names without "." or ".." or empty segments, offsets that agree. For any
// other zip it answers null, and installWheel lets Python's zipfile unpack it as before (a wheel
// made by hand still works). Imported by the engine's worker and by tests/pyodide/engine_check.mjs.

const EOCD = 0x06054b50; // end of central directory record
const EOCD_SIZE = 22;
const ZIP64_LOCATOR = 0x07064b50;
const CENTRAL = 0x02014b50;
const CENTRAL_SIZE = 46;
const LOCAL = 0x04034b50;
const LOCAL_SIZE = 30;
const STORED = 0;
const UTF8_NAMES = 0x0800; // the only flag the build's zips may carry
const ZIP64_EXTRA = 0x0001;
const MAX_COMMENT = 0xffff;

const utf8 = new TextDecoder("utf-8", { fatal: true });

// Where the end-of-central-directory record starts (its comment running exactly to the end of
// the file), or -1.
function endRecord(view) {
  const last = view.byteLength - EOCD_SIZE;
  for (let at = last; at >= 0 && at >= last - MAX_COMMENT; at--) {
    if (view.getUint32(at, true) === EOCD && view.getUint16(at + 20, true) === last - at) return at;
  }
  return -1;
}

// A member's name as a relative path, or null when it is not one the build writes.
function memberName(raw, flags) {
  if (!(flags & UTF8_NAMES) && raw.some((byte) => byte >= 0x80)) return null; // cp437, not ours
  let name;
  try {
    name = utf8.decode(raw);
  } catch {
    return null;
  }
  const segments = (name.endsWith("/") ? name.slice(0, -1) : name).split("/");
  const bad = (part) => part === "" || part === "." || part === ".." || /[\\\0]/.test(part);
  return segments.some(bad) ? null : name;
}

// Whether an extra field (a run of id, size, data blocks) is well formed and has no zip64 block.
function plainExtra(view, at, length) {
  const end = at + length;
  while (at < end) {
    if (at + 4 > end) return false;
    const size = view.getUint16(at + 2, true);
    if (view.getUint16(at, true) === ZIP64_EXTRA || at + 4 + size > end) return false;
    at += 4 + size;
  }
  return true;
}

// One central-directory entry at `at` as {name, start, size, next}, or null.
function centralEntry(bytes, view, at, end) {
  if (at + CENTRAL_SIZE > end || view.getUint32(at, true) !== CENTRAL) return null;
  const flags = view.getUint16(at + 8, true);
  const method = view.getUint16(at + 10, true);
  const packedSize = view.getUint32(at + 20, true);
  const size = view.getUint32(at + 24, true);
  const nameLength = view.getUint16(at + 28, true);
  const extraLength = view.getUint16(at + 30, true);
  const next = at + CENTRAL_SIZE + nameLength + extraLength + view.getUint16(at + 32, true);
  if ((flags & ~UTF8_NAMES) || method !== STORED || packedSize !== size || next > end
    || view.getUint16(at + 34, true) !== 0 || size === 0xffffffff
    || !plainExtra(view, at + CENTRAL_SIZE + nameLength, extraLength)) return null;
  const raw = bytes.subarray(at + CENTRAL_SIZE, at + CENTRAL_SIZE + nameLength);
  const name = memberName(raw, flags);
  const local = view.getUint32(at + 42, true);
  return name === null ? null : { name, raw, local, size, next };
}

// Where a member's bytes start, from its local header (which must agree with the central
// directory's entry), or -1.
function dataStart(bytes, view, entry, limit) {
  const at = entry.local;
  if (at + LOCAL_SIZE > limit || view.getUint32(at, true) !== LOCAL) return -1;
  const nameLength = view.getUint16(at + 26, true);
  const start = at + LOCAL_SIZE + nameLength + view.getUint16(at + 28, true);
  const sameName = nameLength === entry.raw.length
    && entry.raw.every((byte, i) => bytes[at + LOCAL_SIZE + i] === byte);
  const agrees = sameName && view.getUint16(at + 8, true) === STORED
    && !(view.getUint16(at + 6, true) & ~UTF8_NAMES)
    && view.getUint32(at + 18, true) === entry.size && view.getUint32(at + 22, true) === entry.size;
  return agrees && start + entry.size <= limit ? start : -1;
}

// The files of a zip the build makes, as [path, bytes] pairs in the zip's order (bytes: views
// into `bytes`, not copies; directories are left out), or null for any other zip.
export function wheelFiles(bytes) {
  if (!(bytes instanceof Uint8Array)) return null;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const eocd = endRecord(view);
  if (eocd < 0) return null;
  const count = view.getUint16(eocd + 10, true);
  const centralSize = view.getUint32(eocd + 12, true);
  const centralAt = view.getUint32(eocd + 16, true);
  const oneDisk = view.getUint16(eocd + 4, true) === 0 && view.getUint16(eocd + 6, true) === 0
    && view.getUint16(eocd + 8, true) === count;
  const zip64 = count === 0xffff || centralAt === 0xffffffff || centralSize === 0xffffffff
    || (eocd >= 20 && view.getUint32(eocd - 20, true) === ZIP64_LOCATOR);
  if (!oneDisk || zip64 || centralAt + centralSize !== eocd) return null;
  const files = [];
  const paths = new Set();
  const folders = new Set();
  let at = centralAt;
  for (let i = 0; i < count; i++) {
    const entry = centralEntry(bytes, view, at, eocd);
    if (!entry) return null;
    at = entry.next;
    const start = dataStart(bytes, view, entry, centralAt);
    if (start < 0 || paths.has(entry.name)) return null;
    paths.add(entry.name);
    const parts = entry.name.split("/");
    for (let depth = 1; depth < parts.length; depth++) folders.add(parts.slice(0, depth).join("/"));
    if (!entry.name.endsWith("/")) files.push([entry.name, bytes.subarray(start, start + entry.size)]);
  }
  // Exactly the central directory was read, and no file is also a folder.
  if (at !== eocd || files.some(([path]) => folders.has(path))) return null;
  return files;
}

// The wheel's files into site-packages: written from JavaScript when wheelFiles reads it, else
// unpacked by Python's zipfile. Answers which ("js" or "zipfile").
export function installWheel(pyodide, bytes) {
  const files = wheelFiles(bytes);
  if (!files) {
    pyodide.FS.writeFile("/tmp/wheel.whl", bytes);
    pyodide.runPython(`import site, zipfile
with zipfile.ZipFile("/tmp/wheel.whl") as wheel:
    wheel.extractall(site.getsitepackages()[0])`);
    return "zipfile";
  }
  const target = pyodide.runPython("import site; site.getsitepackages()[0]");
  const made = new Set();
  for (const [path, data] of files) {
    const folder = `${target}/${path}`.slice(0, `${target}/${path}`.lastIndexOf("/"));
    if (!made.has(folder)) {
      pyodide.FS.mkdirTree(folder);
      made.add(folder);
    }
    pyodide.FS.writeFile(`${target}/${path}`, data);
  }
  // Python may have listed these folders before the files were there: their finders forget it.
  // (Not importlib.invalidate_caches(), which imports importlib.metadata: 20-40 ms.)
  pyodide.globals.set("WHEEL_TARGET", target);
  pyodide.runPython(`import sys
for path, finder in list(sys.path_importer_cache.items()):
    if (path == WHEEL_TARGET or path.startswith(WHEEL_TARGET + "/")) and hasattr(finder, "invalidate_caches"):
        finder.invalidate_caches()
del WHEEL_TARGET`);
  return "js";
}
