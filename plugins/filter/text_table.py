# -*- coding: utf-8 -*-
# Copyright: eks_hybrid.nodes contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r"""
name: text_table
short_description: Render a list of dictionaries as a plain-text table
version_added: 0.1.0
description:
  - Upper-case headings, one line per row, columns padded to their widest cell.
options:
  _input:
    description: The rows; every row has the same keys.
    type: list
    elements: dict
    required: true
  columns:
    description: The keys to show, in order. Defaults to the keys of the first row.
    type: list
    elements: str
"""

EXAMPLES = r"""
- name: Show a table
  ansible.builtin.debug:
    msg: "{{ [{'host': 'edge-1', 'status': 'Ready'}] | eks_hybrid.nodes.text_table }}"
"""

RETURN = r"""
_value:
  description: The table, lines separated by newlines.
  type: str
"""


def text_table(rows, columns=None):
    """Render a list of dicts as a plain-text table with upper-case headings, columns padded to fit."""
    if not rows:
        return ""
    columns = columns or list(rows[0].keys())
    cells = [[column.upper() for column in columns]]
    cells.extend([str(row.get(column, "")) for column in columns] for row in rows)
    widths = [max(len(line[index]) for line in cells) for index in range(len(columns))]
    lines = ["  ".join(cell.ljust(width) for cell, width in zip(line, widths)).rstrip() for line in cells]
    return "\n".join(lines)


class FilterModule:
    """Plain-text tables."""

    def filters(self):
        return {"text_table": text_table}
