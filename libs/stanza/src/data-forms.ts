/**
 * XEP-0004: Data Forms (https://xmpp.org/extensions/xep-0004.html), the
 * shapes the server builds and reads: a form with a hidden FORM_TYPE field
 * first (XEP-0068), the values of a submitted one by field var, and the
 * boolean field type.
 */
import { xml } from '@parley/xml';
import type { Element } from '@parley/xml';
import { NS_DATA_FORMS } from './ns.js';

/** XEP-0004 section 3.3. */
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

/** A field to build: `var` may be left out only by a `fixed` field. */
export interface FormField {
  var?: string;
  type?: FieldType;
  label?: string;
  values?: readonly string[];
  /** Offered in a form of type `form` only. */
  options?: readonly { value: string; label?: string }[];
}

/**
 * Builds `<x xmlns='jabber:x:data' type=…>` with a hidden FORM_TYPE field
 * first, then `fields`. A `submit` form carries vars and values only (no
 * field types or labels, XEP-0004 section 3.2); options go into a `form`.
 */
export function buildForm(
  type: 'form' | 'submit' | 'result',
  formType: string,
  fields: readonly FormField[],
  opts: { title?: string; instructions?: string } = {},
): Element {
  const x = xml('x', { xmlns: NS_DATA_FORMS, type });
  if (opts.title !== undefined) x.c('title').t(opts.title);
  if (opts.instructions !== undefined) x.c('instructions').t(opts.instructions);
  const all: FormField[] = [{ var: 'FORM_TYPE', type: 'hidden', values: [formType] }, ...fields];
  for (const f of all) {
    const field = x.c('field', {
      var: f.var,
      type: type === 'submit' ? undefined : f.type,
      label: type === 'submit' ? undefined : f.label,
    });
    if (type === 'form')
      for (const o of f.options ?? []) field.c('option', { label: o.label }).c('value').t(o.value);
    for (const v of f.values ?? []) field.c('value').t(v);
  }
  return x;
}

/** A data form as received: its type, FORM_TYPE and the values of each field. */
export interface SubmittedForm {
  /** The form's type attribute ('' when absent). */
  type: string;
  formType?: string;
  /** Values by field var (FORM_TYPE excluded). */
  fields: Map<string, string[]>;
}

/** Reads `x` as a data form; undefined when it is not one. */
export function readForm(x: Element): SubmittedForm | undefined {
  if (!x.is('x', NS_DATA_FORMS)) return undefined;
  const fields = new Map<string, string[]>();
  let formType: string | undefined;
  for (const f of x.getChildren('field')) {
    const name = f.attr('var');
    if (name === undefined) continue;
    const values = f.getChildren('value').map((v) => v.text());
    if (name === 'FORM_TYPE') formType = values[0];
    else fields.set(name, values);
  }
  const form: SubmittedForm = { type: x.attr('type') ?? '', fields };
  if (formType !== undefined) form.formType = formType;
  return form;
}

/**
 * The data form `parent` is, or else its first data form child (with that
 * FORM_TYPE, when given).
 */
export function findForm(parent: Element, formType?: string): SubmittedForm | undefined {
  const candidates = parent.is('x', NS_DATA_FORMS)
    ? [parent]
    : parent.getChildren('x', NS_DATA_FORMS);
  for (const x of candidates) {
    const form = readForm(x);
    if (form && (formType === undefined || form.formType === formType)) return form;
  }
  return undefined;
}

/** A XEP-0004 boolean: '1' or 'true', '0' or 'false' (space around allowed); undefined for anything else. */
export function parseBoolean(value: string | undefined): boolean | undefined {
  if (value === undefined) return undefined;
  const v = value.trim();
  if (v === '1' || v === 'true') return true;
  if (v === '0' || v === 'false') return false;
  return undefined;
}

/** A boolean as a field value: '1' or '0'. */
export function boolText(b: boolean): string {
  return b ? '1' : '0';
}
