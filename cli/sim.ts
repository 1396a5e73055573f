/** `alphatrader sim <venue>`: venue simulators standalone (each module owns its own options). */
export async function runSim(argv: string[]): Promise<number> {
  const [venue, ...rest] = argv;
  const modules: Record<string, () => Promise<(args: string[]) => Promise<void>>> = {
    // Paths are built at run time so a simulator still being written does not break the build.
    tws: async () => (await import(simModule('tws'))).runTwsSim,
    alphavantage: async () => (await import(simModule('alpha-vantage'))).runAlphaVantageSim,
  };
  const load = venue ? modules[venue] : undefined;
  if (!load) {
    console.error(`usage: alphatrader sim ${Object.keys(modules).join('|')} [--port N]`);
    return 2;
  }
  await (await load())(rest);
  return await new Promise<number>(() => {}); // runs until a signal ends the process
}

function simModule(dir: string): string {
  return new URL(`../sim/${dir}/main.js`, import.meta.url).href;
}
