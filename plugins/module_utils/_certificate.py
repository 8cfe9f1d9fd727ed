# -*- coding: utf-8 -*-

# Copyright: Contributors to the eks_hybrid.nodes collection
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Read the subject CN and validity window of a PEM certificate on the target host.

Uses the ``cryptography`` package when the host has it, otherwise the ``openssl x509`` command through a
caller-supplied ``run_command`` (an argv list, never a shell string). No Ansible import.
"""

import datetime
import re
from typing import Callable, List, Tuple

from ansible_collections.eks_hybrid.nodes.plugins.module_utils._nodeconfig import CertificateInfo

try:
    from cryptography import x509
    from cryptography.x509.oid import NameOID

    HAS_CRYPTOGRAPHY = True
except ImportError:
    HAS_CRYPTOGRAPHY = False

RunCommand = Callable[[List[str]], Tuple[int, str, str]]
_OPENSSL_DATE_FORMAT = "%b %d %H:%M:%S %Y GMT"


def read_with_cryptography(path: str) -> CertificateInfo:
    """Parse a PEM certificate with ``cryptography``; raise ValueError when it is not one."""
    with open(path, "rb") as handle:
        data = handle.read()
    try:
        certificate = x509.load_pem_x509_certificate(data)
    except ValueError as error:
        raise ValueError("%s is not a PEM certificate (%s)" % (path, error)) from error
    names = certificate.subject.get_attributes_for_oid(NameOID.COMMON_NAME)
    common_name = str(names[0].value) if names else None
    if hasattr(certificate, "not_valid_after_utc"):
        not_before, not_after = certificate.not_valid_before_utc, certificate.not_valid_after_utc
    else:  # cryptography < 42
        not_before = certificate.not_valid_before.replace(tzinfo=datetime.timezone.utc)
        not_after = certificate.not_valid_after.replace(tzinfo=datetime.timezone.utc)
    return CertificateInfo(common_name=common_name, not_before=not_before, not_after=not_after)


def _openssl_date(text: str) -> datetime.datetime:
    moment = datetime.datetime.strptime(" ".join(text.split()), _OPENSSL_DATE_FORMAT)
    return moment.replace(tzinfo=datetime.timezone.utc)


def read_with_openssl(path: str, run_command: RunCommand, openssl: str = "openssl") -> CertificateInfo:
    """Parse a PEM certificate with ``openssl x509``; raise ValueError when it is not one."""
    argv = [openssl, "x509", "-in", path, "-noout", "-subject", "-startdate", "-enddate", "-nameopt", "RFC2253"]
    rc, out, err = run_command(argv)
    if rc != 0:
        raise ValueError("%s is not a PEM certificate (openssl: %s)" % (path, (err or out).strip()))
    fields = {}
    for line in out.splitlines():
        key, _separator, value = line.partition("=")
        fields[key.strip()] = value.strip()
    match = re.search(r"(?:^|,)CN=((?:\\.|[^,])*)", fields.get("subject", ""))
    try:
        return CertificateInfo(common_name=match.group(1).replace("\\", "") if match else None,
                               not_before=_openssl_date(fields["notBefore"]),
                               not_after=_openssl_date(fields["notAfter"]))
    except (KeyError, ValueError) as error:
        raise ValueError("could not read the validity of %s from openssl output (%s)" % (path, error)) from error
