"""README.md documents every role variable as the argument specs define it (lab/role_vars_table.py)."""

import yaml

import role_vars_table
from conftest import REPO

ROLES = REPO / "roles"


def test_readme_holds_the_generated_role_variable_tables():
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    generated = role_vars_table.render_section(role_vars_table.load_argument_specs(ROLES),
                                               role_vars_table.load_defaults(ROLES))
    assert role_vars_table.section_in(readme) is not None, (
        "README.md has no role variable section: paste the output of `.venv/bin/python lab/role_vars_table.py`")
    assert role_vars_table.section_in(readme) == generated, (
        "README.md's role variables differ from the argument specs: replace the section with the output of "
        "`.venv/bin/python lab/role_vars_table.py`")


def test_every_variable_and_default_of_each_argument_spec_has_a_row():
    section = role_vars_table.section_in((REPO / "README.md").read_text(encoding="utf-8")) or ""
    rows = {line.split("|")[1].strip(" `"): line for line in section.splitlines() if line.startswith("| `")}
    for role, entry_points in role_vars_table.load_argument_specs(ROLES).items():
        for name, option in role_vars_table.role_options(entry_points).items():
            assert name in rows, "%s: %s has no row in README.md" % (role, name)
            if option.get("required"):
                assert "(required)" in rows[name]
            elif isinstance(option.get("default"), str) and option["default"]:
                assert "`%s`" % option["default"] in rows[name]


def test_every_role_default_is_in_the_argument_spec_with_the_same_value():
    for role, entry_points in role_vars_table.load_argument_specs(ROLES).items():
        options = role_vars_table.role_options(entry_points)
        defaults = yaml.safe_load((ROLES / role / "defaults" / "main.yml").read_text(encoding="utf-8")) or {}
        undocumented = sorted(set(defaults) - set(options))
        assert not undocumented, "%s: defaults/main.yml sets variables its argument spec lacks: %s" % (
            role, undocumented)
        for name, value in defaults.items():
            spec = options[name]
            templated = isinstance(value, str) and "{{" in value
            if "default" in spec and not templated:
                assert spec["default"] == value, "%s: %s defaults to %r in defaults/main.yml but %r in the spec" % (
                    role, name, value, spec["default"])
