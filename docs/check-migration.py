#!/usr/bin/env python3
"""Check docs/migrating-from-tungstenite.md against the sources.

1. Every public item of the source crates has a row in the guide's tables:
   the item's path, in backticks, in the row's first column. The sources
   (SOURCES below): tungstenite 0.30's `protocol` and `handshake` modules,
   all of tokio-tungstenite 0.30, and axum 0.8's `extract::ws` module.
   Items are parsed with every cargo feature on (`#[cfg(feature)]` is
   ignored), so feature-gated items need rows too.
2. Every `sockwell_*::...` path the guide names (in the "ours" column, in
   the notes, in the prose and in the code snippets' `use` lines and paths)
   resolves to something public in our crates (the workspace's sockwell-*
   packages; their folders are ws-*).

Usage: python3 docs/check-migration.py [CRATE=SRC ...] [TUNGSTENITE_SRC]

The sources are found with `cargo metadata` (tungstenite and
tokio-tungstenite are dev-dependencies of `benches`, axum a dev-dependency of
sockwell-server and of `autobahn`); `CRATE=SRC` (CRATE: tungstenite, tokio_tungstenite or
axum; SRC: the crate's directory or its `src/`) uses that source instead,
and a bare SRC is tungstenite's. Prints, per source crate, how many items
it has and how many have a row. Exits 1 on any missing row, any
first-column path that is not an item in scope, any unknown path of ours,
a source crate with no item at all (a parser or scope mistake would
otherwise make the check pass without checking) or a guide with no path
of ours; else prints how many items are covered.

What counts as a public item:
- module-level `pub` fn, struct, enum, union, trait, type, const, static;
- `pub` fields of those structs, every variant of those enums, every item
  declared in those traits;
- `pub` fns and consts of inherent `impl` blocks (trait impls are not
  listed: their methods belong to the trait).
`pub(crate)`, `pub(super)` and `pub(in ..)` are private. An item is public
if a path of `pub` modules and `pub use` re-exports leads to it from the
crate root; an item in a private module is reported under the re-export
nearest to where it is defined (`protocol::frame::CloseFrame`, not
`protocol::CloseFrame`), and a row may use any of its public paths. Items
in private modules that nothing re-exports are skipped, as is code under
`#[cfg(test)]`. A field and a method with the same path (tungstenite's
`WebSocketConfig` builders) are two items that one row covers. Items that
axum-core's rejection macros (`define_rejection!`, `composite_rejection!`)
declare are parsed from the macro body, with the `body_text` and `status`
methods the macros generate (ITEM_MACROS).

This is a small Rust item parser, not a compiler: it knows modules, `use`
trees (groups, `self`, `as`, globs), visibility, impl blocks and where
their self type is defined, and skips bodies by bracket matching.
"""

import json
import os
import re
import subprocess
import sys
import tomllib

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
GUIDE = os.path.join(HERE, "migrating-from-tungstenite.md")
OURS_PREFIX = "sockwell"  # our packages are sockwell-*, their paths sockwell_*::


class Source:
    """A crate whose public items (within `scope`) each need a row in the guide."""

    def __init__(self, crate, package, version, scope, what):
        self.crate = crate        # Rust name: the first segment of its paths
        self.package = package    # package name in `cargo metadata`
        self.version = version    # version prefix
        self.scope = scope        # module paths (tuples) the guide covers; None: all
        self.what = what          # for messages


SOURCES = [
    Source("tungstenite", "tungstenite", "0.30.", [("protocol",), ("handshake",)],
           "tungstenite 0.30 protocol/handshake"),
    Source("tokio_tungstenite", "tokio-tungstenite", "0.30.", None, "tokio-tungstenite 0.30"),
    Source("axum", "axum", "0.8.", [("extract", "ws")], "axum 0.8 extract::ws"),
]


def in_scope(rel, scope):
    """Whether the module path `rel` (crate name dropped) is inside `scope`."""
    return scope is None or any(tuple(rel[:len(s)]) == s for s in scope)


def on_scope_path(rel, scope):
    """Whether a module at `rel` must be parsed: inside `scope` or on the way to it."""
    return in_scope(rel, scope) or any(tuple(rel) == s[:len(rel)] for s in scope)


# Item-level macros whose body declares public items (axum-core's rejection
# macros, which axum's `extract::ws::rejection` uses): the body is parsed as
# items, and every struct or enum declared in it gets these generated
# inherent methods.
ITEM_MACROS = {
    "define_rejection": ("body_text", "status"),
    "composite_rejection": ("body_text", "status"),
    "__define_rejection": ("body_text", "status"),
    "__composite_rejection": ("body_text", "status"),
}


class ParseError(Exception):
    pass


# ---------------------------------------------------------------- tokens

PUNCT3 = ("..=", "...", "<<=", ">>=")
PUNCT2 = ("::", "->", "=>", "==", "!=", "<=", ">=", "&&", "||", "+=", "-=",
          "*=", "/=", "%=", "^=", "&=", "|=", "..")
