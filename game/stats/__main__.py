"""`python -m game.stats`: the exactly-once stats processor."""

import sys

from game.stats.processor import main

sys.exit(main())
