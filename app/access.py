"""Optional sign-in and the finance allow-list.

Sign-in is off unless `.streamlit/secrets.toml` has an `[auth]` table (Streamlit's OIDC
support: `redirect_uri`, `cookie_secret` and the provider's `client_id`, `client_secret` and
`server_metadata_url`, see the Streamlit docs for `st.login`). When it is on, everyone must
sign in, and the Leakage page, which shows money by node and carrier, is listed only for the
emails in the finance allow-list: `[scorecard] finance_users` in secrets (a list, or one
comma-separated string) plus the comma-separated environment variable ORCH_FINANCE_USERS.

With sign-in off every page is listed: a laptop demo has nobody to keep out, and the server
binds to localhost unless told otherwise.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import streamlit as st
from streamlit.errors import StreamlitSecretNotFoundError

FINANCE_USERS_ENV = "ORCH_FINANCE_USERS"
# Streamlit refuses to start a login flow without these two in [auth].
REQUIRED_AUTH_KEYS = ("redirect_uri", "cookie_secret")


@dataclass(frozen=True)
class Access:
    """How the scorecard is protected, read from secrets and the environment."""

    login_required: bool
    finance_users: frozenset[str]
    provider: str | None = None
    problem: str | None = None


def _secrets() -> Mapping[str, Any]:
    """The app's secrets, or nothing when no secrets file exists (the default)."""
    try:
        return st.secrets.to_dict()
    except (StreamlitSecretNotFoundError, FileNotFoundError):
        return {}


def _emails(value: object) -> set[str]:
    if isinstance(value, str):
        items: list[object] = list(value.split(","))
    elif isinstance(value, list | tuple | set | frozenset):
        items = list(value)
    else:
        items = []
    return {str(item).strip().lower() for item in items if str(item).strip()}


def read_access(environ: Mapping[str, str] | None = None) -> Access:
    """Whether sign-in is on, who may see finance pages, and any misconfiguration."""
    env = os.environ if environ is None else environ
    secrets = _secrets()
    scorecard = secrets.get("scorecard") or {}
    finance = _emails(scorecard.get("finance_users")) | _emails(env.get(FINANCE_USERS_ENV, ""))
    auth = secrets.get("auth")
    if not isinstance(auth, Mapping):
        return Access(login_required=False, finance_users=frozenset(finance))
    missing = [key for key in REQUIRED_AUTH_KEYS if not auth.get(key)]
    problem = None
    if missing:
        problem = (
            f"[auth] in .streamlit/secrets.toml lacks {', '.join(missing)}. Add them (see "
            "app/README.md) or remove [auth] to turn sign-in off."
        )
    provider = scorecard.get("auth_provider")
    return Access(
        login_required=True,
        finance_users=frozenset(finance),
        provider=str(provider) if provider else None,
        problem=problem,
    )


def signed_in() -> bool:
    """Whether the visitor has signed in (False when sign-in is not configured)."""
    return bool(st.user.get("is_logged_in", False))


def user_email() -> str | None:
    """The signed-in visitor's email, lower-cased."""
    email = st.user.get("email")
    return str(email).lower() if email else None


def sees_finance(access: Access) -> bool:
    """Whether the visitor may open the finance (Leakage) page."""
    if not access.login_required:
        return True
    email = user_email()
    return signed_in() and email is not None and email in access.finance_users
