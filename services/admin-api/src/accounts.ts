/** Accounts as the routes need them: stored, or a 404 problem. */
import type { Config } from '@parley/config';
import type { Account, Stores } from '@parley/store';
import { pathAccount } from './auth.js';
import type { AccountRequest } from './auth.js';
import { notFound } from './problem.js';

/** The stored account, or a 404 problem when there is none. */
export async function requireAccount(stores: Stores, jid: string): Promise<Account> {
  const account = await stores.accounts.get(jid);
  if (!account) throw notFound(`no account ${jid}`);
  return account;
}

/** The account of the path (`/users/:jid/...`), checked against the token; a 404 when it does not exist. */
export function existingAccount(
  ctx: { config: Config; stores: Stores },
  req: AccountRequest,
): Promise<Account> {
  return requireAccount(ctx.stores, pathAccount(ctx.config, req));
}
