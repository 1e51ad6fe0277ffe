import type { ModuleDefinition } from './definition.js';
import { ModuleError } from './errors.js';

type Named = Pick<ModuleDefinition<unknown>, 'name' | 'requires' | 'after'>;

/**
 * The start order of a module set: every module after the modules it
 * `requires` and the enabled modules it starts `after`, otherwise in the
 * order given (a stable topological sort, so the order is reproducible).
 *
 * `all` is every module the host knows, `enabled` the names switched on.
 * Throws a ModuleError for a duplicate name, a required module that is
 * unknown or disabled, and a dependency cycle.
 */
export function orderModules<M extends Named>(
  all: readonly M[],
  enabled: ReadonlySet<string>,
): M[] {
  const byName = new Map<string, M>();
  for (const m of all) {
    if (byName.has(m.name)) {
      throw new ModuleError('duplicate-module', `two modules are named '${m.name}'`);
    }
    byName.set(m.name, m);
  }
  const chosen = all.filter((m) => enabled.has(m.name));
  for (const m of chosen) {
    for (const dep of m.requires ?? []) {
      if (!byName.has(dep)) {
        throw new ModuleError(
          'missing-dependency',
          `module '${m.name}' requires module '${dep}', which does not exist`,
        );
      }
      if (!enabled.has(dep)) {
        throw new ModuleError(
          'missing-dependency',
          `module '${m.name}' requires module '${dep}', which is disabled: enable '${dep}' or disable '${m.name}'`,
        );
      }
    }
  }
  const before = (m: M): string[] => [
    ...(m.requires ?? []),
    ...(m.after ?? []).filter((d) => enabled.has(d) && byName.has(d)),
  ];
  const out: M[] = [];
  const state = new Map<string, 'visiting' | 'done'>();
  const visit = (m: M, path: string[]): void => {
    const s = state.get(m.name);
    if (s === 'done') return;
    if (s === 'visiting') {
      const cycle = [...path.slice(path.indexOf(m.name)), m.name].join(' -> ');
      throw new ModuleError('dependency-cycle', `modules depend on each other: ${cycle}`);
    }
    state.set(m.name, 'visiting');
    for (const dep of before(m)) visit(byName.get(dep)!, [...path, m.name]);
    state.set(m.name, 'done');
    out.push(m);
  };
  for (const m of chosen) visit(m, []);
  return out;
}
