"""`python -m scanner_client.till ...`: the till's commands without the gate's CLI."""

import sys

from scanner_client.till.cli import main

sys.exit(main())
