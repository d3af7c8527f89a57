// Unit: the Result envelope, AppFailure and the conversion of anything thrown into an AppError.
import { describe, expect, it } from 'vitest';
import { AppFailure, ERROR_CODES, attempt, err, isErrorCode, ok, toAppError } from '../../../electron/shared/errors.ts';

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
