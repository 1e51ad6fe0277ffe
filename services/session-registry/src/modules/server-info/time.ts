import { NS_TIME } from '@parley/stanza';
import { xml } from '@parley/xml';
import type { ServerModule } from '../types.js';

function tzo(d: Date): string {
  const off = -d.getTimezoneOffset();
  const sign = off >= 0 ? '+' : '-';
  const abs = Math.abs(off);
  return `${sign}${String(Math.floor(abs / 60)).padStart(2, '0')}:${String(abs % 60).padStart(2, '0')}`;
}

/** XEP-0202: Entity Time of the server. */
export const timeModule: ServerModule = {
  name: 'time',
  xeps: [{ xep: '0202', title: 'Entity Time', version: '2.0' }],
  register(ctx) {
    ctx.feature(NS_TIME);
    ctx.serverIq('get', NS_TIME, async () => {
      const now = new Date();
      return xml(
        'time',
        { xmlns: NS_TIME },
        xml('tzo', null, tzo(now)),
        xml('utc', null, now.toISOString().replace(/\.\d{3}Z$/, 'Z')),
      );
    });
  },
};
