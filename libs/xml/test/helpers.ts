import { StreamFramer } from '../src/framer.js';
import type { FramerOptions } from '../src/framer.js';
import type { Element } from '../src/element.js';
import type { XmlError } from '../src/errors.js';

/** A framer that records every event as a string, plus the raw objects. */
export interface Recorder {
  framer: StreamFramer;
  events: string[];
  stanzas: Element[];
  errors: XmlError[];
}

export function record(opts?: FramerOptions): Recorder {
  const events: string[] = [];
  const stanzas: Element[] = [];
  const errors: XmlError[] = [];
  const framer = new StreamFramer(
    {
      streamOpen: (h) => events.push(`open ${h.name} ${JSON.stringify(h.attrs)}`),
      stanza: (el) => {
        stanzas.push(el);
        events.push(`stanza ${el.toString()}`);
      },
      streamClose: () => events.push('close'),
      error: (err) => {
        errors.push(err);
        events.push(`error ${err.condition}`);
      },
    },
    opts,
  );
  return { framer, events, stanzas, errors };
}

/** Writes `input` in one go and returns the event log. */
export function run(input: string | Buffer, opts?: FramerOptions): string[] {
  const r = record(opts);
  r.framer.write(input);
  return r.events;
}

/** The condition of the first error produced by `input`, or undefined. */
export function conditionOf(input: string | Buffer, opts?: FramerOptions): string | undefined {
  const r = record(opts);
  r.framer.write(input);
  return r.errors[0]?.condition;
}

export const STREAM_HEADER =
  "<stream:stream xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams' to='example.com' version='1.0'>";
