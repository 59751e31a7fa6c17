import sys

from orchestration.cli.arguments import main

sys.exit(main())
