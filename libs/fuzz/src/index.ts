export { FuzzSettingsError, fuzzSettings } from './settings.js';
export type { FuzzSettings } from './settings.js';
export { checkProperty, fuzzParameters, fuzzTimeout, propertyTest } from './property-test.js';
export type { AnyProperty, PropertyReport } from './property-test.js';
export { cuts, isXmlChar, splitAt, xmlName, xmlSoup, xmlText, xmlTree } from './arbitraries.js';
export type { XmlTree } from './arbitraries.js';
