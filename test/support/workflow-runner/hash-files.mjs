// hashFiles() for the workflow runner: GitHub's own algorithm from @actions/glob, run in a child
// process because the expression evaluator is synchronous. Usage: node hash-files.mjs WORKSPACE PATTERNS
// The hash is on the last line of stdout, after "hash=" (@actions/glob writes ::debug:: lines before it).
import { hashFiles } from '@actions/glob';

const [workspace, patterns] = process.argv.slice(2);
process.chdir(workspace);
const hash = await hashFiles(patterns, workspace);
process.stdout.write(`\nhash=${hash}\n`);