# `<<` and `>>` stay single characters so generics close one at a time.


def tokenize(src):
    """Rust source -> list of (kind, text); kind: id, lit, life, p."""
    toks = []
    i, n = 0, len(src)
    while i < n:
        c = src[i]
        if c.isspace():
            i += 1
            continue
        if src.startswith("//", i):
            j = src.find("\n", i)
            i = n if j < 0 else j + 1
            continue
        if src.startswith("/*", i):
            depth, i = 1, i + 2
            while i < n and depth:
                if src.startswith("/*", i):
                    depth, i = depth + 1, i + 2
                elif src.startswith("*/", i):
                    depth, i = depth - 1, i + 2
                else:
                    i += 1
            continue
        if c.isalpha() or c == "_":
            j = i
            while j < n and (src[j].isalnum() or src[j] == "_"):
                j += 1
            word = src[i:j]
            # string prefixes: r"..", r#".."#, b"..", br"..", c"..", b'x'
            if word in ("r", "br", "cr") and j < n and src[j] in '"#':
                k = j
                while k < n and src[k] == "#":
                    k += 1
                if k < n and src[k] == '"':
                    hashes = k - j
                    end = src.find('"' + "#" * hashes, k + 1)
                    if end < 0:
                        raise ParseError("unterminated raw string")
                    toks.append(("lit", src[i:end + 1 + hashes]))
                    i = end + 1 + hashes
                    continue
                if word == "r" and k == j + 1 and k < n and (src[k].isalpha() or src[k] == "_"):
                    m = k  # raw identifier r#name
                    while m < n and (src[m].isalnum() or src[m] == "_"):
                        m += 1
                    toks.append(("id", src[k:m]))
                    i = m
                    continue
            if word in ("b", "c") and j < n and src[j] == '"':
                end = skip_string(src, j)
                toks.append(("lit", src[i:end]))
                i = end
                continue
            if word == "b" and j < n and src[j] == "'":
                i = skip_char(src, j)
                toks.append(("lit", "char"))
                continue
            toks.append(("id", word))
            i = j
            continue
        if c.isdigit():
            j = i
            while j < n and (src[j].isalnum() or src[j] == "_"):
                j += 1
            toks.append(("lit", src[i:j]))
            i = j
            continue
        if c == '"':
            end = skip_string(src, i)
            toks.append(("lit", src[i:end]))
            i = end
            continue
        if c == "'":
            if i + 1 < n and src[i + 1] == "\\":
                i = skip_char(src, i)
                toks.append(("lit", "char"))
                continue
            if i + 2 < n and src[i + 2] == "'":
                toks.append(("lit", "char"))
                i += 3
                continue
            j = i + 1  # lifetime or label
            while j < n and (src[j].isalnum() or src[j] == "_"):
                j += 1
            toks.append(("life", src[i:j]))
            i = j
            continue
        for p in PUNCT3 + PUNCT2:
            if src.startswith(p, i):
                toks.append(("p", p))
                i += len(p)
                break
        else:
            toks.append(("p", c))
            i += 1
    return toks


def skip_string(src, i):
    """`src[i]` is the opening quote; returns the index after the closing one."""
    i += 1
    while i < len(src):
        if src[i] == "\\":
            i += 2
        elif src[i] == '"':
            return i + 1
        else:
            i += 1
    raise ParseError("unterminated string")


def skip_char(src, i):
    """`src[i]` is the opening quote of a char literal; returns the index after it."""
    j = src.find("'", i + 3 if src[i + 1] == "\\" else i + 2)
    if j < 0:
        raise ParseError("unterminated char literal")
    return j + 1


# ------------------------------------------------------------------ model

class Module:
    def __init__(self, crate, path, parent, public, file, child_dir):
        self.crate = crate
        self.path = path          # ["tungstenite", "protocol", ...]
        self.parent = parent
        self.public = public      # declared `pub mod`
        self.file = file
        self.child_dir = child_dir
        self.items = {}           # name -> [Item]
        self.mods = {}            # name -> Module
        self.uses = []            # (is_pub, [segments], alias or "*")
        self.impls = []           # ([self type segments], [Member])
        self.opaque = False       # declared, not parsed


class Item:
    def __init__(self, kind, name, module, public, hidden):
        self.kind = kind
        self.name = name
        self.module = module
        self.public = public
        self.hidden = hidden
        self.members = []         # [Member]

    def member(self, name):
        return [m for m in self.members if m.name == name]


class Member:
    def __init__(self, kind, name, hidden):
        self.kind = kind          # field, variant, method, assoc const, trait fn, ...
        self.name = name
        self.hidden = hidden


EXTERNAL = "external"  # a path that leaves the parsed crates


