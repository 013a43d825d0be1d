"""Developer tools the product ships: the strict fake Bot API behind ``python -m bot console``.

The tests use the same fake (``tests/fakes/telegram.py`` re-exports it). Nothing here runs in
production: ``run`` and ``worker`` never import this package.
"""
