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

describe('createLogger', () => {
  it('writes one JSON line per record with time, level, msg, service, nodeId and fields', () => {
    const { logger, lines, records } = capture();
    logger.info('stream opened', { ip: '192.0.2.1', port: 5222 });
    expect(lines).toHaveLength(1);
    expect(lines[0]?.endsWith('}\n')).toBe(true);
    expect(lines[0]?.indexOf('\n')).toBe(lines[0]!.length - 1);
    expect(records()[0]).toEqual({
      time: '2024-05-01T12:00:00.000Z',
      level: 'info',
      msg: 'stream opened',
      service: 'gateway',
      nodeId: 'n1',
      ip: '192.0.2.1',
      port: 5222,
    });
    expect(Object.keys(records()[0]!).slice(0, 3)).toEqual(['time', 'level', 'msg']);
  });

  it('filters below the level without formatting the fields', () => {
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
    logger.warn('w');
    logger.error('e');
    expect(touched).toBe(false);
    expect(records().map((r) => r['level'])).toEqual(['warn', 'error']);
    expect(logger.isLevelEnabled('info')).toBe(false);
    expect(logger.isLevelEnabled('error')).toBe(true);
  });

  it('defaults to info and lets the level be changed for the whole family', () => {
    const { logger, records } = capture({ level: undefined });
    const child = logger.child({ component: 'c2s' });
    child.debug('hidden');
    logger.level = 'debug';
    child.debug('shown');
    expect(records().map((r) => r['msg'])).toEqual(['shown']);
    expect(child.level).toBe('debug');
  });

  it('child loggers add and override fields without touching the parent', () => {
    const { logger, records } = capture({ fields: { region: 'eu' } });
    const session = logger.child({ sessionId: 's1', region: 'us' });
    const stream = session.child({ jid: 'a@b/c' });
    stream.warn('slow', { sessionId: 's2', ms: 12 });
    logger.info('parent');
    const [childRecord, parentRecord] = records();
    expect(childRecord).toMatchObject({ region: 'us', sessionId: 's2', jid: 'a@b/c', ms: 12 });
    expect(parentRecord).toEqual(expect.not.objectContaining({ sessionId: expect.anything() }));
    expect(parentRecord?.['region']).toBe('eu');
  });

  it('never lets fields clobber time, level or msg, and produces no duplicate keys', () => {
    const { logger, lines, records } = capture();
    logger.child({ level: 'fake' }).error('real', { msg: 'fake', time: 'fake', a: 1 });
    expect(records()[0]).toMatchObject({ level: 'error', msg: 'real', a: 1 });
    expect(records()[0]?.['time']).toBe('2024-05-01T12:00:00.000Z');
    expect(lines[0]?.match(/"msg"/g)).toHaveLength(1);
  });

  it('serialises errors, bigints, undefined and cycles safely', () => {
    const { logger, records } = capture();
    const cause = Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' });
    const err = new Error('send failed', { cause });
    const cyclic: Record<string, unknown> = {};
    cyclic['self'] = cyclic;
    logger.error('boom', {
      err,
      big: 10n,
      nothing: undefined,
      cyclic,
      nested: { e: new TypeError('t') },
    });
    const r = records()[0]!;
    expect(r['err']).toMatchObject({
      name: 'Error',
      message: 'send failed',
      cause: { name: 'Error', message: 'socket hang up', code: 'ECONNRESET' },
    });
    expect(String((r['err'] as Record<string, unknown>)['stack'])).toContain('send failed');
    expect(r['big']).toBe('10');
    expect('nothing' in r).toBe(false);
    expect(String(r['cyclic'])).toMatch(/^\[unserializable/);
    expect(r['nested']).toMatchObject({ e: { name: 'TypeError', message: 't' } });
  });

  it('escapes messages and survives a throwing sink', () => {
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
