/** The scenarios by name. */
import { chat } from './chat.js';
import { idleHold } from './idle-hold.js';
import { loginStorm } from './login-storm.js';
import { mucFanout } from './muc-fanout.js';
import { presenceStorm } from './presence-storm.js';
import { reconnectStorm } from './reconnect-storm.js';
import type { Scenario } from './types.js';

export const SCENARIOS: readonly Scenario[] = [
  loginStorm,
  idleHold,
  chat,
  mucFanout,
  presenceStorm,
  reconnectStorm,
];

export function scenarioByName(name: string): Scenario | undefined {
  return SCENARIOS.find((s) => s.name === name);
}
