"""``python -m crmdedup`` runs the command-line interface."""

from crmdedup.cli import main

main()
