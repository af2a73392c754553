"""`python -m bench NAME [ARGS...]`: run one benchmark module's run(args)."""

import importlib
import pkgutil
import sys

import bench


def available():
    modules = pkgutil.iter_modules(bench.__path__)
    return sorted(m.name for m in modules if not m.name.startswith("_"))


def main(argv):
    if not argv or argv[0] not in available():
        print(f"usage: python -m bench NAME [ARGS...]; NAME is one of: {', '.join(available())}",
              file=sys.stderr)
        return 2
    module = importlib.import_module(f"bench.{argv[0]}")
    return module.run(argv[1:]) or 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
