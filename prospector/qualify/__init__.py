"""Qualification: relevance, authority, quality and spam signals, contacts, the score."""
