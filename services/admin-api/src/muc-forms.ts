/** Room configuration (XEP-0045 muc#roomconfig data forms) as JSON, both ways. */
import { Type } from '@sinclair/typebox';
import type { Static } from '@sinclair/typebox';
import { NS_DATA_FORMS } from '@parley/stanza';
import { xml } from '@parley/xml';
import type { Element } from '@parley/xml';

export const ROOMCONFIG = 'http://jabber.org/protocol/muc#roomconfig';
const MULTI = new Set(['jid-multi', 'list-multi', 'text-multi']);

/** The value of a field: a boolean, the text of a single field, the values of a multi one. */
export const FieldValue = Type.Union([Type.String(), Type.Boolean(), Type.Array(Type.String())]);
export type FieldValue = Static<typeof FieldValue>;

export const FormField = Type.Object({
  var: Type.String(),
  type: Type.String({ description: 'Data form field type' }),
  label: Type.Optional(Type.String()),
  value: FieldValue,
  options: Type.Optional(Type.Array(Type.String())),
});
export type FormField = Static<typeof FormField>;

/** Values to submit by field var; a number is sent as its text. */
const SubmittedValue = Type.Union([
  Type.String(),
  Type.Boolean(),
  Type.Number(),
  Type.Array(Type.String()),
]);
export const ConfigValues = Type.Unsafe<Record<string, Static<typeof SubmittedValue>>>({
  type: 'object',
  description: 'Field values by var (muc#roomconfig_*): strings, booleans or lists of strings',
  additionalProperties: SubmittedValue,
});
export type ConfigValues = Static<typeof ConfigValues>;

/** The fields of a configuration form (FORM_TYPE and fixed fields left out). */
export function formFields(x: Element | undefined): FormField[] {
  const out: FormField[] = [];
  for (const f of x?.getChildren('field') ?? []) {
    const name = f.attr('var');
    const type = f.attr('type') ?? 'text-single';
    if (!name || name === 'FORM_TYPE' || type === 'fixed') continue;
    const values = f.getChildren('value').map((v) => v.text());
    const value: FieldValue =
      type === 'boolean'
        ? values[0] === '1' || values[0] === 'true'
        : MULTI.has(type)
          ? values
          : (values[0] ?? '');
    const field: FormField = { var: name, type, value };
    const label = f.attr('label');
    if (label) field.label = label;
    const options = f.getChildren('option').map((o) => o.getChildText('value') ?? '');
    if (options.length > 0) field.options = options;
    out.push(field);
  }
  return out;
}

/** A submitted configuration form with the given values (other fields keep theirs). */
export function submitForm(values: ConfigValues): Element {
  const x = xml('x', { xmlns: NS_DATA_FORMS, type: 'submit' });
  x.c('field', { var: 'FORM_TYPE' }).c('value').t(ROOMCONFIG);
  for (const [name, v] of Object.entries(values)) {
    const field = x.c('field', { var: name });
    const list = Array.isArray(v) ? v : [typeof v === 'boolean' ? (v ? '1' : '0') : String(v)];
    for (const item of list) field.c('value').t(item);
  }
  return x;
}
