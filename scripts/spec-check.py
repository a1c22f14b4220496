#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0
"""Helpers for scripts/spec-check (run by it; Debian's /usr/bin/python3).

  spec-check.py gen YNL_DIR ARGS...
      Run YNL_DIR/ynl-gen-c.py with ARGS, plus three fixes to the
      linux-source-6.12 generator (all only touch --mode kernel):
        - per-op policies for dump-only operations (6.12 reads op['do']
          for the genl_ops table even when the op has only a dump);
        - max-len on binary attributes, rendered as
          { .type = NLA_BINARY, .len = N, } (valid on 6.1 and 6.12; newer
          generators print NLA_POLICY_MAX_LEN(N), which 6.1 lacks);
        - multi-attr strings keep NLA_NUL_STRING (the generator, also
          upstream at the time of writing, renders them as NLA_STRING,
          dropping the NUL-termination check `type: string` means).
  spec-check.py validate SPEC SCHEMA YNL_DIR
      Check SPEC's licence line, validate it against SCHEMA with
      jsonschema (every error, with its place in the spec), check the
      names the schema cannot (attributes listed by operations, nested
      sets, enums, constants used by checks, multicast groups), then load
      it with ynl's own SpecFamily, which validates again.
  spec-check.py uapi-c GEN_H OUT_C
      Write OUT_C, a program that prints every constant GEN_H defines as
      "NAME VALUE" lines (the input of uapi-asserts).
  spec-check.py uapi-asserts GEN_H COMMITTED_H VALUES OUT_C
      Write OUT_C: includes COMMITTED_H and _Static_asserts each integer
      constant of GEN_H equal to its generated value (string defines are
      compared with strcmp() at run time; enum tags with sizeof).
  spec-check.py enum-members GEN_H COMMITTED_H
      Every enum GEN_H declares must have exactly the same members in
      COMMITTED_H (the asserts already prove GEN_H's members exist there).
  spec-check.py policy-diff GEN_C GENL_C COMMITTED_H OUT_DIR
      Compare the genl_ops table and per-op policies ynl-gen-c.py generated
      with the ones in kernel/genl.c: same commands, flags, doit/dumpit, and
      per command the same attributes with the same type and bounds
      (nested policies followed). Identifiers are evaluated with the C
      compiler against COMMITTED_H. Differences in spelling only (a define
      against its value), in maxattr (both reject unknown attributes under
      strict validation) and in multicast group flags are notes.

Exit status: 0 when everything matches, 1 on a mismatch, 2 on bad use.
"""

import importlib.util
import os
import re
import subprocess
import sys

CC = os.environ.get('CC', 'cc')


def die(msg, rc=2):
    print(f'spec-check.py: {msg}', file=sys.stderr)
    sys.exit(rc)


# ---------------------------------------------------------------- gen ----

def cmd_gen(argv):
    if not argv:
        die('gen: YNL_DIR missing')
    ynl_dir = os.path.abspath(argv[0])
    sys.path.insert(0, ynl_dir)
    spec = importlib.util.spec_from_file_location(
        'ynl_gen_c', os.path.join(ynl_dir, 'ynl-gen-c.py'))
    gen = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(gen)

    # Backport 1: a dump-only op's per-op policy comes from its dump request.
    def op_getitem(self, key):
        if key == 'do' and 'do' not in self.yaml and 'dump' in self.yaml:
            return self.yaml['dump']
        return self.yaml[key]
    gen.Operation.__getitem__ = op_getitem

    # Backport 2: max-len on binary attributes.
    orig_binary = gen.TypeBinary._attr_policy

    def binary_policy(self, policy):
        if set(self.checks) == {'max-len'}:
            return ('{ .type = NLA_BINARY, .len = ' +
                    self.get_limit_str('max-len') + ', }')
        return orig_binary(self, policy)
    gen.TypeBinary._attr_policy = binary_policy

    # Backport 3: a multi-attr string keeps NLA_NUL_STRING (the generator
    # renders multi-attr policies with NLA_<type>, i.e. NLA_STRING, which
    # drops the NUL-termination check that `type: string` means).
    orig_multi = gen.TypeMultiAttr.attr_policy

    def multi_attr_policy(self, cw):
        if isinstance(self.base_type, gen.TypeString):
            return self.base_type.attr_policy(cw)
        return orig_multi(self, cw)
    gen.TypeMultiAttr.attr_policy = multi_attr_policy

    sys.argv = [os.path.join(ynl_dir, 'ynl-gen-c.py')] + argv[1:]
    gen.main()


