import { describe, expect, it } from 'vitest';
import { createLogger } from './index.js';
import type { LoggerOptions } from './index.js';

function capture(opts: Partial<LoggerOptions> = {}) {
  const lines: string[] = [];
  const logger = createLogger({
    service: 'gateway',
    nodeId: 'n1',
    now: () => new Date('2024-05-01T12:00:00.000Z'),
    sink: (line) => lines.push(line),
    ...opts,
  });
  const records = () => lines.map((l) => JSON.parse(l) as Record<string, unknown>);
  return { logger, lines, records };
}

/** How often `"key":` occurs in a line (JSON.parse would hide a duplicate). */
const occurrences = (line: string | undefined, key: string): number =>
  (line?.split(`"${key}":`).length ?? 1) - 1;

describe('createLogger', () => {
  it('writes one JSON line per record: level, time, service, nodeId, fields, msg', () => {
    const { logger, lines } = capture();
    logger.info('stream opened', { ip: '192.0.2.1', port: 5222 });
    expect(lines).toEqual([
      '{"level":"info","time":"2024-05-01T12:00:00.000Z","service":"gateway","nodeId":"n1",' +
        '"ip":"192.0.2.1","port":5222,"msg":"stream opened"}\n',
    ]);
  });

  it('hands each record to the sink as one line, in order, and leaves out nodeId when unset', () => {
    const { logger, lines, records } = capture({ nodeId: undefined });
    logger.warn('first');
    logger.error('second', { n: 2 });
    expect(lines).toHaveLength(2);
    for (const line of lines) expect(line.indexOf('\n')).toBe(line.length - 1);
    expect(records().map((r) => [r['level'], r['msg']])).toEqual([
      ['warn', 'first'],
      ['error', 'second'],
    ]);
    expect(records()[0]).not.toHaveProperty('nodeId');
  });

  it('filters below the level without reading the fields', () => {
    const { logger, records } = capture({ level: 'warn' });
    let touched = false;
    const fields = {
      get expensive() {
        touched = true;
        return 1;
      },
    };
    logger.debug('d', fields);
    logger.info('i', fields);
    logger.child({ component: 'c2s' }).debug('d', fields);
    logger.warn('w');
    logger.error('e');
    expect(touched).toBe(false);
    expect(records().map((r) => r['level'])).toEqual(['warn', 'error']);
    expect(logger.isLevelEnabled('debug')).toBe(false);
    expect(logger.isLevelEnabled('info')).toBe(false);
    expect(logger.isLevelEnabled('warn')).toBe(true);
    expect(logger.isLevelEnabled('error')).toBe(true);
  });

  it('defaults to info; setting the level on any member changes it for the whole family', () => {
    const { logger, records } = capture({ level: undefined });
    const child = logger.child({ component: 'c2s' });
    const sibling = logger.child({ component: 's2s' });
    const grandchild = child.child({ connId: 'c1' });
    expect(logger.level).toBe('info');
    grandchild.debug('hidden');

    grandchild.level = 'debug';
    for (const member of [logger, child, sibling, grandchild]) {
      expect(member.level).toBe('debug');
      expect(member.isLevelEnabled('debug')).toBe(true);
    }
    logger.debug('root shown');
    sibling.debug('sibling shown');
    logger.child({ later: true }).debug('later child shown');

    child.level = 'error';
    logger.warn('hidden again');
    grandchild.info('hidden again');
    sibling.error('sibling error');
    expect(records().map((r) => r['msg'])).toEqual([
      'root shown',
      'sibling shown',
      'later child shown',
      'sibling error',
    ]);
    expect(() => {
      logger.level = 'verbose' as never;
    }).toThrow(/unknown log level: verbose/);
    expect(logger.level).toBe('error');
  });

  it('child loggers add and override fields without touching the parent, with no duplicate keys', () => {
    const { logger, lines, records } = capture({ fields: { region: 'eu' } });
    const session = logger.child({ sessionId: 's1', region: 'us' });
    const stream = session.child({ jid: 'a@b/c' });
    stream.warn('slow', { sessionId: 's2', ms: 12 });
    stream.info('plain');
    logger.info('parent');
    const [overridden, plain, parent] = records();
    expect(overridden).toEqual({
      level: 'warn',
      time: '2024-05-01T12:00:00.000Z',
      service: 'gateway',
      nodeId: 'n1',
      region: 'us',
      sessionId: 's2',
      jid: 'a@b/c',
      ms: 12,
      msg: 'slow',
    });
    expect(plain).toMatchObject({ region: 'us', sessionId: 's1', jid: 'a@b/c', msg: 'plain' });
    expect(parent).toEqual(expect.not.objectContaining({ sessionId: expect.anything() }));
    expect(parent?.['region']).toBe('eu');
    for (const line of lines) {
      expect(occurrences(line, 'region')).toBe(1);
      expect(occurrences(line, 'service')).toBe(1);
    }
    expect(occurrences(lines[0], 'sessionId')).toBe(1);
  });

  it('never lets fields or bindings clobber time, level or msg', () => {
    const { logger, lines, records } = capture();
    logger
      .child({ level: 'fake', time: 'fake', msg: 'fake' })
      .error('real', { msg: 'fake', time: 'fake', level: 'fake', a: 1 });
    expect(records()[0]).toEqual({
      level: 'error',
      time: '2024-05-01T12:00:00.000Z',
      service: 'gateway',
      nodeId: 'n1',
      a: 1,
      msg: 'real',
    });
    for (const key of ['level', 'time', 'msg']) expect(occurrences(lines[0], key)).toBe(1);
  });

  it('serialises an error with its type, message, stack, code and cause chain', () => {
    const { logger, records } = capture();
    const root = Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' });
    const middle = new TypeError('send failed', { cause: root });
    class StoreError extends Error {
      override readonly name = 'StoreError';
      constructor(
        readonly code: string,
        message: string,
        options?: ErrorOptions,
      ) {
        super(message, options);
      }
    }
    const err = new StoreError('write-failed', 'could not archive', { cause: middle });
    logger.error('archive failed', { err });
    const logged = records()[0]?.['err'] as Record<string, unknown>;
    expect(logged).toMatchObject({
      type: 'StoreError',
      message: 'could not archive',
      code: 'write-failed',
      cause: {
        type: 'TypeError',
        message: 'send failed',
        cause: { type: 'Error', message: 'socket hang up', code: 'ECONNRESET' },
      },
    });
    expect(logged['stack']).toBe(err.stack);
    const cause = logged['cause'] as Record<string, unknown>;
    expect(cause['stack']).toBe(middle.stack);
    expect((cause['cause'] as Record<string, unknown>)['stack']).toBe(root.stack);
  });

  it('keeps a cause that is not an Error, a non-enumerable code and the errors of an AggregateError', () => {
    const { logger, records } = capture();
    const hidden = new Error('hidden code');
    Object.defineProperty(hidden, 'code', { value: 'E_HIDDEN', enumerable: false });
    const stringCause = new Error('rejected', { cause: 'the peer said no' });
    const aggregate = new AggregateError([new RangeError('a'), hidden], 'all failed');
    logger.error('many', { hidden, stringCause, aggregate });
    const r = records()[0]!;
    expect(r['hidden']).toMatchObject({ type: 'Error', message: 'hidden code', code: 'E_HIDDEN' });
    expect(r['stringCause']).toMatchObject({ message: 'rejected', cause: 'the peer said no' });
    expect(r['aggregate']).toMatchObject({
      type: 'AggregateError',
      message: 'all failed',
      aggregateErrors: [
        { type: 'RangeError', message: 'a' },
        { type: 'Error', message: 'hidden code' },
      ],
    });
  });

  it('serialises errors under any key, nested in fields and in child bindings, never as {}', () => {
    const { logger, records } = capture();
    const bound = logger.child({ startupError: new Error('bound') });
    bound.warn('nested', {
      reason: new Error('top'),
      detail: { attempts: [{ error: new TypeError('deep') }] },
    });
    const r = records()[0]!;
    expect(r['startupError']).toMatchObject({ type: 'Error', message: 'bound' });
    expect(r['reason']).toMatchObject({ type: 'Error', message: 'top' });
    expect(r['detail']).toMatchObject({
      attempts: [{ error: { type: 'TypeError', message: 'deep' } }],
    });
    expect(JSON.stringify(r)).not.toContain('{}');
  });

  it('does not alter the fields object it is given', () => {
    const { logger } = capture();
    const err = new Error('x');
    const fields = { err, msg: 'kept', nested: { err } };
    logger.error('e', fields);
    expect(fields.err).toBe(err);
    expect(fields.msg).toBe('kept');
    expect(fields.nested.err).toBe(err);
  });

  it('writes bigints, drops undefined, marks cycles, and keeps % in messages', () => {
    const { logger, records } = capture();
    const cyclic: Record<string, unknown> = { name: 'loop' };
    cyclic['self'] = cyclic;
    logger.info('100% done %s', { big: 10n, nothing: undefined, cyclic });
    const r = records()[0]!;
    expect(r['msg']).toBe('100% done %s');
    expect(r['big']).toBe(10);
    expect('nothing' in r).toBe(false);
    expect(r['cyclic']).toEqual({ name: 'loop', self: '[Circular]' });
  });

  it('escapes messages and never throws, neither for a failing sink nor a throwing getter', () => {
    const { logger, records } = capture();
    logger.info('line\nbreak "quoted"');
    expect(records()[0]?.['msg']).toBe('line\nbreak "quoted"');
    const broken = createLogger({
      service: 's',
      sink: () => {
        throw new Error('EPIPE');
      },
    });
    expect(() => broken.error('still fine')).not.toThrow();
    const hostile = {
      get value(): never {
        throw new Error('getter');
      },
    };
    expect(() => logger.error('hostile', hostile)).not.toThrow();
  });

  it('writes to stdout by default', () => {
    const written: string[] = [];
    const original = process.stdout.write.bind(process.stdout);
    process.stdout.write = ((chunk: string) => {
      written.push(chunk);
      return true;
    }) as typeof process.stdout.write;
    try {
      createLogger({ service: 'server', level: 'info' }).info('hello');
    } finally {
      process.stdout.write = original;
    }
    expect(written).toHaveLength(1);
    expect(JSON.parse(written[0]!)).toMatchObject({
      level: 'info',
      msg: 'hello',
      service: 'server',
    });
    expect(JSON.parse(written[0]!)).not.toHaveProperty('nodeId');
  });
});
