/** What the side-by-side run keeps of each target: the table's figures and the raw reports. */
import type { TargetName } from './args.js';
import type { LadderResult } from './ladder.js';

/** One login pass of the idle benchmark (all sessions opened; the first pass is held for RSS). */
export interface LoginFigures {
  sessions: number;
  failed: number;
  loginsPerS: number;
  /** Server CPU (every process and thread of the target) per login, ms. */
  serverCpuMsPerLogin: number | null;
  serverCpuPct: number | null;
  clientCpuPct: number;
  otherCpuPct: number | null;
  /** (RSS after settling − RSS before) / sessions, KiB; only meaningful for the first pass. */
  kibPerSession: number | null;
  rssBeforeKiB: number | null;
  rssAfterKiB: number | null;
}

/** First pass: first logins, the sessions held for the RSS reading; again: the same users again. */
export interface LoginPasses {
  first?: LoginFigures;
  again?: LoginFigures;
}

export interface MucFigures {
  occupants: number;
  senders: number;
  joinsPerS: number;
  ladder: LadderResult;
}

export interface TargetResult {
  target: TargetName;
  /** The column header. */
  title: string;
  /** Program and version, e.g. "ejabberd 23.01-1 (Debian)". */
  software: string;
  /** What the server stores for each password. */
  passwords: string;
  /** Where the server and the generator ran. */
  cpus: string;
  /** Message archive used in the archived chat runs. */
  archive: string;
  idle?: LoginPasses;
  tls?: LoginPasses;
  chat?: LadderResult;
  mam?: LadderResult;
  muc?: MucFigures;
  /** Scenarios that failed, with the error. */
  errors: { scenario: string; error: string }[];
  seconds: number;
  /** Every benchmark report of the target as measured (for the JSON). */
  raw?: Record<string, unknown>;
}
