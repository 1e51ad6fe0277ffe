import { SaxesParser } from 'saxes';
import type { SaxesAttributeNS, SaxesStartTagNS, SaxesTagNS, XMLDecl } from 'saxes';
import { ByteMeter } from './byte-meter.js';
import { setOwnAttr } from './element.js';
import type { Element } from './element.js';
import { buildElement } from './element-builder.js';
import { XmlError } from './errors.js';
import type { XmlErrorCondition } from './errors.js';
import { resolveLimits } from './limits.js';
import type { XmlLimits } from './limits.js';
import { FRAMING_NS, STREAM_NS } from './namespaces.js';
import { conditionForSaxesError } from './saxes-errors.js';
import { incompleteTail, loneSurrogateAt, validUtf8Prefix } from './valid-prefix.js';

/** The opening of a stream: `<stream:stream ...>` on TCP, `<open .../>` on WebSocket. */
export interface StreamHeader {
  /** Qualified name as written, e.g. `stream:stream` or `open`. */
  name: string;
  /** Attributes as written, namespace declarations included. */
  attrs: Record<string, string>;
}

export interface FramerHandlers {
  /** The stream header (TCP) or an RFC 7395 `<open/>` (WebSocket). */
  streamOpen(header: StreamHeader): void;
  /** A complete top-level element; `el.parent` is undefined and its namespaces are self-contained. */
  stanza(el: Element): void;
  /** `</stream:stream>` (TCP) or an RFC 7395 `<close/>` (WebSocket). Later input is ignored until `reset()`. */
  streamClose(): void;
  /** The input was refused. Later input is ignored until `reset()`. */
  error(err: XmlError): void;
}

/**
 * - `tcp`: one endless XML document per stream (RFC 6120 section 4); chunks may split anywhere.
 * - `websocket`: each `write()` is one whole WebSocket message holding one complete
 *   element (RFC 7395 section 3.3); whitespace-only messages are ignored.
 * - `document`: like `websocket` but without `<open/>`/`<close/>` handling: every
 *   element goes to `stanza()`. Used by `parseXml()`.
 */
export type FramerMode = 'tcp' | 'websocket' | 'document';

export interface FramerOptions {
  limits?: Partial<XmlLimits>;
  mode?: FramerMode;
}

type ParserOptions = {
  xmlns: true;
  fragment: false;
  forceXMLVersion: true;
  defaultXMLVersion: '1.0';
};
type Parser = SaxesParser<ParserOptions>;

const PARSER_OPTIONS: ParserOptions = {
  xmlns: true,
  fragment: false,
  forceXMLVersion: true,
  defaultXMLVersion: '1.0',
};

/**
 * TCP input is handed to saxes in slices of at most this many UTF-16 units so
 * limits are checked while a large element is still arriving.
 */
const SLICE_UNITS = 8192;

/** Thrown through saxes to stop it; never escapes the framer. */
class Interrupt {
  constructor(readonly reason: 'failed' | 'closed' | 'restarted') {}
}
const FAILED = new Interrupt('failed');
const CLOSED = new Interrupt('closed');
const RESTARTED = new Interrupt('restarted');

const ALL_WHITESPACE = /^[ \t\r\n]*$/;
const UTF8_NAME = /^utf-8$/i;

type State = 'open' | 'closed' | 'failed';
type Chunk = Buffer | Uint8Array | string;

function concatBytes(a: Uint8Array, b: Uint8Array): Uint8Array {
  return a.length === 0 ? b : Buffer.concat([a, b]);
}

function isHighSurrogate(code: number): boolean {
  return code >= 0xd800 && code <= 0xdbff;
}

/**
 * Incremental XMPP stream parser: turns raw input into stream open/close
 * events and one {@link Element} per top-level element, enforcing the RFC
 * 6120 section 11 XML restrictions and the configured {@link XmlLimits}.
 */
export class StreamFramer {
  readonly mode: FramerMode;
  private currentLimits: Readonly<XmlLimits>;

  private readonly handlers: FramerHandlers;
  private readonly meter = new ByteMeter();
  private parser: Parser;
  private decoder = new TextDecoder('utf-8', { fatal: true });
  private state: State = 'open';
  private failure: XmlError | undefined;
  private generation = 0;

