/**
 * The XEP-0114 echo component (interop/component_echo.py, Debian's
 * python3-slixmpp ComponentXMPP) as a child process, for the component tests.
 */
import { fileURLToPath } from 'node:url';
import { hasPythonModule, spawnJsonLines } from '@parley/testkit';
import type { JsonLinesProcess } from '@parley/testkit';
import { PYTHON } from './slixmpp-runner.js';

export {
  exitWithin as exited,
  killJsonLines as killComponent,
  lastJsonLine as last,
} from '@parley/testkit';

const SCRIPT = fileURLToPath(new URL('./interop/component_echo.py', import.meta.url));

/** /usr/bin/python3 has slixmpp's ComponentXMPP. */
export const haveSlixmppComponent = hasPythonModule('slixmpp.componentxmpp');

/** The running component script: its JSON lines so far and its exit. */
export type Component = JsonLinesProcess;

/**
 * Starts the echo component for `domain` against the component listener on
 * `port`; it runs until its stdin is closed.
 */
export function startComponent(port: number, domain: string, secret: string): Component {
  return spawnJsonLines(PYTHON, [SCRIPT, String(port), domain, secret], { stdin: 'pipe' });
}
