"""A real OpenID Connect provider's key side on loopback, for tests: it serves its discovery
document and JWKS over HTTP on 127.0.0.1, signs tokens with keys made here (RSA or EC),
rotates them, and goes down when told."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import jwt
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from jwt.algorithms import ECAlgorithm, RSAAlgorithm

PrivateKey = rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey


def new_key(algorithm: str) -> PrivateKey:
    if algorithm == "ES256":
        return ec.generate_private_key(ec.SECP256R1())
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def public_jwk(kid: str, algorithm: str, key: PrivateKey) -> dict[str, Any]:
    if isinstance(key, ec.EllipticCurvePrivateKey):
        jwk = ECAlgorithm.to_jwk(key.public_key(), as_dict=True)
    else:
        jwk = RSAAlgorithm.to_jwk(key.public_key(), as_dict=True)
    return {**jwk, "kid": kid, "alg": algorithm, "use": "sig"}


@dataclass
class SigningKey:
    kid: str
    algorithm: str
    private: PrivateKey


@dataclass
class LocalProvider:
    """The provider at ``issuer`` (``http://127.0.0.1:<port>``); ``jwks_requests`` counts
    the key set's fetches."""

    issuer: str = ""
    audience: str = "switchboard"
    keys: list[SigningKey] = field(default_factory=list)
    jwks_requests: int = 0
    discovery_requests: int = 0
    failing: bool = False
    """Answer every request with a 500 (counted in ``failed_requests``)."""
    failed_requests: int = 0
    delay_seconds: float = 0.0
    """How long each answer takes (a slow provider)."""
    _server: ThreadingHTTPServer | None = None
    _serial: int = 0

    @property
    def jwks_url(self) -> str:
        return f"{self.issuer}/jwks"

    def add_key(self, algorithm: str = "RS256") -> SigningKey:
        self._serial += 1
        key = SigningKey(f"key-{self._serial}-{algorithm}", algorithm, new_key(algorithm))
        self.keys.append(key)
        return key

    def rotate(self, algorithm: str = "RS256") -> SigningKey:
        """A new key replaces every old one (their tokens no longer verify)."""
        self.keys.clear()
        return self.add_key(algorithm)

    def token(
        self,
        *,
        key: SigningKey | None = None,
        ttl: timedelta = timedelta(minutes=5),
        typ: str | None = None,
        **claims: Any,
    ) -> str:
        """A token signed with ``key`` (default: the newest), from this issuer for its
        audience; ``claims`` add or replace claims (None removes one); ``typ`` its header's."""
        signer = key or self.keys[-1]
        now = datetime.now(UTC)
        body: dict[str, Any] = {
            "iss": self.issuer,
            "aud": self.audience,
            "sub": "user-1",
            "iat": now,
            "exp": now + ttl,
            **claims,
        }
        body = {name: value for name, value in body.items() if value is not None}
        headers = {"kid": signer.kid} if typ is None else {"kid": signer.kid, "typ": typ}
        return jwt.encode(body, signer.private, algorithm=signer.algorithm, headers=headers)

    def document(self, path: str) -> dict[str, Any] | None:
        if path == "/.well-known/openid-configuration":
            self.discovery_requests += 1
            return {"issuer": self.issuer, "jwks_uri": self.jwks_url}
        if path == "/jwks":
            self.jwks_requests += 1
            return {"keys": [public_jwk(k.kid, k.algorithm, k.private) for k in self.keys]}
        return None

    def start(self) -> None:
        provider = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                time.sleep(provider.delay_seconds)
                if provider.failing:
                    provider.failed_requests += 1
                    self.send_error(500)
                    return
                document = provider.document(self.path)
                body = json.dumps(document).encode()
                self.send_response(200 if document is not None else 404)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.issuer = self.issuer or f"http://127.0.0.1:{self._server.server_address[1]}"
        threading.Thread(target=self._server.serve_forever, args=(0.05,), daemon=True).start()

    def stop(self) -> None:
        """Down: its port refuses connections."""
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None


@contextmanager
def running_provider(algorithm: str = "RS256") -> Iterator[LocalProvider]:
    """A ``LocalProvider`` with one key, serving for the block."""
    provider = LocalProvider()
    provider.add_key(algorithm)
    provider.start()
    try:
        yield provider
    finally:
        provider.stop()
