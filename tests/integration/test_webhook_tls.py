"""Webhooks over https while connecting to a vetted address: the certificate is checked against
the URL's host name (SNI), not against the address connected to.

A throwaway certificate authority signs a certificate for ``receiver.example.test``; the
receiver listens on loopback and the test resolver answers loopback for the names used, with
the address rule lifted as FI_WEBHOOK_ALLOW_PRIVATE does.
"""

from __future__ import annotations

import ipaddress
import ssl
import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from forwarder_insure.services.webhook_addresses import WebhookAddresses
from forwarder_insure.services.webhooks import pinned_transport

NAME = "receiver.example.test"


def _certificate(subject: str, issuer: x509.Name | None, key, signer, *, ca: bool):
    now = datetime.now(UTC)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, subject)])
    builder = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(issuer or name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(minutes=5))
        .not_valid_after(now + timedelta(hours=1))
        .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
    )
    if ca:
        builder = builder.add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=True,
                crl_sign=True,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
    else:
        builder = builder.add_extension(
            x509.SubjectAlternativeName([x509.DNSName(subject)]), critical=False
        )
    return builder.sign(signer, hashes.SHA256())


@pytest.fixture(scope="module")
def authority(tmp_path_factory) -> tuple[Path, Path, Path]:
    """(CA certificate, server certificate, server key) files."""
    folder = tmp_path_factory.mktemp("tls")
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca = _certificate("webhook test CA", None, ca_key, ca_key, ca=True)
    key = ec.generate_private_key(ec.SECP256R1())
    server = _certificate(NAME, ca.subject, key, ca_key, ca=False)
    files = folder / "ca.pem", folder / "server.pem", folder / "server.key"
    files[0].write_bytes(ca.public_bytes(serialization.Encoding.PEM))
    files[1].write_bytes(server.public_bytes(serialization.Encoding.PEM))
    files[2].write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return files


class TlsReceiver:
    def __init__(self, certificate: Path, key: Path):
        self.received: list[dict] = []
        self.server_names: list[str | None] = []
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                self.rfile.read(int(self.headers["Content-Length"]))
                receiver.received.append({"host": self.headers["Host"]})
                self.send_response(204)
                self.end_headers()

            def log_message(self, *args):
                pass

        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(certificate, key)
        context.sni_callback = lambda _sock, name, _context: self.server_names.append(name)
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.socket = context.wrap_socket(self.server.socket, server_side=True)
        self.port = self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def tls_receiver(authority) -> Iterator[TlsReceiver]:
    receiver = TlsReceiver(authority[1], authority[2])
    yield receiver
    receiver.close()


def loopback_for_every_name(host: str, port: int):
    return [ipaddress.ip_address("127.0.0.1")]


ALLOW_PRIVATE = WebhookAddresses(loopback_for_every_name, allow_private=True)


def test_https_verifies_the_certificate_against_the_host_name(authority, tls_receiver):
    trusting = ssl.create_default_context(cafile=str(authority[0]))
    send = pinned_transport(ALLOW_PRIVATE, tls=trusting)
    answer = send(f"https://{NAME}:{tls_receiver.port}/hooks", b"{}", {})
    assert answer.status == 204
    assert tls_receiver.received == [{"host": f"{NAME}:{tls_receiver.port}"}]
    assert tls_receiver.server_names == [NAME]


def test_a_certificate_for_another_name_is_refused(authority, tls_receiver):
    trusting = ssl.create_default_context(cafile=str(authority[0]))
    send = pinned_transport(ALLOW_PRIVATE, tls=trusting)
    answer = send(f"https://other.example.test:{tls_receiver.port}/hooks", b"{}", {})
    assert (answer.status, answer.error) == (None, "delivery_failed")
    assert tls_receiver.received == []


def test_an_untrusted_certificate_is_refused(tls_receiver):
    send = pinned_transport(ALLOW_PRIVATE)  # the system's trust store
    answer = send(f"https://{NAME}:{tls_receiver.port}/hooks", b"{}", {})
    assert (answer.status, answer.error) == (None, "delivery_failed")
    assert tls_receiver.received == []
