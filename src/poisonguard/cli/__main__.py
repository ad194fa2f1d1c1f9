"""``python -m poisonguard.cli``."""

from poisonguard.cli import main

main()
