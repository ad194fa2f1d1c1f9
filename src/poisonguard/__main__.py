"""``python -m poisonguard``."""

from poisonguard.cli import main

main()
