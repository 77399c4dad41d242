/** A subcommand whose module another part of the build provides: `run<Name>Command(argv)`. */
export type SubcommandRunner = (argv: string[]) => unknown;

/**
 * Runs `exportName(argv)` from the module `specifier` (relative to this file), imported at run time
 * so the command line builds and works without it; prints a clear message when the build lacks it.
 */
export async function delegate(command: string, specifier: string, exportName: string, argv: string[]): Promise<void> {
  const url = new URL(specifier, import.meta.url);
  let mod: Record<string, unknown>;
  try {
    mod = (await import(url.href)) as Record<string, unknown>;
  } catch (error) {
    // Only the module itself missing; a module that is there but fails to load is a real error.
    const missing = (error as NodeJS.ErrnoException)?.code === 'ERR_MODULE_NOT_FOUND' && String((error as Error).message).includes(url.pathname);
    if (!missing) throw error;
    console.error(`switchboard ${command}: not available in this build (the module ${specifier.replace(/\.js$/, '.ts')} is missing).`);
    process.exit(1);
  }
  const run = mod[exportName] ?? mod.default;
  if (typeof run !== 'function') {
    console.error(`switchboard ${command}: the module ${specifier} does not export ${exportName}(argv).`);
    process.exit(1);
  }
  await (run as SubcommandRunner)(argv);
}
