/** Finds the next character that is not XML whitespace (S production). */
const NON_WS = /[^ \t\r\n]/g;

/**
 * Byte accounting for text fed to the XML parser in slices.
 *
 * Positions are UTF-16 code unit offsets into everything fed since the last
 * {@link reset} (the same numbering as saxes' `position`); the meter turns
 * them into UTF-8 byte offsets. Queries must be non-decreasing and fall
 * inside the current slice, which lets non-ASCII slices be measured
 * incrementally (each character is measured at most once) and ASCII slices
 * by arithmetic alone.
 *
 * It also tracks the current "unit": the raw input of one top-level element,
 * starting at the first non-whitespace character after the previous
 * top-level boundary. Whitespace between units (keepalives) is not counted.
 */
export class ByteMeter {
  /** Position just past the last character fed. */
  end = 0;
  /** Byte offset of {@link end}. */
  endBytes = 0;
  /** Position of the current slice's first character. */
  sliceStart = 0;
  /** Whether the current unit has started (a non-whitespace character was seen). */
  unitOpen = false;
  /** Byte offset where the current unit starts; meaningful while {@link unitOpen}. */
  unitStartBytes = 0;
  /** Whether the current unit starts with a character other than `<`. */
  badStart = false;

  private slice = '';
  private sliceStartBytes = 0;
  private ascii = true;
  private cursor = 0;
  private cursorBytes = 0;
  private scanFrom = 0;

  reset(): void {
    this.end = 0;
    this.endBytes = 0;
    this.sliceStart = 0;
    this.unitOpen = false;
    this.unitStartBytes = 0;
    this.badStart = false;
    this.slice = '';
    this.sliceStartBytes = 0;
    this.ascii = true;
    this.cursor = 0;
    this.cursorBytes = 0;
    this.scanFrom = 0;
  }

  /** Starts a new slice; it must not split a surrogate pair. */
  begin(slice: string): void {
    const bytes = Buffer.byteLength(slice, 'utf8');
    this.slice = slice;
    this.sliceStart = this.end;
    this.sliceStartBytes = this.endBytes;
    this.ascii = bytes === slice.length;
    this.cursor = this.end;
    this.cursorBytes = this.endBytes;
    this.end += slice.length;
    this.endBytes += bytes;
  }

  /**
   * Byte offset of position `p`, after opening the unit if its first
   * non-whitespace character lies before `p`.
   */
  sync(p: number): number {
    if (!this.unitOpen && p > this.scanFrom) {
      const base = this.sliceStart;
      NON_WS.lastIndex = this.scanFrom - base;
      const m = NON_WS.exec(this.slice);
      if (m !== null && m.index < p - base) {
        this.unitOpen = true;
        this.badStart = m[0] !== '<';
        this.unitStartBytes = this.bytesAt(m.index + base);
      }
    }
    if (p > this.scanFrom) this.scanFrom = p;
    return this.bytesAt(p);
  }

  /** Ends the current unit at position `p` (just past its last character). */
  endUnit(p: number): void {
    this.unitOpen = false;
    this.badStart = false;
    if (p > this.scanFrom) this.scanFrom = p;
  }

  private bytesAt(p: number): number {
    if (this.ascii) return this.sliceStartBytes + (p - this.sliceStart);
    if (p < this.cursor) {
      // Not expected (queries are non-decreasing); measure from the slice start.
      return (
        this.sliceStartBytes + Buffer.byteLength(this.slice.slice(0, p - this.sliceStart), 'utf8')
      );
    }
    if (p > this.cursor) {
      const from = this.cursor - this.sliceStart;
      this.cursorBytes += Buffer.byteLength(this.slice.slice(from, p - this.sliceStart), 'utf8');
      this.cursor = p;
    }
    return this.cursorBytes;
  }
}
