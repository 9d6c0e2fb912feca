"""Container health check without curl: exit 0 when the URL answers 2xx within 10 seconds.

python deploy/healthcheck.py http://localhost:8080/api/v2/monitor/health
"""

import sys
import urllib.request

try:
    with urllib.request.urlopen(sys.argv[1], timeout=10) as response:  # noqa: S310 (a local URL from compose)
        sys.exit(0 if 200 <= response.status < 300 else 1)
except OSError as exc:
    print(f"{sys.argv[1]}: {exc}", file=sys.stderr)
    sys.exit(1)
