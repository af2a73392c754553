"""The layers of docs/architecture.md, as a user of the domain would meet them: every module
that does not itself serve the web imports on its own, in a fresh interpreter, without
loading Flask (the import contracts of `make lint` check the direction of every import)."""

import pkgutil
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import schemas
import service

ROOT = Path(__file__).resolve().parent.parent
# What serves the web (and the command line, which is a Flask command group).
WEB = ("service.web", "service.cli")
WEB_STACK = ("flask", "flask_smorest", "werkzeug", "jinja2")

CHECK = """
import importlib, sys
importlib.import_module({name!r})
loaded = sorted(m for m in {stack!r} if m in sys.modules)
print(",".join(loaded))
"""


def all_modules():
    names = []
    for package in (service, schemas):
        names.append(package.__name__)
        for found in pkgutil.walk_packages(package.__path__, package.__name__ + "."):
            names.append(found.name)
    return sorted(names)


def off_the_web(name):
    return not any(name == web or name.startswith(web + ".") for web in WEB)


def import_alone(name):
    done = subprocess.run(
        [sys.executable, "-c", CHECK.format(name=name, stack=WEB_STACK)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    return name, done.returncode, done.stdout.strip(), done.stderr.strip()[-2000:]


def test_the_layers_are_packages_with_the_expected_modules():
    modules = all_modules()
    for layer in ("service.domain", "service.storage", "service.bulk", "service.web"):
        assert layer in modules
    assert "service.domain.custody" in modules and "service.storage.models" in modules
    assert "service.web.api.sources" in modules


def test_every_module_off_the_web_imports_alone_without_flask():
    names = [n for n in all_modules() if off_the_web(n)]
    assert len(names) > 20
    with ThreadPoolExecutor(max_workers=4) as pool:
        results = list(pool.map(import_alone, names))
    failed = [(name, err) for name, code, _, err in results if code != 0]
    assert failed == [], "modules that cannot be imported on their own"
    loaded = [(name, out) for name, code, out, _ in results if out]
    assert loaded == [], "modules that load the web stack"


def test_the_package_root_imports_nothing_heavy():
    name, code, out, err = import_alone("service")
    assert code == 0, err
    assert out == ""
