"""Contacts of prospects, and the MX cache."""

from __future__ import annotations

from prospector.store.base import StoreBase


class ContactsStore(StoreBase):
    """Contacts of prospects, and the MX cache."""
