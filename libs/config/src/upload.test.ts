import { describe, expect, it } from 'vitest';
import { loadConfig } from './index.js';
import type { Config, DeepPartial } from './index.js';
import { configError } from '../test/helpers.js';

describe('upload settings (XEP-0363)', () => {
  it('defaults: off, upload.<domain>, 100 MiB files, 1 GiB per user, 30 days, local storage', () => {
    const c = loadConfig({ env: {} });
    expect(c.upload).toMatchObject({
      enabled: false,
      subdomain: 'upload',
      maxFileBytes: 100 * 1024 * 1024,
      quotaBytesPerUser: 1024 * 1024 * 1024,
      expiryDays: 30,
      putValidityMs: 300_000,
      corsOrigins: [],
      http: { host: '0.0.0.0', port: 5288 },
      storage: { kind: 'local', dir: 'upload', s3: { region: 'us-east-1', forcePathStyle: false } },
    });
    expect(c.upload.publicUrl).toBeUndefined();
    expect(c.upload.secret).toBeUndefined();
  });

  it('reads the S3 settings and origins from the environment', () => {
    const c = loadConfig({
      env: {
        PARLEY_UPLOAD_ENABLED: 'true',
        PARLEY_UPLOAD_STORAGE_KIND: 's3',
        PARLEY_UPLOAD_STORAGE_S3_BUCKET: 'files',
        PARLEY_UPLOAD_STORAGE_S3_ENDPOINT: 'http://127.0.0.1:9000',
        PARLEY_UPLOAD_STORAGE_S3_FORCE_PATH_STYLE: 'true',
        PARLEY_UPLOAD_CORS_ORIGINS: 'https://chat.example.org, http://localhost:8080',
        PARLEY_UPLOAD_PUBLIC_URL: 'https://upload.example.org/files/',
      },
    });
    expect(c.upload.storage.kind).toBe('s3');
    expect(c.upload.storage.s3).toMatchObject({
      bucket: 'files',
      endpoint: 'http://127.0.0.1:9000',
      forcePathStyle: true,
    });
    expect(c.upload.corsOrigins).toEqual(['https://chat.example.org', 'http://localhost:8080']);
    expect(c.upload.publicUrl).toBe('https://upload.example.org/files/');
  });

  it('names the key of a bad URL, origin or storage kind', () => {
    const bad = (upload: DeepPartial<Config>['upload']) =>
      configError(() => loadConfig({ env: {}, overrides: { upload } })).key;
    expect(bad({ publicUrl: 'upload.example.org' })).toBe('upload.publicUrl');
    expect(bad({ storage: { s3: { endpoint: 'ftp://x' } } })).toBe('upload.storage.s3.endpoint');
    expect(bad({ corsOrigins: ['https://chat.example.org/path'] })).toBe('upload.corsOrigins');
    expect(bad({ storage: { kind: 'ftp' as 'local' } })).toBe('upload.storage.kind');
  });
});