# ----------------------------------------------------------- validate ----

LICENSE = '# SPDX-License-Identifier: ((GPL-2.0 WITH Linux-syscall-note) OR BSD-3-Clause)'


def cross_references(spec):
    """Names the schema cannot check: attribute lists, nests, enums, consts."""
    errs = []
    sets = {a['name']: a for a in spec.get('attribute-sets', [])}
    consts = {d['name']: d for d in spec.get('definitions', [])}
    for aset in sets.values():
        names = {a['name'] for a in aset['attributes']}
        if len(names) != len(aset['attributes']):
            errs.append(f'attribute-sets/{aset["name"]}: duplicate attribute names')
        for a in aset['attributes']:
            where = f'attribute-sets/{aset["name"]}/{a["name"]}'
            if 'nested-attributes' in a and a['nested-attributes'] not in sets:
                errs.append(f'{where}: no attribute set {a["nested-attributes"]}')
            if 'enum' in a and a['enum'] not in consts:
                errs.append(f'{where}: no definition {a["enum"]}')
            for k, v in a.get('checks', {}).items():
                if isinstance(v, str) and k != 'flags-mask' and \
                        not re.match(r'^[us](8|16|32|64)-(min|max)$', v) and v not in consts:
                    errs.append(f'{where}: checks/{k}: no definition {v}')
                if k == 'flags-mask' and v not in consts:
                    errs.append(f'{where}: checks/{k}: no definition {v}')
    groups = {g['name'] for g in spec.get('mcast-groups', {}).get('list', [])}
    for op in spec['operations']['list']:
        where = f'operations/{op["name"]}'
        aset = sets.get(op.get('attribute-set'))
        if 'attribute-set' in op and aset is None:
            errs.append(f'{where}: no attribute set {op["attribute-set"]}')
            continue
        lists = []
        for mode in ('do', 'dump'):
            for d in ('request', 'reply'):
                if d in op.get(mode, {}):
                    lists.append((f'{mode}/{d}', op[mode][d].get('attributes', [])))
        if 'event' in op:
            lists.append(('event', op['event'].get('attributes', [])))
        names = {a['name'] for a in aset['attributes']} if aset else set()
        for what, attrs in lists:
            for a in attrs:
                if a not in names:
                    errs.append(f'{where}/{what}: no attribute {a} in {op["attribute-set"]}')
        if 'mcgrp' in op and op['mcgrp'] not in groups:
            errs.append(f'{where}: no multicast group {op["mcgrp"]}')
    return errs


def cmd_validate(argv):
    spec_path, schema_path, ynl_dir = argv
    import warnings
    import jsonschema
    import yaml
    with open(spec_path) as f:
        first = f.readline().rstrip('\n')
    if first != LICENSE:
        print(f'{spec_path}: line 1 must be "{LICENSE}"')
        sys.exit(1)
    spec = yaml.safe_load(open(spec_path))
    schema = yaml.safe_load(open(schema_path))
    # The same validator ynl picks (the schema names draft-07 by a URL
    # jsonschema does not know, so it falls back to its newest draft, with a
    # deprecation warning that says nothing about the spec).
    warnings.simplefilter('ignore', DeprecationWarning)
    cls = jsonschema.validators.validator_for(schema)
    errors = sorted(cls(schema).iter_errors(spec), key=lambda e: list(e.path))
    for e in errors:
        where = '/'.join(str(p) for p in e.path) or '(top level)'
        print(f'{spec_path}: {where}: {e.message}')
    if errors:
        sys.exit(1)
    errs = cross_references(spec)
    for e in errs:
        print(f'{spec_path}: {e}')
    if errs:
        sys.exit(1)
    sys.path.insert(0, os.path.abspath(ynl_dir))
    from lib import SpecFamily
    try:
        SpecFamily(spec_path, schema_path)
    except Exception as e:      # ynl raises plain Exception/KeyError
        print(f'{spec_path}: ynl cannot load the spec: {type(e).__name__}: {e}')
        sys.exit(1)


# ----------------------------------------------------------- C parsing ----

