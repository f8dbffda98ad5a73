"""Where a webhook may go: the URL's host resolved, and every address it has checked.

Checked when a subscription is saved and again before each request, and the request goes to
the address checked (`Target.address`), so a name that resolves to a public address when
checked and to a private one a moment later (DNS rebinding) reaches nothing it should not.
"""

from __future__ import annotations

import socket
from dataclasses import dataclass
from urllib.parse import urlsplit

from leadstreams.domain.webhooks import UnsafeTarget, check_address, check_scheme


@dataclass(frozen=True, slots=True)
class Target:
    url: str
    host: str  # as written in the URL (the TLS server name)
    port: int | None  # as written in the URL
    address: str  # the checked address the request connects to

    @property
    def host_header(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return host if self.port is None else f"{host}:{self.port}"


def resolve(url: str, *, allow_private: bool) -> Target:
    """The target, or UnsafeTarget saying why not."""
    try:
        parts = urlsplit(url)
        port = parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError as error:
        raise UnsafeTarget(f"not a URL: {error}") from error
    check_scheme(parts.scheme, parts.hostname)
    host = parts.hostname or ""
    try:
        found = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (OSError, UnicodeError) as error:
        raise UnsafeTarget(f"the host {host!r} does not resolve") from error
    addresses = [str(info[4][0]) for info in found]
    if not allow_private:
        for address in addresses:  # every one: the client may pick any of them
            check_address(address)
    return Target(url=url, host=host, port=parts.port, address=addresses[0])
