"""TLS for the demo web: a throwaway CA (trustme), certificates chosen per host by SNI.

- Valid hosts share one leaf listing every fixed hostname; the chain sent includes the CA
  certificate itself, so Chromium's ``--ignore-certificate-errors-spki-list=<CA SPKI>`` accepts
  it (the allowlist is matched against the SPKIs of the chain the server presents).
- Hosts made later by a family get a leaf of their own on first use (from the SNI callback).
- ``expired`` / ``wrong_host`` hosts get leaves from the same CA but *without* the CA in the
  chain, so clients trusting the CA see the specific error and the Chromium SPKI allowlist
  does not paper over it; ``self_signed`` hosts get a self-signed certificate.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import ssl
import threading
from collections.abc import Callable
from pathlib import Path

import trustme
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

WRONG_HOST_NAME = "unrelated-host.example"
CA_FILENAME = "prospector-demo-web-ca.pem"


def spki_sha256_b64(cert_pem: bytes) -> str:
    """Base64 SHA-256 of a certificate's SubjectPublicKeyInfo (Chromium's SPKI hash format)."""
    cert = x509.load_pem_x509_certificate(cert_pem)
    spki = cert.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    return base64.b64encode(hashlib.sha256(spki).digest()).decode("ascii")


def _self_signed(host: str) -> tuple[bytes, bytes]:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, host)])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=365))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName(host)]), critical=False)
        .sign(key, hashes.SHA256())
    )
    key_pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    return key_pem, cert.public_bytes(serialization.Encoding.PEM)


class DemoTLS:
    """The CA, the server contexts, and the SNI callback that picks one per host."""

    def __init__(
        self,
        key_dir: Path,
        ca_dir: Path,
        hostnames: list[str],
        special: dict[str, str],
        can_serve: Callable[[str], bool],
    ) -> None:
        self.key_dir = key_dir  # private keys and chains (ssl needs files); kept private
        key_dir.mkdir(parents=True, exist_ok=True)
        ca_dir.mkdir(parents=True, exist_ok=True)
        self.ca = trustme.CA(organization_name="Prospector Demo CA")
        self.ca_pem = self.ca.cert_pem.bytes()
        self.ca_pem_path = ca_dir / CA_FILENAME
        self.ca_pem_path.write_bytes(self.ca_pem)
        self._names = frozenset(hostnames)
        self._can_serve = can_serve
        self._lock = threading.Lock()
        leaf = self.ca.issue_cert(*hostnames)
        self.leaf_pem = leaf.cert_chain_pems[0].bytes()
        self.context = self._context(
            "default", leaf.private_key_pem.bytes(), self.leaf_pem + self.ca_pem
        )
        self.context.sni_callback = self._sni
        self._special: dict[str, ssl.SSLContext] = {}
        self._lazy: dict[str, ssl.SSLContext] = {}
        for host, mode in sorted(special.items()):
            self._special[host] = self._bad_context(host, mode)

    def _context(self, name: str, key_pem: bytes, chain_pem: bytes) -> ssl.SSLContext:
        safe = name.replace("*", "_")
        key_path = self.key_dir / f"{safe}.key.pem"
        chain_path = self.key_dir / f"{safe}.chain.pem"
        key_path.write_bytes(key_pem)
        key_path.chmod(0o600)
        chain_path.write_bytes(chain_pem)
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(str(chain_path), str(key_path))
        ctx.set_alpn_protocols(["http/1.1"])
        return ctx

    def _bad_context(self, host: str, mode: str) -> ssl.SSLContext:
        if mode == "expired":
            leaf = self.ca.issue_cert(
                host,
                not_before=dt.datetime(2020, 1, 1, tzinfo=dt.UTC),
                not_after=dt.datetime(2021, 1, 1, tzinfo=dt.UTC),
            )
            return self._context(
                host, leaf.private_key_pem.bytes(), leaf.cert_chain_pems[0].bytes()
            )
        if mode == "wrong_host":
            leaf = self.ca.issue_cert(WRONG_HOST_NAME)
            return self._context(
                host, leaf.private_key_pem.bytes(), leaf.cert_chain_pems[0].bytes()
            )
        if mode == "self_signed":
            key_pem, cert_pem = _self_signed(host)
            return self._context(host, key_pem, cert_pem)
        raise ValueError(f"unknown TLS mode {mode!r} for {host}")

    def spki_hashes(self) -> list[str]:
        """SPKI hashes that make Chromium accept the demo web: the CA first, then the leaf."""
        return [spki_sha256_b64(self.ca_pem), spki_sha256_b64(self.leaf_pem)]

    def _sni(
        self, sslobj: ssl.SSLObject | ssl.SSLSocket, name: str | None, _: ssl.SSLContext
    ) -> None:
        if not name:
            return
        host = name.lower().rstrip(".")
        special = self._special.get(host)
        if special is not None:
            sslobj.context = special
            return
        if host in self._names:
            return
        with self._lock:
            ctx = self._lazy.get(host)
            if ctx is None and self._can_serve(host):
                leaf = self.ca.issue_cert(host)
                ctx = self._context(
                    f"lazy-{host}",
                    leaf.private_key_pem.bytes(),
                    leaf.cert_chain_pems[0].bytes() + self.ca_pem,
                )
                self._lazy[host] = ctx
        if ctx is not None:
            sslobj.context = ctx
