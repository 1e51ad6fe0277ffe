/**
 * Interop: a real third-party component, Debian's python3-slixmpp
 * (`slixmpp.ComponentXMPP`), connects to the component listener, completes
 * the handshake, receives a message delivered through the bus glue and
 * answers it; the answer is published to the partition of its recipient.
 * Skipped when /usr/bin/python3 has no slixmpp.
 */
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { MemoryBus } from '@parley/bus';
import type { DurableMessage } from '@parley/bus';
import { loadConfig } from '@parley/config';
import { routeSubject } from '@parley/routing';
import type { Envelope } from '@parley/routing';
import { createLogger, createMetrics } from '@parley/telemetry';
import {
  DEBIAN_PYTHON,
  exitWithin,
  hasPythonModule,
  killJsonLines,
  lastJsonLine,
  removeTempDir,
  spawnJsonLines,
  tempDir,
} from '@parley/testkit';
import type { JsonLinesProcess } from '@parley/testkit';
import { afterEach, describe, expect, it } from 'vitest';
import { startComponents } from '../../src/component/index.js';
import type { Components } from '../../src/component/index.js';
import { until } from './raw-component.js';

const haveSlixmpp = hasPythonModule('slixmpp.componentxmpp');
if (!haveSlixmpp)
  console.warn(`${DEBIAN_PYTHON} cannot import slixmpp: skipping the component interop test`);

const DOMAIN = 'echo.example.org';
const SECRET = 'echo-secret-42';

/** An echo component: answers each message with "echo: <body>", then disconnects. */
const SCRIPT = `
import asyncio, json, sys
from slixmpp import ComponentXMPP

port, domain, secret = int(sys.argv[1]), sys.argv[2], sys.argv[3]
result = {"ready": False, "received": [], "disconnected": False}

def emit(obj):
    print(json.dumps(obj), flush=True)

class Echo(ComponentXMPP):
    def __init__(self):
        super().__init__(domain, secret, "127.0.0.1", port)
        self.done = asyncio.get_running_loop().create_future()
        self.add_event_handler("session_start", self.on_start)
        self.add_event_handler("message", self.on_message)
        self.add_event_handler("disconnected", self.on_disconnected)

    def on_start(self, _):
        result["ready"] = True
        emit({"event": "ready"})

    def on_message(self, msg):
        result["received"].append({
            "from": str(msg["from"]), "to": str(msg["to"]),
            "type": msg["type"], "body": msg["body"],
        })
        msg.reply("echo: " + msg["body"]).send()
        emit({"event": "replied"})
        self.disconnect()

    def on_disconnected(self, _):
        result["disconnected"] = True
        if not self.done.done():
            self.done.set_result(None)

async def main():
    xmpp = Echo()
    xmpp.connect()
    try:
        await asyncio.wait_for(xmpp.done, 20)
    except asyncio.TimeoutError:
        result["timeout"] = True
    emit(result)

asyncio.run(main())
`;

describe.skipIf(!haveSlixmpp)('interop: slixmpp ComponentXMPP as an external component', () => {
  let dir: string | undefined;
  let child: JsonLinesProcess | undefined;
  let node: Components | undefined;
  let bus: MemoryBus | undefined;

  afterEach(async () => {
    if (child !== undefined) await killJsonLines(child);
    await node?.stop();
    await bus?.close();
    if (dir !== undefined) await removeTempDir(dir);
  });

  it('handshakes, receives a message and answers it', async () => {
    const config = loadConfig({
      env: {},
      overrides: {
        server: { domains: ['example.org'], nodeId: 'comp-interop' },
        components: { port: 0, host: '127.0.0.1', list: [{ domain: DOMAIN, secret: SECRET }] },
      },
    });
    bus = new MemoryBus();
    const routed: DurableMessage[] = [];
    await bus.consumeOrdered('xmpp.r.>', 'interop', async (m) => {
      routed.push(m);
    });
    node = await startComponents({
      bus,
      config,
      logger: createLogger({ service: 'test', level: 'error' }),
      metrics: createMetrics({ collectDefault: false }),
      portOverride: 0,
    });
    dir = await tempDir('parley-component-interop');
    const script = join(dir, 'echo_component.py');
    await writeFile(script, SCRIPT);
    const c = spawnJsonLines(DEBIAN_PYTHON, [script, String(node.port), DOMAIN, SECRET]);
    child = c;
    const n = node;
    const failure = () => `stderr: ${c.err}`;

    await until(() => c.lines.some((l) => l['event'] === 'ready'), 20_000, `ready (${failure()})`);
    expect(n.connectedHere(DOMAIN)).toBe(true);

    const env: Envelope = {
      stage: 'in',
      kind: 'message',
      type: 'chat',
      from: 'alice@example.org/phone',
      to: `bot@${DOMAIN}`,
      id: 'i1',
      xml: `<message xmlns="jabber:client" from="alice@example.org/phone" to="bot@${DOMAIN}" type="chat" id="i1"><body>hello component</body></message>`,
    };
    expect(await n.deliver(env)).toBe('delivered');

    await until(() => routed.length > 0, 20_000, `the echo (${failure()})`);
    expect(routed[0]!.subject).toBe(routeSubject('alice@example.org', config.routing.partitions));
    const echoed = (routed[0]!.data as { env: Envelope }).env;
    expect(echoed).toMatchObject({
      stage: 'in',
      kind: 'message',
      type: 'chat',
      from: `bot@${DOMAIN}`,
      to: 'alice@example.org/phone',
    });
    expect(echoed.xml).toContain('<body>echo: hello component</body>');

    expect(await exitWithin(c, 25_000), failure()).toBe(0);
    const result = lastJsonLine(c);
    expect(result).toMatchObject({
      ready: true,
      disconnected: true,
      received: [
        {
          from: 'alice@example.org/phone',
          to: `bot@${DOMAIN}`,
          type: 'chat',
          body: 'hello component',
        },
      ],
    });
    expect(result['timeout']).toBeUndefined();
    await until(() => !n.connectedHere(DOMAIN), 5_000, 'the disconnect');
  }, 60_000);
});
