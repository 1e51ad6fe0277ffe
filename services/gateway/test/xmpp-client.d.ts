// The few parts of @xmpp/client (which ships no typings) the interop test uses.
declare module '@xmpp/client' {
  import type { EventEmitter } from 'node:events';

  export interface XmppElement {
    name: string;
    attrs: Record<string, string | undefined>;
    getChildText(name: string, xmlns?: string): string | null;
    toString(): string;
  }

  export interface XmppClient extends EventEmitter {
    start(): Promise<{ toString(): string }>;
    stop(): Promise<unknown>;
    send(el: XmppElement): Promise<void>;
    reconnect: { stop(): void };
  }

  export function client(options: {
    service: string;
    domain?: string;
    username?: string;
    password?: string;
    resource?: string;
  }): XmppClient;

  export function xml(
    name: string,
    attrs?: Record<string, string> | null,
    ...children: Array<XmppElement | string>
  ): XmppElement;
}