  /** Open elements of the current top-level element, outermost first. */
  private stack: Element[] = [];
  private headerSeen = false;
  private attrCount = 0;
  private inOpenTag = false;
  private tagStartBytes = 0;
  /** Message modes: the element parsed from the current message. */
  private completed: Element | undefined;
  /**
   * TCP: position just past a top-level close tag whose event is not yet
   * delivered, or -1. saxes reports a close tag before checking that its name
   * matches, so delivery waits for the next parser event or the end of the
   * slice; an error reported at this very position means it did not match.
   */
  private pendingPos = -1;
  /** The stanza completed at `pendingPos`; undefined when it is the stream end. */
  private pendingEl: Element | undefined;
  /** Input position of the event being delivered, where a restart resumes. */
  private eventPos = 0;

  private pendingHigh = '';
  /** TCP bytes: the start of a UTF-8 sequence the decoder holds for the next chunk. */
  private carry: Uint8Array = new Uint8Array(0);
  private writing = false;
  private inParser = false;
  private restartOffset = 0;
  private readonly queue: Chunk[] = [];

  constructor(handlers: FramerHandlers, opts?: FramerOptions) {
    this.handlers = handlers;
    this.mode = opts?.mode ?? 'tcp';
    this.currentLimits = resolveLimits(opts?.limits);
    this.parser = this.createParser();
  }

  /** The limits in force. */
  get limits(): Readonly<XmlLimits> {
    return this.currentLimits;
  }

  /**
   * Changes limits for what is parsed from now on, e.g. a larger stanza size
   * once a client has authenticated (a stream starts with a small one).
   */
  setLimits(limits: Partial<XmlLimits>): void {
    this.currentLimits = resolveLimits({ ...this.currentLimits, ...limits });
  }

  /** UTF-8 bytes of the top-level element currently being received (0 between elements). */
  get pendingBytes(): number {
    return this.meter.unitOpen ? this.meter.endBytes - this.meter.unitStartBytes : 0;
  }

  /**
   * Feeds raw input. In `tcp` mode chunks may split anywhere, even inside a
   * UTF-8 sequence; in the message modes each call is one whole message.
   * Never throws for bad input (that goes to `handlers.error`); exceptions
   * thrown by a handler propagate, and the framer then ignores input until
   * `reset()`. Calls made from inside a handler are queued.
   */
  write(chunk: Chunk): void {
    if (this.writing) {
      this.queue.push(chunk);
      return;
    }
    this.writing = true;
    try {
      this.process(chunk);
      for (let next = this.queue.shift(); next !== undefined; next = this.queue.shift()) {
        this.process(next);
      }
    } finally {
      this.writing = false;
      this.queue.length = 0;
    }
  }

  /**
   * Starts over with a fresh parser that expects a new stream header: use it
   * for stream restarts (after STARTTLS or SASL success) and to resume after
   * an error. Called from a `stanza` or `streamOpen`/`streamClose` handler,
   * the rest of the chunk being written is parsed as the start of the new stream.
   */
  reset(): void {
    this.restartOffset = this.inParser ? this.eventPos - this.meter.sliceStart : 0;
    this.generation++;
    this.parser = this.createParser();
    this.meter.reset();
    this.state = 'open';
    this.failure = undefined;
    this.stack = [];
    this.headerSeen = false;
    this.attrCount = 0;
    this.inOpenTag = false;
    this.completed = undefined;
    this.pendingPos = -1;
    this.pendingEl = undefined;
    if (!this.inParser) {
      // Not a pipelined restart: nothing buffered belongs to the new stream.
      this.decoder = new TextDecoder('utf-8', { fatal: true });
      this.pendingHigh = '';
      this.carry = new Uint8Array(0);
    }
  }

  private process(chunk: Chunk): void {
    if (this.state !== 'open') return;
    if (this.mode === 'tcp') this.writeStream(chunk);
    else this.writeMessage(chunk);
  }

  // ---- input handling -------------------------------------------------------

