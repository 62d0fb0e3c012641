"""``python -m blindsr`` is the ``blindsr`` command."""

from blindsr.cli import main

main()
