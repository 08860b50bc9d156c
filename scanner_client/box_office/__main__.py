"""`python -m scanner_client.box_office ...`: the box-office commands without the gate's CLI."""

import sys

from scanner_client.box_office.cli import main

sys.exit(main())
