// Report step figures: loading GitHub's REST description for the stand-in, and rendering a
// 10,000-package lock diff as a comment (folded, cut to 65,536 characters) and as a job summary.
// Run after `npx tsc -b`: node bench/report.mjs
import { performance } from 'node:perf_hooks';
import { hexOf, sha256Of } from '@karoo/common';
import { loadGitHubDescription } from '@karoo/github-standin';
import { Lock } from '@karoo/lock';
import { buildReport, COMMENT_LIMIT, renderMarkdown, reportMarker, SUMMARY_LIMIT } from '@karoo/report';

const time = async (label, f) => {
  const t = performance.now();
  const r = await f();
  console.log(`${label.padEnd(48)} ${(performance.now() - t).toFixed(0).padStart(6)} ms`);
  return r;
};

await time('load api.github.com.json + index routes', () => loadGitHubDescription());
const pkg = (name, version) => {
  const file = `${name.replace(/-/g, '_')}-${version}-py3-none-any.whl`;
  return { name, version, files: [{ name: file, url: `https://pypi.example/${file}`, sha256: hexOf(sha256Of(file)), size: 1 }] };
};
const names = Array.from({ length: 10_000 }, (_, i) => `package-${i}`);
const base = Lock.create(names.map((n) => pkg(n, '1.0')));
const head = Lock.create(names.map((n, i) => pkg(n, i % 3 ? '1.1' : '0.9')));
const report = await time('buildReport (10,000 changed packages)', () => buildReport({ head, base, candidate: { digest: sha256Of('c') } }));
const full = await time('render full markdown', () => renderMarkdown(report));
const comment = await time('render comment (cut to 65,536)', () =>
  renderMarkdown(report, { marker: reportMarker(), limit: COMMENT_LIMIT }),
);
const summary = await time('render job summary (≤ 1,000,000 bytes)', () => renderMarkdown(report, { limit: SUMMARY_LIMIT }));
console.log(
  `full ${full.markdown.length} chars; comment ${comment.markdown.length} chars, ${comment.omittedRows} rows cut; summary ${Buffer.byteLength(summary.markdown)} bytes, truncated=${summary.truncated}`,
);
