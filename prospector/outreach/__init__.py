"""Outreach: pitch templates, drafting, the approval loop, sending and follow-ups."""
