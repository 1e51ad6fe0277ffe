/** What the table's notes say about each target: program, password storage, archive, CPUs. */
import type { SideBySidePlan, TargetName } from './args.js';
import type { TargetMeta } from './scenarios.js';

export interface Versions {
  ejabberd: string | undefined;
  prosody: string | undefined;
  parley: string;
}

export const TITLES: Record<TargetName, string> = {
  ejabberd: 'ejabberd',
  prosody: 'Prosody',
  parley: 'Parley',
  'parley-cluster': 'Parley cluster',
};

type MetaPlan = Pick<
  SideBySidePlan,
  'serverCpus' | 'generatorCpus' | 'clusterCpus' | 'gateways' | 'registries' | 'ejabberdPasswords'
>;

export function targetMeta(name: TargetName, plan: MetaPlan, v: Versions): TargetMeta {
  const gen = `generator on CPU ${plan.generatorCpus}`;
  switch (name) {
    case 'ejabberd':
      return {
        title: TITLES[name],
        software: `ejabberd ${v.ejabberd ?? '(version unknown)'} (Debian package)`,
        passwords:
          plan.ejabberdPasswords === 'scram'
            ? 'salted SCRAM-SHA-1 keys, 4096 iterations (auth_password_format: scram)'
            : 'the password in clear (auth_password_format: plain, its default; PLAIN logins skip PBKDF2)',
        archive: 'mod_mam with default: always, in Mnesia',
        cpus: `pinned to CPU ${plan.serverCpus}, one Erlang scheduler per CPU; ${gen}`,
      };
    case 'prosody':
      return {
        title: TITLES[name],
        software: `Prosody ${v.prosody ?? '(version unknown)'} (Debian package), epoll`,
        passwords: 'salted SCRAM-SHA-1 keys, 4096 iterations (internal_hashed)',
        archive: 'mod_mam with default_archive_policy = true, internal (file) storage',
        cpus: `pinned to CPU ${plan.serverCpus} (one thread); ${gen}`,
      };
    case 'parley':
      return {
        title: TITLES[name],
        software: `Parley ${v.parley}, single node (one process, LMDB)`,
        passwords:
          'salted SCRAM-SHA-1 and SCRAM-SHA-256 keys, 4096 iterations; a verified PLAIN password is remembered as a keyed tag for a while (a returning user costs no PBKDF2)',
        archive: 'mam module (on by default), LMDB',
        cpus: `pinned to CPU ${plan.serverCpus}, node --single-threaded-gc; ${gen}`,
      };
    case 'parley-cluster':
      return {
        title: TITLES[name],
        software: `Parley ${v.parley}, local cluster: ${plan.gateways} gateways, ${plan.registries} session-registry workers, 1 MUC worker, nats-server, redis-server (users spread over the gateways, so every pair crosses them)`,
        passwords: 'as the single node',
        archive: 'mam module, LMDB shared by the workers',
        cpus: `every process on CPUs ${plan.clusterCpus} (both cores, shared with the generator); ${gen}; server figures are sums over all its processes`,
      };
  }
}
