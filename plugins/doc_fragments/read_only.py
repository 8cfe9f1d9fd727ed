# -*- coding: utf-8 -*-

# Copyright: Contributors to the eks_hybrid.nodes collection
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)


class ModuleDocFragment:
    """Attributes of the modules that only read, on the controller or on a host."""

    DOCUMENTATION = r"""
attributes:
  check_mode:
    support: full
    details: The module only reads; it runs the same in check mode.
  diff_mode:
    support: N/A
    details: The module only reads.
"""
