"""Allow ``python -m gankit`` (and ``torchrun -m gankit``)."""

from gankit.cli import main

if __name__ == "__main__":
    raise SystemExit(main())
