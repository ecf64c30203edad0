"""``python -m prospector`` is the ``prospector`` command."""

from prospector.cli.main import run

run()
