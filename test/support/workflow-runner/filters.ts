/**
 * GitHub's branch and tag filter patterns (workflow `branches:` filters, environment deployment
 * branch policies), as far as karoo's workflows and tests use them: `*` matches within one path
 * segment, `**` across segments; everything else is literal.
 */
export function matchesPattern(pattern: string, name: string): boolean {
  const re = pattern.replace(/[.+?^${}()|[\]\\]/g, '\\$&').replace(/\*\*|\*/g, (m) => (m === '**' ? '.*' : '[^/]*'));
  return new RegExp(`^${re}$`).test(name);
}