def strip_comments(text):
    text = re.sub(r'/\*.*?\*/', ' ', text, flags=re.S)
    return re.sub(r'//[^\n]*', ' ', text)


def parse_enums(text):
    """{tag or '': [(name, expr or None)]} of every enum in text."""
    enums = {}
    anon = 0
    for m in re.finditer(r'\benum\s*(\w*)\s*\{(.*?)\}\s*;', strip_comments(text), re.S):
        tag = m.group(1)
        if not tag:
            anon += 1
            tag = f'<anonymous {anon}>'
        members = []
        for item in split_top(m.group(2)):
            item = item.strip()
            if not item:
                continue
            name, _, expr = item.partition('=')
            members.append((name.strip(), expr.strip() or None))
        enums[tag] = members
    return enums


def parse_defines(text):
    """[(name, value)] of every object-like #define with a value."""
    out = []
    for m in re.finditer(r'^#define\s+(\w+)[ \t]+(.+?)\s*$',
                         strip_comments(text), re.M):
        out.append((m.group(1), m.group(2)))
    return out


def split_top(s):
    """Split s at commas outside (), {} and []."""
    parts, depth, cur, quote = [], 0, [], None
    for ch in s:
        if quote:
            cur.append(ch)
            if ch == quote:
                quote = None
            continue
        if ch in '"\'':
            quote = ch
        elif ch in '({[':
            depth += 1
        elif ch in ')}]':
            depth -= 1
        elif ch == ',' and depth == 0:
            parts.append(''.join(cur))
            cur = []
            continue
        cur.append(ch)
    if ''.join(cur).strip():
        parts.append(''.join(cur))
    return parts


def norm(s):
    return re.sub(r'\s+', ' ', s).strip()


# -------------------------------------------------------------- uapi ----

def gen_constants(gen_h):
    """[(name, kind)] of the constants gen_h defines; kind int|str|enum."""
    text = open(gen_h).read()
    names = []
    for name, value in parse_defines(text):
        if name.startswith('_UAPI_'):
            continue
        names.append((name, 'str' if value.startswith('"') else 'int'))
    for tag, members in parse_enums(text).items():
        if not tag.startswith('<'):
            names.append((tag, 'enum'))
        names += [(name, 'int') for name, _ in members]
    return names


def cmd_uapi_c(argv):
    gen_h, out_c = argv
    lines = ['#include <stdio.h>', f'#include "{os.path.abspath(gen_h)}"',
             'int main(void)', '{']
    for name, kind in gen_constants(gen_h):
        if kind == 'int':
            lines.append(f'\tprintf("{name} %lld\\n", (long long)({name}));')
        elif kind == 'str':
            lines.append(f'\tprintf("{name} %s\\n", {name});')
    lines += ['\treturn 0;', '}', '']
    open(out_c, 'w').write('\n'.join(lines))


def c_str(s):
    return '"' + s.replace('\\', '\\\\').replace('"', '\\"') + '"'


def cmd_uapi_asserts(argv):
    gen_h, committed_h, values, out_c = argv
    vals = {}
    for line in open(values):
        name, _, value = line.rstrip('\n').partition(' ')
        vals[name] = value
    hdr = os.path.abspath(committed_h)
    lines = ['/* Generated by scripts/spec-check: every constant of the',
             ' * header ynl-gen-c.py makes from the spec must exist in the',
             ' * committed header with the same value. */',
             '#include <stdio.h>', '#include <string.h>',
             f'#include "{hdr}"', '']
    strs = []
    n = 0
    for name, kind in gen_constants(gen_h):
        if kind == 'enum':
            lines.append(f'_Static_assert(sizeof(enum {name}) > 0, '
                         f'{c_str(f"enum {name}: declared by the spec")});')
        elif kind == 'int':
            v = vals[name]
            lines.append(f'_Static_assert(({name}) == ({v}LL), '
                         f'{c_str(f"{name}: the spec makes it {v}")});')
        else:
            strs.append((name, vals[name]))
        n += 1
    lines += ['', 'int main(void)', '{', '\tint bad = 0;', '']
    for name, v in strs:
        lines += [f'\tif (strcmp({name}, {c_str(v)})) {{',
                  f'\t\tprintf("{name}: the header says \\"%s\\", '
                  f'the spec makes it \\"%s\\"\\n", {name}, {c_str(v)});',
                  '\t\tbad = 1;', '\t}']
    lines += ['\treturn bad;', '}', '']
    open(out_c, 'w').write('\n'.join(lines))
    print(n)


