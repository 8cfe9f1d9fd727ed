"""Certificates, admin token and admin kubeconfig of the lab's Kubernetes API server.

    python lab/kube/pki.py DIR [--server URL]

Creates in DIR, each only if absent: ca.crt and ca.key (the cluster CA), server.crt and
server.key (signed by the CA, for 127.0.0.1, the lab bridge address and localhost) and
admin-token (random). Writes DIR/kubeconfig every time, for the admin, named as EKS names its
cluster (``arn:aws:eks:<region>:<account>:cluster/<name>``), pointing at --server (default
labconfig.KUBE_ENDPOINT). Keys, the token and the kubeconfig are mode 0600.
"""

from __future__ import annotations

import argparse
import base64
import datetime
import ipaddress
import json
import os
import secrets
import sys

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

LAB_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
if LAB_DIR not in sys.path:
    sys.path.insert(0, LAB_DIR)

import labconfig  # noqa: E402

CLUSTER_ARN = "arn:aws:eks:%s:%s:cluster/%s" % (labconfig.REGION, labconfig.ACCOUNT_ID, labconfig.CLUSTER_NAME)
SERVER_IPS = ("127.0.0.1", labconfig.BRIDGE_IP)
SERVER_DNS_NAMES = ("localhost", "kubernetes", "kubernetes.default", "kubernetes.default.svc")
VALIDITY = datetime.timedelta(days=3650)


def _write_private(path: str, data: bytes) -> None:
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "wb") as handle:
        handle.write(data)
    os.chmod(path, 0o600)


def _write_public(path: str, data: bytes) -> None:
    with open(path, "wb") as handle:
        handle.write(data)


def _new_key() -> ec.EllipticCurvePrivateKey:
    return ec.generate_private_key(ec.SECP256R1())


def _key_pem(key: ec.EllipticCurvePrivateKey) -> bytes:
    return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                             serialization.NoEncryption())


def _certificate(subject: x509.Name, public_key, issuer: x509.Name, signing_key, is_ca: bool,
                 extensions: list[tuple[x509.ExtensionType, bool]]) -> x509.Certificate:
    start = datetime.datetime.now(datetime.timezone.utc) - datetime.timedelta(minutes=5)
    builder = (x509.CertificateBuilder().subject_name(subject).issuer_name(issuer).public_key(public_key)
               .serial_number(x509.random_serial_number()).not_valid_before(start)
               .not_valid_after(start + VALIDITY)
               .add_extension(x509.BasicConstraints(ca=is_ca, path_length=None), critical=True)
               .add_extension(x509.SubjectKeyIdentifier.from_public_key(public_key), critical=False))
    for extension, critical in extensions:
        builder = builder.add_extension(extension, critical=critical)
    return builder.sign(signing_key, hashes.SHA256())


def _ensure_ca(directory: str) -> tuple[x509.Certificate, ec.EllipticCurvePrivateKey]:
    cert_path, key_path = os.path.join(directory, "ca.crt"), os.path.join(directory, "ca.key")
    if not (os.path.exists(cert_path) and os.path.exists(key_path)):
        key = _new_key()
        name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "kubernetes")])
        usage = x509.KeyUsage(digital_signature=True, content_commitment=False, key_encipherment=True,
                              data_encipherment=False, key_agreement=False, key_cert_sign=True, crl_sign=True,
                              encipher_only=False, decipher_only=False)
        certificate = _certificate(name, key.public_key(), name, key, True, [(usage, True)])
        _write_private(key_path, _key_pem(key))
        _write_public(cert_path, certificate.public_bytes(serialization.Encoding.PEM))
    with open(cert_path, "rb") as handle:
        certificate = x509.load_pem_x509_certificate(handle.read())
    with open(key_path, "rb") as handle:
        key = serialization.load_pem_private_key(handle.read(), password=None)
    return certificate, key


def _ensure_server_certificate(directory: str, ca: x509.Certificate, ca_key: ec.EllipticCurvePrivateKey) -> None:
    cert_path, key_path = os.path.join(directory, "server.crt"), os.path.join(directory, "server.key")
    if os.path.exists(cert_path) and os.path.exists(key_path):
        return
    key = _new_key()
    names = [x509.IPAddress(ipaddress.ip_address(address)) for address in SERVER_IPS]
    names += [x509.DNSName(name) for name in SERVER_DNS_NAMES]
    usage = x509.KeyUsage(digital_signature=True, content_commitment=False, key_encipherment=True,
                          data_encipherment=False, key_agreement=False, key_cert_sign=False, crl_sign=False,
                          encipher_only=False, decipher_only=False)
    certificate = _certificate(
        x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "kube-apiserver")]), key.public_key(), ca.subject,
        ca_key, False, [(x509.SubjectAlternativeName(names), False), (usage, True),
                        (x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), False)])
    _write_private(key_path, _key_pem(key))
    _write_public(cert_path, certificate.public_bytes(serialization.Encoding.PEM))


def _ensure_token(directory: str) -> str:
    path = os.path.join(directory, "admin-token")
    if not os.path.exists(path):
        _write_private(path, (secrets.token_urlsafe(32) + "\n").encode())
    with open(path, encoding="ascii") as handle:
        return handle.read().strip()


def kubeconfig_text(server: str, ca_pem: bytes, token: str) -> str:
    """An admin kubeconfig shaped like the one ``aws eks update-kubeconfig`` writes, with a static token."""
    quoted = json.dumps  # JSON strings are valid YAML double-quoted scalars.
    ca_data = base64.b64encode(ca_pem).decode("ascii")
    return "\n".join([
        "apiVersion: v1",
        "kind: Config",
        "clusters:",
        "- name: %s" % quoted(CLUSTER_ARN),
        "  cluster:",
        "    server: %s" % quoted(server),
        "    certificate-authority-data: %s" % ca_data,
        "contexts:",
        "- name: %s" % quoted(CLUSTER_ARN),
        "  context:",
        "    cluster: %s" % quoted(CLUSTER_ARN),
        "    user: %s" % quoted(CLUSTER_ARN),
        "current-context: %s" % quoted(CLUSTER_ARN),
        "preferences: {}",
        "users:",
        "- name: %s" % quoted(CLUSTER_ARN),
        "  user:",
        "    token: %s" % quoted(token),
        "",
    ])


def ensure_pki(directory: str, server: str = labconfig.KUBE_ENDPOINT) -> str:
    """Create what is missing in DIRECTORY, rewrite the kubeconfig and return its path."""
    os.makedirs(directory, mode=0o700, exist_ok=True)
    ca, ca_key = _ensure_ca(directory)
    _ensure_server_certificate(directory, ca, ca_key)
    token = _ensure_token(directory)
    path = os.path.join(directory, "kubeconfig")
    _write_private(path, kubeconfig_text(server, ca.public_bytes(serialization.Encoding.PEM), token).encode())
    return path


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("directory")
    parser.add_argument("--server", default=labconfig.KUBE_ENDPOINT,
                        help="API server URL written into the kubeconfig (default %(default)s)")
    args = parser.parse_args(argv)
    try:
        path = ensure_pki(args.directory, args.server)
    except (OSError, ValueError) as error:
        sys.stderr.write("Failed to create the lab PKI in %s: %s\n" % (args.directory, error))
        return 1
    print(path)
    return 0


if __name__ == "__main__":
    sys.exit(main())
