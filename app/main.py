"""The order orchestration scorecard: `streamlit run app/main.py`.

Each rerun resolves the live published snapshot (so a new publish shows on the next click),
checks sign-in when it is configured, draws the sidebar filters and runs the chosen page.
"""

from __future__ import annotations

import streamlit as st
from streamlit.navigation.page import StreamlitPage

from app import access, data, layout

APP_TITLE = "Order orchestration scorecard"
FINANCE_PAGE = "views/leakage.py"
PAGES = {
    "Scorecard": [
        ("views/executive.py", "Executive", ":material/monitoring:", "executive"),
        ("views/operational.py", "Operational", ":material/local_shipping:", "operational"),
        ("views/diagnostic.py", "Diagnostic", ":material/troubleshoot:", "diagnostic"),
        (FINANCE_PAGE, "Leakage", ":material/paid:", "leakage"),
    ],
    "Reliability": [
        ("views/slos.py", "SLOs and alerts", ":material/speed:", "slos"),
        ("views/rollout.py", "Rollout impact", ":material/compare_arrows:", "rollout"),
    ],
    "Reference": [
        ("views/dictionary.py", "Metric dictionary", ":material/menu_book:", "metrics"),
        ("views/quality.py", "Data quality", ":material/verified:", "quality"),
    ],
}


def _sign_in(rules: access.Access) -> None:
    """Stop the run until the visitor signs in, when sign-in is configured."""
    if rules.problem:
        st.error(rules.problem)
        st.stop()
    if not rules.login_required:
        return
    if not access.signed_in():
        st.title(APP_TITLE)
        st.info("Sign in to open the scorecard.", icon=":material/lock:")
        provider = (rules.provider,) if rules.provider else ()
        st.button("Sign in", on_click=st.login, args=provider, type="primary")
        st.stop()
    with st.sidebar:
        st.caption(f"Signed in as {access.user_email() or 'an unnamed user'}")
        st.button("Sign out", on_click=st.logout)


def _navigation(finance_visible: bool) -> StreamlitPage:
    sections = {
        section: [
            st.Page(path, title=title, icon=icon, url_path=url, default=url == "executive")
            for path, title, icon, url in pages
            if finance_visible or path != FINANCE_PAGE
        ]
        for section, pages in PAGES.items()
    }
    return st.navigation(sections)


def main() -> None:
    """Resolve the snapshot, sign-in and filters, then run the chosen page."""
    st.set_page_config(page_title=APP_TITLE, page_icon=":material/monitoring:", layout="wide")
    rules = access.read_access()
    _sign_in(rules)
    try:
        snapshot = data.live_snapshot()
        ref = data.SnapshotRef.of(snapshot)
        page = _navigation(access.sees_finance(rules))
        filters = layout.sidebar_filters(snapshot, ref)
    except data.SnapshotUnavailableError as error:
        st.title(APP_TITLE)
        st.error(str(error), icon=":material/error:")
        st.stop()
    st.session_state[layout.SCOPE_KEY] = layout.Scope(
        snapshot=snapshot,
        ref=ref,
        filters=filters,
        finance_visible=access.sees_finance(rules),
    )
    page.run()


main()
