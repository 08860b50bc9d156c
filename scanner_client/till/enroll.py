"""Enrolling a PC as a box office: its own signing key, its device token, the first snapshot.

`scanner-client enroll-box-office --server URL --token TOKEN --name NAME` accepts either
- an admin token: the box_office device NAME is created on the server with this PC's public key,
  and the new device's own token is stored (the admin token is used once and never stored); or
- a box_office device token made beforehand (`admission tokens ...` or POST /api/v1/devices):
  the public key is registered for that device (POST /api/v1/sales/signing-key).
Either way the Ed25519 private key is made here and never leaves this PC (PEM, mode 0600, in the
data folder); gates learn the public key from the change feed, so they admit tickets this till
sells offline at once. The service certifies the key for a while (till/certificate.py): the
first certificate is fetched here, and the till renews it by itself while online. A re-enrolled
PC gets a new key; tickets the old one signed while it was certified stay valid, because they are
in visitors' hands (revoking the device ends every key it holds).
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import msgspec
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from admission.domain.codes import now_utc, public_hex
from admission.i18n import _
from scanner_client.core.feed import pull_snapshot
from scanner_client.core.remote import ServerRefused
from scanner_client.till.certificate import CertificateRefused, renew
from scanner_client.till.remote import BoxOfficeRemote
from scanner_client.till.store import TillStore

KEY_FILE = "signing-key.pem"

RemoteFactory = Callable[[str, str], BoxOfficeRemote]


class EnrollmentError(RuntimeError):
    pass


@dataclass(frozen=True)
class Enrollment:
    device: str
    device_id: int
    key_id: int
    created_device: bool
    changes: int


def write_key(path: Path, key: Ed25519PrivateKey) -> None:
    """Write the private key atomically, readable by this user only."""
    pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_suffix(".partial")
    partial.unlink(missing_ok=True)
    fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as handle:
        handle.write(pem)
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(partial, path)


def load_key(path: Path) -> Ed25519PrivateKey | None:
    if not path.exists():
        return None
    key = serialization.load_pem_private_key(path.read_bytes(), password=None)
    if not isinstance(key, Ed25519PrivateKey):
        raise EnrollmentError(_("{path} is not an Ed25519 private key").format(path=path))
    return key


async def enroll_box_office(
    folder: Path,
    store: TillStore,
    *,
    server_url: str,
    token: str,
    name: str | None,
    remote_factory: RemoteFactory = BoxOfficeRemote,
) -> Enrollment:
    owed = store.pending_count()
    if owed:
        raise EnrollmentError(
            _(
                "this till still holds {count} unsynced sales: run `scanner-client box-office-sync` first"
            ).format(count=owed)
        )
    key = Ed25519PrivateKey.generate()
    given = remote_factory(server_url, token)
    try:
        me = await given.me()
        if me.role == "admin":
            if not name:
                raise EnrollmentError(_("with an admin token, name the new box office: --name NAME"))
            issued = await given.create_box_office(name, public_hex(key.public_key()))
            device_token, device, created = issued.token, (issued.device.name, issued.device.id), True
            key_id = issued.device.key_id
        elif me.role == "box_office":
            if name and name != me.name:
                raise EnrollmentError(
                    _("this token belongs to box office {device!r}, not {name!r}").format(
                        device=me.name, name=name
                    )
                )
            key_id = (await given.register_signing_key(public_hex(key.public_key()))).key_id
            device_token, device, created = token, (me.name, me.id), False
        else:
            raise EnrollmentError(
                _("a {role} token cannot enroll a box office: use an admin or box_office token").format(
                    role=me.role
                )
            )
    finally:
        await given.aclose()
    assert key_id is not None
    # The key is saved before anything else: from here on the server vouches for it.
    write_key(folder / KEY_FILE, key)
    own = remote_factory(server_url, device_token)
    try:
        changes = await pull_snapshot(store, own)
        config = await own.payment_config()
        # Without a certificate the till cannot sell offline; it asks again at every sync.
        with contextlib.suppress(ServerRefused, CertificateRefused):
            await renew(store, own, key_id, now_utc())
    finally:
        await own.aclose()
    device_name, device_id = device
    store.token = device_token
    store.set_config(
        server_url=server_url,
        device=device_name,
        device_id=str(device_id),
        key_id=str(key_id),
        payment_config=msgspec.json.encode(config).decode(),
    )
    store.clear_revocation()  # a revoked till's wiped store starts again as the new device's
    return Enrollment(
        device=device_name, device_id=device_id, key_id=key_id, created_device=created, changes=changes
    )
