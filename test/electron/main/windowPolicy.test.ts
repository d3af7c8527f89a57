// Unit: window security settings and the trusted-sender rule.
import { describe, expect, it } from 'vitest';
import { isAppUrl, isTrustedSender, secureWebPreferences } from '../../../electron/main/windowPolicy.ts';

const origins = ['slime://app'];

describe('windowPolicy', () => {
  it('turns on isolation and sandbox and turns off Node in every window', () => {
    expect(secureWebPreferences('/p/index.cjs')).toMatchObject({
      preload: '/p/index.cjs',
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
      webSecurity: true,
      webviewTag: false,
      allowRunningInsecureContent: false,
    });
  });

  it('recognises only the app origins', () => {
    expect(isAppUrl('slime://app/index.html#/chat', origins)).toBe(true);
    expect(isAppUrl('slime://evil/index.html', origins)).toBe(false);
    expect(isAppUrl('https://example.com/', origins)).toBe(false);
    expect(isAppUrl('file:///etc/passwd', origins)).toBe(false);
    expect(isAppUrl('http://localhost:5173/', [...origins, 'http://localhost:5173'])).toBe(true);
  });

  it('trusts only the main frame of an app window showing an app URL', () => {
    const ids = new Set([7]);
    const good = { frameUrl: 'slime://app/index.html', isMainFrame: true, webContentsId: 7 };
    expect(isTrustedSender(good, ids, origins)).toBe(true);
    expect(isTrustedSender({ ...good, isMainFrame: false }, ids, origins)).toBe(false);
    expect(isTrustedSender({ ...good, webContentsId: 8 }, ids, origins)).toBe(false);
    expect(isTrustedSender({ ...good, frameUrl: 'https://example.com/' }, ids, origins)).toBe(false);
    expect(isTrustedSender({ ...good, frameUrl: undefined }, ids, origins)).toBe(false);
  });
});
