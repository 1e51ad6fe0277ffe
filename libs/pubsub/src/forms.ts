import { xml } from '@parley/xml';
import type { Element } from '@parley/xml';
import { NS_DATA } from './ns.js';

/** A submitted XEP-0004 data form: its type and the values of each field by var. */
export interface SubmittedForm {
  type: string;
  formType?: string;
  values: Map<string, string[]>;
}

/** Reads the first `<x xmlns='jabber:x:data'/>` child of `parent` (or `parent` itself). */
export function readForm(parent: Element): SubmittedForm | undefined {
  const x = parent.is('x', NS_DATA) ? parent : parent.getChild('x', NS_DATA);
  if (!x) return undefined;
  const values = new Map<string, string[]>();
  let formType: string | undefined;
  for (const field of x.getChildren('field')) {
    const v = field.attr('var');
    if (v === undefined) continue;
    const vals = field.getChildren('value').map((e) => e.text());
    if (v === 'FORM_TYPE') formType = vals[0];
    else values.set(v, vals);
  }
  const form: SubmittedForm = { type: x.attr('type') ?? 'submit', values };
  if (formType !== undefined) form.formType = formType;
  return form;
}

export type FieldType =
  | 'boolean'
  | 'fixed'
  | 'hidden'
  | 'jid-multi'
  | 'jid-single'
  | 'list-multi'
  | 'list-single'
  | 'text-multi'
  | 'text-private'
  | 'text-single';

export interface FormField {
  var: string;
  type?: FieldType;
  label?: string;
  values?: readonly string[];
  options?: readonly { value: string; label?: string }[];
}

/** Builds `<x xmlns='jabber:x:data' type=…>` with a hidden FORM_TYPE field first. */
export function buildForm(
  type: 'form' | 'submit' | 'result',
  formType: string,
  fields: readonly FormField[],
): Element {
  const x = xml('x', { xmlns: NS_DATA, type });
  x.append(xml('field', { var: 'FORM_TYPE', type: 'hidden' }, xml('value', {}, formType)));
  for (const f of fields) {
    const field = xml('field', {
      var: f.var,
      type: type === 'submit' ? undefined : f.type,
      label: type === 'form' ? f.label : undefined,
    });
    if (type === 'form')
      for (const o of f.options ?? [])
        field.append(xml('option', { label: o.label }, xml('value', {}, o.value)));
    for (const v of f.values ?? []) field.append(xml('value', {}, v));
    x.append(field);
  }
  return x;
}

/** XEP-0004 boolean: "1"/"true" or "0"/"false"; undefined for anything else. */
export function parseBoolean(value: string | undefined): boolean | undefined {
  if (value === undefined) return undefined;
  const v = value.trim();
  if (v === '1' || v === 'true') return true;
  if (v === '0' || v === 'false') return false;
  return undefined;
}
