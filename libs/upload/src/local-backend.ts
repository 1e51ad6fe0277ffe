/**
 * Slots on the built-in HTTP service (services/upload): the PUT URL is
 * `<publicUrl><user>/<slot>/<filename>` with a signed Authorization
 * header, the GET URL the same without it. Usage is read from the
 * directory, which the registry must see too (the same host, or a volume
 * shared with the upload service).
 */
import type { SlotRequest, SlotUrls, StoredFile, UploadBackend } from './backend.js';
import { LocalFiles } from './local-files.js';
import { keyPath, objectKey } from './names.js';
import { signPut } from './signing.js';

export class LocalBackend implements UploadBackend {
  readonly kind = 'local';
  readonly store: LocalFiles;

  constructor(
    private readonly secret: string,
    private readonly publicUrl: string,
    dir: string,
  ) {
    this.store = new LocalFiles(dir);
  }

  slot(req: SlotRequest): Promise<SlotUrls> {
    const url = this.publicUrl + keyPath(req.key);
    const authorization = signPut(this.secret, {
      key: objectKey(req.key),
      size: req.size,
      contentType: req.contentType,
      expires: req.putExpires,
    });
    return Promise.resolve({
      put: url,
      headers: [{ name: 'Authorization', value: authorization }],
      get: url,
    });
  }

  files(user: string): Promise<StoredFile[]> {
    return this.store.files(user);
  }

  close(): void {}
}
