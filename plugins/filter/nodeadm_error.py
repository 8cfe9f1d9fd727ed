# -*- coding: utf-8 -*-
# Copyright: eks_hybrid.nodes contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r"""
name: nodeadm_error
short_description: The message that explains why a nodeadm command failed
version_added: 0.1.0
description:
  - nodeadm logs JSON lines (C(level), C(msg), C(error)) on standard error, often a page of them.
  - "This filter returns the last error-level entry as one line, C(msg: error), instead of the whole page."
  - Lines that are not JSON are kept as they are, so the output of other programs is not lost.
options:
  _input:
    description: Standard error of a nodeadm command.
    type: str
    required: true
  secrets:
    description: Strings replaced by C(********) wherever they appear, such as an activation code.
    type: list
    elements: str
    default: []
"""

EXAMPLES = r"""
- name: Fail with nodeadm's own explanation
  ansible.builtin.fail:
    msg: "nodeadm init failed: {{ init_result.stderr | eks_hybrid.nodes.nodeadm_error(secrets=[activation_code]) }}"
"""

RETURN = r"""
_value:
  description: The explanation, one line.
  type: str
"""

import json

_ERROR_LEVELS = ("error", "fatal", "panic", "dpanic")


def _entry_text(entry):
    message = str(entry.get("msg", "")).strip()
    error = str(entry.get("error", "")).strip()
    if message and error:
        return "%s: %s" % (message, error)
    return message or error


def nodeadm_error(stderr, secrets=None):
    """Return the last error nodeadm logged, or the last non-empty line when nothing was logged as an error."""
    lines = [line.strip() for line in (stderr or "").splitlines() if line.strip()]
    explanation = ""
    errors = []
    for line in lines:
        try:
            entry = json.loads(line)
        except ValueError:
            entry = None
        if isinstance(entry, dict):
            if str(entry.get("level", "")).lower() in _ERROR_LEVELS:
                errors.append(_entry_text(entry))
        else:
            errors.append(line)
    informative = [text for text in errors if text and text != "Command failed"]
    if informative:
        explanation = informative[-1]
    elif errors:
        explanation = errors[-1]
    elif lines:
        explanation = lines[-1]
    else:
        explanation = "nodeadm printed nothing on standard error"
    for secret in secrets or []:
        if secret:
            explanation = explanation.replace(secret, "********")
    return explanation


class FilterModule:
    """Filters for reading nodeadm's output."""

    def filters(self):
        return {"nodeadm_error": nodeadm_error}
