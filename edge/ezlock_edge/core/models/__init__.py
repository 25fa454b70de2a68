"""What the lock core remembers and reports, one module per subject.

``people`` (users, their credentials, capacities, enrollments), ``visitors`` (temporary
passwords and Bluetooth keys, one concept with a kind), ``clients`` (paired API
clients), ``settings``, ``operations`` (how the door was opened, the last operation)
and ``state`` (the lock's identity, camera and state snapshot), written with
``rendering`` (how a model shows itself to a client) and ``validity`` (the window a
credential opens in). Each model knows how to show itself to a client (``as_dict``);
secrets (password hashes, codes, token hashes) are never part of that view.
"""

from __future__ import annotations

from .clients import Client, ClientRole
from .operations import LastOperation, UnlockMethod
from .people import (
    CAPACITY,
    PER_USER_LIMIT,
    Credential,
    CredentialType,
    Enrollment,
    Role,
    User,
)
from .rendering import JsonDict, iso
from .settings import Settings
from .state import CameraReason, CameraStatus, LockInfo, LockState
from .visitors import RETENTION, VisitorCredential, VisitorKind

__all__ = [
    "CAPACITY",
    "PER_USER_LIMIT",
    "RETENTION",
    "CameraReason",
    "CameraStatus",
    "Client",
    "ClientRole",
    "Credential",
    "CredentialType",
    "Enrollment",
    "JsonDict",
    "LastOperation",
    "LockInfo",
    "LockState",
    "Role",
    "Settings",
    "UnlockMethod",
    "User",
    "VisitorCredential",
    "VisitorKind",
    "iso",
]
