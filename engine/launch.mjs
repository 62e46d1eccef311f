// Starts a TypeScript entry point (./deploy.ts and the others run `node engine/launch.mjs ENTRY ARGS...`).
//
// tsx transpiles every module through loader hooks on each start, about 0.5 s of CPU before the first task;
// instead the entry is bundled once with esbuild (tsx's own transpiler) into node_modules/.cache/pigsty-ts and
// the bundle is run while none of the files it was built from changed. If no bundle can be built or stored (a
// read-only checkout, a syntax error), tsx runs the entry as before.
import { createHash } from 'node:crypto';
import { createRequire } from 'node:module';
import process from 'node:process';
import { mkdirSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const entry = resolve(process.argv[2] ?? '');
// The entry takes the launcher's place in argv, as if node had run it directly.
process.argv.splice(1, 1);

const cacheDir = join(root, 'node_modules', '.cache', 'pigsty-ts');
// Named after the entry's absolute path too: checkouts that share one node_modules must not share bundles.
const base = join(
  cacheDir,
  `${relative(root, entry).replace(/[^A-Za-z0-9_-]/g, '_')}-${createHash('sha256').update(entry).digest('hex').slice(0, 8)}`,
);
const bundleFile = `${base}.mjs`;
const manifestFile = `${base}.json`;
const requireFromTsx = createRequire(join(root, 'node_modules', 'tsx', 'package.json'));

const stamp = (file) => {
  const s = statSync(file);
  return `${s.mtimeMs}:${s.size}`;
};

/** The bundle is current when the launcher, esbuild and every source file are as they were when it was built. */
function current() {
  try {
    const manifest = JSON.parse(readFileSync(manifestFile, 'utf8'));
    return Object.entries(manifest.inputs).every(([file, was]) => stamp(file) === was);
  } catch {
    return false;
  }
}

/** Module files resolve their own assets (templates, files) from import.meta.url: keep each file's own URL. */
const ownUrl = {
  name: 'own-import-meta-url',
  setup(build) {
    build.onLoad({ filter: /\.ts$/ }, (args) => ({
      contents: readFileSync(args.path, 'utf8').replaceAll('import.meta.url', JSON.stringify(pathToFileURL(args.path).href)),
      loader: 'ts',
    }));
  },
};

async function build() {
  const esbuild = requireFromTsx('esbuild');
  const result = await esbuild.build({
    entryPoints: [entry],
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    // Packages are bundled too: resolving and reading their hundreds of files costs more than the bundle's parse.
    // ssh2 loads optional native addons by path, so it stays an ordinary import.
    external: ['ssh2'],
    banner: { js: "import { createRequire as __createRequire } from 'node:module'; const require = __createRequire(import.meta.url);" },
    sourcemap: 'linked',
    outfile: bundleFile,
    write: false,
    metafile: true,
    logLevel: 'silent',
    plugins: [ownUrl],
  });
  const inputs = [fileURLToPath(import.meta.url), requireFromTsx.resolve('esbuild'), ...Object.keys(result.metafile.inputs).map((f) => resolve(f))];
  mkdirSync(cacheDir, { recursive: true });
  // Written under temporary names and renamed, so that entry points started at the same time never read half a file.
  const put = (file, content) => {
    const tmp = `${file}.${process.pid}.tmp`;
    writeFileSync(tmp, content);
    renameSync(tmp, file);
  };
  for (const out of result.outputFiles) put(out.path, out.contents);
  put(manifestFile, JSON.stringify({ inputs: Object.fromEntries(inputs.map((f) => [f, stamp(f)])) }));
}

let bundled = current();
if (!bundled) {
  try {
    await build();
    bundled = true;
  } catch {
    bundled = false;
  }
}
if (bundled) {
  process.setSourceMapsEnabled(true);
  await import(pathToFileURL(bundleFile).href);
} else {
  const { register } = await import('tsx/esm/api');
  register();
  await import(pathToFileURL(entry).href);
}
