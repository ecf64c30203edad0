"""Inbound mail: IMAP connections (``imap``) and what each inbound mail is — bounce,
auto-reply, complaint, unsubscribe or reply (``classify.classify``)."""
