"""A minimal service, to show what a new service needs: its events (here, in place of
libs/contracts), a definition, its domain, its handlers, its migrations and its routes —
servicekit builds everything else."""