class Crate:
    def __init__(self, name, lib_rs, scope=None):
        self.name = name
        self.scope = scope        # module paths (tuples) to parse; None: all
        self.files = set()
        src_dir = os.path.dirname(lib_rs)
        self.root = Module(self, [name], None, True, lib_rs, src_dir)
        Parser(self, self.root, lib_rs).parse_file()


# ----------------------------------------------------------------- parser

QUALIFIERS = ("default", "async", "unsafe", "const", "extern", "auto")


class Parser:
    def __init__(self, crate, module, path):
        self.crate, self.module, self.path = crate, module, path
        with open(path, encoding="utf-8") as f:
            self.toks = tokenize(f.read())
        self.pos = 0
        crate.files.add(os.path.realpath(path))

    # -- token helpers
    def peek(self, k=0):
        j = self.pos + k
        return self.toks[j][1] if j < len(self.toks) else None

    def kind(self, k=0):
        j = self.pos + k
        return self.toks[j][0] if j < len(self.toks) else None

    def next(self):
        t = self.peek()
        self.pos += 1
        return t

    def expect_id(self):
        if self.kind() != "id":
            self.fail("identifier expected")
        return self.next()

    def fail(self, what):
        ctx = " ".join(t[1] for t in self.toks[max(0, self.pos - 8):self.pos + 8])
        raise ParseError(f"{self.path}: {what} near: {ctx}")

    def skip_group(self):
        """At an opening bracket: skip to after its match."""
        pairs = {"(": ")", "[": "]", "{": "}"}
        stack = [pairs[self.next()]]
        while stack:
            t = self.next()
            if t is None:
                self.fail("unbalanced brackets")
            if t in pairs and self.toks[self.pos - 1][0] == "p":
                stack.append(pairs[t])
            elif t in (")", "]", "}") and self.toks[self.pos - 1][0] == "p":
                if t != stack.pop():
                    self.fail("mismatched brackets")

    def skip_angle(self):
        """At `<`: skip generics to after the matching `>`."""
        depth = 0
        while True:
            t = self.peek()
            if t is None:
                self.fail("unbalanced generics")
            if t in ("(", "[", "{"):
                self.skip_group()
                continue
            self.pos += 1
            if t == "<":
                depth += 1
            elif t == ">":
                depth -= 1
                if depth == 0:
                    return

    def skip_until(self, stops, angle=False):
        """Skip to the first punctuation in `stops` at bracket depth 0 (not consumed)."""
        depth = 0
        while True:
            t = self.peek()
            if t is None:
                self.fail(f"expected one of {stops}")
            if depth == 0 and t in stops and self.kind() == "p":
                return t
            if t in ("(", "[", "{") and self.kind() == "p":
                self.skip_group()
                continue
            if angle and t == "<":
                depth += 1
            elif angle and t == ">" and depth:
                depth -= 1
            self.pos += 1

    def skip_fn_rest(self):
        """After a fn's name: skip its signature and its body (or `;`)."""
        while True:
            t = self.peek()
            if t is None:
                self.fail("unterminated fn")
            if t in ("(", "["):
                self.skip_group()
            elif t == "{":
                self.skip_group()
                return
            elif t == ";":
                self.pos += 1
                return
            else:
                self.pos += 1

    def attrs(self):
        out = []
        while self.peek() == "#":
            self.pos += 1
            if self.peek() == "!":
                self.pos += 1
            start = self.pos
            self.skip_group()
            out.append("".join(t[1] for t in self.toks[start + 1:self.pos - 1]))
        return out

    def vis(self):
        """Consumes a visibility; True only for plain `pub`."""
        if self.peek() != "pub":
            return False
        self.pos += 1
        if self.peek() == "(" and self.peek(1) in ("crate", "super", "self", "in"):
            self.skip_group()
            return False
        return True

    def qualifiers(self):
        """Skips `const`, `async`, `unsafe`, `extern "C"`, ... before fn/impl/trait."""
        heads = ("fn", "impl", "trait")
        while True:
            t, t1 = self.peek(), self.peek(1)
            if t == "extern" and self.kind(1) == "lit" and self.peek(2) in heads + QUALIFIERS:
                self.pos += 2
            elif t in QUALIFIERS and t != "extern" and t1 in heads + QUALIFIERS:
                self.pos += 1
            elif t == "extern" and t1 in heads:
                self.pos += 1
            else:
                return

    # -- files and modules
    def parse_file(self):
        self.items(self.module, braced=False)

    def items(self, mod, braced):
        while True:
            t = self.peek()
            if t is None:
                if braced:
                    self.fail("missing `}`")
                return
            if braced and t == "}":
                self.pos += 1
                return
            self.item(mod)

    def item(self, mod):
        attrs = self.attrs()
        if self.peek() in (None, "}"):
            return
        # `#[cfg(test)]`, `#[cfg(all(test, ..))]`; not `cfg(not(test))`, `cfg(doctest)`
        is_test = any(a.startswith("cfg(") and "not(" not in a
                      and re.search(r"(?<!\w)test(?!\w)", a) for a in attrs)
        hidden = any(a.replace(" ", "") == "doc(hidden)" for a in attrs)
        public = self.vis()
        self.qualifiers()
        t = self.peek()
        if t == ";":
            self.pos += 1
        elif t == "mod":
            self.pos += 1
            name = self.expect_id()
            path_attr = next((a for a in attrs if a.startswith("path=")), None)
            self.module_decl(mod, name, public and not is_test, is_test, path_attr)
        elif t == "use":
            self.pos += 1
            for segs, alias in self.use_tree([]):
                if not is_test:
                    mod.uses.append((public, segs, alias))
            if self.next() != ";":
                self.fail("`;` expected after use")
        elif t == "extern" and self.peek(1) == "crate":
            self.skip_until((";",))
            self.pos += 1
        elif t == "extern":  # extern block
            self.skip_until(("{",))
            self.skip_group()
        elif t == "fn":
            self.pos += 1
            name = self.expect_id()
            self.skip_fn_rest()
            self.add(mod, Item("fn", name, mod, public, hidden), is_test)
        elif t in ("struct", "union"):
            self.pos += 1
            item = Item(t, self.expect_id(), mod, public, hidden)
            self.struct_body(item)
            self.add(mod, item, is_test)
        elif t == "enum":
            self.pos += 1
            item = Item("enum", self.expect_id(), mod, public, hidden)
            self.enum_body(item)
            self.add(mod, item, is_test)
        elif t == "trait":
            self.pos += 1
            item = Item("trait", self.expect_id(), mod, public, hidden)
            self.trait_body(item)
            self.add(mod, item, is_test)
        elif t == "impl":
            self.pos += 1
            self.impl_block(mod, is_test)
        elif t in ("type", "const", "static"):
            self.pos += 1
            if self.peek() == "mut":
                self.pos += 1
            name = self.next()
            self.skip_until((";",))
            self.pos += 1
            if name != "_":
                self.add(mod, Item(t, name, mod, public, hidden), is_test)
        elif t == "macro_rules" and self.peek(1) == "!":
            self.pos += 3
            self.skip_group()
            if self.peek() == ";":
                self.pos += 1
        elif self.kind() == "id":
            # a macro call at item level: path ! [name] (...) [;]
            while self.peek() == "::" or self.kind() == "id" and self.peek() != "!":
                self.pos += 1
            macro = self.peek(-1)
            if self.next() != "!":
                self.fail("item expected")
            if macro in ITEM_MACROS and not is_test:
                self.item_macro(mod, ITEM_MACROS[macro])
                return
            if self.kind() == "id":
                self.pos += 1
            self.skip_group()
            if self.peek() == ";":
                self.pos += 1
        else:
            self.fail("item expected")

    def add(self, mod, item, is_test):
        if not is_test:
            mod.items.setdefault(item.name, []).append(item)

    def item_macro(self, mod, methods):
        """At the `{` of a macro in ITEM_MACROS: its body's items, plus `methods`."""
        if self.peek() != "{":
            self.fail("`{` expected after an item macro")
        before = {id(it) for items in mod.items.values() for it in items}
        self.pos += 1
        self.items(mod, braced=True)
        if self.peek() == ";":
            self.pos += 1
        new = [it for items in mod.items.values() for it in items if id(it) not in before]
        if not new:
            self.fail("item macro declares no item")
        for it in new:
            if it.kind in ("struct", "enum") and it.public:
                it.members += [Member("method", m, it.hidden) for m in methods]

    def module_decl(self, mod, name, public, is_test, path_attr):
        child_path = mod.path + [name]
        if self.peek() == "{":
            self.pos += 1
            child = Module(self.crate, child_path, mod, public, self.path,
                           os.path.join(mod.child_dir, name))
            if is_test:
                self.pos -= 1
                self.skip_group()
                return
            mod.mods[name] = child
            self.items(child, braced=True)
            return
        if self.next() != ";":
            self.fail("`;` or `{` expected after mod name")
        if is_test:
            return
        if path_attr:
            file = os.path.join(os.path.dirname(self.path), path_attr.split("=", 1)[1].strip('"'))
            candidates = [file]
        else:
            candidates = [os.path.join(mod.child_dir, name + ".rs"),
                          os.path.join(mod.child_dir, name, "mod.rs")]
        file = next((c for c in candidates if os.path.exists(c)), None)
        if file is None:
            raise ParseError(f"{self.path}: no file for `mod {name};`")
        base = os.path.basename(file)
        child_dir = (os.path.dirname(file) if base == "mod.rs"
                     else os.path.join(os.path.dirname(file), base[:-3]))
        child = Module(self.crate, child_path, mod, public, file, child_dir)
        mod.mods[name] = child
        if not on_scope_path(child_path[1:], self.crate.scope):
            child.opaque = True
            return
        Parser(self.crate, child, file).parse_file()

    def use_tree(self, prefix):
        out = []
        if self.peek() == "::":
            self.pos += 1
        if self.peek() == "*":
            self.pos += 1
            return [(prefix, "*")]
        if self.peek() == "{":
            return self.use_group(prefix)
        segs = list(prefix)
        while True:
            segs.append(self.expect_id())
            if self.peek() != "::":
                break
            self.pos += 1
            if self.peek() == "*":
                self.pos += 1
                return [(segs, "*")]
            if self.peek() == "{":
                return self.use_group(segs)
        alias = None
        if self.peek() == "as":
            self.pos += 1
            alias = self.next()
        if segs[-1] == "self":
            segs = segs[:-1]
        if alias is None:
            alias = segs[-1]
        if alias != "_":
            out.append((segs, alias))
        return out

    def use_group(self, prefix):
        out = []
        self.pos += 1  # {
        while self.peek() != "}":
            out += self.use_tree(prefix)
            if self.peek() == ",":
                self.pos += 1
        self.pos += 1
        return out

    # -- item bodies
    def generics_where(self, stops):
        if self.peek() == "<":
            self.skip_angle()
        if self.peek() == "where":
            self.skip_until(stops)

    def struct_body(self, item):
        self.generics_where(("{", ";"))
        t = self.peek()
        if t == ";":
            self.pos += 1
            return
        if t == "(":
            self.skip_group()
            if self.peek() == "where":
                self.skip_until((";",))
            self.pos += 1  # ;
            return
        if t != "{":
            self.fail("struct body expected")
        self.pos += 1
        while self.peek() != "}":
            attrs = self.attrs()
            hidden = any(a.replace(" ", "") == "doc(hidden)" for a in attrs)
            public = self.vis()
            name = self.expect_id()
            if self.next() != ":":
                self.fail("`:` expected in field")
            self.skip_until((",", "}"), angle=True)
            if public and item.public:
                item.members.append(Member("field", name, hidden))
            if self.peek() == ",":
                self.pos += 1
        self.pos += 1

    def enum_body(self, item):
        self.generics_where(("{",))
        if self.next() != "{":
            self.fail("enum body expected")
        while self.peek() != "}":
            attrs = self.attrs()
            hidden = any(a.replace(" ", "") == "doc(hidden)" for a in attrs)
            self.vis()
            name = self.expect_id()
            if self.peek() in ("(", "{"):
                self.skip_group()
            if self.peek() == "=":
                self.skip_until((",", "}"))
            item.members.append(Member("variant", name, hidden))
            if self.peek() == ",":
                self.pos += 1
        self.pos += 1

    def trait_body(self, item):
        self.skip_until(("{",))
        self.pos += 1
        while self.peek() != "}":
            attrs = self.attrs()
            hidden = any(a.replace(" ", "") == "doc(hidden)" for a in attrs)
            self.qualifiers()
            t = self.next()
            if t == "fn":
                item.members.append(Member("trait fn", self.expect_id(), hidden))
                self.skip_fn_rest()
            elif t in ("type", "const"):
                name = self.expect_id()
                item.members.append(Member("trait " + t, name, hidden))
                self.skip_until((";",))
                self.pos += 1
            elif self.kind(-1) == "id" and self.peek() == "!":
                self.pos += 1
                self.skip_group()
                if self.peek() == ";":
                    self.pos += 1
            else:
                self.fail("trait item expected")
        self.pos += 1

    def impl_block(self, mod, is_test):
        if self.peek() == "<":
            self.skip_angle()
        if self.peek() == "!":
            self.pos += 1
        start = self.pos
        self.skip_until(("{",))
        header = self.toks[start:self.pos]
        words = [t[1] for t in header]
        trait_impl = any(w == "for" and (k + 1 >= len(words) or words[k + 1] != "<")
                         for k, w in enumerate(words))
        segs = []
        for kind, text in header:
            if text in ("&", "mut", "dyn") and not segs:
                continue
            if kind == "id" and text not in ("where",):
                if segs and segs[-1] != "::":
                    break
                segs.append(text)
            elif text == "::":
                segs.append(text)
            else:
                break
        segs = [s for s in segs if s != "::"]
        self.pos += 1  # {
        members = []
        while self.peek() != "}":
            attrs = self.attrs()
            hidden = any(a.replace(" ", "") == "doc(hidden)" for a in attrs)
            public = self.vis()
            self.qualifiers()
            t = self.next()
            if t == "fn":
                name = self.expect_id()
                self.skip_fn_rest()
                if public:
                    members.append(Member("method", name, hidden))
            elif t in ("const", "type"):
                name = self.expect_id()
                self.skip_until((";",))
                self.pos += 1
                if public:
                    members.append(Member("assoc " + t, name, hidden))
            elif self.kind(-1) == "id" and self.peek() == "!":
                self.pos += 1
                self.skip_group()
                if self.peek() == ";":
                    self.pos += 1
            else:
                self.fail("impl item expected")
        self.pos += 1
        if not trait_impl and not is_test and segs:
            mod.impls.append((segs, members))


