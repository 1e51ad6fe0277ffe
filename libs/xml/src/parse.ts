import type { Element } from './element.js';
import { XmlError } from './errors.js';
import { StreamFramer } from './framer.js';
import type { XmlLimits } from './limits.js';

/** A `document`-mode framer that keeps the outcome of one `write()`. */
class DocumentParser {
  private result: Element | undefined;
  private failure: XmlError | undefined;
  private readonly framer: StreamFramer;

  constructor(limits?: Partial<XmlLimits>) {
    this.framer = new StreamFramer(
      {
        streamOpen: () => undefined,
        streamClose: () => undefined,
        stanza: (el) => {
          this.result = el;
        },
        error: (err) => {
          this.failure = err;
        },
      },
      { mode: 'document', limits },
    );
  }

  parse(text: string): Element {
    this.result = undefined;
    this.failure = undefined;
    this.framer.write(text);
    const { result, failure } = this;
    this.result = undefined;
    this.failure = undefined;
    if (failure !== undefined) {
      this.framer.reset();
      throw failure;
    }
    if (result === undefined) {
      // Unreachable: saxes reports a document without a root element.
      this.framer.reset();
      throw new XmlError('not-well-formed', 'no element found');
    }
    return result;
  }
}

let shared: DocumentParser | undefined;

/**
 * Parses one complete, standalone element (an optional XML declaration and
 * surrounding whitespace allowed), e.g. a serialized stanza carried on the
 * bus. Applies the same RFC 6120 section 11 restrictions and limits as the
 * stream framer. Throws {@link XmlError} on bad input.
 */
export function parseXml(text: string, limits?: Partial<XmlLimits>): Element {
  if (limits !== undefined) return new DocumentParser(limits).parse(text);
  shared ??= new DocumentParser();
  return shared.parse(text);
}
