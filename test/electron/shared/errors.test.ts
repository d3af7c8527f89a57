// Unit: the Result envelope, AppFailure and the conversion of anything thrown into an AppError.
import { describe, expect, it } from 'vitest';
import {
  AppFailure,
  ERROR_CODES,
  attempt,
  err,
  inferenceCode,
  isErrorCode,
  ok,
  toAppError,
  unwrap,
  unwrapInference,
} from '../../../electron/shared/errors.ts';

describe('errors', () => {
  it('builds success and failure Results', () => {
    expect(ok(3)).toEqual({ ok: true, value: 3 });
    expect(err('db/busy', 'busy')).toEqual({ ok: false, error: { code: 'db/busy', message: 'busy' } });
    expect(err('db/busy', 'busy', { table: 't' })).toEqual({
      ok: false,
      error: { code: 'db/busy', message: 'busy', details: { table: 't' } },
    });
  });

  it('keeps the code and details of an AppFailure', () => {
    const failure = new AppFailure('image/too-large', 'too big', { width: 99999 });
    expect(failure).toBeInstanceOf(Error);
    expect(toAppError(failure)).toEqual({ code: 'image/too-large', message: 'too big', details: { width: 99999 } });
  });

  it('turns unknown throws into internal, and objects with a known code into that code', () => {
    expect(toAppError(new Error('boom'))).toEqual({ code: 'internal', message: 'boom' });
    expect(toAppError('plain')).toEqual({ code: 'internal', message: 'plain' });
    expect(toAppError({ code: 'db/corrupt', message: 'bad page' })).toEqual({ code: 'db/corrupt', message: 'bad page' });
    expect(toAppError({ code: 'ENOENT', message: 'x' }).code).toBe('internal');
  });

  it('recognises exactly the codes of the union', () => {
    for (const code of ERROR_CODES) expect(isErrorCode(code)).toBe(true);
    expect(isErrorCode('nope/what')).toBe(false);
    expect(isErrorCode(42)).toBe(false);
  });

  it('attempt wraps values and throws', async () => {
    expect(await attempt(() => 5)).toEqual({ ok: true, value: 5 });
    expect(await attempt(async () => Promise.reject(new AppFailure('prompt/empty', 'empty')))).toEqual({
      ok: false,
      error: { code: 'prompt/empty', message: 'empty' },
    });
  });
});

describe('unwrap and the process → inference mapping', () => {
  it('unwrap returns the value and throws a failure with its code, message and details', () => {
    expect(unwrap(ok(3))).toBe(3);
    let thrown: unknown;
    try {
      unwrap(err('db/not-found', 'gone', { id: 4 }));
    } catch (e) {
      thrown = e;
    }
    expect(toAppError(thrown)).toEqual({ code: 'db/not-found', message: 'gone', details: { id: 4 } });
  });

  it('renames process failures to inference codes and keeps other codes', () => {
    expect(inferenceCode('process/crashed')).toBe('inference/crashed');
    expect(inferenceCode('process/cancelled')).toBe('inference/cancelled');
    expect(inferenceCode('process/timeout')).toBe('inference/timeout');
    expect(inferenceCode('image/corrupt')).toBe('image/corrupt');
    expect(() => unwrapInference(err('process/timeout', 'slow'))).toThrow(expect.objectContaining({ code: 'inference/timeout' }));
  });

  it('toAppError keeps the details of a coded error object', () => {
    expect(toAppError({ code: 'db/busy', message: 'busy', details: { tries: 2 } })).toEqual({
      code: 'db/busy',
      message: 'busy',
      details: { tries: 2 },
    });
  });
});
