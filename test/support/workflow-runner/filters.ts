/**
 * GitHub's branch and tag filter patterns (workflow `branches:` filters, environment deployment
 * branch policies), as far as karoo's workflows and tests use them: `*` matches within one path
 * segment, `**` across segments; everything else is literal.
 */
export function matchesPattern(pattern: string, name: string): boolean {
  const re = pattern.replace(/[.+?^${}()|[\]\\]/g, '\\$&').replace(/\*\*|\*/g, (m) => (m === '**' ? '.*' : '[^/]*'));
  return new RegExp(`^${re}$`).test(name);
}

/**
 * A `branches:`/`tags:` list as GitHub reads it: a name passes when the last pattern that
 * matches it is not a `!` one.
 */
export function matchesList(patterns: readonly string[], name: string): boolean {
  let matched = false;
  for (const p of patterns) {
    if (p.startsWith('!')) {
      if (matchesPattern(p.slice(1), name)) matched = false;
    } else if (matchesPattern(p, name)) matched = true;
  }
  return matched;
}

/** An event's filters as `on:` gives them (the parser's EventsConfig entry). */
export interface EventFilters {
  readonly types?: readonly string[];
  readonly branches?: readonly string[];
  readonly 'branches-ignore'?: readonly string[];
  readonly tags?: readonly string[];
  readonly 'tags-ignore'?: readonly string[];
  readonly paths?: readonly string[];
  readonly 'paths-ignore'?: readonly string[];
  readonly workflows?: readonly string[];
}

/** The activity types an event triggers on when `types:` is not given (GitHub's documented defaults). */
const DEFAULT_TYPES: Record<string, readonly string[]> = {
  pull_request: ['opened', 'synchronize', 'reopened'],
  pull_request_target: ['opened', 'synchronize', 'reopened'],
};

/**
 * Why GitHub would not start a workflow for this event, or undefined when it would: the
 * activity type (`types:`, with GitHub's defaults for pull requests), and the branch and tag
 * filters — the pushed branch or tag for `push`, the base branch for pull requests and merge
 * queues, the head branch of the run for `workflow_run`. Path filters are not modelled: a
 * workflow with `paths:` or `paths-ignore:` is refused rather than run when GitHub might not.
 */
export function notTriggered(
  event: string,
  filters: EventFilters | null | undefined,
  payload: Record<string, unknown>,
): string | undefined {
  const f = filters ?? {};
  if (f.paths || f['paths-ignore']) return `on.${event} has path filters, which the workflow runner does not model`;
  const action = typeof payload.action === 'string' ? payload.action : undefined;
  const types = f.types ?? DEFAULT_TYPES[event];
  if (types && action && !types.includes(action)) return `on.${event}.types (${types.join(', ')}) does not include ${action}`;
  const branch = (what: string, name: string | undefined): string | undefined => {
    if (name === undefined) return undefined;
    if (f.branches && !matchesList(f.branches, name))
      return `${what} ${name} matches none of on.${event}.branches (${f.branches.join(', ')})`;
    if (f['branches-ignore'] && matchesList(f['branches-ignore'], name)) return `${what} ${name} matches on.${event}.branches-ignore`;
    return undefined;
  };
  const strip = (ref: unknown) => (typeof ref === 'string' ? ref.replace(/^refs\/heads\//, '') : undefined);
  switch (event) {
    case 'push': {
      const ref = String(payload.ref ?? '');
      const byBranch = f.branches || f['branches-ignore'];
      const byTag = f.tags || f['tags-ignore'];
      if (ref.startsWith('refs/tags/')) {
        const tag = ref.slice('refs/tags/'.length);
        if (byBranch && !byTag) return `on.push filters branches only: tag ${tag} does not trigger it`;
        if (f.tags && !matchesList(f.tags, tag)) return `tag ${tag} matches none of on.push.tags (${f.tags.join(', ')})`;
        if (f['tags-ignore'] && matchesList(f['tags-ignore'], tag)) return `tag ${tag} matches on.push.tags-ignore`;
        return undefined;
      }
      if (byTag && !byBranch) return `on.push filters tags only: a branch push does not trigger it`;
      return branch('branch', strip(ref));
    }
    case 'pull_request':
    case 'pull_request_target':
      return branch('base branch', strip((payload.pull_request as { base?: { ref?: string } } | undefined)?.base?.ref));
    case 'merge_group':
      return branch('base branch', strip((payload.merge_group as { base_ref?: string } | undefined)?.base_ref));
    case 'workflow_run':
      return branch('head branch', (payload.workflow_run as { head_branch?: string } | undefined)?.head_branch);
    default:
      return undefined;
  }
}
