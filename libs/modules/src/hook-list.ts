/**
 * Well-known hook priorities. Higher runs first; equal priorities run in
 * module start order (which follows the declared dependencies).
 */
export const Priority = {
  /** Host-internal handling that must see a stanza before any module. */
  first: 1000,
  /** Access control: a refused stanza reaches no other module. */
  access: 500,
  /** Stamping the stanza for the hooks after it (e.g. archive ids). */
  stamp: 100,
  normal: 0,
  /** Observers of the final form of a stanza. */
  last: -1000,
} as const;

interface Entry<H> {
  handler: H;
  priority: number;
  seq: number;
  by: string;
}

/**
 * The handlers of one hook, in the order they run: by priority (higher
 * first), then by registration. `handlers` is a plain array rebuilt on
 * registration, so running the hook costs a loop and nothing else.
 */
export class HookList<H> {
  private entries: Entry<H>[] = [];
  private seq = 0;
  /** The handlers in run order. */
  handlers: readonly H[] = [];

  add(handler: H, priority: number, by: string): void {
    this.entries.push({ handler, priority, seq: this.seq++, by });
    this.entries.sort((a, b) => b.priority - a.priority || a.seq - b.seq);
    this.handlers = this.entries.map((e) => e.handler);
  }

  get length(): number {
    return this.handlers.length;
  }

  /** Who registered what, in run order (for docs and start-up logs). */
  describe(): { by: string; priority: number }[] {
    return this.entries.map(({ by, priority }) => ({ by, priority }));
  }
}
