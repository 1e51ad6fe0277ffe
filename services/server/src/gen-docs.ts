import { writeFileSync } from 'node:fs';
import { configurationMarkdown, xepsMarkdown } from './docs.js';

/** `pnpm gen:docs`: regenerates the generated pages under docs/. */
const root = new URL('../../../../', import.meta.url);
writeFileSync(new URL('docs/configuration.md', root), configurationMarkdown());
writeFileSync(new URL('docs/xeps.md', root), xepsMarkdown());
console.log('wrote docs/configuration.md and docs/xeps.md');
