import sys

from trialforge.cli import main

sys.exit(main())