# ------------------------------------------------------------- resolution

class World:
    def __init__(self, crates):
        self.crates = {c.name: c for c in crates}
        for c in crates:
            for mod in all_modules(c.root):
                for segs, members in mod.impls:
                    target = self.impl_target(mod, segs)
                    if target is None:
                        raise ParseError(f"{mod.file}: cannot find the type of `impl {'::'.join(segs)}`")
                    if target is not EXTERNAL:
                        target.members += members

    def impl_target(self, mod, segs):
        """The item an inherent `impl` is for; EXTERNAL if it is outside the parsed code."""
        targets = self.resolve(mod, segs)
        for t in targets:
            if isinstance(t, Item):
                return t
        same = [it for m in all_modules(mod.crate.root)
                for it in m.items.get(segs[-1], [])
                if it.kind in ("struct", "enum", "union", "type", "trait")]
        if len(same) == 1:
            return same[0]
        if EXTERNAL in targets:
            return EXTERNAL
        return None

    def resolve(self, mod, segs, seen=frozenset()):
        """All targets `segs` can name, seen from inside `mod`."""
        first, rest = segs[0], segs[1:]
        if first == "crate":
            cur = [mod.crate.root]
        elif first == "self":
            cur = [mod]
        elif first == "super":
            cur = [mod.parent]
            while rest and rest[0] == "super":
                cur, rest = [cur[0].parent], rest[1:]
        else:
            cur = self.lookup(mod, first, mod, seen)
            if not cur:
                if first in self.crates:
                    cur = [self.crates[first].root]
                else:
                    return [EXTERNAL]
        for name in rest:
            nxt = []
            for t in cur:
                if t is EXTERNAL:
                    nxt.append(EXTERNAL)
                elif isinstance(t, Module):
                    nxt += self.lookup(t, name, mod, seen)
                elif isinstance(t, Item):
                    nxt += [("member", t, m) for m in t.member(name)]
            cur = nxt
            if not cur:
                return []
        return cur

    def lookup(self, mod, name, viewer, seen):
        """Targets `name` names in `mod`, for code in `viewer`."""
        if mod.opaque:
            return [EXTERNAL]
        inside = is_within(viewer, mod)
        found = []
        if name in mod.mods and (inside or mod.mods[name].public):
            found.append(mod.mods[name])
        found += [it for it in mod.items.get(name, []) if inside or it.public]
        if found:
            return found
        for is_pub, segs, alias in mod.uses:
            if alias != name or not (inside or is_pub):
                continue
            key = (id(mod), tuple(segs))
            if key in seen:
                continue
            found += self.resolve(mod, segs, seen | {key})
        if found:
            return found
        for is_pub, segs, alias in mod.uses:
            if alias != "*" or not (inside or is_pub):
                continue
            key = (id(mod), tuple(segs), "*")
            if key in seen:
                continue
            for t in self.resolve(mod, segs, seen | {key}):
                if isinstance(t, Module):
                    found += self.lookup(t, name, viewer, seen | {key})
                elif isinstance(t, Item) and t.kind == "enum":
                    found += [("member", t, m) for m in t.member(name)]
        return found

    def public_paths(self, crate):
        """{Item: [path]} for every item reachable from `crate`'s root."""
        paths = {}
        todo = [(crate.root, [crate.name], ())]
        while todo:
            mod, path, chain = todo.pop()
            if id(mod) in chain or len(path) > 12:
                continue
            for name, t in self.public_names(mod):
                if isinstance(t, Module):
                    if t.crate is crate:
                        todo.append((t, path + [name], chain + (id(mod),)))
                elif isinstance(t, Item) and t.module.crate is crate:
                    paths.setdefault(t, []).append(path + [name])
        return paths

    def public_names(self, mod):
        if mod.opaque:
            return
        for name, m in mod.mods.items():
            if m.public:
                yield name, m
        for name, items in mod.items.items():
            for it in items:
                if it.public:
                    yield name, it
        for is_pub, segs, alias in mod.uses:
            if not is_pub:
                continue
            for t in self.resolve(mod, segs):
                if alias == "*":
                    if isinstance(t, Module):
                        yield from self.public_names(t)
                else:
                    yield alias, t


