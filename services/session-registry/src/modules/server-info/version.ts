import { readFileSync } from 'node:fs';
import { release, type as osType } from 'node:os';
import { NS_VERSION } from '@parley/stanza';
import { xml } from '@parley/xml';
import type { ServerModule } from '../types.js';

function packageVersion(): string {
  try {
    const url = new URL('../../../package.json', import.meta.url);
    return (JSON.parse(readFileSync(url, 'utf8')) as { version?: string }).version ?? '0.0.0';
  } catch {
    return '0.0.0';
  }
}

/** XEP-0092: Software Version of the server. */
export const versionModule: ServerModule = {
  name: 'version',
  configSections: ['modules.version'],
  xeps: [{ xep: '0092', title: 'Software Version', version: '1.1' }],
  register(ctx) {
    const version = packageVersion();
    const { name, showOs } = ctx.config.modules.version;
    ctx.feature(NS_VERSION);
    ctx.serverIq('get', NS_VERSION, async () =>
      xml(
        'query',
        { xmlns: NS_VERSION },
        xml('name', null, name),
        xml('version', null, version),
        showOs ? xml('os', null, `${osType()} ${release()}`) : null,
      ),
    );
  },
};
