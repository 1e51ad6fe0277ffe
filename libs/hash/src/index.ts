export { FNV1A32_OFFSET, fnv1a32, fnv1a32Bytes, fnv1a32Utf8 } from './fnv1a.js';
