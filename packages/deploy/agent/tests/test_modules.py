"""The agent's modules (agent/karoo_node/) work both as a package (these tests) and as the one file
packages/deploy/scripts/gen-agent.mjs concatenates from them for the nodes, where every module
shares one namespace and the imports between them are removed."""

import ast
import builtins
import os
import re
import symtable
import unittest

PKG = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "karoo_node")
GENERATOR = os.path.join(os.path.dirname(PKG), "..", "scripts", "gen-agent.mjs")


def modules():
    with open(GENERATOR, encoding="utf-8") as f:
        order = re.findall(r"'(\w+\.py)'", re.search(r"export const ORDER = \[(.*?)\];", f.read(), re.S).group(1))
    out = []
    for name in order:
        with open(os.path.join(PKG, name), encoding="utf-8") as f:
            src = f.read()
        out.append((name, src, ast.parse(src, name)))
    return out


def defined(tree):
    """Names a module defines itself (not those it imports)."""
    names = set()
    for node in tree.body:
        if isinstance(node, (ast.FunctionDef, ast.ClassDef)):
            names.add(node.name)
        elif isinstance(node, ast.Assign):
            names.update(t.id for t in node.targets if isinstance(t, ast.Name))
    return names


def imported(tree):
    """(standard library names, {own module: names}) a module imports at its top level."""
    std, own = set(), {}
    for node in tree.body:
        if isinstance(node, ast.Import):
            std.update((a.asname or a.name).split(".")[0] for a in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                own.setdefault(node.module + ".py", set()).update(a.name for a in node.names)
            else:
                std.update(a.asname or a.name for a in node.names)
    return std, own


class Modules(unittest.TestCase):
    def setUp(self):
        self.mods = modules()

    def test_the_generator_lists_every_module(self):
        self.assertEqual(sorted(n for n, _, _ in self.mods), sorted(f for f in os.listdir(PKG) if f.endswith(".py")))

    def test_no_two_modules_define_the_same_name_and_none_shadows_an_import(self):
        seen, std_all = {}, set()
        for name, _, tree in self.mods:
            std_all |= imported(tree)[0]
            for n in defined(tree):
                self.assertNotIn(n, seen, "%s defines %s, as %s does: in the one file one would replace the other" % (name, n, seen.get(n)))
                seen[n] = name
        self.assertEqual(sorted(set(seen) & std_all), [], "a name defined by the agent is also an imported module or name")

    def test_own_imports_name_what_the_module_defines_and_one_line_each(self):
        defs = {name: defined(tree) for name, _, tree in self.mods}
        for name, src, tree in self.mods:
            for mod, names in imported(tree)[1].items():
                self.assertIn(mod, defs, "%s imports from %s, which is not an agent module" % (name, mod))
                self.assertEqual(sorted(names - defs[mod]), [], "%s imports from %s what it does not define" % (name, mod))
            for line in src.splitlines():
                if line.startswith("from ."):
                    self.assertRegex(line, r"^from \.\w+ import \w+(, \w+)*$", "%s: the generator removes only one-line own imports" % name)

    def test_every_global_a_module_uses_is_defined_or_imported_in_that_module(self):
        # As a package each module must import what it uses (the one file would hide a missing import).
        for name, src, tree in self.mods:
            std, own = imported(tree)
            known = defined(tree) | std | set().union(*own.values()) | set(dir(builtins)) | {"__file__", "__name__"}
            missing = set()

            def walk(table):
                for sym in table.get_symbols():
                    if (sym.is_global() or (table.get_type() == "module" and sym.is_referenced())) and sym.get_name() not in known:
                        missing.add(sym.get_name())
                for child in table.get_children():
                    walk(child)

            walk(symtable.symtable(src, name, "exec"))
            self.assertEqual(sorted(missing), [], "%s uses names it neither defines nor imports" % name)

    def test_a_class_comes_after_the_modules_of_its_bases(self):
        where = {node.name: i for i, (_, _, tree) in enumerate(self.mods) for node in tree.body if isinstance(node, ast.ClassDef)}
        for i, (name, _, tree) in enumerate(self.mods):
            for node in tree.body:
                if isinstance(node, ast.ClassDef):
                    for base in node.bases:
                        if isinstance(base, ast.Name) and base.id in where:
                            self.assertLessEqual(where[base.id], i, "%s: class %s derives from %s, defined later in the one file" % (name, node.name, base.id))


if __name__ == "__main__":
    unittest.main()
