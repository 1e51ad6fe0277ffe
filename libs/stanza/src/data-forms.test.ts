import { describe, expect, it } from 'vitest';
import { parseXml, xml } from '@parley/xml';
import { boolText, buildForm, findForm, parseBoolean, readForm } from './data-forms.js';
import { NS_DATA_FORMS } from './ns.js';

const FIELDS = [
  { type: 'fixed' as const, values: ['Section'] },
  {
    var: 'colour',
    type: 'list-single' as const,
    label: 'Colour',
    values: ['red'],
    options: [{ value: 'red', label: 'Red' }, { value: 'blue' }],
  },
  { var: 'tags', type: 'text-multi' as const, values: ['a', 'b'] },
  { var: 'empty', type: 'text-single' as const },
];

describe('buildForm', () => {
  it('builds a form with FORM_TYPE first, title, instructions, labels and options', () => {
    const x = buildForm('form', 'urn:example:form', FIELDS, {
      title: 'T',
      instructions: 'Fill in',
    });
    expect(x.toString()).toBe(
      `<x xmlns="${NS_DATA_FORMS}" type="form"><title>T</title><instructions>Fill in</instructions>` +
        '<field var="FORM_TYPE" type="hidden"><value>urn:example:form</value></field>' +
        '<field type="fixed"><value>Section</value></field>' +
        '<field var="colour" type="list-single" label="Colour">' +
        '<option label="Red"><value>red</value></option><option><value>blue</value></option>' +
        '<value>red</value></field>' +
        '<field var="tags" type="text-multi"><value>a</value><value>b</value></field>' +
        '<field var="empty" type="text-single"/></x>',
    );
  });

  it('leaves options out of a result and types and labels out of a submission', () => {
    const result = buildForm('result', 'urn:example:form', FIELDS.slice(1, 2));
    expect(result.toString()).toBe(
      `<x xmlns="${NS_DATA_FORMS}" type="result">` +
        '<field var="FORM_TYPE" type="hidden"><value>urn:example:form</value></field>' +
        '<field var="colour" type="list-single" label="Colour"><value>red</value></field></x>',
    );
    const submit = buildForm('submit', 'urn:example:form', FIELDS.slice(1, 3));
    expect(submit.toString()).toBe(
      `<x xmlns="${NS_DATA_FORMS}" type="submit">` +
        '<field var="FORM_TYPE"><value>urn:example:form</value></field>' +
        '<field var="colour"><value>red</value></field>' +
        '<field var="tags"><value>a</value><value>b</value></field></x>',
    );
  });
});

describe('readForm and findForm', () => {
  it('reads back what buildForm wrote', () => {
    const form = readForm(buildForm('submit', 'urn:example:form', FIELDS.slice(1)));
    expect(form).toEqual({
      type: 'submit',
      formType: 'urn:example:form',
      fields: new Map([
        ['colour', ['red']],
        ['tags', ['a', 'b']],
        ['empty', []],
      ]),
    });
  });

  it("has no FORM_TYPE when none is given, '' as type when absent, and skips fields without var", () => {
    const form = readForm(
      parseXml(
        `<x xmlns='${NS_DATA_FORMS}'><field type='fixed'><value>x</value></field><field var='a'><value>1</value></field></x>`,
      ),
    );
    expect(form).toEqual({ type: '', fields: new Map([['a', ['1']]]) });
    expect(form).not.toHaveProperty('formType');
  });

  it('is undefined for anything but a data form', () => {
    expect(readForm(xml('x', { xmlns: 'jabber:x:oob' }))).toBeUndefined();
    expect(readForm(xml('query', { xmlns: NS_DATA_FORMS }))).toBeUndefined();
  });

  it('finds the form itself, or the first child form with the wanted FORM_TYPE', () => {
    const a = buildForm('submit', 'urn:a', [{ var: 'f', values: ['1'] }]);
    const b = buildForm('submit', 'urn:b', [{ var: 'f', values: ['2'] }]);
    const msg = xml('message', {}, xml('body', {}, 'hi'), a, b);
    expect(findForm(msg)?.formType).toBe('urn:a');
    expect(findForm(msg, 'urn:b')?.fields.get('f')).toEqual(['2']);
    expect(findForm(msg, 'urn:c')).toBeUndefined();
    expect(findForm(b)?.formType).toBe('urn:b');
    expect(findForm(b, 'urn:a')).toBeUndefined();
    expect(findForm(xml('message'))).toBeUndefined();
  });
});

describe('booleans', () => {
  it('reads 1, true, 0 and false (space around allowed) and nothing else', () => {
    expect(['1', 'true', ' true ', '0', 'false', '\n0'].map(parseBoolean)).toEqual([
      true,
      true,
      true,
      false,
      false,
      false,
    ]);
    for (const v of [undefined, '', 'yes', 'TRUE', '2']) expect(parseBoolean(v)).toBeUndefined();
  });

  it("writes '1' and '0'", () => {
    expect([boolText(true), boolText(false)]).toEqual(['1', '0']);
    expect(parseBoolean(boolText(true))).toBe(true);
  });
});
