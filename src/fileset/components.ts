import picomatch from 'picomatch';
import { COMPONENT_NAMES, type BuildConfig, type ComponentName } from '../config/sections/build.js';

type Matcher = (p: string) => boolean;

export interface ComponentRule {
  name: ComponentName;
  /** Normalised base prefix (`src/`), or '' */
  base: string;
  required: boolean;
  include: Matcher;
  exclude: Matcher | null;
  globs: { include: string[]; exclude: string[] };
}

/** Pure description of how source paths map to package paths (built once per scan). */
export interface ComponentPlan {
  rules: ComponentRule[];
  globalExclude: Matcher | null;
  tests: BuildConfig['tests'];
  smoke: Matcher;
  smokeGlob: string;
}

export type Assignment =
  | { component: ComponentName; path: string }
  | { component: null; reason: 'excluded' | 'unmatched' | 'not-smoke' | 'tests-none'; matched?: ComponentName };

// dot: true so `.env.example` or `.config/x` are matched by `**` like any other file the user listed.
const GLOB_OPTIONS = { dot: true } as const;

function compile(globs: string[]): Matcher | null {
  return globs.length ? picomatch(globs, GLOB_OPTIONS) : null;
}

/** Normalises a component base to `dir/` form (no leading `./`, trailing slash) or ''. */
export function normalizeBase(base: string): string {
  let b = base
    .replace(/\\/g, '/')
    .replace(/^(\.\/)+/, '')
    .replace(/^\/+/, '');
  if (b === '.' || b === '') return '';
  if (!b.endsWith('/')) b += '/';
  return b;
}

/** Builds the matchers for the configured components, in document order (application … tests). */
export function planComponents(build: BuildConfig): ComponentPlan {
  const rules: ComponentRule[] = [];
  for (const name of COMPONENT_NAMES) {
    const c = build.components[name];
    if (!c) continue;
    rules.push({
      name,
      base: normalizeBase(c.base),
      required: c.required,
      include: picomatch(c.include, GLOB_OPTIONS),
      exclude: compile(c.exclude),
      globs: { include: c.include, exclude: c.exclude },
    });
  }
  return {
    rules,
    globalExclude: compile(build.exclude),
    tests: build.tests,
    smoke: picomatch(build.smokeTests, GLOB_OPTIONS),
    smokeGlob: build.smokeTests,
  };
}

/** Decides which component (if any) a source path belongs to and where it lands in the package. */
export function assignComponent(plan: ComponentPlan, sourcePath: string): Assignment {
  if (plan.globalExclude?.(sourcePath)) return { component: null, reason: 'excluded' };
  for (const rule of plan.rules) {
    if (!rule.include(sourcePath)) continue;
    // A component's exclude means "not mine": the file may still belong to a later component.
    if (rule.exclude?.(sourcePath)) continue;
    if (rule.name === 'tests') {
      if (plan.tests === 'none') return { component: null, reason: 'tests-none', matched: 'tests' };
      if (plan.tests === 'smoke' && !plan.smoke(sourcePath)) {
        return { component: null, reason: 'not-smoke', matched: 'tests' };
      }
    }
    const rest = rule.base && sourcePath.startsWith(rule.base) ? sourcePath.slice(rule.base.length) : sourcePath;
    return { component: rule.name, path: `${rule.name}/${rest}` };
  }
  return { component: null, reason: 'unmatched' };
}
