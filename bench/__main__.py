"""``python -m bench``: the scheduler scan and digest benchmarks (see ``bench/run.py``);
``python -m bench e2e``: the end-to-end Slack benchmark (see ``bench/e2e.py``)."""

from __future__ import annotations

import sys

if sys.argv[1:2] == ["e2e"]:
    from bench.e2e import main as e2e

    sys.exit(e2e(sys.argv[2:]))

from bench.run import main

sys.exit(main())
