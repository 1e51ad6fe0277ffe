// The few parts of @xmpp/client (which ships no typings) the interop test uses.
declare module '@xmpp/client' {
  import type { EventEmitter } from 'node:events';

  export interface XmppElement {
    name: string;
    attrs: Record<string, string | undefined>;
    getChildText(name: string, xmlns?: string): string | null;
    toString(): string;
  }

  export interface XmppStreamManagement extends EventEmitter {
    /** The SM-ID ('' until enabled with resumption). */
    id: string;
    enabled: boolean;
    /** Stanzas received from the server on this SM session. */
    inbound: number;
  }

  export interface XmppClient extends EventEmitter {
    start(): Promise<{ toString(): string }>;
    stop(): Promise<unknown>;
    send(el: XmppElement): Promise<void>;
    reconnect: EventEmitter & { stop(): void };
    streamManagement: XmppStreamManagement;
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