def is_within(viewer, mod):
    while viewer is not None:
        if viewer is mod:
            return True
        viewer = viewer.parent
    return False


def all_modules(mod):
    yield mod
    for child in mod.mods.values():
        yield from all_modules(child)


# --------------------------------------------------------------- locating

def cargo_metadata():
    try:
        out = subprocess.run(["cargo", "metadata", "--format-version", "1"], cwd=ROOT,
                             capture_output=True, text=True, timeout=300, check=True).stdout
        return json.loads(out)
    except (OSError, subprocess.SubprocessError, ValueError) as e:
        print(f"cargo metadata failed: {e}", file=sys.stderr)
        return None


def source_args(argv):
    """{crate: directory} from `CRATE=DIR` arguments; a bare DIR is tungstenite's."""
    given = {}
    for arg in argv[1:]:
        name, eq, src = arg.partition("=")
        if not eq:
            name, src = "tungstenite", arg
        name = name.replace("-", "_")
        if name not in {s.crate for s in SOURCES}:
            sys.exit(f"{arg}: not one of {', '.join(s.crate for s in SOURCES)}")
        given[name] = src
    return given


def find_source(meta, source, given):
    """The `src/` directory of `source`: from the arguments, else `cargo metadata`."""
    if source.crate in given:
        src = given[source.crate]
        if os.path.isdir(os.path.join(src, "src")):
            src = os.path.join(src, "src")
        if os.path.exists(os.path.join(src, "lib.rs")):
            return src
        sys.exit(f"{given[source.crate]}: no lib.rs there")
    if meta:
        for p in meta["packages"]:
            if p["name"] == source.package and p["version"].startswith(source.version):
                return os.path.join(os.path.dirname(p["manifest_path"]), "src")
    sys.exit(f"{source.package} {source.version}x not found: run where `cargo metadata` "
             f"works, or pass {source.crate}=DIR (its source directory)")


