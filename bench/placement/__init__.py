"""Link placement benchmark on Readability's test pages (see ``run.py``)."""
