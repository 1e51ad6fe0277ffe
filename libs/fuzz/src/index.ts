export { FuzzSettingsError, fuzzSettings } from './settings.js';
export type { FuzzSettings } from './settings.js';
export { checkProperty, fuzzParameters, fuzzTimeout, propertyTest } from './property-test.js';
export type { AnyProperty, PropertyReport } from './property-test.js';
