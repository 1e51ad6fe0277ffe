// Minimal typings for the parts of @xmpp/client (which ships none) the tests use.
declare module '@xmpp/client' {
  import type { EventEmitter } from 'node:events';

  export interface Element {
    name: string;
    attrs: Record<string, string | undefined>;
    children: Array<Element | string>;
    getChild(name: string, xmlns?: string): Element | undefined;
    getChildren(name: string, xmlns?: string): Element[];
    getChildText(name: string, xmlns?: string): string | null;
    getText(): string;
    is(name: string, xmlns?: string): boolean;
    toString(): string;
  }

  export interface Client extends EventEmitter {
    jid?: { toString(): string; local: string; resource: string };
    saslFactory: unknown;
    reconnect: { stop(): void };
    iqCaller: {
      request(el: Element, timeout?: number): Promise<Element>;
      get(el: Element, to?: string, timeout?: number): Promise<Element>;
      set(el: Element, to?: string, timeout?: number): Promise<Element>;
    };
    start(): Promise<unknown>;
    stop(): Promise<unknown>;
    send(...el: Element[]): Promise<void>;
  }

  export function client(options: {
    service: string;
    domain?: string;
    username?: string;
    password?: string;
    resource?: string;
  }): Client;

  export function xml(
    name: string,
    attrs?: Record<string, string | undefined> | null,
    ...children: Array<Element | string>
  ): Element;
}

declare module '@xmpp/xml' {
  export type { Element } from '@xmpp/client';
}
