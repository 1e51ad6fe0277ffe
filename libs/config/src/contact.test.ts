import { describe, expect, it } from 'vitest';
import { loadConfig } from './index.js';
import { configError } from '../test/helpers.js';

describe('contact addresses (XEP-0157)', () => {
  it('are empty by default and read from the environment as lists of URIs', () => {
    expect(loadConfig({ env: {} }).contact.abuse).toEqual([]);
    const c = loadConfig({
      env: {
        PARLEY_CONTACT_ABUSE: 'mailto:abuse@example.org, xmpp:abuse@example.org',
        PARLEY_CONTACT_STATUS: 'https://status.example.org/',
      },
    });
    expect(c.contact.abuse).toEqual(['mailto:abuse@example.org', 'xmpp:abuse@example.org']);
    expect(c.contact.status).toEqual(['https://status.example.org/']);
  });

  it('refuses what is not an address, naming the key', () => {
    for (const bad of ['abuse@example.org', 'javascript:alert(1)', 'mailto:nobody'])
      expect(configError(() => loadConfig({ env: { PARLEY_CONTACT_ADMIN: bad } })).key).toBe(
        'contact.admin',
      );
  });
});
