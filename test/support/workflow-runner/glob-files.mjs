// Globbing for the emulated upload-artifact: @actions/glob (the action's own library), run in a
// child process because it writes ::debug:: lines to stdout. Usage: node glob-files.mjs JSON-ARGS
// Prints the result as JSON on the last line, after "result=".
import { create } from '@actions/glob';
import { statSync } from 'node:fs';

const { patterns, excludeHiddenFiles } = JSON.parse(process.argv[2]);
const globber = await create(patterns, { implicitDescendants: true, matchDirectories: false, excludeHiddenFiles });
const files = (await globber.glob()).filter((f) => statSync(f).isFile()).sort();
process.stdout.write(`\nresult=${JSON.stringify({ files, searchPaths: globber.getSearchPaths() })}\n`);
