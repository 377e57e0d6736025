"""The Streamlit scorecard over published snapshots; run `streamlit run app/main.py`."""