def cmd_enum_members(argv):
    gen_h, committed_h = argv
    gen = parse_enums(open(gen_h).read())
    com = parse_enums(open(committed_h).read())
    bad = 0
    for tag, members in gen.items():
        if tag.startswith('<'):
            continue
        if tag not in com:
            print(f'enum {tag}: not in {committed_h}')
            bad = 1
            continue
        g = [m for m, _ in members]
        c = [m for m, _ in com[tag]]
        extra = [m for m in c if m not in g]
        if extra:
            print(f'enum {tag}: {committed_h} has {", ".join(extra)}, '
                  'which the spec does not describe')
            bad = 1
        if not extra and g != c:
            print(f'enum {tag}: members in a different order')
            bad = 1
    sys.exit(1 if bad else 0)


# ------------------------------------------------------------- policy ----

def parse_policies(text):
    """{name: (size expr, {attr: expr})} of every struct nla_policy array."""
    out = {}
    for m in re.finditer(r'(?:static\s+)?const\s+struct\s+nla_policy\s+(\w+)'
                         r'\s*\[([^\]]*)\]\s*=\s*\{(.*?)\}\s*;',
                         text, re.S):
        # The body may hold braces; re-scan for the real end.
        start = m.start(3)
        body = balanced(text, start - 1)
        entries = {}
        for item in split_top(body):
            item = item.strip()
            if not item:
                continue
            em = re.match(r'\[\s*(\w+)\s*\]\s*=\s*(.*)$', item, re.S)
            if not em:
                raise ValueError(f'policy {m.group(1)}: cannot parse {item!r}')
            entries[em.group(1)] = norm(em.group(2))
        out[m.group(1)] = (norm(m.group(2)), entries)
    return out


def balanced(text, open_idx):
    """Contents of the {...} whose '{' is at open_idx."""
    depth = 0
    for i in range(open_idx, len(text)):
        if text[i] == '{':
            depth += 1
        elif text[i] == '}':
            depth -= 1
            if depth == 0:
                return text[open_idx + 1:i]
    raise ValueError('unbalanced braces')


def parse_struct_array(text, struct):
    """[{field: value}] of the first `struct <struct> name[] = {...}`."""
    m = re.search(r'struct\s+' + struct + r'\s+\w+\s*\[[^\]]*\]\s*=\s*\{', text)
    if not m:
        return None
    body = balanced(text, m.end() - 1)
    out = []
    for item in split_top(body):
        item = item.strip()
        if not item:
            continue
        im = re.match(r'(?:\[\s*(\w+)\s*\]\s*=\s*)?\{(.*)\}$', item, re.S)
        if not im:
            raise ValueError(f'{struct}: cannot parse {item!r}')
        fields = {}
        pos = 0
        for f in split_top(im.group(2)):
            f = f.strip()
            if not f:
                continue
            fm = re.match(r'\.(\w+)\s*=\s*(.*)$', f, re.S)
            if fm:
                fields[fm.group(1)] = norm(fm.group(2))
            else:
                fields[f'#{pos}'] = norm(f)
            pos += 1
        if im.group(1):
            fields['#index'] = im.group(1)
        out.append(fields)
    return out


class Evaluator:
    """Values of C expressions, computed by the compiler in one batch."""

    # Kernel-internal names that a userspace compile cannot see.
    KERNEL = {
        '_NSIG': ('64', '_NSIG is 64 on x86 and arm64 (128 on MIPS)'),
    }

    def __init__(self, header, out_dir):
        self.header = os.path.abspath(header)
        self.out_dir = out_dir
        self.values = {}

    def evaluate(self, exprs):
        exprs = sorted(set(e for e in exprs if e not in self.values))
        if not exprs:
            return
        src = ['#include <stdio.h>', f'#include "{self.header}"']
        for name, (val, _) in self.KERNEL.items():
            src.append(f'#define {name} {val}')
        src += ['int main(void)', '{']
        for e in exprs:
            src.append(f'\tprintf("%lld\\n", (long long)({e}));')
        src += ['\treturn 0;', '}', '']
        c = os.path.join(self.out_dir, 'policy-values.c')
        exe = os.path.join(self.out_dir, 'policy-values')
        open(c, 'w').write('\n'.join(src))
        r = subprocess.run([CC, '-std=gnu11', '-o', exe, c],
                           capture_output=True, text=True)
        if r.returncode:
            print(r.stderr, file=sys.stderr)
            die('cannot evaluate policy values (see above)', 1)
        out = subprocess.run([exe], capture_output=True, text=True,
                             check=True).stdout.split()
        for e, v in zip(exprs, out):
            self.values[e] = int(v)

    def __getitem__(self, expr):
        return self.values[expr]


