/**
 * Property tests of XEP-0004 data forms: what buildForm writes, readForm
 * reads back (also after a trip through the wire), and no element tree,
 * however odd, makes readForm or findForm throw. More runs: `pnpm fuzz`
 * (docs/security.md).
 */
import fc from 'fast-check';
import { describe, expect } from 'vitest';
import { propertyTest, xmlName, xmlText, xmlTree } from '@parley/fuzz';
import type { XmlTree } from '@parley/fuzz';
import { Element, parseXml } from '@parley/xml';
import { boolText, buildForm, findForm, parseBoolean, readForm } from './data-forms.js';
import type { FieldType, FormField } from './data-forms.js';
import { NS_DATA_FORMS } from './ns.js';

const FIELD_TYPES: FieldType[] = [
  'boolean',
  'fixed',
  'hidden',
  'jid-multi',
  'jid-single',
  'list-multi',
  'list-single',
  'text-multi',
  'text-private',
  'text-single',
];

const field: fc.Arbitrary<FormField> = fc.record(
  {
    var: xmlText(12).filter((v) => v !== 'FORM_TYPE'),
    type: fc.constantFrom(...FIELD_TYPES),
    label: xmlText(12),
    values: fc.array(xmlText(16), { maxLength: 3 }),
    options: fc.array(fc.record({ value: xmlText(8), label: xmlText(8) }), { maxLength: 2 }),
  },
  { requiredKeys: ['var'] },
);
const fields = fc.uniqueArray(field, { selector: (f) => f.var, maxLength: 6 });

function toElement(t: XmlTree): Element {
  return new Element(
    t.name,
    t.attrs,
    t.children.map((c) => (typeof c === 'string' ? c : toElement(c))),
  );
}

/** Trees made of the names a form has, in and out of its namespace, in any arrangement. */
const formish = xmlTree(4).map(function rename(t: XmlTree): XmlTree {
  const names = ['x', 'field', 'value', 'option', 'title', t.name];
  const name = names[t.name.length % names.length]!;
  const attrs: Record<string, string> = { ...t.attrs };
  if (t.name.length % 2 === 0) attrs['xmlns'] = NS_DATA_FORMS;
  if (t.name.length % 3 === 0) attrs['var'] = t.name.length % 5 === 0 ? 'FORM_TYPE' : t.name;
  return {
    name,
    attrs,
    children: t.children.map((c) => (typeof c === 'string' ? c : rename(c))),
  };
});

describe('data form properties', () => {
  propertyTest('readForm gives back what buildForm wrote, also over the wire', 1000, () =>
    fc.property(
      fc.constantFrom<'form' | 'submit' | 'result'>('form', 'submit', 'result'),
      xmlText(20),
      fields,
      (type, formType, built) => {
        const x = buildForm(type, formType, built);
        for (const el of [x, parseXml(x.toString())]) {
          const form = readForm(el);
          expect(form?.type).toBe(type);
          expect(form?.formType).toBe(formType);
          expect(form?.fields).toEqual(new Map(built.map((f) => [f.var!, [...(f.values ?? [])]])));
          expect(findForm(new Element('iq', {}, [el]), formType)).toEqual(form);
        }
      },
    ),
  );

  propertyTest('readForm and findForm never throw on arbitrary element trees', 1000, () =>
    fc.property(formish, fc.option(xmlName, { nil: undefined }), (t, formType) => {
      const el = toElement(t);
      const form = readForm(el);
      if (form !== undefined) {
        expect(el.is('x', NS_DATA_FORMS)).toBe(true);
        for (const values of form.fields.values()) {
          for (const v of values) expect(typeof v).toBe('string');
        }
      }
      const found = findForm(el, formType);
      if (found !== undefined && formType !== undefined) expect(found.formType).toBe(formType);
    }),
  );

  propertyTest('parseBoolean reads what boolText writes and nothing but 0/1/true/false', 1000, () =>
    fc.property(fc.boolean(), fc.string({ maxLength: 8 }), (b, text) => {
      expect(parseBoolean(boolText(b))).toBe(b);
      const parsed = parseBoolean(text);
      if (parsed !== undefined) expect(['1', 'true', '0', 'false']).toContain(text.trim());
    }),
  );
});
