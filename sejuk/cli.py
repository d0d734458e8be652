"""The ``sejuk`` command: ``sejuk <area> <verb> [options]``.

Each area is a Django management command with sub-commands (``sejuk wilayah
import``, ``sejuk units import``, ``sejuk data fetch``, ``sejuk demo``), and
every built-in Django command works too (``sejuk migrate``).
"""

from __future__ import annotations

import os
import sys


def main(argv: list[str] | None = None) -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "sejuk.settings")
    from django.core.exceptions import ImproperlyConfigured
    from django.core.management import ManagementUtility

    args = list(sys.argv[1:] if argv is None else argv)
    try:
        ManagementUtility(["sejuk", *args]).execute()
    except ImproperlyConfigured as exc:
        print(f"sejuk: configuration error: {exc}", file=sys.stderr)
        sys.exit(2)


if __name__ == "__main__":
    main()
