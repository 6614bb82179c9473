//! SPL Token and Token-2022 accounts as the venues read them (reference: `venues/token.py`).