  private writeStream(chunk: Chunk): void {
    if (typeof chunk === 'string') {
      let text = this.pendingHigh + chunk;
      this.pendingHigh = '';
      if (text.length > 0 && isHighSurrogate(text.charCodeAt(text.length - 1))) {
        this.pendingHigh = text.slice(-1);
        text = text.slice(0, -1);
      }
      const bad = loneSurrogateAt(text);
      if (bad === -1) {
        this.parseStream(text);
        return;
      }
      // What precedes the error is parsed first, as if the chunk had been cut there.
      this.parseStream(text.slice(0, bad));
      if (this.state === 'open') this.report('not-well-formed', 'unpaired surrogate in input');
      return;
    }
    let text: string;
    try {
      text = this.decoder.decode(chunk, { stream: true });
    } catch (err) {
      this.parseStream(validUtf8Prefix(concatBytes(this.carry, chunk)));
      if (this.state === 'open')
        this.report('unsupported-encoding', 'input is not valid UTF-8', err);
      return;
    }
    this.carry = incompleteTail(concatBytes(this.carry, chunk.subarray(-3)));
    this.parseStream(text);
  }

  /** Parses decoded TCP input, in slices with the size checks in between. */
  private parseStream(text: string): void {
    const n = text.length;
    let offset = 0;
    while (offset < n && this.state === 'open') {
      let end = n - offset > SLICE_UNITS ? offset + SLICE_UNITS : n;
      if (end < n && isHighSurrogate(text.charCodeAt(end - 1))) end++;
      const slice = offset === 0 && end === n ? text : text.slice(offset, end);
      this.meter.begin(slice);
      this.inParser = true;
      try {
        this.parser.write(slice);
        this.deliverPending();
        this.checkLimits();
      } catch (err) {
        this.inParser = false;
        if (err === RESTARTED) {
          offset += this.restartOffset;
          continue;
        }
        this.settle(err);
        return;
      }
      this.inParser = false;
      offset = end;
    }
  }

  private writeMessage(chunk: Chunk): void {
    let text: string;
    let bytes: number;
    if (typeof chunk === 'string') {
      text = chunk;
      bytes = Buffer.byteLength(text, 'utf8');
      if (loneSurrogateAt(text) !== -1) {
        this.report('not-well-formed', 'unpaired surrogate in input');
        return;
      }
    } else {
      bytes = chunk.byteLength;
      if (bytes > this.limits.maxStanzaBytes) {
        this.report('policy-violation', `message of ${bytes} bytes exceeds the size limit`);
        return;
      }
      try {
        text = this.decoder.decode(chunk);
      } catch (err) {
        this.report('unsupported-encoding', 'input is not valid UTF-8', err);
        return;
      }
    }
    if (bytes > this.limits.maxStanzaBytes) {
      this.report('policy-violation', `message of ${bytes} bytes exceeds the size limit`);
      return;
    }
    if (this.mode === 'websocket' && ALL_WHITESPACE.test(text)) return;

    this.meter.reset();
    this.meter.begin(text);
    this.completed = undefined;
    this.inParser = true;
    try {
      this.parser.write(text);
      this.parser.close();
    } catch (err) {
      this.inParser = false;
      this.settle(err);
      return;
    }
    this.inParser = false;
    const el = this.completed;
    this.completed = undefined;
    if (el !== undefined) this.deliverMessage(el);
  }

  private deliverMessage(el: Element): void {
    if (this.mode === 'websocket' && el.getNS() === FRAMING_NS) {
      if (el.localName === 'open') {
        this.handlers.streamOpen({ name: el.name, attrs: el.attrs });
        return;
      }
      if (el.localName === 'close') {
        this.state = 'closed';
        this.handlers.streamClose();
        return;
      }
    }
    this.handlers.stanza(el);
  }

  /** Handles whatever stopped the parser. */
  private settle(err: unknown): void {
    if (err === FAILED) {
      const failure = this.failure;
      if (failure !== undefined) this.handlers.error(failure);
      return;
    }
    if (err === CLOSED) return;
    // A handler threw: the parser is in an unknown state.
    this.state = 'failed';
    throw err;
  }

  /** Refuses input outside the parser. */
  private report(condition: XmlErrorCondition, message: string, cause?: unknown): void {
    this.state = 'failed';
    this.failure = new XmlError(condition, message, cause === undefined ? undefined : { cause });
    this.handlers.error(this.failure);
  }

  /** Refuses input from inside the parser: records the error and stops saxes. */
  private fail(condition: XmlErrorCondition, message: string, cause?: unknown): never {
    if (this.state !== 'failed') {
      this.state = 'failed';
      this.failure = new XmlError(condition, message, cause === undefined ? undefined : { cause });
    }
    throw FAILED;
  }