NLA_FORMS = [
    # (regex, builder(match) -> dict of raw expressions)
    (r'NLA_POLICY_MIN\(\s*(\w+)\s*,(.+)\)$',
     lambda m: {'type': m[1], 'min': m[2]}),
    (r'NLA_POLICY_MAX\(\s*(\w+)\s*,(.+)\)$',
     lambda m: {'type': m[1], 'max': m[2]}),
    (r'NLA_POLICY_RANGE\(\s*(\w+)\s*,(.+),(.+)\)$',
     lambda m: {'type': m[1], 'min': m[2], 'max': m[3]}),
    (r'NLA_POLICY_MASK\(\s*(\w+)\s*,(.+)\)$',
     lambda m: {'type': m[1], 'mask': m[2]}),
    (r'NLA_POLICY_NESTED\(\s*(\w+)\s*\)$',
     lambda m: {'type': 'NLA_NESTED', 'nested': m[1]}),
    (r'NLA_POLICY_NESTED_ARRAY\(\s*(\w+)\s*\)$',
     lambda m: {'type': 'NLA_NESTED_ARRAY', 'nested': m[1]}),
    (r'NLA_POLICY_EXACT_LEN\((.+)\)$',
     lambda m: {'type': 'NLA_UNSPEC', 'exact-len': m[1]}),
    (r'NLA_POLICY_MIN_LEN\((.+)\)$',
     lambda m: {'type': 'NLA_BINARY', 'min-len': m[1]}),
    # NLA_POLICY_MAX_LEN (6.14+) bounds the length like NLA_BINARY's .len.
    (r'NLA_POLICY_MAX_LEN\((.+)\)$',
     lambda m: {'type': 'NLA_BINARY', 'len': m[1]}),
]


def parse_nla(expr):
    """A policy entry as {'type': ..., bound: raw expr, ...}."""
    e = expr.strip().rstrip(',').strip()
    for rx, build in NLA_FORMS:
        m = re.match(rx, e, re.S)
        if m:
            return {k: v.strip() for k, v in build(m).items()}
    if e.startswith('{') and e.endswith('}'):
        d = {}
        for f in split_top(e[1:-1]):
            f = f.strip()
            if not f:
                continue
            fm = re.match(r'\.(\w+)\s*=\s*(.*)$', f, re.S)
            if not fm:
                raise ValueError(f'cannot parse policy entry {expr!r}')
            d[fm.group(1)] = fm.group(2).strip()
        d.setdefault('type', 'NLA_UNSPEC')
        if d['type'] == 'NLA_UNSPEC' and 'len' in d:
            d['min-len'] = d.pop('len')     # { .len = N } is a minimum
        return d
    raise ValueError(f'cannot parse policy entry {expr!r}')


