"""Mail classification benchmark on shared/eval bounces and replies (see ``run.py``)."""