def our_crates(meta):
    """(crate name, lib.rs) of the workspace's sockwell-* libraries."""
    found = []
    if meta:
        members = set(meta["workspace_members"])
        for p in meta["packages"]:
            if p["id"] in members and p["name"].startswith(OURS_PREFIX + "-"):
                for t in p["targets"]:
                    if "lib" in t["kind"]:
                        found.append((t["name"].replace("-", "_"), t["src_path"]))
    else:
        # The folders keep their old ws-* names; the package name is in each Cargo.toml.
        for d in sorted(os.listdir(ROOT)):
            lib = os.path.join(ROOT, d, "src", "lib.rs")
            manifest = os.path.join(ROOT, d, "Cargo.toml")
            if not (os.path.exists(lib) and os.path.exists(manifest)):
                continue
            with open(manifest, "rb") as f:
                name = tomllib.load(f).get("package", {}).get("name", "")
            if name.startswith(OURS_PREFIX + "-"):
                found.append((name.replace("-", "_"), lib))
    return found


# ------------------------------------------------------------------ guide

def split_row(line):
    """Cells of a markdown table row; `|` inside backticks or escaped stays."""
    cells, cur, tick = [], "", False
    i = 0
    line = line.strip()
    if line.startswith("|"):
        line = line[1:]
    while i < len(line):
        c = line[i]
        if c == "\\" and i + 1 < len(line) and line[i + 1] == "|":
            cur += "|"
            i += 2
            continue
        if c == "`":
            tick = not tick
        if c == "|" and not tick:
            cells.append(cur.strip())
            cur = ""
        else:
            cur += c
        i += 1
    if cur.strip():
        cells.append(cur.strip())
    return cells


