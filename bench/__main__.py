import sys

from bench import BENCHMARKS, run


def main(argv):
    if not argv or argv[0] not in BENCHMARKS:
        print("usage: python -m bench NAME [options]   (NAME --help for its options)")
        print("benchmarks: " + ", ".join(BENCHMARKS))
        return 0 if not argv or argv[0] in ("-h", "--help") else 2
    run(argv[0], argv[1:])
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