  /**
   * Runs a handler for the event that ended at input position `pos`; if the
   * handler called `reset()`, abandons the old parser so the caller resumes
   * from `pos` with the new one.
   */
  private emit(pos: number, fn: () => void): void {
    const generation = this.generation;
    this.eventPos = pos;
    fn();
    if (this.generation !== generation) throw RESTARTED;
  }

  /** Delivers a completed top-level element or stream end, now known to be well-formed. */
  private deliverPending(): void {
    const pos = this.pendingPos;
    if (pos < 0) return;
    const el = this.pendingEl;
    this.pendingPos = -1;
    this.pendingEl = undefined;
    if (el !== undefined) {
      this.emit(pos, () => this.handlers.stanza(el));
      return;
    }
    this.state = 'closed';
    this.emit(pos, () => this.handlers.streamClose());
    throw CLOSED;
  }

  // ---- limits ---------------------------------------------------------------

  /** Byte offset of position `p`; refuses text between top-level elements. */
  private syncAt(p: number): number {
    const bytes = this.meter.sync(p);
    if (this.meter.badStart && this.headerSeen) {
      this.fail('not-well-formed', 'character data between stanzas');
    }
    return bytes;
  }

  /** Size checks at the end of each slice, for elements still arriving. */
  private checkLimits(): void {
    if (this.state !== 'open') return;
    const bytes = this.syncAt(this.meter.end);
    if (this.meter.unitOpen && bytes - this.meter.unitStartBytes > this.limits.maxStanzaBytes) {
      this.fail('policy-violation', `element exceeds ${this.limits.maxStanzaBytes} bytes`);
    }
    const maxTag = this.limits.maxOpenTagBytes;
    if (this.inOpenTag && maxTag !== undefined && bytes - this.tagStartBytes > maxTag) {
      this.fail('policy-violation', `open tag exceeds ${maxTag} bytes`);
    }
  }

  private checkUnitSize(p: number): void {
    const bytes = this.syncAt(p) - this.meter.unitStartBytes;
    if (bytes > this.limits.maxStanzaBytes) {
      this.fail('policy-violation', `element of ${bytes} bytes exceeds the size limit`);
    }
    this.meter.endUnit(p);
  }

  private beginTag(name: string): void {
    this.attrCount = 0;
    if (this.limits.maxOpenTagBytes !== undefined) {
      this.inOpenTag = true;
      // The tag began with '<' and the name, and saxes has read one more character
      // (two for a CRLF, which then counts one byte too many).
      this.tagStartBytes = this.syncAt(this.parser.position) - Buffer.byteLength(name, 'utf8') - 2;
    }
  }

  private endTag(): void {
    if (!this.inOpenTag) return;
    this.inOpenTag = false;
    const max = this.limits.maxOpenTagBytes!;
    if (this.syncAt(this.parser.position) - this.tagStartBytes > max) {
      this.fail('policy-violation', `open tag exceeds ${max} bytes`);
    }
  }

  // ---- saxes events ---------------------------------------------------------

  private createParser(): Parser {
    const parser = new SaxesParser<ParserOptions>(PARSER_OPTIONS);
    parser.on('error', (err) => this.onError(err));
    parser.on('xmldecl', (decl) => this.onXmlDecl(decl));
    parser.on('doctype', () => this.refuse('document type declarations are not allowed'));
    parser.on('comment', () => this.refuse('comments are not allowed'));
    parser.on('processinginstruction', () =>
      this.refuse('processing instructions are not allowed'),
    );
    parser.on('cdata', (text) => this.onCData(text));
    parser.on('opentagstart', (tag) => this.onOpenTagStart(tag));
    parser.on('attribute', (attr) => this.onAttribute(attr));
    parser.on('opentag', (tag) => this.onOpenTag(tag));
    parser.on('closetag', (tag) => this.onCloseTag(tag));
    // 'text' is attached only while inside a top-level element, so whitespace
    // between stanzas is never accumulated by saxes.
    return parser;
  }

  private readonly onText = (text: string): void => {
    const top = this.stack[this.stack.length - 1];
    if (top === undefined || text.length === 0) return;
    const children = top.children;
    const last = children.length - 1;
    const prev = children[last];
    if (typeof prev === 'string') children[last] = prev + text;
    else children.push(text);
  };

