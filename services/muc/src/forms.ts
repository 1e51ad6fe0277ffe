/** XEP-0004 data forms: the few shapes the MUC service builds and reads. */
import { NS_DATA_FORMS } from '@parley/stanza';
import { xml } from '@parley/xml';
import type { Element } from '@parley/xml';

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

export interface FieldSpec {
  var?: string;
  type?: FieldType;
  label?: string;
  values?: readonly string[];
  options?: readonly { value: string; label?: string }[];
}

/** A `<x xmlns='jabber:x:data'/>` with a hidden FORM_TYPE first. */
export function buildForm(
  type: 'form' | 'result' | 'submit',
  formType: string,
  fields: readonly FieldSpec[],
  opts: { title?: string; instructions?: string } = {},
): Element {
  const x = xml('x', { xmlns: NS_DATA_FORMS, type });
  if (opts.title !== undefined) x.c('title').t(opts.title);
  if (opts.instructions !== undefined) x.c('instructions').t(opts.instructions);
  const all: FieldSpec[] = [{ var: 'FORM_TYPE', type: 'hidden', values: [formType] }, ...fields];
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

export interface SubmittedForm {
  type: string;
  formType: string | undefined;
  /** Values by field var (FORM_TYPE excluded). */
  fields: Map<string, string[]>;
}

/** Reads a data form; undefined when `x` is not one. */
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
  return { type: x.attr('type') ?? '', formType, fields };
}

/** The first data form child of `parent` (with that FORM_TYPE, when given). */
export function findForm(parent: Element, formType?: string): SubmittedForm | undefined {
  for (const x of parent.getChildren('x', NS_DATA_FORMS)) {
    const form = readForm(x);
    if (form && (formType === undefined || form.formType === formType)) return form;
  }
  return undefined;
}

/** XEP-0004 boolean: '1' or 'true'. */
export function isTrue(v: string | undefined): boolean {
  return v === '1' || v === 'true';
}

export function isBooleanText(v: string): boolean {
  return v === '1' || v === '0' || v === 'true' || v === 'false';
}

export function boolText(b: boolean): string {
  return b ? '1' : '0';
}
