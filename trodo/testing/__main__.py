"""``python -m trodo.testing``: the dev server (see ``trodo.testing._cli``)."""

import sys

from trodo.testing._cli import main

sys.exit(main())
