/**
 * The seeded PRNG of every randomised test (mulberry32), so a run is reproducible from its printed seed. It is
 * the simulators' own generator: one implementation, not a copy per test.
 */
export { mulberry32 } from '../../sim/alpha-vantage/random.js';
