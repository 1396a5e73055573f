import { existsSync } from 'node:fs';
import { Writable } from 'node:stream';
import { fileURLToPath } from 'node:url';

// The copy in tests/fixtures (present in every clone, CI included); the workplace's shared folder otherwise.
const FIXTURE_DIR = fileURLToPath(new URL('../fixtures/lobster/', import.meta.url));
export const SAMPLE_DIR = existsSync(FIXTURE_DIR) ? FIXTURE_DIR : fileURLToPath(new URL('../../../shared/data/lobster/', import.meta.url));
export const SAMPLE_MESSAGE = `${SAMPLE_DIR}AAPL_2012-06-21_34200000_57600000_message_10.csv`;
export const SAMPLE_ORDERBOOK = `${SAMPLE_DIR}AAPL_2012-06-21_34200000_57600000_orderbook_10.csv`;
export const SAMPLE_PRESENT = existsSync(SAMPLE_MESSAGE) && existsSync(SAMPLE_ORDERBOOK);

if (!SAMPLE_PRESENT) {
  console.warn(`LOBSTER sample not found in ${SAMPLE_DIR}: the tests that need it are skipped`);
}

/** A writable that keeps everything written to it. */
export class Collect extends Writable {
  text = '';
  override _write(chunk: Buffer | string, _enc: BufferEncoding, cb: (err?: Error | null) => void): void {
    this.text += chunk.toString();
    cb();
  }
}