  private onError(err: Error): never {
    if (this.pendingPos >= 0) {
      if (this.parser.position === this.pendingPos) {
        // The close tag just reported does not match its open tag.
        this.pendingPos = -1;
        this.pendingEl = undefined;
      } else {
        this.deliverPending();
      }
    }
    this.checkTextBefore();
    this.fail(conditionForSaxesError(err.message), err.message, err);
  }

  private refuse(message: string): never {
    this.deliverPending();
    this.checkTextBefore();
    this.fail('restricted-xml', message);
  }

  /**
   * Between stanzas, refuses text that came before the event being reported
   * (otherwise only noticed at the end of the slice), so that the first
   * error in the input is the one reported, however it was cut into chunks.
   */
  private checkTextBefore(): void {
    if (
      this.mode === 'tcp' &&
      this.headerSeen &&
      this.stack.length === 0 &&
      this.state === 'open'
    ) {
      this.syncAt(this.parser.position);
    }
  }

  private onXmlDecl(decl: XMLDecl): void {
    this.deliverPending();
    if (decl.encoding !== undefined && !UTF8_NAME.test(decl.encoding)) {
      this.fail('unsupported-encoding', `encoding ${decl.encoding} is not supported; use UTF-8`);
    }
  }

  private onCData(text: string): void {
    this.deliverPending();
    if (this.stack.length === 0) this.fail('not-well-formed', 'character data between stanzas');
    this.onText(text);
  }

  private onOpenTagStart(tag: SaxesStartTagNS): void {
    this.deliverPending();
    if (this.mode === 'tcp' && !this.headerSeen) {
      this.beginTag(tag.name);
      return;
    }
    const depth = this.stack.length + 1;
    if (depth === 1) this.syncAt(this.parser.position);
    if (depth > this.limits.maxDepth) {
      this.fail('policy-violation', `elements nested deeper than ${this.limits.maxDepth}`);
    }
    this.beginTag(tag.name);
  }

  private onAttribute(attr: SaxesAttributeNS): void {
    if (++this.attrCount > this.limits.maxAttributes) {
      this.fail('policy-violation', `more than ${this.limits.maxAttributes} attributes`);
    }
    const max = this.limits.maxAttrValueBytes;
    if (max !== undefined) {
      const v = attr.value;
      if (v.length > max || (v.length * 3 > max && Buffer.byteLength(v, 'utf8') > max)) {
        this.fail('policy-violation', `attribute value exceeds ${max} bytes`);
      }
    }
  }

  private onOpenTag(tag: SaxesTagNS): void {
    this.endTag();
    if (this.mode === 'tcp' && !this.headerSeen) {
      this.onStreamHeader(tag);
      return;
    }
    const stack = this.stack;
    const el = buildElement(tag, stack, this.mode === 'tcp');
    const parent = stack[stack.length - 1];
    if (parent === undefined) this.parser.on('text', this.onText);
    else parent.append(el);
    stack.push(el);
  }

  private onCloseTag(_tag: SaxesTagNS): void {
    this.deliverPending();
    const stack = this.stack;
    const el = stack.pop();
    const pos = this.parser.position;
    if (el === undefined) {
      // TCP: the stream header's close tag.
      this.syncAt(pos);
      this.meter.endUnit(pos);
      this.pendingPos = pos;
      return;
    }
    if (stack.length > 0) return;
    this.parser.off('text');
    this.checkUnitSize(pos);
    if (this.mode === 'tcp') {
      this.pendingPos = pos;
      this.pendingEl = el;
    } else {
      this.completed = el;
    }
  }

  private onStreamHeader(tag: SaxesTagNS): void {
    this.checkUnitSize(this.parser.position);
    if (tag.uri !== STREAM_NS || tag.local !== 'stream') {
      this.fail('invalid-namespace', `stream header must be {${STREAM_NS}}stream`);
    }
    this.headerSeen = true;
    const attrs: Record<string, string> = {};
    const source = tag.attributes;
    for (const name in source) setOwnAttr(attrs, name, source[name]!.value);
    this.emit(this.parser.position, () => this.handlers.streamOpen({ name: tag.name, attrs }));
  }
}