class PolicyDiff:
    def __init__(self, gen_pols, genl_pols, ev):
        self.gen_pols = gen_pols
        self.genl_pols = genl_pols
        self.ev = ev
        self.errors = []
        self.notes = []

    def values_of(self, pols):
        out = []
        for size, entries in pols.values():
            out.append(size)
            for attr, expr in entries.items():
                out.append(attr)
                for k, v in parse_nla(expr).items():
                    if k not in ('type', 'nested'):
                        out.append(v)
        return out

    def compare_policy(self, what, gname, kname, seen=None):
        seen = seen if seen is not None else set()
        if (gname, kname) in seen:
            return
        seen.add((gname, kname))
        gsize, gent = self.gen_pols[gname]
        ksize, kent = self.genl_pols[kname]
        ev = self.ev
        gby = {ev[a]: (a, parse_nla(e)) for a, e in gent.items()}
        kby = {ev[a]: (a, parse_nla(e)) for a, e in kent.items()}
        # Entries of type NLA_UNSPEC without bounds are "no policy".
        for d in (gby, kby):
            for v in [v for v, (_, p) in d.items() if p == {'type': 'NLA_UNSPEC'}]:
                del d[v]
        for v in sorted(set(gby) | set(kby)):
            name = (gby.get(v) or kby.get(v))[0]
            if v not in kby:
                self.errors.append(f'{what}: {name}: in the spec, not in kernel/genl.c ({kname})')
                continue
            if v not in gby:
                self.errors.append(f'{what}: {name}: in kernel/genl.c ({kname}), not in the spec')
                continue
            g, k = gby[v][1], kby[v][1]
            if g['type'] != k['type']:
                self.errors.append(f'{what}: {name}: type {k["type"]} in kernel/genl.c, '
                                   f'{g["type"]} from the spec')
                continue
            for key in sorted((set(g) | set(k)) - {'type', 'nested'}):
                if key not in g or key not in k:
                    side = 'kernel/genl.c' if key in k else 'the spec'
                    val = k.get(key, g.get(key))
                    self.errors.append(f'{what}: {name}: only {side} has {key} = {val}')
                elif ev[g[key]] != ev[k[key]]:
                    self.errors.append(f'{what}: {name}: {key} is {k[key]} = {ev[k[key]]} '
                                       f'in kernel/genl.c, {g[key]} = {ev[g[key]]} from the spec')
                elif norm(g[key]) != norm(k[key]):
                    why = Evaluator.KERNEL.get(k[key].strip(), (None, ''))[1]
                    self.notes.append(f'{what}: {name}: {key} spelled {k[key]} in kernel/genl.c, '
                                      f'{g[key]} from the spec (both {ev[k[key]]})'
                                      + (f'; {why}' if why else ''))
            if 'nested' in g or 'nested' in k:
                if 'nested' not in g or 'nested' not in k:
                    self.errors.append(f'{what}: {name}: nested policy on one side only')
                else:
                    self.compare_policy(f'{what}: {name} nest', g['nested'],
                                        k['nested'], seen)
                    gs = ev[self.gen_pols[g['nested']][0]]
                    ks = ev[self.genl_pols[k['nested']][0]]
                    if gs != ks:
                        self.notes.append(
                            f'{what}: {name} nest: maxtype {ks - 1} in kernel/genl.c '
                            f'({k["nested"]}[{self.genl_pols[k["nested"]][0]}]), '
                            f'{gs - 1} from the spec '
                            f'({g["nested"]}[{self.gen_pols[g["nested"]][0]}])')


