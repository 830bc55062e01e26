import sys

from crm_pipelines.cli import main

sys.exit(main())
