import { StoreError } from '../errors.js';

/** The open/closed state shared by every store of one bundle. */
export class Lifecycle {
  private isClosed = false;

  get closed(): boolean {
    return this.isClosed;
  }

  markClosed(): void {
    this.isClosed = true;
  }

  assertOpen(): void {
    if (this.isClosed) throw new StoreError('closed', 'the stores are closed');
  }
}
