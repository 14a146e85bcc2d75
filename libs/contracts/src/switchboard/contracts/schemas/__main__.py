import sys

from switchboard.contracts.schemas.cli import main

sys.exit(main())