OURS_PATH = re.compile(r"\b" + OURS_PREFIX + r"_[a-z_]+(?:::[A-Za-z_][A-Za-z0-9_]*)+")
THEIR_PATH = re.compile(r"^(?:" + "|".join(s.crate for s in SOURCES)
                        + r")(?:::[A-Za-z_][A-Za-z0-9_]*)+")


def read_guide(path):
    """(rows, inline code spans outside tables, fenced code) of the guide."""
    with open(path, encoding="utf-8") as f:
        text = f.read()
    rows, prose, code = [], [], []
    fence = False
    for lineno, line in enumerate(text.splitlines(), 1):
        if line.lstrip().startswith("```"):
            fence = not fence
            continue
        if fence:
            code.append((lineno, line))
            continue
        if line.lstrip().startswith("|"):
            cells = split_row(line)
            if cells and not set("".join(cells)) <= set("-: "):
                rows.append((lineno, cells))
            continue
        prose += [(lineno, s) for s in re.findall(r"`([^`]+)`", line)]
    return rows, prose, code


def spans(cell):
    return re.findall(r"`([^`]+)`", cell)


def code_paths(code):
    """(line, sockwell_* path) in code: plain paths and the names of `use sockwell_x::{..}`."""
    out = []
    starts, text = [], ""
    for lineno, line in code:
        starts.append((len(text), lineno))
        text += line + "\n"
    for m in re.finditer(r"\buse\s+(" + OURS_PREFIX + r"_[a-z_]+)::\{([^}]*)\}", text):
        lineno = max(l for at, l in starts if at <= m.start())
        for name in m.group(2).split(","):
            name = name.strip().split(" as ")[0].strip()
            if name and name != "self":
                out.append((lineno, f"{m.group(1)}::{name}"))
    for lineno, line in code:
        out += [(lineno, p) for p in OURS_PATH.findall(line)]
    return out


