"""`python -m admission.cli`: the same as the `admission` command."""

import sys

from admission.cli import main

sys.exit(main())
