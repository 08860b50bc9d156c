"""`python -m scanner_client.box_office ...`: the till's commands under the package's old name."""

import sys

from scanner_client.till.cli import main

sys.exit(main())