# ------------------------------------------------------------------- main

def main(argv):
    given = source_args(argv)
    meta = cargo_metadata() if len(given) < len(SOURCES) else None
    sources = [(source, find_source(meta, source, given)) for source in SOURCES]
    theirs = [Crate(source.crate, os.path.join(src, "lib.rs"), scope=source.scope)
              for source, src in sources]
    ours = [Crate(name, lib) for name, lib in our_crates(meta)]
    if not ours:
        sys.exit(f"no {OURS_PREFIX}-* crates found")
    world = World(theirs + ours)

    # Files in scope that no `mod` reaches are not compiled.
    for (source, src), crate in zip(sources, theirs):
        for sub in source.scope or [()]:
            for dirpath, _, files in os.walk(os.path.join(src, *sub)):
                for f in files:
                    p = os.path.realpath(os.path.join(dirpath, f))
                    if f.endswith(".rs") and p not in crate.files:
                        print(f"note: {p} is not part of the module tree", file=sys.stderr)

    # Every public item in scope: canonical path, kind, all its public paths, its source.
    expected = []  # (canonical, kind, {accepted paths}, source)
    for (source, _), crate in zip(sources, theirs):
        for item, paths in world.public_paths(crate).items():
            if not in_scope(item.module.path[1:], source.scope):
                continue
            defined = item.module.path + [item.name]

            def nearness(p):
                common = 0
                for a, b in zip(p, defined):
                    if a != b:
                        break
                    common += 1
                return (-common, len(p), p)

            names = sorted({"::".join(p) for p in paths},
                           key=lambda s: nearness(s.split("::")))
            hidden = ", doc(hidden)"
            expected.append((names[0], item.kind + hidden * item.hidden, set(names), source))
            for m in item.members:
                expected.append((f"{names[0]}::{m.name}",
                                 m.kind + hidden * (item.hidden or m.hidden),
                                 {f"{n}::{m.name}" for n in names}, source))

    rows, prose, code = read_guide(GUIDE)
    documented = {}
    problems = []
    for lineno, cells in rows:
        for s in spans(cells[0]):
            s = re.sub(r"(<.*>)?(\(\))?$", "", s.strip())
            if THEIR_PATH.match(s):
                documented.setdefault(s, lineno)

    missing = [(c, k, src) for c, k, accepted, src in expected
               if not accepted & documented.keys()]
    known = set().union(*(a for _, _, a, _ in expected))
    by_crate = {source.crate: source for source in SOURCES}
    for path, lineno in sorted(documented.items(), key=lambda x: x[1]):
        parts = path.split("::")
        source = by_crate[parts[0]]
        if in_scope(parts[1:], source.scope) and path not in known:
            problems.append(f"line {lineno}: `{path}` is not a public item of {source.what}")

    # Our paths: the "ours" column, the notes, the prose, the code.
    ours_paths = []
    for lineno, cells in rows:
        for cell in cells[1:]:
            for s in spans(cell):
                ours_paths += [(lineno, p) for p in OURS_PATH.findall(s)]
    for lineno, s in prose:
        ours_paths += [(lineno, p) for p in OURS_PATH.findall(s)]
    ours_paths += code_paths(code)
    viewer = Module(None, ["<guide>"], None, False, GUIDE, ROOT)
    checked = set()
    for where, path in ours_paths:
        if path in checked:
            continue
        checked.add(path)
        segs = path.split("::")
        if segs[0] not in world.crates or segs[0] == "tungstenite":
            problems.append(f"line {where}: `{path}`: no crate `{segs[0]}` in the workspace")
            continue
        if not world.resolve(viewer, segs):
            problems.append(f"line {where}: `{path}` names nothing public in our sources")

    # Per source crate: how many items, how many without a row. A source
    # that yields no item means the parser or the scope went wrong, and
    # would let every check above pass without checking anything.
    for source in SOURCES:
        items = [e for e in expected if e[3] is source]
        lacking = [m for m in missing if m[2] is source]
        print(f"{source.what}: {len(items)} items, {len(items) - len(lacking)} with a row")
        if not items:
            problems.append(f"{source.what}: no public item found (parser or scope broken?)")
    if not checked:
        problems.append(f"no {OURS_PREFIX}_* path found in the guide")

    for path, kind, _ in sorted(missing):
        print(f"missing row: `{path}` ({kind})")
    for p in problems:
        print(p)
    if missing or problems:
        print(f"{len(missing)} of {len(expected)} items without a row, "
              f"{len(problems)} other problem(s)")
        return 1
    print(f"{len(expected)} items covered ({len(checked)} paths of ours checked)")
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main(sys.argv))
    except ParseError as e:
        sys.exit(f"parse error: {e}")
