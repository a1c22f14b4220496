#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0
"""Helpers for scripts/spec-check (run by it; Debian's /usr/bin/python3).

  spec-check.py gen YNL_DIR ARGS...
      Run YNL_DIR/ynl-gen-c.py with ARGS, plus four fixes to the pinned
      linux-source-6.12 generator (all only touch --mode kernel):
        - per-op policies for dump-only operations (6.12 reads op['do']
          for the genl_ops table even when the op has only a dump), and
          their extern declarations in the generated header (6.12 declares
          only do policies, so sparse asks whether the dump's should be
          static);
        - max-len on binary attributes, rendered as
          { .type = NLA_BINARY, .len = N, } (valid on 6.1 and 6.12; newer
          generators print NLA_POLICY_MAX_LEN(N), which 6.1 lacks);
        - multi-attr strings keep NLA_NUL_STRING (the generator, also
          upstream at the time of writing, renders them as NLA_STRING,
          dropping the NUL-termination check `type: string` means);
        - no multicast group table in the generated source: a
          genetlink-legacy family's struct genl_family is hand-written
          (kernel/genl.c), and so is its group table, whose flags the
          generator cannot express; the generated static table would be
          unused (W=1: -Wunused-const-variable). The group's index
          (SBEXEC_NLGRP_EVENTS) is still generated in the header.
  spec-check.py validate SPEC SCHEMA YNL_DIR
      Check SPEC's licence line, validate it against SCHEMA with
      jsonschema (every error, with its place in the spec), check the
      names the schema cannot (attributes listed by operations, nested
      sets, enums, constants used by checks, multicast groups), then load
      it with ynl's own SpecFamily, which validates again.

Exit status: 0 on success, 1 on a finding, 2 on bad use.
"""

import importlib.util
import os
import re
import sys


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

    # Backport 1b: the header declares the dump-only ops' policies too.
    orig_table_hdr = gen.print_kernel_op_table_hdr

    def op_table_hdr(family, cw):
        if family.kernel_policy == 'per-op':
            for op in family.ops.values():
                if 'dump' in op and 'do' not in op and 'event' not in op:
                    ri = gen.RenderInfo(cw, family, 'kernel', op, 'dump')
                    gen.print_req_policy_fwd(cw, ri.struct['request'], ri=ri)
                    cw.nl()
        orig_table_hdr(family, cw)
    gen.print_kernel_op_table_hdr = op_table_hdr

    # Fix 4: a legacy family's group table is hand-written with its struct.
    orig_mcgrp_src = gen.print_kernel_mcgrp_src

    def mcgrp_src(family, cw):
        if gen.kernel_can_gen_family_struct(family):
            orig_mcgrp_src(family, cw)
    gen.print_kernel_mcgrp_src = mcgrp_src

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


def main():
    if len(sys.argv) < 2:
        die(__doc__.strip().splitlines()[0])
    cmd, argv = sys.argv[1], sys.argv[2:]
    cmds = {'gen': (cmd_gen, None), 'validate': (cmd_validate, 3)}
    if cmd not in cmds:
        die(f'unknown command {cmd}')
    fn, nargs = cmds[cmd]
    if nargs is not None and len(argv) != nargs:
        die(f'{cmd}: {nargs} arguments expected')
    fn(argv)


if __name__ == '__main__':
    main()