def cmd_policy_diff(argv):
    gen_c, genl_c, header, out_dir = argv
    gtext = strip_comments(open(gen_c).read())
    ktext = strip_comments(open(genl_c).read())
    gen_pols = parse_policies(gtext)
    genl_pols = parse_policies(ktext)
    gen_ops = parse_struct_array(gtext, 'genl_ops')
    genl_ops = parse_struct_array(ktext, 'genl_ops')
    if gen_ops is None:
        die(f'{gen_c}: no genl_ops table (is kernel-policy per-op?)', 1)
    if genl_ops is None:
        die(f'{genl_c}: no genl_ops table', 1)
    gen_grps = parse_struct_array(gtext, 'genl_multicast_group') or []
    genl_grps = parse_struct_array(ktext, 'genl_multicast_group') or []

    ev = Evaluator(header, out_dir)
    exprs = []
    for ops in (gen_ops, genl_ops):
        for op in ops:
            exprs.append(op.get('cmd', '0'))
            if 'maxattr' in op:
                exprs.append(op['maxattr'])
    pd = PolicyDiff(gen_pols, genl_pols, ev)
    exprs += pd.values_of(gen_pols) + pd.values_of(genl_pols)
    ev.evaluate(exprs)

    gby = {ev[op['cmd']]: op for op in gen_ops}
    kby = {ev[op['cmd']]: op for op in genl_ops}
    for v in sorted(set(gby) | set(kby)):
        op = gby.get(v) or kby.get(v)
        what = op['cmd']
        if v not in kby:
            pd.errors.append(f'{what}: in the spec, not in kernel/genl.c')
            continue
        if v not in gby:
            pd.errors.append(f'{what}: in kernel/genl.c, not in the spec')
            continue
        g, k = gby[v], kby[v]
        for cb in ('doit', 'dumpit'):
            if (cb in g) != (cb in k):
                side = 'kernel/genl.c' if cb in k else 'the spec'
                pd.errors.append(f'{what}: only {side} has a {cb}')
            elif cb in g and g[cb] != k[cb]:
                pd.notes.append(f'{what}: {cb} is {k[cb]} in kernel/genl.c, '
                                f'{g[cb]} in the generated code')
        gflags = set(x.strip() for x in g.get('flags', '0').split('|')) - {'0'}
        kflags = set(x.strip() for x in k.get('flags', '0').split('|')) - {'0'}
        if gflags != kflags:
            pd.errors.append(f'{what}: flags {" | ".join(sorted(kflags)) or "0"} in '
                             f'kernel/genl.c, {" | ".join(sorted(gflags)) or "0"} from the spec')
        gval = set(x.strip() for x in g.get('validate', '0').split('|')) - {'0'}
        kval = set(x.strip() for x in k.get('validate', '0').split('|')) - {'0'}
        if gval != kval:
            pd.errors.append(f'{what}: validate {" | ".join(sorted(kval)) or "0"} in '
                             f'kernel/genl.c, {" | ".join(sorted(gval)) or "0"} from the spec')
        if ('policy' in g) != ('policy' in k):
            side = 'kernel/genl.c' if 'policy' in k else 'the spec'
            pd.errors.append(f'{what}: only {side} has a policy')
            continue
        if 'policy' not in g:
            continue
        pd.compare_policy(what, g['policy'], k['policy'])
        gm, km = ev[g['maxattr']], ev[k['maxattr']]
        if gm != km:
            pd.notes.append(f'{what}: maxattr {k["maxattr"]} ({km}) in kernel/genl.c, '
                            f'{g["maxattr"]} ({gm}) from the spec: both reject other '
                            'attributes under strict validation, with different '
                            'extack texts ("Unsupported attribute" / "Unknown '
                            'attribute type")')

    # Multicast groups: names (the generated table spells them as literals).
    def grp_names(grps):
        names = []
        for grp in grps:
            n = grp.get('name', grp.get('#0', ''))
            if not n.startswith('"'):
                m = re.search(r'#define\s+' + re.escape(n) + r'\s+("[^"]*")',
                              open(header).read())
                n = m.group(1) if m else n
            names.append((n, grp.get('flags')))
        return names
    gg = grp_names(gen_grps)
    kg = grp_names(genl_grps)
    if sorted(n for n, _ in gg) != sorted(n for n, _ in kg):
        pd.errors.append(f'multicast groups: {", ".join(n for n, _ in kg)} in '
                         f'kernel/genl.c, {", ".join(n for n, _ in gg)} from the spec')
    for n, flags in kg:
        if flags and flags != '0':
            pd.notes.append(f'multicast group {n}: .flags = {flags} in kernel/genl.c; '
                            'the 6.12 generator renders no group flags')

    for n in pd.notes:
        print(f'note: {n}')
    for e in pd.errors:
        print(f'MISMATCH: {e}')
    print(f'policy-diff: {len(gby)} generated ops against {len(kby)} in kernel/genl.c, '
          f'{len(pd.errors)} mismatch(es), {len(pd.notes)} note(s)')
    sys.exit(1 if pd.errors else 0)


def main():
    if len(sys.argv) < 2:
        die(__doc__.strip().splitlines()[0])
    cmd, argv = sys.argv[1], sys.argv[2:]
    cmds = {'gen': (cmd_gen, None), 'validate': (cmd_validate, 3),
            'uapi-c': (cmd_uapi_c, 2),
            'uapi-asserts': (cmd_uapi_asserts, 4),
            'enum-members': (cmd_enum_members, 2),
            'policy-diff': (cmd_policy_diff, 4)}
    if cmd not in cmds:
        die(f'unknown command {cmd}')
    fn, nargs = cmds[cmd]
    if nargs is not None and len(argv) != nargs:
        die(f'{cmd}: {nargs} arguments expected')
    try:
        fn(argv)
    except ValueError as e:     # the C parsers' "cannot parse ..."
        die(f'{cmd}: {e}', 1)


if __name__ == '__main__':
    main()
