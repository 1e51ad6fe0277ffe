/** vcard-temp (XEP-0054) and private XML storage (XEP-0049) of an account. */
import { Type } from '@sinclair/typebox';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { parseXml, xml } from '@parley/xml';
import type { Element } from '@parley/xml';
import { existingAccount } from '../accounts.js';
import { pathAccount } from '../auth.js';
import type { ApiContext } from '../context.js';
import { badRequest, notFound } from '../problem.js';
import { NO_CONTENT, UserParams, XML, described, obj, ok, problems } from '../schemas.js';

const NS_VCARD = 'vcard-temp';
const NS_PRIVATE = 'jabber:iq:private';
const xmlBody = (description: string) => obj({ xml: described(XML, description) });

function parse(text: string, what: string): Element {
  try {
    return parseXml(text);
  } catch (err) {
    throw badRequest(`${what} is not well-formed XML: ${(err as Error).message}`);
  }
}

export function storageRoutes(ctx: ApiContext): FastifyPluginAsyncTypebox {
  const { config, registry, stores } = ctx;
  const accountIq = (owner: string, type: 'get' | 'set', payload: Element) =>
    registry.request({
      t: 'admin-iq',
      jid: owner,
      xml: xml('iq', { type, id: 'admin' }, payload).toString(),
    });

  return async (app) => {
    app.get(
      '/users/:jid/vcard',
      {
        schema: {
          operationId: 'getVcard',
          summary: "An account's vCard",
          tags: ['vcard'],
          params: UserParams,
          response: {
            200: ok('The vCard', xmlBody('<vCard xmlns="vcard-temp">')),
            ...problems('not-found'),
          },
        },
      },
      async (req) => {
        const { jid } = await existingAccount(ctx, req);
        const stored = await stores.vcards.get(jid);
        if (!stored || parse(stored, 'the stored vCard').getChildElements().length === 0)
          throw notFound(`${jid} has no vCard`);
        return { xml: stored };
      },
    );

    app.put(
      '/users/:jid/vcard',
      {
        schema: {
          operationId: 'setVcard',
          summary: "Set an account's vCard (its photo becomes the account's avatar)",
          tags: ['vcard'],
          params: UserParams,
          body: xmlBody('<vCard xmlns="vcard-temp">...</vCard>'),
          response: { 204: NO_CONTENT, ...problems('not-found', 'bad-request') },
        },
      },
      async (req, reply) => {
        const jid = pathAccount(config, req);
        const vcard = parse(req.body.xml, 'the vCard');
        if (!vcard.is('vCard', NS_VCARD)) throw badRequest('expected <vCard xmlns="vcard-temp">');
        await accountIq(jid, 'set', vcard);
        return reply.code(204).send();
      },
    );

    app.delete(
      '/users/:jid/vcard',
      {
        schema: {
          operationId: 'deleteVcard',
          summary: "Clear an account's vCard",
          tags: ['vcard'],
          params: UserParams,
          response: { 204: NO_CONTENT, ...problems('not-found') },
        },
      },
      async (req, reply) => {
        await accountIq(pathAccount(config, req), 'set', xml('vCard', { xmlns: NS_VCARD }));
        return reply.code(204).send();
      },
    );

    app.get(
      '/users/:jid/private',
      {
        schema: {
          operationId: 'getPrivateXml',
          summary: 'An element of private XML storage (an empty one when nothing is stored)',
          tags: ['private'],
          params: UserParams,
          querystring: obj({
            name: Type.String({ description: 'Element name', minLength: 1, maxLength: 1024 }),
            ns: Type.String({ description: 'Element namespace', minLength: 1, maxLength: 1024 }),
          }),
          response: {
            200: ok('The element', xmlBody('The stored element')),
            ...problems('not-found'),
          },
        },
        // User content: tokens with the data scope only (docs/admin-api.md).
        config: { scope: 'data' },
      },
      async (req) => {
        const r = await accountIq(
          pathAccount(config, req),
          'get',
          xml('query', { xmlns: NS_PRIVATE }, xml(req.query.name, { xmlns: req.query.ns })),
        );
        const found = r.xml ? parseXml(r.xml).getChildElements()[0] : undefined;
        return { xml: (found ?? xml(req.query.name, { xmlns: req.query.ns })).toString() };
      },
    );

    app.put(
      '/users/:jid/private',
      {
        schema: {
          operationId: 'setPrivateXml',
          summary:
            'Store an element in private XML storage (replaces the one with its name and namespace)',
          tags: ['private'],
          params: UserParams,
          body: xmlBody('An element in its own namespace'),
          response: { 204: NO_CONTENT, ...problems('not-found', 'bad-request') },
        },
      },
      async (req, reply) => {
        const el = parse(req.body.xml, 'the element');
        await accountIq(pathAccount(config, req), 'set', xml('query', { xmlns: NS_PRIVATE }, el));
        return reply.code(204).send();
      },
    );
  };
}
