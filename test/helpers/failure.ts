import type { SlipwayError } from '../../src/errors.js';

/** The error a promise is expected to reject with; a promise that resolves fails the test. */
export function failureOf(x: Promise<unknown>): Promise<SlipwayError> {
  return x.then(
    () => {
      throw new Error('expected a failure');
    },
    (e: unknown) => e as SlipwayError,
  );
}
