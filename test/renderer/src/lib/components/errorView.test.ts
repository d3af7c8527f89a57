// Unit: what the user reads for a failed call — the message with its context, the code, and a way forward that
// names how a background process died (out of memory, killed, could not start) rather than a generic crash.
import { describe, expect, it } from 'vitest';
import { ApiError } from '../../../../../renderer/src/lib/api/client.ts';
import { describeError, toErrorView } from '../../../../../renderer/src/lib/components/errorView.ts';

const died = (reason: string): ApiError =>
  new ApiError({ code: 'inference/crashed', message: `The inference process died (${reason}).`, details: { reason } });

describe('toErrorView', () => {
  it('gives each exit reason of a dead process its own hint', () => {
    expect(toErrorView(died('out-of-memory')).hint).toMatch(/smaller model/);
    expect(toErrorView(died('killed')).hint).toMatch(/memory ran low/);
    expect(toErrorView(died('launch-failed')).hint).toMatch(/could not start/);
    expect(toErrorView(died('crashed')).hint).toBe('The inference process restarts on the next request. Try again.');
    const worker = new ApiError({
      code: 'process/crashed',
      message: 'The database process ran out of memory.',
      details: { reason: 'out-of-memory' },
    });
    expect(toErrorView(worker).hint).toMatch(/smaller model/);
  });

  it('keeps the message, prefixed by its context, and the code', () => {
    const view = toErrorView(died('killed'), 'The model could not answer');
    expect(view).toMatchObject({ message: 'The model could not answer: The inference process died (killed).', code: 'inference/crashed' });
    expect(toErrorView(new ApiError({ code: 'image/too-small', message: 'tiny' })).hint).toBe('Use a larger image.');
    expect(toErrorView(new Error('plain'))).toEqual({ message: 'plain', code: undefined, hint: undefined });
    expect(describeError(died('killed'))).toBe('The inference process died (killed). (inference/crashed)');
  });
});
